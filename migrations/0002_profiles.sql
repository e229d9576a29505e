-- Enterprise profiles (issue 4): what each data source says about each firm, the merged
-- profile with per-field provenance, its append-only history, the quarantine of bad
-- records, the sources' cursors and the record of every job run.
--
-- Crash safety rests on two rules (see src/ingest/run.rs): a source's cursor moves only in
-- the transaction that stores the records it covers, and a firm stays in `profile_dirty`
-- until the transaction that rewrites its profile commits.

-- The latest partial profile each source delivered for each firm (validated, normalised).
CREATE TABLE source_records (
    uscc         text        NOT NULL,
    source       text        NOT NULL,
    doc          jsonb       NOT NULL,
    -- SHA-256 of the canonical JSON of `doc`: an unchanged record is not rewritten.
    content_hash bytea       NOT NULL,
    -- Values as delivered before mapping, e.g. {"region_code": "370282"}.
    originals    jsonb,
    as_of        date        NOT NULL,
    fetched_at   timestamptz NOT NULL,
    CONSTRAINT source_records_pkey PRIMARY KEY (uscc, source)
);

-- Firms whose source records changed since their profile was last merged.
CREATE TABLE profile_dirty (
    uscc      text        NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT profile_dirty_pkey PRIMARY KEY (uscc)
);

-- One merged profile per firm (一企一档), in the exact shape of profile-schema.json.
CREATE TABLE profiles (
    uscc         text        NOT NULL,
    doc          jsonb       NOT NULL,
    -- SHA-256 of the canonical JSON of `doc` only (never of the provenance).
    content_hash bytea       NOT NULL,
    -- Field path -> {source, as_of, fetched_at, original?}; `annual[2025].revenue` style paths.
    provenance   jsonb       NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    -- When `content_hash` last changed: matching picks firms changed since its last run.
    changed_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT profiles_pkey PRIMARY KEY (uscc),
    CONSTRAINT profiles_uscc_format CHECK (uscc ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$')
);

CREATE INDEX profiles_changed_at_idx ON profiles (changed_at, uscc);

-- Every content the profile ever had, append-only.
CREATE TABLE profile_snapshots (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    uscc         text        NOT NULL,
    doc          jsonb       NOT NULL,
    provenance   jsonb       NOT NULL,
    content_hash bytea       NOT NULL,
    taken_at     timestamptz NOT NULL DEFAULT now(),
    -- No uniqueness on (uscc, content_hash): a firm may return to an earlier content. A
    -- snapshot is written in the transaction that changes `profiles.content_hash`, so a
    -- replayed batch finds the hash already equal and writes nothing.
    CONSTRAINT profile_snapshots_pkey PRIMARY KEY (id)
);

CREATE INDEX profile_snapshots_uscc_idx ON profile_snapshots (uscc, id);

CREATE FUNCTION profile_snapshots_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'profile_snapshots is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER profile_snapshots_no_update BEFORE UPDATE ON profile_snapshots
    FOR EACH ROW EXECUTE FUNCTION profile_snapshots_reject_change();
CREATE TRIGGER profile_snapshots_no_delete BEFORE DELETE ON profile_snapshots
    FOR EACH ROW EXECUTE FUNCTION profile_snapshots_reject_change();
CREATE TRIGGER profile_snapshots_no_truncate BEFORE TRUNCATE ON profile_snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION profile_snapshots_reject_change();
REVOKE UPDATE, DELETE, TRUNCATE ON profile_snapshots FROM mianshen_app;

-- Records refused by validation, with the raw text as received.
CREATE TABLE quarantine (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    source      text        NOT NULL,
    -- The USCC as delivered, when there was one (it may be invalid).
    uscc        text,
    raw         text        NOT NULL,
    -- The first field at fault ('' for the record as a whole) and its reason.
    field       text        NOT NULL,
    reason      text        NOT NULL,
    -- Every fault: [{field, reason}].
    errors      jsonb       NOT NULL,
    run_id      bigint,
    received_at timestamptz NOT NULL DEFAULT now(),
    status      text        NOT NULL DEFAULT 'open',
    CONSTRAINT quarantine_pkey PRIMARY KEY (id),
    CONSTRAINT quarantine_status_known CHECK (status IN ('open', 'resolved', 'dismissed'))
);

CREATE INDEX quarantine_open_idx ON quarantine (source, id) WHERE status = 'open';

-- Where each HTTP source's feed was read up to.
CREATE TABLE source_cursors (
    source     text        NOT NULL,
    cursor     text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT source_cursors_pkey PRIMARY KEY (source)
);

-- Files taken from a file source's drop folder, and how many lines of each are stored.
CREATE TABLE source_files (
    source     text        NOT NULL,
    file_name  text        NOT NULL,
    lines_done bigint      NOT NULL DEFAULT 0,
    done       boolean     NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT source_files_pkey PRIMARY KEY (source, file_name)
);

-- Every run of a scheduled job. One row per (job, slot): two instances can never both
-- run the same slot.
CREATE TABLE job_runs (
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    job           text        NOT NULL,
    scheduled_for timestamptz NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    status        text        NOT NULL DEFAULT 'running',
    -- {fetched, stored, unchanged, quarantined, merged, snapshots}
    counts        jsonb       NOT NULL DEFAULT '{}',
    error         text,
    duration_ms   bigint,
    CONSTRAINT job_runs_pkey PRIMARY KEY (id),
    CONSTRAINT job_runs_slot_key UNIQUE (job, scheduled_for),
    CONSTRAINT job_runs_status_known CHECK (status IN ('running', 'succeeded', 'failed'))
);

-- 数据异议: an enterprise disputes one field of its profile; staff answer.
CREATE TABLE data_objections (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    uscc        text        NOT NULL,
    field       text        NOT NULL,
    message     text        NOT NULL,
    raised_by   text        NOT NULL,
    raised_at   timestamptz NOT NULL DEFAULT now(),
    answer      text,
    answered_by text,
    answered_at timestamptz,
    CONSTRAINT data_objections_pkey PRIMARY KEY (id),
    CONSTRAINT data_objections_message_length CHECK (length(message) BETWEEN 1 AND 2000),
    CONSTRAINT data_objections_field_length CHECK (length(field) BETWEEN 1 AND 200)
);

CREATE INDEX data_objections_uscc_idx ON data_objections (uscc, id);
