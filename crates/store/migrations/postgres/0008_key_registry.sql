-- The issuer's key registry: public data only (the secret of each key stays in its file in
-- the keys folder, named by `file`, relative to that folder). One key is `current` (signs),
-- `retired` keys no longer sign but stay in the did:web document so what they signed still
-- verifies, `revoked` keys are removed from it. Times are Unix seconds.
CREATE TABLE issuer_keys (
    public_key TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('current', 'retired', 'revoked')),
    file TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    revoked_at BIGINT,
    revocation_reason TEXT
);
-- At most one current key, whichever process rotates.
CREATE UNIQUE INDEX issuer_keys_one_current ON issuer_keys (state) WHERE state = 'current';

-- Which key signed each credential (its proof's publicKeyMultibase), so revoking a key can
-- list what it signed. Filled for existing credentials from their proofs when the issuer opens.
ALTER TABLE credentials ADD COLUMN signed_by TEXT;
CREATE INDEX credentials_signed_by ON credentials (signed_by);
