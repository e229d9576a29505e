-- A first night loads millions of rows in minutes, long before autovacuum analyses them: the
-- planner then reads `source_records` with a sequential scan per merge batch (one batch took
-- 69 s). The service works as `mianshen_app`, which may not ANALYZE tables it does not own;
-- this function, run with the owner's rights, refreshes the statistics of the tables a night
-- fills, and nothing else.
CREATE FUNCTION refresh_planner_statistics() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    ANALYZE source_records;
    ANALYZE profile_dirty;
    ANALYZE profiles;
    ANALYZE profile_snapshots;
    ANALYZE match_results;
END
$$;

REVOKE ALL ON FUNCTION refresh_planner_statistics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refresh_planner_statistics() TO mianshen_app;
