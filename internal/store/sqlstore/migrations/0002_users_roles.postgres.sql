CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL DEFAULT '',
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    scopes      TEXT NOT NULL DEFAULT '[]',
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Members are users or API clients, both by username.
CREATE TABLE role_members (
    role_name  TEXT NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    username   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (role_name, username)
);
CREATE INDEX role_members_username ON role_members (username);

INSERT INTO roles (name, description, scopes, builtin, created_at, updated_at)
VALUES ('Administration', 'Administers everything in Gatehouse', '["gatehouse:admin"]', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
