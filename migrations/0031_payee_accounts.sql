-- Payee accounts (issue 11): the bank account a firm is paid into (收款账户), one per firm,
-- in the firm's registered name. Given when the firm confirms a 确认即享 grant, or set by
-- the firm on its own (免申即享 grants need no answer). A grant ready for payment without
-- one waits as `awaiting_account`, and the firm is reminded once per grant.
--
-- The number is held in clear here because the payment instruction and the finance export
-- need it; everywhere else (the API, pages, logs, audit rows) shows it masked.

CREATE TABLE payee_accounts (
    uscc           text        NOT NULL,
    -- Equals the firm's registered name (firms.name) when set; checked by the code and
    -- again by the trigger below.
    account_name   text        NOT NULL,
    account_number text        NOT NULL,
    bank           text        NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text        NOT NULL DEFAULT 'system',
    CONSTRAINT payee_accounts_pkey PRIMARY KEY (uscc),
    CONSTRAINT payee_accounts_firm_fkey FOREIGN KEY (uscc) REFERENCES firms (uscc),
    CONSTRAINT payee_accounts_number_format CHECK (account_number ~ '^[0-9]{8,32}$'),
    CONSTRAINT payee_accounts_bank_length CHECK (char_length(bank) BETWEEN 2 AND 60)
);

CREATE FUNCTION payee_accounts_check_name() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM firms WHERE uscc = NEW.uscc AND name = NEW.account_name) THEN
        RAISE EXCEPTION 'the payee account of % must be in the firm''s registered name', NEW.uscc
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER payee_accounts_name BEFORE INSERT OR UPDATE ON payee_accounts
    FOR EACH ROW EXECUTE FUNCTION payee_accounts_check_name();

-- The reminder to give an account, one per grant, through the firm's notice channels.
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check
    CHECK (kind IN ('grant', 'reminder', 'near_miss', 'account_reminder'));
