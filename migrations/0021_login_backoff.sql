-- Login failures counted per (name tried, client address) with a growing wait, instead
-- of locking the account (issue 12): anyone could lock any known account, and a locked
-- account answered differently from an unknown name. The name is the one submitted,
-- whether or not an account has it, so unknown and known names behave the same.

CREATE TABLE login_failures (
    username        text        NOT NULL,
    client          text        NOT NULL,
    -- Consecutive failures of this name from this address since its last success.
    failures        integer     NOT NULL,
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    -- No attempt of this name from this address is checked before this time.
    blocked_until   timestamptz,
    CONSTRAINT login_failures_pkey PRIMARY KEY (username, client),
    CONSTRAINT login_failures_count_positive CHECK (failures > 0)
);

CREATE INDEX login_failures_last_failure_idx ON login_failures (last_failure_at);

-- The account-wide lock is gone.
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users DROP COLUMN failed_logins;

-- A person reads the audit rows about their own account (logins, suspicious failures,
-- tokens, password and role changes).
CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, seq);
