-- Status lists whose entries are several bits (Bitstring Status List §2.1 statusSize), and the
-- "message" status of a credential (its list, index and current value).
ALTER TABLE status_lists ADD COLUMN status_size BIGINT NOT NULL DEFAULT 1;
ALTER TABLE credentials ADD COLUMN message_list TEXT;
ALTER TABLE credentials ADD COLUMN message_index BIGINT;
ALTER TABLE credentials ADD COLUMN message_status BIGINT NOT NULL DEFAULT 0;
