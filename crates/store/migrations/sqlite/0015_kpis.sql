-- Indexes and running figures for the KPI queries (issue 15; crates/store/src/kpis.rs), so
-- none of them reads credentials, attempts or scorecards whole, and the answer on 100,000
-- badges and 1,000,000 scorecards stays well under 200 ms.
-- A partner's approvals for a tier and role by date: "no earlier approval" (first
-- certification); the certifications approved in a window.
CREATE INDEX approvals_partner_tier ON approvals (partner_id, tier, role, approved_at);
CREATE INDEX approvals_approved ON approvals (approved_at, partner_id, tier, role, id);
-- An application's attempts in order: its first attempt.
CREATE INDEX attempts_application ON attempts (application_id, attempted_at, id);

-- When a badge came into force and when it ended, kept by triggers so the KPI queries need
-- no joins: `valid_from` = its approval's approved_at (the badge's validFrom); `ended_at` =
-- for a revoked badge, its successor's approved_at when a successor superseded it, else its
-- revoked_at; NULL while not revoked.
ALTER TABLE credentials ADD COLUMN valid_from BIGINT;
ALTER TABLE credentials ADD COLUMN ended_at BIGINT;
-- 1 when a badge of the same tier (or specialization) and role superseded it: renewed.
ALTER TABLE credentials ADD COLUMN renewed BIGINT NOT NULL DEFAULT 0;
UPDATE credentials SET valid_from = (SELECT a.approved_at FROM approvals a WHERE a.id = credentials.approval_id);
UPDATE credentials SET ended_at = COALESCE(
    (SELECT a.approved_at FROM credentials s JOIN approvals a ON a.id = s.approval_id WHERE s.id = credentials.superseded_by),
    revoked_at)
WHERE revoked_at IS NOT NULL;
UPDATE credentials SET renewed = (SELECT COUNT(*) FROM credentials s WHERE s.id = credentials.superseded_by AND s.tier IS credentials.tier AND s.role = credentials.role AND s.specialization IS credentials.specialization) WHERE superseded_by IS NOT NULL;
CREATE TRIGGER credentials_valid_from AFTER INSERT ON credentials
WHEN NEW.approval_id IS NOT NULL OR NEW.revoked_at IS NOT NULL
BEGIN
    UPDATE credentials SET
        valid_from = (SELECT a.approved_at FROM approvals a WHERE a.id = NEW.approval_id),
        ended_at = CASE WHEN NEW.revoked_at IS NULL THEN NULL ELSE COALESCE(
            (SELECT a.approved_at FROM credentials s JOIN approvals a ON a.id = s.approval_id WHERE s.id = NEW.superseded_by),
            NEW.revoked_at) END,
        renewed = (SELECT COUNT(*) FROM credentials s WHERE s.id = NEW.superseded_by AND s.tier IS NEW.tier AND s.role = NEW.role AND s.specialization IS NEW.specialization)
    WHERE id = NEW.id;
END;
CREATE TRIGGER credentials_ended_at AFTER UPDATE OF revoked_at, superseded_by ON credentials
BEGIN
    UPDATE credentials SET ended_at = CASE WHEN NEW.revoked_at IS NULL THEN NULL ELSE COALESCE(
        (SELECT a.approved_at FROM credentials s JOIN approvals a ON a.id = s.approval_id WHERE s.id = NEW.superseded_by),
        NEW.revoked_at) END,
        renewed = (SELECT COUNT(*) FROM credentials s WHERE s.id = NEW.superseded_by AND s.tier IS NEW.tier AND s.role = NEW.role AND s.specialization IS NEW.specialization)
    WHERE id = NEW.id;
END;
-- The KPI queries read credentials from these indexes alone: a badge's row holds its signed
-- document (kilobytes), and the columns after it are slow to reach.
-- By validUntil: badges in force over a window, due, expired (renewal rate), lapsed.
CREATE INDEX credentials_in_force ON credentials
    (valid_until, tier, role, specialization, valid_from, ended_at, message_status, revoked_at, renewed);
-- By kind (tier or specialization) and role, then validUntil: the partners in force.
CREATE INDEX credentials_by_kind ON credentials
    (specialization, tier, role, valid_until, valid_from, ended_at);
-- By public "message" and end: superseded or withdrawn in a window, under review now.
CREATE INDEX credentials_message_ended ON credentials
    (message_status, ended_at, tier, role, specialization, revoked_at);
-- An approval's badge and whether it is a specialization.
CREATE INDEX credentials_approval_specialization ON credentials (approval_id, specialization);

-- Scorecard sums per period, tier ('' for none) and shard (of the partner id's last two
-- characters, 0-255: a bulk import in one transaction updates many rows a few times each,
-- never one row thousands of times, which PostgreSQL's row versions make slow), kept by
-- triggers: the roll-ups read a few thousand rows instead of every scorecard. For each metric, `n_<metric>` scorecards
-- measured it and `s_<metric>` is their sum (the mean is s / n).
CREATE TABLE scorecard_sums (
    period TEXT NOT NULL,
    tier TEXT NOT NULL,
    shard BIGINT NOT NULL,
    period_start BIGINT NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    n_win_rate BIGINT NOT NULL DEFAULT 0,
    s_win_rate DOUBLE PRECISION NOT NULL DEFAULT 0,
    n_first_pass_quality BIGINT NOT NULL DEFAULT 0,
    s_first_pass_quality DOUBLE PRECISION NOT NULL DEFAULT 0,
    n_rework BIGINT NOT NULL DEFAULT 0,
    s_rework DOUBLE PRECISION NOT NULL DEFAULT 0,
    n_nps BIGINT NOT NULL DEFAULT 0,
    s_nps DOUBLE PRECISION NOT NULL DEFAULT 0,
    n_margin BIGINT NOT NULL DEFAULT 0,
    s_margin DOUBLE PRECISION NOT NULL DEFAULT 0,
    n_attach_rate BIGINT NOT NULL DEFAULT 0,
    s_attach_rate DOUBLE PRECISION NOT NULL DEFAULT 0,
    n_influenced_pipeline BIGINT NOT NULL DEFAULT 0,
    s_influenced_pipeline DOUBLE PRECISION NOT NULL DEFAULT 0,
    n_nrr BIGINT NOT NULL DEFAULT 0,
    s_nrr DOUBLE PRECISION NOT NULL DEFAULT 0,
    n_csat BIGINT NOT NULL DEFAULT 0,
    s_csat DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (period, tier, shard)
);
CREATE INDEX scorecard_sums_start ON scorecard_sums (period_start, tier);
INSERT INTO scorecard_sums (period, tier, shard, period_start, n, n_win_rate, s_win_rate, n_first_pass_quality, s_first_pass_quality, n_rework, s_rework, n_nps, s_nps, n_margin, s_margin, n_attach_rate, s_attach_rate, n_influenced_pipeline, s_influenced_pipeline, n_nrr, s_nrr, n_csat, s_csat)
SELECT period, COALESCE(tier, ''), (unicode(substr(scorecards.partner_id, -1)) * 16 + COALESCE(unicode(substr(scorecards.partner_id, -2, 1)), 0)) % 256, MIN(period_start), COUNT(*), COUNT(win_rate), COALESCE(SUM(win_rate), 0), COUNT(first_pass_quality), COALESCE(SUM(first_pass_quality), 0), COUNT(rework), COALESCE(SUM(rework), 0), COUNT(nps), COALESCE(SUM(nps), 0), COUNT(margin), COALESCE(SUM(margin), 0), COUNT(attach_rate), COALESCE(SUM(attach_rate), 0), COUNT(influenced_pipeline), COALESCE(SUM(influenced_pipeline), 0), COUNT(nrr), COALESCE(SUM(nrr), 0), COUNT(csat), COALESCE(SUM(csat), 0)
FROM scorecards GROUP BY period, COALESCE(tier, ''), (unicode(substr(scorecards.partner_id, -1)) * 16 + COALESCE(unicode(substr(scorecards.partner_id, -2, 1)), 0)) % 256;
CREATE TRIGGER scorecards_sum_insert AFTER INSERT ON scorecards
BEGIN
    INSERT INTO scorecard_sums (period, tier, shard, period_start, n, n_win_rate, s_win_rate, n_first_pass_quality, s_first_pass_quality, n_rework, s_rework, n_nps, s_nps, n_margin, s_margin, n_attach_rate, s_attach_rate, n_influenced_pipeline, s_influenced_pipeline, n_nrr, s_nrr, n_csat, s_csat) VALUES (NEW.period, COALESCE(NEW.tier, ''), (unicode(substr(NEW.partner_id, -1)) * 16 + COALESCE(unicode(substr(NEW.partner_id, -2, 1)), 0)) % 256, NEW.period_start, 1, CASE WHEN NEW.win_rate IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.win_rate, 0), CASE WHEN NEW.first_pass_quality IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.first_pass_quality, 0), CASE WHEN NEW.rework IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.rework, 0), CASE WHEN NEW.nps IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.nps, 0), CASE WHEN NEW.margin IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.margin, 0), CASE WHEN NEW.attach_rate IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.attach_rate, 0), CASE WHEN NEW.influenced_pipeline IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.influenced_pipeline, 0), CASE WHEN NEW.nrr IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.nrr, 0), CASE WHEN NEW.csat IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.csat, 0))
        ON CONFLICT (period, tier, shard) DO UPDATE SET n = scorecard_sums.n + 1, n_win_rate = scorecard_sums.n_win_rate + excluded.n_win_rate, s_win_rate = scorecard_sums.s_win_rate + excluded.s_win_rate, n_first_pass_quality = scorecard_sums.n_first_pass_quality + excluded.n_first_pass_quality, s_first_pass_quality = scorecard_sums.s_first_pass_quality + excluded.s_first_pass_quality, n_rework = scorecard_sums.n_rework + excluded.n_rework, s_rework = scorecard_sums.s_rework + excluded.s_rework, n_nps = scorecard_sums.n_nps + excluded.n_nps, s_nps = scorecard_sums.s_nps + excluded.s_nps, n_margin = scorecard_sums.n_margin + excluded.n_margin, s_margin = scorecard_sums.s_margin + excluded.s_margin, n_attach_rate = scorecard_sums.n_attach_rate + excluded.n_attach_rate, s_attach_rate = scorecard_sums.s_attach_rate + excluded.s_attach_rate, n_influenced_pipeline = scorecard_sums.n_influenced_pipeline + excluded.n_influenced_pipeline, s_influenced_pipeline = scorecard_sums.s_influenced_pipeline + excluded.s_influenced_pipeline, n_nrr = scorecard_sums.n_nrr + excluded.n_nrr, s_nrr = scorecard_sums.s_nrr + excluded.s_nrr, n_csat = scorecard_sums.n_csat + excluded.n_csat, s_csat = scorecard_sums.s_csat + excluded.s_csat;
END;
CREATE TRIGGER scorecards_sum_delete AFTER DELETE ON scorecards
BEGIN
    UPDATE scorecard_sums SET n = n - 1, s_win_rate = CASE WHEN n_win_rate - (CASE WHEN OLD.win_rate IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_win_rate - COALESCE(OLD.win_rate, 0) END, n_win_rate = n_win_rate - (CASE WHEN OLD.win_rate IS NULL THEN 0 ELSE 1 END), s_first_pass_quality = CASE WHEN n_first_pass_quality - (CASE WHEN OLD.first_pass_quality IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_first_pass_quality - COALESCE(OLD.first_pass_quality, 0) END, n_first_pass_quality = n_first_pass_quality - (CASE WHEN OLD.first_pass_quality IS NULL THEN 0 ELSE 1 END), s_rework = CASE WHEN n_rework - (CASE WHEN OLD.rework IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_rework - COALESCE(OLD.rework, 0) END, n_rework = n_rework - (CASE WHEN OLD.rework IS NULL THEN 0 ELSE 1 END), s_nps = CASE WHEN n_nps - (CASE WHEN OLD.nps IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_nps - COALESCE(OLD.nps, 0) END, n_nps = n_nps - (CASE WHEN OLD.nps IS NULL THEN 0 ELSE 1 END), s_margin = CASE WHEN n_margin - (CASE WHEN OLD.margin IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_margin - COALESCE(OLD.margin, 0) END, n_margin = n_margin - (CASE WHEN OLD.margin IS NULL THEN 0 ELSE 1 END), s_attach_rate = CASE WHEN n_attach_rate - (CASE WHEN OLD.attach_rate IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_attach_rate - COALESCE(OLD.attach_rate, 0) END, n_attach_rate = n_attach_rate - (CASE WHEN OLD.attach_rate IS NULL THEN 0 ELSE 1 END), s_influenced_pipeline = CASE WHEN n_influenced_pipeline - (CASE WHEN OLD.influenced_pipeline IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_influenced_pipeline - COALESCE(OLD.influenced_pipeline, 0) END, n_influenced_pipeline = n_influenced_pipeline - (CASE WHEN OLD.influenced_pipeline IS NULL THEN 0 ELSE 1 END), s_nrr = CASE WHEN n_nrr - (CASE WHEN OLD.nrr IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_nrr - COALESCE(OLD.nrr, 0) END, n_nrr = n_nrr - (CASE WHEN OLD.nrr IS NULL THEN 0 ELSE 1 END), s_csat = CASE WHEN n_csat - (CASE WHEN OLD.csat IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_csat - COALESCE(OLD.csat, 0) END, n_csat = n_csat - (CASE WHEN OLD.csat IS NULL THEN 0 ELSE 1 END) WHERE period = OLD.period AND tier = COALESCE(OLD.tier, '') AND shard = (unicode(substr(OLD.partner_id, -1)) * 16 + COALESCE(unicode(substr(OLD.partner_id, -2, 1)), 0)) % 256;
END;
CREATE TRIGGER scorecards_sum_update AFTER UPDATE ON scorecards
BEGIN
    UPDATE scorecard_sums SET n = n - 1, s_win_rate = CASE WHEN n_win_rate - (CASE WHEN OLD.win_rate IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_win_rate - COALESCE(OLD.win_rate, 0) END, n_win_rate = n_win_rate - (CASE WHEN OLD.win_rate IS NULL THEN 0 ELSE 1 END), s_first_pass_quality = CASE WHEN n_first_pass_quality - (CASE WHEN OLD.first_pass_quality IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_first_pass_quality - COALESCE(OLD.first_pass_quality, 0) END, n_first_pass_quality = n_first_pass_quality - (CASE WHEN OLD.first_pass_quality IS NULL THEN 0 ELSE 1 END), s_rework = CASE WHEN n_rework - (CASE WHEN OLD.rework IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_rework - COALESCE(OLD.rework, 0) END, n_rework = n_rework - (CASE WHEN OLD.rework IS NULL THEN 0 ELSE 1 END), s_nps = CASE WHEN n_nps - (CASE WHEN OLD.nps IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_nps - COALESCE(OLD.nps, 0) END, n_nps = n_nps - (CASE WHEN OLD.nps IS NULL THEN 0 ELSE 1 END), s_margin = CASE WHEN n_margin - (CASE WHEN OLD.margin IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_margin - COALESCE(OLD.margin, 0) END, n_margin = n_margin - (CASE WHEN OLD.margin IS NULL THEN 0 ELSE 1 END), s_attach_rate = CASE WHEN n_attach_rate - (CASE WHEN OLD.attach_rate IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_attach_rate - COALESCE(OLD.attach_rate, 0) END, n_attach_rate = n_attach_rate - (CASE WHEN OLD.attach_rate IS NULL THEN 0 ELSE 1 END), s_influenced_pipeline = CASE WHEN n_influenced_pipeline - (CASE WHEN OLD.influenced_pipeline IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_influenced_pipeline - COALESCE(OLD.influenced_pipeline, 0) END, n_influenced_pipeline = n_influenced_pipeline - (CASE WHEN OLD.influenced_pipeline IS NULL THEN 0 ELSE 1 END), s_nrr = CASE WHEN n_nrr - (CASE WHEN OLD.nrr IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_nrr - COALESCE(OLD.nrr, 0) END, n_nrr = n_nrr - (CASE WHEN OLD.nrr IS NULL THEN 0 ELSE 1 END), s_csat = CASE WHEN n_csat - (CASE WHEN OLD.csat IS NULL THEN 0 ELSE 1 END) = 0 THEN 0 ELSE s_csat - COALESCE(OLD.csat, 0) END, n_csat = n_csat - (CASE WHEN OLD.csat IS NULL THEN 0 ELSE 1 END) WHERE period = OLD.period AND tier = COALESCE(OLD.tier, '') AND shard = (unicode(substr(OLD.partner_id, -1)) * 16 + COALESCE(unicode(substr(OLD.partner_id, -2, 1)), 0)) % 256;
    INSERT INTO scorecard_sums (period, tier, shard, period_start, n, n_win_rate, s_win_rate, n_first_pass_quality, s_first_pass_quality, n_rework, s_rework, n_nps, s_nps, n_margin, s_margin, n_attach_rate, s_attach_rate, n_influenced_pipeline, s_influenced_pipeline, n_nrr, s_nrr, n_csat, s_csat) VALUES (NEW.period, COALESCE(NEW.tier, ''), (unicode(substr(NEW.partner_id, -1)) * 16 + COALESCE(unicode(substr(NEW.partner_id, -2, 1)), 0)) % 256, NEW.period_start, 1, CASE WHEN NEW.win_rate IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.win_rate, 0), CASE WHEN NEW.first_pass_quality IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.first_pass_quality, 0), CASE WHEN NEW.rework IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.rework, 0), CASE WHEN NEW.nps IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.nps, 0), CASE WHEN NEW.margin IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.margin, 0), CASE WHEN NEW.attach_rate IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.attach_rate, 0), CASE WHEN NEW.influenced_pipeline IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.influenced_pipeline, 0), CASE WHEN NEW.nrr IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.nrr, 0), CASE WHEN NEW.csat IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.csat, 0))
        ON CONFLICT (period, tier, shard) DO UPDATE SET n = scorecard_sums.n + 1, n_win_rate = scorecard_sums.n_win_rate + excluded.n_win_rate, s_win_rate = scorecard_sums.s_win_rate + excluded.s_win_rate, n_first_pass_quality = scorecard_sums.n_first_pass_quality + excluded.n_first_pass_quality, s_first_pass_quality = scorecard_sums.s_first_pass_quality + excluded.s_first_pass_quality, n_rework = scorecard_sums.n_rework + excluded.n_rework, s_rework = scorecard_sums.s_rework + excluded.s_rework, n_nps = scorecard_sums.n_nps + excluded.n_nps, s_nps = scorecard_sums.s_nps + excluded.s_nps, n_margin = scorecard_sums.n_margin + excluded.n_margin, s_margin = scorecard_sums.s_margin + excluded.s_margin, n_attach_rate = scorecard_sums.n_attach_rate + excluded.n_attach_rate, s_attach_rate = scorecard_sums.s_attach_rate + excluded.s_attach_rate, n_influenced_pipeline = scorecard_sums.n_influenced_pipeline + excluded.n_influenced_pipeline, s_influenced_pipeline = scorecard_sums.s_influenced_pipeline + excluded.s_influenced_pipeline, n_nrr = scorecard_sums.n_nrr + excluded.n_nrr, s_nrr = scorecard_sums.s_nrr + excluded.s_nrr, n_csat = scorecard_sums.n_csat + excluded.n_csat, s_csat = scorecard_sums.s_csat + excluded.s_csat;
END;
