-- The cockpit (数字驾驶舱, src/cockpit/) counts grants by the firm's district and size.
-- The district is already a column of `firms` (copied from the merged profile by ingest);
-- the size class joins it here, so the aggregates join the narrow `firms` table instead of
-- reading every profile's JSON document. Ingest keeps both columns current on each merge.
ALTER TABLE firms ADD COLUMN size_class text;

UPDATE firms f SET size_class = p.doc->>'size_class'
FROM profiles p
WHERE p.uscc = f.uscc AND p.doc ? 'size_class';

-- The cockpit's filters: a date range over when grants were created (eligibility), and
-- over when deliveries' notices and quarantined records arrived.
CREATE INDEX grants_created_at_idx ON grants (created_at);
CREATE INDEX quarantine_received_at_idx ON quarantine (received_at);
-- The last nightly runs, newest first.
CREATE INDEX job_runs_job_started_idx ON job_runs (job, started_at DESC);
