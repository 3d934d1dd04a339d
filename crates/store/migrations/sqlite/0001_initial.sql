-- Hallmark's issuer state (SQLite). Times are Unix seconds (UTC).
CREATE TABLE partners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    tier TEXT NOT NULL,
    role TEXT NOT NULL,
    record TEXT NOT NULL,
    approved_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    approval_id TEXT UNIQUE REFERENCES approvals (id),
    partner_id TEXT REFERENCES partners (id),
    tier TEXT,
    role TEXT,
    revocation_list TEXT,
    revocation_index BIGINT,
    suspension_list TEXT,
    suspension_index BIGINT,
    document TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    valid_until BIGINT,
    revoked_at BIGINT,
    revocation_reason TEXT,
    suspended BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (revocation_list, revocation_index),
    UNIQUE (suspension_list, suspension_index)
);

CREATE INDEX credentials_partner ON credentials (partner_id);

CREATE TABLE status_lists (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    entries BIGINT NOT NULL,
    bits BLOB NOT NULL,
    document TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
