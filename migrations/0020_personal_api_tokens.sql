-- Credentials belong to the person who uses them (issue 12, separation of duties):
-- an API token is created by its owner only, expires, and is revoked by its owner or
-- an administrator (who never sees it). An account an administrator created must have
-- its password changed by its owner before it may do anything else.

ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
-- Tokens issued before this migration get the default lifetime from their creation.
UPDATE api_tokens SET expires_at = created_at + interval '90 days';
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;
-- The service always names the expiry; the default serves rows written by hand.
ALTER TABLE api_tokens ALTER COLUMN expires_at SET DEFAULT now() + interval '90 days';
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_expires_after_creation
    CHECK (expires_at > created_at);
-- Who revoked it: the owner or an administrator (also in the audit log).
ALTER TABLE api_tokens ADD COLUMN revoked_by text;

CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, id);

-- Set when someone other than the owner chose the password (an administrator creating
-- the account); cleared when the owner sets their own.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
