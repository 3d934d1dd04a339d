-- Indexes for the KPI queries (issue 15; crates/store/src/kpis.rs), so none of them reads
-- credentials, attempts or scorecards whole.
-- A partner's approvals for a tier and role by date: "no earlier approval" (first
-- certification) and the certifications approved in a window.
CREATE INDEX approvals_partner_tier ON approvals (partner_id, tier, role, approved_at);
CREATE INDEX approvals_approved ON approvals (approved_at);
-- An application's attempts in order: its first attempt.
CREATE INDEX attempts_application ON attempts (application_id, attempted_at, id);
-- The badges a successor replaced.
CREATE INDEX credentials_superseded_by ON credentials (superseded_by);
-- Badges by public "message" and revocation time: withdrawn in a window, under review now.
CREATE INDEX credentials_message_revoked ON credentials (message_status, revoked_at);
