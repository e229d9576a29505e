-- Notices (issue 5): an outbox of notices written in the grant's transaction, one delivery
-- per (notice, channel), and every delivery attempt.
--
-- Exactly-once is at-least-once sending plus idempotent receivers: each delivery carries a
-- stable `idempotency_key` (sent as `Idempotency-Key`, or as the email `Message-ID`), and a
-- delivery recorded `delivered` is never sent again (see src/notices/worker.rs).

-- The channels a firm chose besides the in-app inbox (always on).
CREATE TABLE firm_channels (
    uscc           text        NOT NULL,
    webhook_url    text,
    -- Key of the HMAC-SHA256 signature of webhook bodies.
    webhook_secret text,
    email          text,
    phone          text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT firm_channels_pkey PRIMARY KEY (uscc),
    CONSTRAINT firm_channels_webhook_secret CHECK (webhook_url IS NULL OR webhook_secret IS NOT NULL),
    CONSTRAINT firm_channels_phone_format CHECK (phone IS NULL OR phone ~ '^1[3-9][0-9]{9}$')
);

-- One notice per (grant, kind), rendered in Chinese when enqueued.
CREATE TABLE notices (
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    -- References grants(id) (migration 0003 of the matching branch); the FK comes at merge.
    grant_id   bigint      NOT NULL,
    uscc       text        NOT NULL,
    policy_id  text        NOT NULL,
    kind       text        NOT NULL,
    title      text        NOT NULL,
    body       text        NOT NULL,
    amount     numeric(14, 2) NOT NULL,
    link       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- When the firm read it in the inbox.
    read_at    timestamptz,
    CONSTRAINT notices_pkey PRIMARY KEY (id),
    CONSTRAINT notices_grant_kind_key UNIQUE (grant_id, kind),
    CONSTRAINT notices_kind_check CHECK (kind IN ('grant', 'reminder', 'near_miss'))
);

CREATE INDEX notices_uscc_idx ON notices (uscc, id DESC);

-- One row per (notice, channel): the outbox the delivery worker drains.
CREATE TABLE notice_deliveries (
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    notice_id       bigint      NOT NULL,
    channel         text        NOT NULL,
    -- Where it goes, fixed when enqueued (URL, address, phone; the USCC for the inbox).
    target          text        NOT NULL,
    idempotency_key uuid        NOT NULL,
    -- pending -> delivered | dead; `in flight` is pending with a lease in the future.
    status          text        NOT NULL DEFAULT 'pending',
    attempts        integer     NOT NULL DEFAULT 0,
    -- Due time while pending: the next try, or the end of a worker's lease.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    last_error      text,
    CONSTRAINT notice_deliveries_pkey PRIMARY KEY (id),
    CONSTRAINT notice_deliveries_notice_fkey FOREIGN KEY (notice_id) REFERENCES notices (id),
    CONSTRAINT notice_deliveries_notice_channel_key UNIQUE (notice_id, channel),
    CONSTRAINT notice_deliveries_key_key UNIQUE (idempotency_key),
    CONSTRAINT notice_deliveries_channel_check CHECK (channel IN ('inbox', 'webhook', 'email', 'sms')),
    CONSTRAINT notice_deliveries_status_check CHECK (status IN ('pending', 'delivered', 'dead'))
);

CREATE INDEX notice_deliveries_due_idx ON notice_deliveries (next_attempt_at) WHERE status = 'pending';

-- Every attempt, append-only.
CREATE TABLE delivery_attempts (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    delivery_id  bigint      NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    -- delivered | retry | permanent
    outcome      text        NOT NULL,
    status_code  integer,
    error        text,
    duration_ms  integer     NOT NULL,
    CONSTRAINT delivery_attempts_pkey PRIMARY KEY (id),
    CONSTRAINT delivery_attempts_delivery_fkey FOREIGN KEY (delivery_id) REFERENCES notice_deliveries (id),
    CONSTRAINT delivery_attempts_outcome_check CHECK (outcome IN ('delivered', 'retry', 'permanent'))
);

CREATE INDEX delivery_attempts_delivery_idx ON delivery_attempts (delivery_id);

REVOKE UPDATE, DELETE, TRUNCATE ON delivery_attempts FROM mianshen_app;
