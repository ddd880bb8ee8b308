-- Who changed what and when; field names only, never values.
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    fields      TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX audit_events_occurred ON audit_events (occurred_at, id);

-- Messages for administrators (secret expiry reminders), kept whether or
-- not they were e-mailed.
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    kind       TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    recipients TEXT NOT NULL DEFAULT '[]',
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    delivered  BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX notifications_created ON notifications (created_at, id);

-- One row per client secret that was reminded about (secret_version: the
-- secret's creation time in Unix microseconds). The primary key is the claim that
-- makes a reminder go out once across replicas.
CREATE TABLE secret_reminders (
    client_id      TEXT NOT NULL,
    secret_version BIGINT NOT NULL,
    claimed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, secret_version)
);
