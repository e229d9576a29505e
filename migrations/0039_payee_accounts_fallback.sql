-- Payee accounts (收款账户) are PATH's (issue 11, point 2, migration 0031): this creates the
-- table with the agreed columns only if it is not there yet, so that the money side builds
-- and runs on its own; where 0031 ran first it does nothing.
CREATE TABLE IF NOT EXISTS payee_accounts (
    uscc           text        NOT NULL,
    account_name   text        NOT NULL,
    account_number text        NOT NULL,
    bank           text        NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payee_accounts_pkey PRIMARY KEY (uscc),
    CONSTRAINT payee_accounts_firm_fkey FOREIGN KEY (uscc) REFERENCES firms (uscc)
);
