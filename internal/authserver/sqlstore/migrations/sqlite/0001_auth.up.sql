-- Times are Unix milliseconds (UTC): compared in SQL the same way on SQLite and MySQL.
CREATE TABLE auth_users (
    id             TEXT    NOT NULL PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL DEFAULT '',
    password_hash  TEXT    NOT NULL,
    roles          TEXT    NOT NULL,
    email_verified INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE TABLE auth_clients (
    id                        TEXT    NOT NULL PRIMARY KEY,
    name                      TEXT    NOT NULL,
    secret_hash               TEXT    NOT NULL DEFAULT '',
    redirect_uris             TEXT    NOT NULL,
    post_logout_redirect_uris TEXT    NOT NULL,
    grant_types               TEXT    NOT NULL,
    scopes                    TEXT    NOT NULL,
    trusted                   INTEGER NOT NULL DEFAULT 0,
    created_at                INTEGER NOT NULL
);
CREATE TABLE auth_keys (
    kid            TEXT    NOT NULL PRIMARY KEY,
    alg            TEXT    NOT NULL,
    private_sealed TEXT    NOT NULL,
    public_pem     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    publish_until  INTEGER NOT NULL
);
CREATE TABLE auth_requests (
    id              TEXT    NOT NULL PRIMARY KEY,
    client_id       TEXT    NOT NULL,
    redirect_uri    TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    nonce           TEXT    NOT NULL,
    scopes          TEXT    NOT NULL,
    response_type   TEXT    NOT NULL,
    response_mode   TEXT    NOT NULL,
    code_challenge  TEXT    NOT NULL,
    code_method     TEXT    NOT NULL,
    prompt          TEXT    NOT NULL,
    user_id         TEXT    NOT NULL DEFAULT '',
    auth_time       INTEGER NOT NULL DEFAULT 0,
    done            INTEGER NOT NULL DEFAULT 0,
    code_hash       TEXT    UNIQUE,
    code_used       INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
-- A grant is one authorization (a code or device flow) and every token
-- issued from it: revoking it revokes them all (the refresh family).
CREATE TABLE auth_grants (
    id         TEXT    NOT NULL PRIMARY KEY,
    client_id  TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    scopes     TEXT    NOT NULL,
    auth_time  INTEGER NOT NULL,
    amr        TEXT    NOT NULL,
    revoked_at INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX auth_grants_user ON auth_grants (user_id);
CREATE TABLE auth_refresh_tokens (
    id          TEXT    NOT NULL PRIMARY KEY,
    grant_id    TEXT    NOT NULL,
    secret_hash TEXT    NOT NULL,
    scopes      TEXT    NOT NULL,
    used_at     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX auth_refresh_tokens_grant ON auth_refresh_tokens (grant_id);
-- Access tokens revoked one by one (RFC 7009), kept until they expire.
CREATE TABLE auth_revoked_tokens (
    jti        TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE TABLE auth_devices (
    device_hash TEXT    NOT NULL PRIMARY KEY,
    user_code   TEXT    NOT NULL UNIQUE,
    client_id   TEXT    NOT NULL,
    scopes      TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    user_id     TEXT    NOT NULL DEFAULT '',
    auth_time   INTEGER NOT NULL DEFAULT 0,
    expires_at  INTEGER NOT NULL
);
CREATE TABLE auth_sessions (
    id_hash    TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    auth_time  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
-- Single-use e-mail verification and password reset tokens, by hash.
CREATE TABLE auth_user_tokens (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    purpose    TEXT    NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL
);
CREATE INDEX auth_user_tokens_user ON auth_user_tokens (user_id);
-- Failed sign-ins per key (account or IP) in the current window.
CREATE TABLE auth_login_failures (
    throttle_key TEXT    NOT NULL PRIMARY KEY,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL
);
