-- The transactional outbox: a service inserts a row here in the same
-- transaction as its business rows; the relay publishes rows in id order and
-- deletes them. AUTOINCREMENT (not plain rowid) so that ids never go back
-- after the newest row is deleted.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT     NOT NULL,
    topic      TEXT     NOT NULL,
    msg_key    TEXT     NOT NULL DEFAULT '',
    payload    BLOB     NOT NULL,
    headers    TEXT     NOT NULL DEFAULT '{}',
    created_at DATETIME NOT NULL
);

-- Messages an idempotent consumer has applied, so a redelivery is skipped.
CREATE TABLE processed_messages (
    consumer     TEXT     NOT NULL,
    message_id   TEXT     NOT NULL,
    processed_at DATETIME NOT NULL,
    PRIMARY KEY (consumer, message_id)
) WITHOUT ROWID;
CREATE INDEX processed_messages_processed_at ON processed_messages (processed_at);

-- Which relay may publish: one row, held by one owner until expires_at
-- (Unix milliseconds), renewed while it runs.
CREATE TABLE outbox_lease (
    name       TEXT    PRIMARY KEY,
    owner      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
INSERT INTO outbox_lease (name, owner, expires_at) VALUES ('relay', '', 0);
