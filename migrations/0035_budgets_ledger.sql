-- Budgets and the double-entry ledger (issue 11).
--
-- A budget per (policy, budget year): total, reserved, spent, exact NUMERIC, and a CHECK
-- that reserved + spent never exceeds total, so no pair of concurrent approvals can
-- overspend it whatever the code does.
--
-- The ledger is append-only: a journal transaction and its entries (debit positive,
-- credit negative); every transaction sums to zero (`mianshen ledger verify` checks it,
-- with every balance against the budgets and instructions). Accounts:
--   budget:<policy>:<year>     the appropriation (credit: minus the total)
--   available:<policy>:<year>  budget not yet reserved or spent
--   reserved:<policy>:<year>   approved, not yet paid
--   spent:<policy>:<year>      paid
--   payable:<uscc>             what we instructed the treasury to pay the firm, unsettled
--   treasury:clearing          what the treasury holds instructions for, unsettled
CREATE TABLE budgets (
    policy_id   text          NOT NULL,
    budget_year integer       NOT NULL,
    total       numeric(18,2) NOT NULL,
    reserved    numeric(18,2) NOT NULL DEFAULT 0,
    spent       numeric(18,2) NOT NULL DEFAULT 0,
    created_at  timestamptz   NOT NULL DEFAULT now(),
    updated_at  timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT budgets_pkey PRIMARY KEY (policy_id, budget_year),
    CONSTRAINT budgets_year_range CHECK (budget_year BETWEEN 2000 AND 2100),
    CONSTRAINT budgets_non_negative CHECK (total >= 0 AND reserved >= 0 AND spent >= 0),
    CONSTRAINT budgets_within_total CHECK (reserved + spent <= total)
);

CREATE TABLE ledger_transactions (
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    -- appropriation | reservation | release | sending | payment | return
    kind       text        NOT NULL,
    -- What it is about: `batch:12`, `instruction:PAY-12-345`, `budget:<policy>:<year>:<n>`.
    -- One transaction of a kind per reference: nothing is ever posted twice.
    reference  text        NOT NULL,
    memo       text        NOT NULL,
    actor      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_transactions_pkey PRIMARY KEY (id),
    CONSTRAINT ledger_transactions_once UNIQUE (kind, reference),
    CONSTRAINT ledger_transactions_kind_check CHECK (kind IN
        ('appropriation', 'reservation', 'release', 'sending', 'payment', 'return'))
);

CREATE TABLE ledger_entries (
    id             bigint        GENERATED ALWAYS AS IDENTITY,
    transaction_id bigint        NOT NULL,
    account        text          NOT NULL,
    amount         numeric(18,2) NOT NULL,
    CONSTRAINT ledger_entries_pkey PRIMARY KEY (id),
    CONSTRAINT ledger_entries_transaction_fkey FOREIGN KEY (transaction_id)
        REFERENCES ledger_transactions (id),
    CONSTRAINT ledger_entries_not_zero CHECK (amount <> 0),
    CONSTRAINT ledger_entries_account_format CHECK (account ~
        '^((budget|available|reserved|spent):[A-Za-z0-9_.-]+:[0-9]{4}|payable:[0-9A-Z]{18}|treasury:clearing)$')
);

CREATE INDEX ledger_entries_transaction_idx ON ledger_entries (transaction_id);

CREATE FUNCTION ledger_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed; post a correcting transaction',
        TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
REVOKE UPDATE, DELETE, TRUNCATE ON ledger_transactions, ledger_entries FROM mianshen_app;
