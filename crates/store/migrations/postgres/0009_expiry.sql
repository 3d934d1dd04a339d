-- Expiry (issue 13): the lease that lets one of several `hallmark serve` processes run a
-- periodic job at a time, the "expiring" reminders (once per credential and threshold), and
-- the index of the credentials due soonest.
-- A job's lease: `holder` runs it until `leased_until` (Unix seconds); it is claimed by a
-- conditional upsert (crates/store/src/jobs.rs), never an in-memory lock.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    leased_until BIGINT NOT NULL,
    last_run_at BIGINT NOT NULL
);

-- A reminder that a credential expires within `days` (30, 14 or 1): at most one per
-- credential and threshold, whichever process finds it due first.
CREATE TABLE reminders (
    credential_id TEXT NOT NULL REFERENCES credentials (id),
    days BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (credential_id, days)
);

-- Credentials by validUntil, soonest first (GET /api/v1/credentials?expiring_before=…,
-- `hallmark badges due`, the lifecycle job).
CREATE INDEX credentials_valid_until ON credentials (valid_until, id);
