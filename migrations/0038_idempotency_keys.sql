-- Idempotency-Key on every POST that moves money (issue 11): the first answer is kept
-- with a hash of the request, committed in the same transaction as the work it answers.
-- A replay gets that answer; the same key with another request is refused (422).
CREATE TABLE idempotency_keys (
    user_id      bigint      NOT NULL,
    key          text        NOT NULL,
    -- SHA-256 of the method, the path and the body.
    request_hash bytea       NOT NULL,
    status       smallint    NOT NULL,
    response     jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key),
    CONSTRAINT idempotency_keys_user_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT idempotency_keys_hash_length CHECK (octet_length(request_hash) = 32)
);
