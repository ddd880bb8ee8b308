-- Failed sign-ins, counted per key (a username, a client address) across
-- every replica, so a load balancer spreading guesses over replicas does
-- not multiply the allowance. throttle_key is the SHA-256 of the username or
-- address, not the text itself: people type passwords into the username
-- field. Rows expire with the throttling window; cleanup deletes them.
-- An attempt is recorded pending before its password is checked; a
-- failure settles it (pending false), a success deletes it.
CREATE TABLE login_failures (
    id         BIGSERIAL PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    pending    BOOLEAN NOT NULL DEFAULT FALSE,
    failed_at  TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (throttle_key, failed_at);
CREATE INDEX login_failures_expires ON login_failures (expires_at);
