-- Payment batches with four eyes, and the instructions sent to the treasury (issue 11).
--
-- A finance_maker builds a batch of `ready` grants of one policy; a different
-- finance_checker approves or rejects it; neither may be the reviewer of any grant in it.
-- All three rules hold in the database too (a CHECK and two triggers).
CREATE TABLE payment_batches (
    id          bigint        GENERATED ALWAYS AS IDENTITY,
    policy_id   text          NOT NULL,
    budget_year integer       NOT NULL,
    -- open (made, waiting for the checker) -> approved | rejected; open or approved (nothing
    -- sent yet) -> voided.
    status      text          NOT NULL DEFAULT 'open',
    grant_count integer       NOT NULL,
    total       numeric(18,2) NOT NULL,
    made_by     bigint        NOT NULL,
    made_at     timestamptz   NOT NULL DEFAULT now(),
    note        text          NOT NULL DEFAULT '',
    checked_by  bigint,
    checked_at  timestamptz,
    check_note  text,
    voided_by   bigint,
    voided_at   timestamptz,
    void_note   text,
    CONSTRAINT payment_batches_pkey PRIMARY KEY (id),
    CONSTRAINT payment_batches_status_check
        CHECK (status IN ('open', 'approved', 'rejected', 'voided')),
    CONSTRAINT payment_batches_year_range CHECK (budget_year BETWEEN 2000 AND 2100),
    CONSTRAINT payment_batches_total_positive CHECK (total > 0 AND grant_count > 0),
    CONSTRAINT payment_batches_made_by_fkey FOREIGN KEY (made_by) REFERENCES users (id),
    CONSTRAINT payment_batches_checked_by_fkey FOREIGN KEY (checked_by) REFERENCES users (id),
    CONSTRAINT payment_batches_voided_by_fkey FOREIGN KEY (voided_by) REFERENCES users (id),
    -- Four eyes: the maker never checks their own batch.
    CONSTRAINT payment_batches_four_eyes CHECK (checked_by IS NULL OR checked_by <> made_by),
    CONSTRAINT payment_batches_decided_has_checker
        CHECK (status NOT IN ('approved', 'rejected') OR checked_by IS NOT NULL),
    CONSTRAINT payment_batches_voided_has_voider CHECK ((status = 'voided') = (voided_by IS NOT NULL))
);

CREATE INDEX payment_batches_status_idx ON payment_batches (status, id);

CREATE TABLE payment_batch_grants (
    batch_id bigint        NOT NULL,
    grant_id bigint        NOT NULL,
    uscc     text          NOT NULL,
    amount   numeric(18,2) NOT NULL,
    -- Left the batch: the batch was rejected or voided, or its payment was returned (the
    -- grant is then paid by a new batch and a new instruction).
    released boolean       NOT NULL DEFAULT false,
    CONSTRAINT payment_batch_grants_pkey PRIMARY KEY (batch_id, grant_id),
    CONSTRAINT payment_batch_grants_batch_fkey FOREIGN KEY (batch_id) REFERENCES payment_batches (id),
    CONSTRAINT payment_batch_grants_grant_fkey FOREIGN KEY (grant_id) REFERENCES grants (id),
    CONSTRAINT payment_batch_grants_amount_positive CHECK (amount > 0)
);

-- A grant is in at most one live batch.
CREATE UNIQUE INDEX payment_batch_grants_one_live ON payment_batch_grants (grant_id)
    WHERE NOT released;

-- Four eyes against the grants' reviewer: neither the maker nor the checker of a batch
-- reviewed any grant in it.
CREATE FUNCTION payment_batches_not_reviewer() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    offending bigint;
BEGIN
    SELECT g.id INTO offending
    FROM payment_batch_grants bg
    JOIN grants g ON g.id = bg.grant_id
    WHERE bg.batch_id = NEW.id
      AND g.reviewed_by IN (NEW.made_by, NEW.checked_by)
    LIMIT 1;
    IF offending IS NOT NULL THEN
        RAISE EXCEPTION 'four eyes: the checker or maker of batch % reviewed grant %', NEW.id, offending
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER payment_batches_not_reviewer BEFORE UPDATE OF checked_by ON payment_batches
    FOR EACH ROW WHEN (NEW.checked_by IS NOT NULL)
    EXECUTE FUNCTION payment_batches_not_reviewer();

CREATE FUNCTION payment_batch_grants_not_reviewer() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    offending bigint;
BEGIN
    SELECT a.grant_id INTO offending
    FROM added a
    JOIN payment_batches b ON b.id = a.batch_id
    JOIN grants g ON g.id = a.grant_id
    WHERE g.reviewed_by IN (b.made_by, b.checked_by)
    LIMIT 1;
    IF offending IS NOT NULL THEN
        RAISE EXCEPTION 'four eyes: the maker of the batch reviewed grant %', offending
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER payment_batch_grants_not_reviewer AFTER INSERT ON payment_batch_grants
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION payment_batch_grants_not_reviewer();

-- One instruction per (batch, grant), made when the batch is approved. Our id is the
-- treasury's idempotency key. pending (made; `attempted_at` is set, and committed, before
-- it is first submitted) -> sent (the treasury accepted it) -> paid | returned;
-- pending -> cancelled (the batch was voided before anything was submitted).
CREATE TABLE payment_instructions (
    id            text          NOT NULL,
    batch_id      bigint        NOT NULL,
    grant_id      bigint        NOT NULL,
    policy_id     text          NOT NULL,
    budget_year   integer       NOT NULL,
    uscc          text          NOT NULL,
    amount        numeric(18,2) NOT NULL,
    payee_name    text          NOT NULL,
    -- In full: the instruction and the finance export need it. Never logged or audited in clear.
    payee_account text          NOT NULL,
    payee_bank    text          NOT NULL,
    purpose       text          NOT NULL,
    status        text          NOT NULL DEFAULT 'pending',
    reason        text,
    value_date    date,
    created_at    timestamptz   NOT NULL DEFAULT now(),
    attempted_at  timestamptz,
    sent_at       timestamptz,
    settled_at    timestamptz,
    reconciled_at timestamptz,
    CONSTRAINT payment_instructions_pkey PRIMARY KEY (id),
    CONSTRAINT payment_instructions_id_format CHECK (id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    CONSTRAINT payment_instructions_batch_grant_key UNIQUE (batch_id, grant_id),
    CONSTRAINT payment_instructions_batch_fkey FOREIGN KEY (batch_id) REFERENCES payment_batches (id),
    CONSTRAINT payment_instructions_grant_fkey FOREIGN KEY (grant_id) REFERENCES grants (id),
    CONSTRAINT payment_instructions_amount_positive CHECK (amount > 0),
    CONSTRAINT payment_instructions_status_check
        CHECK (status IN ('pending', 'sent', 'paid', 'returned', 'cancelled')),
    CONSTRAINT payment_instructions_returned_has_reason CHECK ((status = 'returned') = (reason IS NOT NULL)),
    CONSTRAINT payment_instructions_reconciled_settled
        CHECK (reconciled_at IS NULL OR status IN ('paid', 'returned'))
);

-- Never two live instructions for one grant: a second payment needs the first returned.
CREATE UNIQUE INDEX payment_instructions_one_live_per_grant ON payment_instructions (grant_id)
    WHERE status NOT IN ('returned', 'cancelled');
CREATE INDEX payment_instructions_open_idx ON payment_instructions (status, id)
    WHERE status IN ('pending', 'sent');
CREATE INDEX payment_instructions_value_date_idx ON payment_instructions (value_date);
CREATE INDEX payment_instructions_batch_idx ON payment_instructions (batch_id);

-- Every callback the treasury sent us, once per event id (repeats are answered and
-- ignored). The receiver only records it; the sender applies recorded events in sets
-- (`applied_at`), so a burst of callbacks costs one transaction per round, not per event.
CREATE TABLE treasury_events (
    event_id       text          NOT NULL,
    instruction_id text          NOT NULL,
    status         text          NOT NULL,
    amount         numeric(18,2) NOT NULL,
    reason         text,
    at             timestamptz   NOT NULL,
    value_date     date          NOT NULL,
    received_at    timestamptz   NOT NULL DEFAULT now(),
    applied_at     timestamptz,
    CONSTRAINT treasury_events_pkey PRIMARY KEY (event_id),
    CONSTRAINT treasury_events_status_check CHECK (status IN ('paid', 'returned'))
);
CREATE INDEX treasury_events_unapplied_idx ON treasury_events (received_at) WHERE applied_at IS NULL;
REVOKE DELETE, TRUNCATE ON treasury_events FROM mianshen_app;
