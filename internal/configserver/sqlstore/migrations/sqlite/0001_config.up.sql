CREATE TABLE config_versions (
    revision    INTEGER PRIMARY KEY AUTOINCREMENT,
    app         TEXT    NOT NULL,
    profile     TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    doc         TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    message     TEXT    NOT NULL DEFAULT '',
    rollback_of INTEGER NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    UNIQUE (app, profile, version)
);
CREATE TABLE config_heads (
    app        TEXT     NOT NULL,
    profile    TEXT     NOT NULL,
    version    INTEGER  NOT NULL,
    revision   INTEGER  NOT NULL,
    updated_at DATETIME NOT NULL,
    updated_by TEXT     NOT NULL,
    PRIMARY KEY (app, profile)
);
