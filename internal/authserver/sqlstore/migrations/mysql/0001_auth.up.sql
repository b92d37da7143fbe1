-- Times are Unix milliseconds (UTC): compared in SQL the same way on SQLite and MySQL.
CREATE TABLE auth_users (
    id             VARCHAR(191)    NOT NULL PRIMARY KEY,
    email          VARCHAR(320)    NOT NULL UNIQUE,
    name           VARCHAR(255)    NOT NULL DEFAULT '',
    password_hash  VARCHAR(255)    NOT NULL,
    roles          VARCHAR(255)    NOT NULL,
    email_verified BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE auth_clients (
    id                        VARCHAR(191)    NOT NULL PRIMARY KEY,
    name                      VARCHAR(255)    NOT NULL,
    secret_hash               VARCHAR(191)    NOT NULL DEFAULT '',
    redirect_uris             TEXT    NOT NULL,
    post_logout_redirect_uris TEXT    NOT NULL,
    grant_types               VARCHAR(255)    NOT NULL,
    scopes                    TEXT    NOT NULL,
    trusted                   BIGINT NOT NULL DEFAULT 0,
    created_at                BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE auth_keys (
    kid            VARCHAR(191)    NOT NULL PRIMARY KEY,
    alg            VARCHAR(191)    NOT NULL,
    private_sealed TEXT    NOT NULL,
    public_pem     TEXT    NOT NULL,
    created_at     BIGINT NOT NULL,
    publish_until  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE auth_requests (
    id              VARCHAR(191)    NOT NULL PRIMARY KEY,
    client_id       VARCHAR(191)    NOT NULL,
    redirect_uri    TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    nonce           TEXT    NOT NULL,
    scopes          TEXT    NOT NULL,
    response_type   VARCHAR(191)    NOT NULL,
    response_mode   VARCHAR(191)    NOT NULL,
    code_challenge  VARCHAR(191)    NOT NULL,
    code_method     VARCHAR(191)    NOT NULL,
    prompt          VARCHAR(255)    NOT NULL,
    user_id         VARCHAR(191)    NOT NULL DEFAULT '',
    auth_time       BIGINT NOT NULL DEFAULT 0,
    done            BIGINT NOT NULL DEFAULT 0,
    code_hash       VARCHAR(191)    UNIQUE,
    code_used       BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- A grant is one authorization (a code or device flow) and every token
-- issued from it: revoking it revokes them all (the refresh family).
CREATE TABLE auth_grants (
    id         VARCHAR(191)    NOT NULL PRIMARY KEY,
    client_id  VARCHAR(191)    NOT NULL,
    user_id    VARCHAR(191)    NOT NULL,
    scopes     TEXT    NOT NULL,
    auth_time  BIGINT NOT NULL,
    amr        VARCHAR(255)    NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX auth_grants_user ON auth_grants (user_id);
CREATE TABLE auth_refresh_tokens (
    id          VARCHAR(191)    NOT NULL PRIMARY KEY,
    grant_id    VARCHAR(191)    NOT NULL,
    secret_hash VARCHAR(191)    NOT NULL,
    scopes      TEXT    NOT NULL,
    used_at     BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX auth_refresh_tokens_grant ON auth_refresh_tokens (grant_id);
-- Access tokens revoked one by one (RFC 7009), kept until they expire.
CREATE TABLE auth_revoked_tokens (
    jti        VARCHAR(191)    NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE auth_devices (
    device_hash VARCHAR(191)    NOT NULL PRIMARY KEY,
    user_code   VARCHAR(191)    NOT NULL UNIQUE,
    client_id   VARCHAR(191)    NOT NULL,
    scopes      TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    user_id     VARCHAR(191)    NOT NULL DEFAULT '',
    auth_time   BIGINT NOT NULL DEFAULT 0,
    expires_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE auth_sessions (
    id_hash    VARCHAR(191)    NOT NULL PRIMARY KEY,
    user_id    VARCHAR(191)    NOT NULL,
    auth_time  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
-- Single-use e-mail verification and password reset tokens, by hash.
CREATE TABLE auth_user_tokens (
    token_hash VARCHAR(191)    NOT NULL PRIMARY KEY,
    user_id    VARCHAR(191)    NOT NULL,
    purpose    VARCHAR(191)    NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX auth_user_tokens_user ON auth_user_tokens (user_id);
-- Failed sign-ins per key (account or IP) in the current window.
CREATE TABLE auth_login_failures (
    throttle_key VARCHAR(191)    NOT NULL PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures     BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
