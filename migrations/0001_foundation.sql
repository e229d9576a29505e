-- Foundation: the application role, enterprises, accounts, sessions, login throttling
-- and the hash-chained audit log.
--
-- Migrations run as the owner (the DATABASE_URL user); the service itself works as
-- the role `mianshen_app` (see src/db/mod.rs), which owns nothing and may only do
-- what the GRANTs below allow. In particular it can never UPDATE, DELETE or TRUNCATE
-- the audit log.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mianshen_app') THEN
        CREATE ROLE mianshen_app NOLOGIN;
    END IF;
END
$$;

-- Let the owner switch to the application role (needed when it is not a superuser).
GRANT mianshen_app TO CURRENT_USER;

GRANT USAGE ON SCHEMA public TO mianshen_app;
-- Every table and sequence the owner creates from here on is usable by the service;
-- append-only tables revoke what they must not allow.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO mianshen_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO mianshen_app;

-- Enterprises known to the platform, keyed by 统一社会信用代码. Ingest (issue 4) fills
-- in their profiles; accounts of role `enterprise` are bound to one of these codes.
CREATE TABLE firms (
    uscc        text        NOT NULL,
    name        text        NOT NULL,
    region_code text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT firms_pkey PRIMARY KEY (uscc),
    CONSTRAINT firms_uscc_format CHECK (uscc ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
    CONSTRAINT firms_region_code_format CHECK (region_code IS NULL OR region_code ~ '^[1-9][0-9]{5}$')
);

CREATE TABLE users (
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    username      text        NOT NULL,
    display_name  text        NOT NULL,
    role          text        NOT NULL,
    -- Set exactly when role = 'enterprise': the one firm this account acts for.
    uscc          text,
    -- PHC string (argon2id).
    password_hash text        NOT NULL,
    -- Consecutive failed logins since the last success; reset on success.
    failed_logins integer     NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_username_format CHECK (username ~ '^[A-Za-z0-9._@-]{3,64}$'),
    CONSTRAINT users_role_known CHECK (role IN ('enterprise', 'policy_author', 'reviewer',
        'finance_maker', 'finance_checker', 'auditor', 'admin')),
    CONSTRAINT users_enterprise_has_uscc CHECK ((role = 'enterprise') = (uscc IS NOT NULL)),
    CONSTRAINT users_uscc_format CHECK (uscc IS NULL OR uscc ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
    CONSTRAINT users_failed_logins_non_negative CHECK (failed_logins >= 0)
);

CREATE INDEX users_uscc_idx ON users (uscc) WHERE uscc IS NOT NULL;

-- Browser sessions. Only the SHA-256 of the cookie value is stored, so a leaked
-- table does not leak live sessions.
CREATE TABLE sessions (
    token_hash   bytea       NOT NULL,
    user_id      bigint      NOT NULL,
    -- Synchroniser token that every state-changing form or request must echo.
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (token_hash),
    CONSTRAINT sessions_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Bearer tokens for machine clients; like sessions, only the hash is kept.
CREATE TABLE api_tokens (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    user_id      bigint      NOT NULL,
    label        text        NOT NULL,
    token_hash   bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT api_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT api_tokens_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- Fixed-window counters of login attempts per client address, shared by every
-- instance of the service (the database is the one coordination point).
CREATE TABLE login_throttle (
    client       text        NOT NULL,
    window_start timestamptz NOT NULL,
    attempts     integer     NOT NULL,
    CONSTRAINT login_throttle_pkey PRIMARY KEY (client)
);

-- The audit log: append-only and hash-chained. Each row's `hash` is the SHA-256 of
-- the previous row's hash followed by this row's content (see audit_chain_link below
-- and src/audit/chain.rs, which must agree byte for byte). `seq` is assigned under a
-- lock at insert time, so the chain order is the commit order.
CREATE TABLE audit_events (
    seq         bigint      NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- Who: a username, or `system:<job>` for unattended work.
    actor       text        NOT NULL,
    -- What: a dotted verb such as `user.create`.
    action      text        NOT NULL,
    -- On which record.
    entity_type text        NOT NULL,
    entity_id   text        NOT NULL,
    before      jsonb,
    after       jsonb,
    prev_hash   bytea       NOT NULL,
    hash        bytea       NOT NULL,
    CONSTRAINT audit_events_pkey PRIMARY KEY (seq),
    CONSTRAINT audit_events_hash_length CHECK (octet_length(hash) = 32 AND octet_length(prev_hash) = 32)
);

-- A text field as `<length>:<text>`, so no choice of field contents can shift the
-- boundary between two fields.
CREATE FUNCTION audit_field(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN '-' ELSE length(value) || ':' || value END
$$;

CREATE FUNCTION audit_chain_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last_seq  bigint;
    last_hash bytea;
BEGIN
    -- One writer at a time extends the chain; the lock is held until commit, so the
    -- row read below is the committed head of the chain.
    PERFORM pg_advisory_xact_lock(7235501234);
    SELECT seq, hash INTO last_seq, last_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    NEW.occurred_at := date_trunc('microseconds', coalesce(NEW.occurred_at, now()));
    NEW.hash := sha256(
        NEW.prev_hash || convert_to(
            audit_field(NEW.seq::text)
            || audit_field(to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
            || audit_field(NEW.actor)
            || audit_field(NEW.action)
            || audit_field(NEW.entity_type)
            || audit_field(NEW.entity_id)
            || audit_field(NEW.before::text)
            || audit_field(NEW.after::text),
            'UTF8'));
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_chain_link();

CREATE FUNCTION audit_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

-- The service may append and read, nothing else.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM mianshen_app;
