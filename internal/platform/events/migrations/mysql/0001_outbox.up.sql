-- The transactional outbox: a service inserts a row here in the same
-- transaction as its business rows; the relay publishes rows in id order and
-- deletes them. msg_key, not key: KEY is reserved in MySQL.
CREATE TABLE outbox (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    message_id VARCHAR(128)    NOT NULL,
    topic      VARCHAR(255)    NOT NULL,
    msg_key    VARCHAR(1024)   NOT NULL DEFAULT '',
    payload    LONGBLOB        NOT NULL,
    headers    MEDIUMTEXT      NOT NULL,
    created_at DATETIME(6)     NOT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Messages an idempotent consumer has applied, so a redelivery is skipped.
-- 128 + 128 characters of utf8mb4 is 1024 bytes of key, inside InnoDB's
-- 3072-byte limit; _bin because IDs are compared byte for byte.
CREATE TABLE processed_messages (
    consumer     VARCHAR(128) NOT NULL,
    message_id   VARCHAR(128) NOT NULL,
    processed_at DATETIME(6)  NOT NULL,
    PRIMARY KEY (consumer, message_id),
    KEY processed_messages_processed_at (processed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Which relay may publish: one row, held by one owner until expires_at
-- (the database's clock, so replicas with skewed clocks still agree),
-- renewed while it runs.
CREATE TABLE outbox_lease (
    name       VARCHAR(64)  NOT NULL,
    owner      VARCHAR(255) NOT NULL,
    expires_at DATETIME(6)  NOT NULL,
    PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO outbox_lease (name, owner, expires_at) VALUES ('relay', '', '1970-01-01 00:00:01');
