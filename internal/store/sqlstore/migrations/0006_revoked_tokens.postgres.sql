-- Denylist of revoked stateless access tokens. Client-credentials access
-- tokens have no row of their own (the JWT carries everything
-- introspection needs), so revoking one records its jti here until the
-- token would have expired anyway; cleanup deletes it after that.
CREATE TABLE oauth_revoked_tokens (
    jti        TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX oauth_revoked_tokens_expires ON oauth_revoked_tokens (expires_at);
