-- Idempotency keys (draft-ietf-httpapi-idempotency-key-header): one row per (caller, key).
-- A request claims its key (`pending`, held by `owner` until `locked_until`); the change it
-- makes marks the row `committed` in the change's own transaction (with `subject`, what it
-- made); the response is stored after (`done`). Rows expire at `expires_at`.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    owner TEXT NOT NULL,
    state TEXT NOT NULL,
    locked_until BIGINT NOT NULL,
    subject TEXT,
    response_status INTEGER,
    response_headers TEXT,
    response_body TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
