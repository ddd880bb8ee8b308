-- Server-side sign-in sessions. The cookie holds a random token; only its
-- SHA-256 is stored, so a database dump cannot be replayed as a cookie.
CREATE TABLE login_sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    auth_time  DATETIME NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE INDEX login_sessions_user ON login_sessions (user_id);
CREATE INDEX login_sessions_expires ON login_sessions (expires_at);

-- Consent remembered per user and client: the scopes granted so far.
CREATE TABLE consents (
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL DEFAULT '[]',
    granted_at DATETIME NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client ON consents (client_id);

-- Background jobs run on every replica but take a lease first, so each
-- period's run happens once across replicas.
CREATE TABLE job_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at DATETIME NOT NULL
);
