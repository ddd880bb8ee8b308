CREATE TABLE clients (
    id                        TEXT PRIMARY KEY,
    type                      TEXT NOT NULL,
    name                      TEXT NOT NULL,
    description               TEXT NOT NULL DEFAULT '',
    secret_hash               TEXT NOT NULL DEFAULT '',
    rotated_secrets           TEXT NOT NULL DEFAULT '[]',
    secret_expires_at         TIMESTAMPTZ,
    scopes                    TEXT NOT NULL DEFAULT '[]',
    public_base_uri           TEXT NOT NULL DEFAULT '',
    access_token_lifetime     BIGINT NOT NULL DEFAULT 0,
    enabled                   BOOLEAN NOT NULL DEFAULT TRUE,
    public                    BOOLEAN NOT NULL DEFAULT FALSE,
    require_consent           BOOLEAN NOT NULL DEFAULT TRUE,
    redirect_uris             TEXT NOT NULL DEFAULT '[]',
    allowed_cors_origins      TEXT NOT NULL DEFAULT '[]',
    post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]',
    created_at                TIMESTAMPTZ NOT NULL,
    updated_at                TIMESTAMPTZ NOT NULL,
    secret_created_at         TIMESTAMPTZ,
    last_used_at              TIMESTAMPTZ
);
CREATE INDEX clients_type_created ON clients (type, created_at, id);

CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    algorithm    TEXT NOT NULL,
    public_jwk   TEXT NOT NULL,
    private_seal BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    activates_at TIMESTAMPTZ NOT NULL
);

-- One shape for every protocol session fosite stores, one table per kind.
CREATE TABLE oauth_access_tokens (
    signature    TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    subject      TEXT NOT NULL DEFAULT '',
    requested_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    request      TEXT NOT NULL
);
CREATE INDEX oauth_access_tokens_request_id ON oauth_access_tokens (request_id);
CREATE INDEX oauth_access_tokens_client_id ON oauth_access_tokens (client_id);
CREATE INDEX oauth_access_tokens_expires_at ON oauth_access_tokens (expires_at);

CREATE TABLE oauth_refresh_tokens (LIKE oauth_access_tokens INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE oauth_refresh_tokens ADD PRIMARY KEY (signature);
ALTER TABLE oauth_refresh_tokens ADD COLUMN access_signature TEXT NOT NULL DEFAULT '';
CREATE INDEX oauth_refresh_tokens_request_id ON oauth_refresh_tokens (request_id);
CREATE INDEX oauth_refresh_tokens_client_id ON oauth_refresh_tokens (client_id);
CREATE INDEX oauth_refresh_tokens_expires_at ON oauth_refresh_tokens (expires_at);

CREATE TABLE oauth_authorize_codes (LIKE oauth_access_tokens INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE oauth_authorize_codes ADD PRIMARY KEY (signature);
CREATE INDEX oauth_authorize_codes_request_id ON oauth_authorize_codes (request_id);
CREATE INDEX oauth_authorize_codes_expires_at ON oauth_authorize_codes (expires_at);

CREATE TABLE oauth_oidc_sessions (LIKE oauth_access_tokens INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE oauth_oidc_sessions ADD PRIMARY KEY (signature);
CREATE INDEX oauth_oidc_sessions_expires_at ON oauth_oidc_sessions (expires_at);

CREATE TABLE oauth_pkce_requests (LIKE oauth_access_tokens INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE oauth_pkce_requests ADD PRIMARY KEY (signature);
CREATE INDEX oauth_pkce_requests_expires_at ON oauth_pkce_requests (expires_at);
