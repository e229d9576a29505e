-- Instructions the treasury refused (issue 11). A 4xx refusal of a submission (a field the
-- treasury will not take, e.g. a payee bank it cannot clear to) is final: resubmitting
-- the same instruction is refused again, so it must not stay `pending` for ever. It becomes
-- `refused` with the treasury's reason, its reservation is released (the treasury stored
-- nothing), its grant goes back to `ready`, and finance finds it in the exception queue.
ALTER TABLE payment_instructions DROP CONSTRAINT payment_instructions_status_check;
ALTER TABLE payment_instructions ADD CONSTRAINT payment_instructions_status_check
    CHECK (status IN ('pending', 'sent', 'paid', 'returned', 'refused', 'cancelled'));

-- A refusal keeps the treasury's reason, as a return does.
ALTER TABLE payment_instructions DROP CONSTRAINT payment_instructions_returned_has_reason;
ALTER TABLE payment_instructions ADD CONSTRAINT payment_instructions_returned_has_reason
    CHECK ((status IN ('returned', 'refused')) = (reason IS NOT NULL));

-- A refused instruction is not live: the grant may be paid by a new one.
DROP INDEX payment_instructions_one_live_per_grant;
CREATE UNIQUE INDEX payment_instructions_one_live_per_grant ON payment_instructions (grant_id)
    WHERE status NOT IN ('returned', 'refused', 'cancelled');

-- The exception queue takes refusals too. They come from sending, not from a statement's
-- run: no run, and `statement_date` is the day (Beijing time) of the refusal.
ALTER TABLE reconciliation_exceptions ALTER COLUMN run_id DROP NOT NULL;
ALTER TABLE reconciliation_exceptions DROP CONSTRAINT reconciliation_exceptions_kind_check;
ALTER TABLE reconciliation_exceptions ADD CONSTRAINT reconciliation_exceptions_kind_check
    CHECK (kind IN ('missing', 'duplicated', 'amount_differs', 'returned', 'status_differs',
                    'unknown', 'unreadable', 'refused'));
