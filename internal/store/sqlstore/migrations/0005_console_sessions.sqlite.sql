-- Admin console sessions (SPEC §7). The cookie holds a random token; only
-- its SHA-256 is stored. flash is a one-time message sealed with a key
-- derived from the cookie token, which the database never sees.
CREATE TABLE console_sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    id_token   TEXT NOT NULL DEFAULT '',
    flash      TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

-- Console sign-ins in progress: state, nonce and PKCE verifier, keyed by
-- the SHA-256 of the browser's sign-in cookie; single use, short-lived.
CREATE TABLE console_sign_ins (
    id            TEXT PRIMARY KEY,
    state         TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    return_to     TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    expires_at    DATETIME NOT NULL
);
CREATE INDEX console_sign_ins_expires ON console_sign_ins (expires_at);
