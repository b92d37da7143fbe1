CREATE TABLE config_versions (
    revision    BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    app         VARCHAR(63)  NOT NULL,
    profile     VARCHAR(63)  NOT NULL,
    version     BIGINT       NOT NULL,
    doc         LONGTEXT     NOT NULL,
    author      VARCHAR(255) NOT NULL,
    message     VARCHAR(500) NOT NULL DEFAULT '',
    rollback_of BIGINT       NOT NULL DEFAULT 0,
    created_at  DATETIME(6)  NOT NULL,
    UNIQUE KEY config_versions_doc (app, profile, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE config_heads (
    app        VARCHAR(63)  NOT NULL,
    profile    VARCHAR(63)  NOT NULL,
    version    BIGINT       NOT NULL,
    revision   BIGINT       NOT NULL,
    updated_at DATETIME(6)  NOT NULL,
    updated_by VARCHAR(255) NOT NULL,
    PRIMARY KEY (app, profile)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
