-- The near-miss indexes hold only near misses: results in the policy's scope, not eligible,
-- without an error, failing exactly one condition (what `matching::near_miss_repo` reads).
-- They held every result failing one condition, and a firm outside a policy's scope fails
-- just its scope condition: at a million firms 4.5 of the night's 6 million results went into
-- each of them (the by-run one 440 MB, as large as the full index by run), against 1.7 million
-- near misses.
DROP INDEX match_results_near_miss_idx;
DROP INDEX match_results_run_near_miss_idx;
CREATE INDEX match_results_near_miss_idx ON match_results (policy_version_id)
    WHERE failed = 1 AND NOT eligible AND error IS NULL AND in_scope;
CREATE INDEX match_results_run_near_miss_idx ON match_results (run_id, policy_version_id, uscc)
    WHERE failed = 1 AND NOT eligible AND error IS NULL AND in_scope;
