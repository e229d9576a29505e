-- The grant's steps (issue 11): one state machine from eligibility to cash, the same
-- table in Rust (src/grants/steps.rs) and here. The code refuses a step that is not in
-- the table, or taken by the wrong role; this trigger is the backstop for any writer
-- that gets past the code (a hand-written UPDATE, a future bug): it refuses every change
-- of `grants.status` whose (from, to) pair is not listed, whoever runs it.

ALTER TABLE grants DROP CONSTRAINT grants_status_check;
ALTER TABLE grants ADD CONSTRAINT grants_status_check CHECK (status IN (
    'created', 'confirmed', 'declined', 'objected', 'held', 'rejected', 'reviewed',
    'publicity', 'disputed', 'ready', 'awaiting_account', 'in_batch', 'approved', 'sent',
    'paid', 'returned', 'reconciled'));

-- Who approved (or rejected) the grant in review: the four-eyes rule of payment batches
-- keeps this person out of the batch's maker and checker.
ALTER TABLE grants
    ADD COLUMN reviewed_by bigint,
    ADD COLUMN reviewed_at timestamptz,
    -- When the 公示 window ends (review time + the policy's notice_days).
    ADD COLUMN publicity_ends_at timestamptz,
    ADD CONSTRAINT grants_reviewed_by_fkey FOREIGN KEY (reviewed_by) REFERENCES users (id);

-- Every allowed step and the role that may take it ('system' for unattended work).
-- A pair may be listed for several roles.
CREATE TABLE grant_status_transitions (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    role        text NOT NULL,
    CONSTRAINT grant_status_transitions_pkey PRIMARY KEY (from_status, to_status, role),
    CONSTRAINT grant_status_transitions_role_check CHECK (role IN ('enterprise', 'reviewer',
        'finance_maker', 'finance_checker', 'system'))
);

INSERT INTO grant_status_transitions (from_status, to_status, role) VALUES
    -- The firm answers a 确认即享 grant.
    ('created', 'confirmed', 'enterprise'),
    ('created', 'declined', 'enterprise'),
    ('created', 'objected', 'enterprise'),
    -- The firm stopped qualifying before payment: held for review, never silently paid.
    ('created', 'held', 'system'),
    ('confirmed', 'held', 'system'),
    ('objected', 'held', 'system'),
    ('publicity', 'held', 'system'),
    ('disputed', 'held', 'system'),
    ('ready', 'held', 'system'),
    ('awaiting_account', 'held', 'system'),
    -- Review: 免申即享 grants from created, 确认即享 ones once confirmed.
    ('created', 'reviewed', 'reviewer'),
    ('confirmed', 'reviewed', 'reviewer'),
    ('created', 'rejected', 'reviewer'),
    ('confirmed', 'rejected', 'reviewer'),
    ('objected', 'rejected', 'reviewer'),
    ('held', 'rejected', 'reviewer'),
    -- 公示 starts at once; a zero-day window goes straight on.
    ('reviewed', 'publicity', 'system'),
    ('reviewed', 'ready', 'system'),
    ('reviewed', 'awaiting_account', 'system'),
    -- An objection in the window, and the reviewer's answer to it.
    ('publicity', 'disputed', 'enterprise'),
    ('publicity', 'disputed', 'reviewer'),
    ('disputed', 'publicity', 'reviewer'),
    ('disputed', 'ready', 'reviewer'),
    ('disputed', 'awaiting_account', 'reviewer'),
    ('disputed', 'rejected', 'reviewer'),
    -- The window ended with no open objection.
    ('publicity', 'ready', 'system'),
    ('publicity', 'awaiting_account', 'system'),
    -- The firm gave an account.
    ('awaiting_account', 'ready', 'system'),
    -- Money (src/disbursement/): batch, four eyes, treasury, reconciliation.
    ('ready', 'in_batch', 'finance_maker'),
    ('in_batch', 'ready', 'finance_maker'),
    ('in_batch', 'ready', 'finance_checker'),
    ('in_batch', 'approved', 'finance_checker'),
    ('approved', 'ready', 'finance_maker'),
    ('approved', 'ready', 'finance_checker'),
    ('approved', 'ready', 'system'),
    ('approved', 'sent', 'system'),
    ('sent', 'paid', 'system'),
    ('sent', 'returned', 'system'),
    ('returned', 'awaiting_account', 'system'),
    ('paid', 'reconciled', 'system');

-- The service reads the table; only a migration changes it.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON grant_status_transitions FROM mianshen_app;

CREATE FUNCTION grants_check_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
        SELECT 1 FROM grant_status_transitions
        WHERE from_status = OLD.status AND to_status = NEW.status) THEN
        RAISE EXCEPTION 'grant % cannot go from status % to %: not an allowed step',
            OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation',
                  HINT = 'the allowed steps are listed in grant_status_transitions';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER grants_status_transition BEFORE UPDATE OF status ON grants
    FOR EACH ROW EXECUTE FUNCTION grants_check_transition();

-- A grant is born eligible: nobody inserts one that is already ready, approved or paid.
CREATE FUNCTION grants_check_birth() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> 'created' THEN
        RAISE EXCEPTION 'a grant starts as created, not %', NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER grants_status_birth BEFORE INSERT ON grants
    FOR EACH ROW EXECUTE FUNCTION grants_check_birth();

-- Work queues read grants by status (batches read `ready`, the 公示 job `publicity`).
CREATE INDEX grants_status_idx ON grants (status, policy_id);
