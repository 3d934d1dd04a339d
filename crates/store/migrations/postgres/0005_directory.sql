-- The partner directory (GET /directory): a partner is listed only when the agency lists it
-- (default: not listed); its name folded to lower case (by the store, in Rust) for
-- case-insensitive search; the competencies each credential was issued for, to filter by.
ALTER TABLE partners ADD COLUMN listed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE partners ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
-- Existing names; names written from now on are folded by the store.
UPDATE partners SET name_key = lower(name);
CREATE INDEX partners_listed_name ON partners (listed, name, id);

CREATE TABLE credential_competencies (
    credential_id TEXT NOT NULL REFERENCES credentials (id),
    code TEXT NOT NULL,
    PRIMARY KEY (credential_id, code)
);
CREATE INDEX credential_competencies_code ON credential_competencies (code, credential_id);
-- A partner's credentials by tier and role (the directory's filters).
CREATE INDEX credentials_partner_tier_role ON credentials (partner_id, tier, role);

-- Credentials issued before: their approval's competency codes.
INSERT INTO credential_competencies (credential_id, code)
SELECT DISTINCT c.id, j.value
FROM credentials c
JOIN approvals a ON a.id = c.approval_id
CROSS JOIN LATERAL jsonb_array_elements_text(
    CASE WHEN jsonb_typeof(a.record::jsonb -> 'competencies') = 'array'
         THEN a.record::jsonb -> 'competencies' ELSE '[]'::jsonb END) AS j(value);
