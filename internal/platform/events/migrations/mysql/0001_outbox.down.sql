DROP TABLE outbox_lease;
DROP TABLE processed_messages;
DROP TABLE outbox;
