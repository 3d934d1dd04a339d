-- Indexes for the keyset-paginated lists (crates/store/src/page.rs): each list is read in
-- its sort order after the previous page's last row, optionally filtered.
-- Credentials, newest first (issued_at, then id); by partner (credentials_partner, 0001).
CREATE INDEX credentials_issued ON credentials (issued_at, id);
-- Partners by name, then id.
CREATE INDEX partners_name ON partners (name, id);
-- Approvals of a partner, newest first.
CREATE INDEX approvals_partner ON approvals (partner_id, created_at, id);
-- Audit entries about a subject, newest first.
CREATE INDEX audit_log_subject ON audit_log (subject, id);
