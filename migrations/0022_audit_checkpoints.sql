-- Signed checkpoints of the audit chain's head (issue 12). The hash chain shows a row
-- changed after the fact, but someone with the owner's or a superuser's rights could
-- recompute every hash from a changed row onward. A checkpoint signs (seq, head hash,
-- time) with HMAC-SHA256 under a key that is never in the database (a key file or an
-- environment secret), so a rewritten chain no longer matches its last checkpoint.
-- Copies of each checkpoint are also written to a file meant to be shipped off the
-- machine (docs/SECURITY.md), since whoever can rewrite the chain can delete rows here.

CREATE TABLE audit_checkpoints (
    id        bigint      GENERATED ALWAYS AS IDENTITY,
    -- The chain head this checkpoint anchors.
    seq       bigint      NOT NULL,
    head_hash bytea       NOT NULL,
    signed_at timestamptz NOT NULL,
    -- The first 8 bytes (hex) of SHA-256 of the key, naming the key without revealing it.
    key_id    text        NOT NULL,
    signature bytea       NOT NULL,
    CONSTRAINT audit_checkpoints_pkey PRIMARY KEY (id),
    CONSTRAINT audit_checkpoints_lengths CHECK (octet_length(head_hash) = 32 AND octet_length(signature) = 32),
    CONSTRAINT audit_checkpoints_seq_positive CHECK (seq > 0)
);

CREATE FUNCTION audit_checkpoints_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_checkpoints is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_reject_change();
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_reject_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_reject_change();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM mianshen_app;
