-- 公示 objections (issue 11): an objection raised while a grant's public-notice window
-- runs moves the grant to `disputed` until a reviewer answers it: dismissed (back to
-- 公示, or on to payment if the window has ended) or upheld (the grant is rejected).
-- A firm objects to its own grant; objections from anyone else reach a reviewer (by
-- letter, telephone, e-mail), who records them here.

CREATE TABLE grant_objections (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    grant_id    bigint      NOT NULL,
    raised_by   text        NOT NULL,
    message     text        NOT NULL,
    raised_at   timestamptz NOT NULL DEFAULT now(),
    answered_by text,
    -- 'dismissed' (the grant goes on) or 'upheld' (the grant is rejected).
    outcome     text,
    answer      text,
    answered_at timestamptz,
    CONSTRAINT grant_objections_pkey PRIMARY KEY (id),
    CONSTRAINT grant_objections_grant_fkey FOREIGN KEY (grant_id) REFERENCES grants (id),
    CONSTRAINT grant_objections_message_length CHECK (char_length(message) BETWEEN 1 AND 1000),
    CONSTRAINT grant_objections_outcome_check CHECK (outcome IN ('dismissed', 'upheld')),
    -- An answer is whole: who, what, why and when, or nothing yet.
    CONSTRAINT grant_objections_answer_whole CHECK (
        (answered_by IS NULL) = (outcome IS NULL)
        AND (outcome IS NULL) = (answer IS NULL)
        AND (answer IS NULL) = (answered_at IS NULL))
);

-- At most one open objection per grant (a disputed grant takes no second one).
CREATE UNIQUE INDEX grant_objections_one_open ON grant_objections (grant_id)
    WHERE answered_at IS NULL;

REVOKE DELETE, TRUNCATE ON grant_objections FROM mianshen_app;
