-- Notifications (issue 13, HOOKS): partners' contact addresses; the outbox, written in the
-- same transaction as the audit entry of a change a webhook or e-mail tells about; webhook
-- subscriptions; and deliveries, one per (outbox event, target), each retried until
-- delivered or failed. Times are Unix seconds.
ALTER TABLE partners ADD COLUMN contacts TEXT NOT NULL DEFAULT '[]';

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    event TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    -- Public details of the change (JSON), never a private revocation reason.
    payload TEXT NOT NULL,
    fanned_out BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX outbox_pending ON outbox (fanned_out, id);

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    -- JSON array of event types.
    events TEXT NOT NULL,
    description TEXT,
    -- whsec_…: a shared secret, kept so the worker can sign.
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);

CREATE TABLE deliveries (
    -- The webhook-id: the same on every attempt.
    id TEXT PRIMARY KEY,
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    -- 'webhook:<id>' or 'email:<address>': what the order per badge is kept for.
    target TEXT NOT NULL,
    webhook_id TEXT REFERENCES webhooks (id),
    email TEXT,
    credential_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    lease_token TEXT,
    last_status BIGINT,
    last_error TEXT,
    delivered_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (outbox_id, target)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_order ON deliveries (target, credential_id, state, outbox_id);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, outbox_id);

-- A row whose lock serialises the fan-out across processes (outbox order is kept).
CREATE TABLE delivery_locks (
    name TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);
INSERT INTO delivery_locks (name, at) VALUES ('fanout', 0);
