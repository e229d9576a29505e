-- Reconciliation of the treasury's daily statement against our instructions (issue 11):
-- each run, and the exception queue finance resolves with a note.
CREATE TABLE reconciliation_runs (
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    statement_date  date        NOT NULL,
    -- Whether the treasury said the day was over.
    complete        boolean     NOT NULL,
    lines           integer     NOT NULL,
    agreed          integer     NOT NULL,
    exceptions      integer     NOT NULL,
    actor           text        NOT NULL,
    ran_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reconciliation_runs_pkey PRIMARY KEY (id)
);

CREATE TABLE reconciliation_exceptions (
    id               bigint        GENERATED ALWAYS AS IDENTITY,
    run_id           bigint        NOT NULL,
    statement_date   date          NOT NULL,
    kind             text          NOT NULL,
    -- Empty for a line that could not be read.
    instruction_id   text          NOT NULL,
    expected_amount  numeric(18,2),
    statement_amount numeric(18,2),
    line_nos         bigint[]      NOT NULL,
    detail           text          NOT NULL,
    status           text          NOT NULL DEFAULT 'open',
    resolved_by      text,
    resolved_at      timestamptz,
    note             text,
    CONSTRAINT reconciliation_exceptions_pkey PRIMARY KEY (id),
    CONSTRAINT reconciliation_exceptions_run_fkey FOREIGN KEY (run_id) REFERENCES reconciliation_runs (id),
    -- The same fact found again by a rerun is not queued twice.
    CONSTRAINT reconciliation_exceptions_once UNIQUE (statement_date, kind, instruction_id, line_nos),
    CONSTRAINT reconciliation_exceptions_kind_check CHECK (kind IN ('missing', 'duplicated',
        'amount_differs', 'returned', 'status_differs', 'unknown', 'unreadable')),
    CONSTRAINT reconciliation_exceptions_status_check CHECK (status IN ('open', 'resolved')),
    CONSTRAINT reconciliation_exceptions_resolved_complete CHECK ((status = 'resolved')
        = (resolved_by IS NOT NULL AND resolved_at IS NOT NULL AND note IS NOT NULL))
);

CREATE INDEX reconciliation_exceptions_open_idx ON reconciliation_exceptions (id) WHERE status = 'open';
