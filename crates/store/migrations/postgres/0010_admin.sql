-- Administration (issue 14): token roles, and one partner per URL.
--
-- A token's role: viewer (read only), issuer (approve, change status), admin (everything).
-- Tokens made before roles could do anything: they become admins.
ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
    CHECK (role IN ('viewer', 'issuer', 'admin'));

-- A partner's URL as duplicates are found by (hallmark_store::url_key, which writes it from
-- now on): a web address in lower case, `http://` read as `https://`, trailing slashes
-- dropped; a DID as it is (case-sensitive), trailing slashes dropped. Unique, so two
-- processes creating the same partner at once cannot both succeed.
ALTER TABLE partners ADD COLUMN url_key TEXT NOT NULL DEFAULT '';
UPDATE partners SET url_key = CASE
    WHEN lower(url) LIKE 'http://%' THEN 'https://' || substr(rtrim(lower(url), '/'), 8)
    WHEN lower(url) LIKE 'https://%' THEN rtrim(lower(url), '/')
    ELSE rtrim(url, '/') END;
-- Duplicates recorded before: the first (oldest, then lowest id) keeps the key, the later
-- ones get theirs suffixed with their id (a space never occurs in a URL), so the migration
-- never fails on them and an admin can merge or edit them afterwards.
UPDATE partners SET url_key = url_key || ' duplicate ' || id
WHERE EXISTS (
    SELECT 1 FROM partners AS first
    WHERE first.url_key = partners.url_key
      AND (first.created_at < partners.created_at
           OR (first.created_at = partners.created_at AND first.id < partners.id)));
CREATE UNIQUE INDEX partners_url_key ON partners (url_key);

-- The approvals list's filters.
CREATE INDEX approvals_tier_role ON approvals (tier, role, created_at);
