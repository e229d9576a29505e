-- The dry run (试算) of a policy version as a background job (issue 14). Starting one only
-- inserts a row; any instance claims it (FOR UPDATE SKIP LOCKED) and works through the
-- current profiles page by page. Each page's eligible firms and the cursor past it are
-- committed together, so a job whose worker died (its heartbeat goes stale) is taken over
-- by another run and resumed from the cursor: no firm is counted twice, none is lost.
CREATE TABLE dry_run_jobs (
    id                BIGSERIAL PRIMARY KEY,
    policy_version_id BIGINT NOT NULL REFERENCES policy_versions (id),
    requested_by      TEXT NOT NULL,
    -- The evaluation date (Beijing), fixed when the job is started.
    as_of             DATE NOT NULL,
    state             TEXT NOT NULL DEFAULT 'queued'
                      CONSTRAINT dry_run_jobs_state_check
                      CHECK (state IN ('queued', 'running', 'done', 'failed')),
    -- Progress for the page: profiles read so far out of those present at the start.
    firms_total       BIGINT NOT NULL DEFAULT 0 CHECK (firms_total >= 0),
    firms_done        BIGINT NOT NULL DEFAULT 0 CHECK (firms_done >= 0),
    -- Valid profiles evaluated, and of those the ones in the policy's scope.
    firms_valid       BIGINT NOT NULL DEFAULT 0,
    firms_in_scope    BIGINT NOT NULL DEFAULT 0,
    -- The last USCC evaluated: where a resumed run goes on.
    cursor_uscc       TEXT NOT NULL DEFAULT '',
    claimed_by        TEXT,
    heartbeat_at      TIMESTAMPTZ,
    attempts          INT NOT NULL DEFAULT 0,
    -- The finished dry run (counts, money as decimal strings, tallies, changed firms).
    result            JSONB,
    error             TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at        TIMESTAMPTZ,
    finished_at       TIMESTAMPTZ,
    CONSTRAINT dry_run_jobs_done_has_result CHECK (state <> 'done' OR result IS NOT NULL)
);

-- The claim looks only at unfinished jobs; the pages look up a version's latest job.
CREATE INDEX dry_run_jobs_open ON dry_run_jobs (id) WHERE state IN ('queued', 'running');
CREATE INDEX dry_run_jobs_by_version ON dry_run_jobs (policy_version_id, id DESC);

-- The eligible firms found so far, before the cross-firm steps (which need them all).
CREATE TABLE dry_run_job_firms (
    job_id   BIGINT NOT NULL REFERENCES dry_run_jobs (id) ON DELETE CASCADE,
    uscc     TEXT NOT NULL,
    district TEXT NOT NULL,
    size     TEXT NOT NULL,
    amount   NUMERIC(18, 2) NOT NULL,
    -- The counted items (key, date, amount, passed) the cross-firm steps compare.
    items    JSONB NOT NULL DEFAULT '[]',
    PRIMARY KEY (job_id, uscc)
);
