-- Notices (issue 5, second half): a notice about a grant references that grant, and
-- near-miss notices, which are about no grant, are sent at most once per
-- (policy, firm, period key) whatever the number of runs, workers or crashes.

-- Near-miss notices have no grant.
ALTER TABLE notices ALTER COLUMN grant_id DROP NOT NULL;

-- The period a near-miss notice counts against (the same key a grant of the policy would
-- have, see src/matching/near_miss_notices.rs); NULL for grant and reminder notices.
ALTER TABLE notices ADD COLUMN period_key text;

ALTER TABLE notices
    ADD CONSTRAINT notices_grant_fkey FOREIGN KEY (grant_id) REFERENCES grants (id),
    -- Grant and reminder notices are about a grant; a near-miss notice is about a period.
    ADD CONSTRAINT notices_kind_subject CHECK (
        CASE WHEN kind = 'near_miss' THEN grant_id IS NULL AND period_key IS NOT NULL
             ELSE grant_id IS NOT NULL AND period_key IS NULL END),
    -- NULL period keys are distinct, so this binds near-miss notices only.
    ADD CONSTRAINT notices_near_miss_once UNIQUE (policy_id, uscc, period_key);
