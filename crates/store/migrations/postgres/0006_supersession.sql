-- Supersession: a renewal, upgrade, downgrade or re-issue revokes the partner's current badge
-- for the role and names the new one (`superseded_by`, served as
-- `Link: <…>; rel="successor-version"`, RFC 5829).
ALTER TABLE credentials ADD COLUMN superseded_by TEXT;
-- A partner's badges for a role, newest first: the ones a new approval supersedes.
CREATE INDEX credentials_partner_role ON credentials (partner_id, role, issued_at);
