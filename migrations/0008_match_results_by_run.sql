-- Finalising a run reads the results that run decided, per policy version, in USCC order, and
-- holds grants of firms the run found no longer eligible. Without this index both scanned
-- every result of the version: on a quiet night 1% of the firms are decided again.
CREATE INDEX match_results_run_idx ON match_results (run_id, policy_version_id, uscc);

-- Near-miss notices read the run's near misses of one version in USCC order, in batches.
CREATE INDEX match_results_run_near_miss_idx ON match_results (run_id, policy_version_id, uscc)
    WHERE failed = 1;
