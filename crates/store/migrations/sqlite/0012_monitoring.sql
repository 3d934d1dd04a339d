-- Monitoring and renewal (issue 15): applications and assessment attempts (so time to
-- certification and first-pass rate are facts), training completions, scorecards per partner
-- and period, partners at risk, and specialization badges. Times are Unix seconds; metrics
-- are in the units of hallmark_issuer::program::METRICS.

-- A partner applied (or enrolled) for a tier, or a specialization, in a role.
CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    -- The tier's slug; for a specialization, NULL (and `specialization` set).
    tier TEXT,
    specialization TEXT,
    role TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK ((tier IS NULL) <> (specialization IS NULL))
);
CREATE INDEX applications_partner ON applications (partner_id, role, applied_at);
CREATE INDEX applications_applied ON applications (applied_at, tier, role);

-- One assessment attempt: an exam (score, percent) or a live demo (rubric level), passed or
-- not against the bar of the tier or specialization it was for.
CREATE TABLE attempts (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    application_id TEXT REFERENCES applications (id),
    tier TEXT,
    specialization TEXT,
    role TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('exam', 'demo')),
    exam_score BIGINT CHECK (exam_score BETWEEN 0 AND 100),
    demo_level TEXT,
    passed BOOLEAN NOT NULL,
    attempted_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK ((kind = 'exam') = (exam_score IS NOT NULL)),
    CHECK ((kind = 'demo') = (demo_level IS NOT NULL))
);
CREATE INDEX attempts_partner ON attempts (partner_id, role, attempted_at);
CREATE INDEX attempts_attempted ON attempts (attempted_at, tier, kind);

-- A training module a partner completed (recorded or imported).
CREATE TABLE training (
    partner_id TEXT NOT NULL REFERENCES partners (id),
    module TEXT NOT NULL,
    completed_at BIGINT NOT NULL,
    PRIMARY KEY (partner_id, module)
);

-- A partner's scorecard for one period (`2026-Q3`, [period_start, period_end)); each metric
-- NULL when not measured. `tier` is the partner's highest-ranked tier with a badge in force
-- when the scorecard was recorded (for roll-ups by tier), NULL when none.
CREATE TABLE scorecards (
    partner_id TEXT NOT NULL REFERENCES partners (id),
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    tier TEXT,
    win_rate DOUBLE PRECISION,
    first_pass_quality DOUBLE PRECISION,
    rework DOUBLE PRECISION,
    nps DOUBLE PRECISION,
    margin DOUBLE PRECISION,
    attach_rate DOUBLE PRECISION,
    influenced_pipeline DOUBLE PRECISION,
    nrr DOUBLE PRECISION,
    csat DOUBLE PRECISION,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (partner_id, period)
);
CREATE INDEX scorecards_period ON scorecards (period_start, tier);

-- A tier badge whose partner's latest scorecard missed the tier's floor: flagged, told
-- (notice), suspended when the notice period ends and the program says so; cleared by a
-- passing scorecard or a renewal. One open flag a badge at most.
CREATE TABLE risks (
    id TEXT PRIMARY KEY,
    credential_id TEXT NOT NULL REFERENCES credentials (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    period TEXT NOT NULL,
    -- What was missed: [{"metric": "nps", "value": 12, "threshold": 30}, …] (JSON).
    missed TEXT NOT NULL,
    flagged_at BIGINT NOT NULL,
    -- When the notice period ends (suspension is due, where the program suspends).
    notice_until BIGINT NOT NULL,
    suspended_at BIGINT,
    cleared_at BIGINT,
    cleared_by TEXT
);
CREATE UNIQUE INDEX risks_open ON risks (credential_id) WHERE cleared_at IS NULL;
CREATE INDEX risks_due ON risks (notice_until) WHERE cleared_at IS NULL AND suspended_at IS NULL;

-- A specialization badge names its specialization; tier badges have NULL here.
ALTER TABLE credentials ADD COLUMN specialization TEXT;
