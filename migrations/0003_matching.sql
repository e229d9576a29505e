-- Matching (issue 5, matching half): policy versions with four-eyes publishing, matching
-- runs cut into shards that workers claim with FOR UPDATE SKIP LOCKED, the stored decision
-- of every (firm, policy version), near misses, grants created exactly once, persons
-- granted once across firms, and the enterprise's answers.

-- Every content a policy folder ever had, by its content hash. A version is a draft until
-- a reviewer who is not its author publishes it; a published version can be retired.
CREATE TABLE policy_versions (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    policy_id    text        NOT NULL,
    -- SHA-256 over the folder's files (rules::Policy::version_hash).
    version_hash text        NOT NULL,
    title        text        NOT NULL,
    mode         text        NOT NULL,
    -- policy.toml as JSON, and every file of the folder (name -> content), so any decision
    -- can be replayed with exactly the rule that made it.
    meta         jsonb       NOT NULL,
    files        jsonb       NOT NULL,
    status       text        NOT NULL DEFAULT 'draft',
    -- The policy_author account that loaded or submitted it.
    author       text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_by text,
    published_at timestamptz,
    retired_by   text,
    retired_at   timestamptz,
    -- The published version this one replaced when it was published.
    replaces     bigint,
    CONSTRAINT policy_versions_pkey PRIMARY KEY (id),
    CONSTRAINT policy_versions_hash_key UNIQUE (policy_id, version_hash),
    CONSTRAINT policy_versions_status_check CHECK (status IN ('draft', 'published', 'retired')),
    CONSTRAINT policy_versions_mode_check CHECK (mode IN ('免申即享', '确认即享')),
    -- Four eyes, in the database too: nobody publishes their own draft.
    CONSTRAINT policy_versions_four_eyes CHECK (published_by IS NULL OR published_by <> author),
    CONSTRAINT policy_versions_published_has_publisher
        CHECK (status = 'draft' OR (published_by IS NOT NULL AND published_at IS NOT NULL)),
    CONSTRAINT policy_versions_retired_has_retirer
        CHECK ((status = 'retired') = (retired_at IS NOT NULL)),
    CONSTRAINT policy_versions_replaces_fkey FOREIGN KEY (replaces) REFERENCES policy_versions (id)
);

-- At most one published version per policy.
CREATE UNIQUE INDEX policy_versions_one_published ON policy_versions (policy_id)
    WHERE status = 'published';

-- One matching run: which firms and versions it covers is fixed by its shards.
CREATE TABLE match_runs (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    as_of       date        NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    -- planned -> finalised; shards move on their own.
    status      text        NOT NULL DEFAULT 'planned',
    CONSTRAINT match_runs_pkey PRIMARY KEY (id),
    CONSTRAINT match_runs_status_check CHECK (status IN ('planned', 'finalised'))
);

-- The published versions a run evaluates: over every firm (just published or changed) or
-- only over firms whose profile changed since the previous run.
CREATE TABLE match_run_versions (
    run_id            bigint      NOT NULL,
    policy_version_id bigint      NOT NULL,
    -- NULL: every firm; else firms with profiles.changed_at >= this time.
    changed_since     timestamptz,
    CONSTRAINT match_run_versions_pkey PRIMARY KEY (run_id, policy_version_id),
    CONSTRAINT match_run_versions_run_fkey FOREIGN KEY (run_id) REFERENCES match_runs (id),
    CONSTRAINT match_run_versions_version_fkey FOREIGN KEY (policy_version_id) REFERENCES policy_versions (id)
);

-- A unit of work: the firms with uscc_lo <= uscc < uscc_hi (NULL: no upper bound), for every
-- version of the run. Workers claim pending shards with FOR UPDATE SKIP LOCKED; a shard whose
-- worker died (lease expired) is claimed again, and results are upserted, so a replay changes
-- nothing.
CREATE TABLE match_shards (
    run_id      bigint      NOT NULL,
    shard_no    integer     NOT NULL,
    uscc_lo     text        NOT NULL,
    uscc_hi     text,
    status      text        NOT NULL DEFAULT 'pending',
    claimed_by  text,
    lease_until timestamptz,
    decisions   integer,
    CONSTRAINT match_shards_pkey PRIMARY KEY (run_id, shard_no),
    CONSTRAINT match_shards_status_check CHECK (status IN ('pending', 'claimed', 'done')),
    CONSTRAINT match_shards_run_fkey FOREIGN KEY (run_id) REFERENCES match_runs (id)
);

-- The latest decision for each (policy version, firm), with what it used.
CREATE TABLE match_results (
    policy_version_id bigint        NOT NULL,
    uscc              text          NOT NULL,
    snapshot_id       bigint        NOT NULL,
    run_id            bigint        NOT NULL,
    as_of             date          NOT NULL,
    eligible          boolean       NOT NULL,
    amount            numeric(18,2) NOT NULL,
    reasons           jsonb         NOT NULL,
    items             jsonb         NOT NULL,
    error             text,
    -- How many conditions failed (a near miss fails exactly one).
    failed            integer       NOT NULL,
    decided_at        timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT match_results_pkey PRIMARY KEY (policy_version_id, uscc),
    CONSTRAINT match_results_version_fkey FOREIGN KEY (policy_version_id) REFERENCES policy_versions (id),
    CONSTRAINT match_results_snapshot_fkey FOREIGN KEY (snapshot_id) REFERENCES profile_snapshots (id),
    CONSTRAINT match_results_amount_non_negative CHECK (amount >= 0)
);

CREATE INDEX match_results_uscc_idx ON match_results (uscc);
CREATE INDEX match_results_near_miss_idx ON match_results (policy_version_id) WHERE failed = 1;

-- One grant per (policy, firm, period key), whatever the number of runs, workers or crashes.
CREATE TABLE grants (
    id                bigint        GENERATED ALWAYS AS IDENTITY,
    policy_id         text          NOT NULL,
    policy_version_id bigint        NOT NULL,
    uscc              text          NOT NULL,
    -- '2026' (per year), 'once', the recognition date, or the run's date per person.
    period_key        text          NOT NULL,
    amount            numeric(18,2) NOT NULL,
    -- Pro rata shares stay provisional until the policy's allocation date.
    provisional       boolean       NOT NULL DEFAULT false,
    mode              text          NOT NULL,
    -- created -> confirmed | declined | objected; held when the firm stops qualifying
    -- before payment (never silently dropped or paid).
    status            text          NOT NULL DEFAULT 'created',
    snapshot_id       bigint        NOT NULL,
    run_id            bigint        NOT NULL,
    created_at        timestamptz   NOT NULL DEFAULT now(),
    updated_at        timestamptz   NOT NULL DEFAULT now(),
    -- When the reminder of an unanswered 确认即享 grant was queued (once).
    reminded_at       timestamptz,
    CONSTRAINT grants_pkey PRIMARY KEY (id),
    CONSTRAINT grants_once_per_period UNIQUE (policy_id, uscc, period_key),
    CONSTRAINT grants_status_check
        CHECK (status IN ('created', 'confirmed', 'declined', 'objected', 'held', 'paid')),
    CONSTRAINT grants_mode_check CHECK (mode IN ('免申即享', '确认即享')),
    CONSTRAINT grants_amount_non_negative CHECK (amount >= 0),
    CONSTRAINT grants_version_fkey FOREIGN KEY (policy_version_id) REFERENCES policy_versions (id)
);

CREATE INDEX grants_uscc_idx ON grants (uscc);

-- Each person is granted once per policy across firms and runs (扩岗补助).
CREATE TABLE granted_persons (
    policy_id text   NOT NULL,
    person    text   NOT NULL,
    grant_id  bigint NOT NULL,
    CONSTRAINT granted_persons_pkey PRIMARY KEY (policy_id, person),
    CONSTRAINT granted_persons_grant_fkey FOREIGN KEY (grant_id) REFERENCES grants (id)
);

-- The enterprise's one answer to a 确认即享 grant. Append-only.
CREATE TABLE grant_answers (
    grant_id          bigint      NOT NULL,
    kind              text        NOT NULL,
    bank_account_name text,
    bank_account_no   text,
    commitment        text,
    message           text,
    answered_by       text        NOT NULL,
    answered_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT grant_answers_pkey PRIMARY KEY (grant_id),
    CONSTRAINT grant_answers_kind_check CHECK (kind IN ('confirm', 'decline', 'object')),
    CONSTRAINT grant_answers_confirm_complete CHECK (kind <> 'confirm'
        OR (bank_account_name IS NOT NULL AND bank_account_no IS NOT NULL AND commitment IS NOT NULL)),
    CONSTRAINT grant_answers_object_has_message CHECK (kind <> 'object' OR message IS NOT NULL),
    CONSTRAINT grant_answers_grant_fkey FOREIGN KEY (grant_id) REFERENCES grants (id)
);

CREATE FUNCTION grant_answers_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'grant_answers is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER grant_answers_no_update BEFORE UPDATE ON grant_answers
    FOR EACH ROW EXECUTE FUNCTION grant_answers_reject_change();
CREATE TRIGGER grant_answers_no_delete BEFORE DELETE ON grant_answers
    FOR EACH ROW EXECUTE FUNCTION grant_answers_reject_change();
CREATE TRIGGER grant_answers_no_truncate BEFORE TRUNCATE ON grant_answers
    FOR EACH STATEMENT EXECUTE FUNCTION grant_answers_reject_change();
REVOKE UPDATE, DELETE, TRUNCATE ON grant_answers FROM mianshen_app;
REVOKE DELETE, TRUNCATE ON granted_persons FROM mianshen_app;
