-- A profile is its firm's newest snapshot: the merged document and its provenance are
-- stored once, in `profile_snapshots`, and `profiles` keeps which snapshot is current with
-- the hash and times matching and ingest compare. The night wrote every changed document
-- twice (the profile and its identical snapshot), the largest write of ingest; and matching
-- looked each firm's snapshot up again (`max(id)` per firm) to record which one it decided on.
--
-- No foreign key to `profile_snapshots`: snapshots are append-only (no UPDATE, DELETE or
-- TRUNCATE, migration 0002), ingest writes the snapshot and the profile pointing to it in one
-- statement, and the key's check would lock (and so rewrite) each new snapshot row.
ALTER TABLE profiles ADD COLUMN snapshot_id bigint;

-- A profile written before snapshots were kept with it gets one now, so every profile has its
-- document somewhere.
INSERT INTO profile_snapshots (uscc, doc, provenance, content_hash, taken_at)
SELECT p.uscc, p.doc, p.provenance, p.content_hash, p.changed_at FROM profiles p
WHERE NOT EXISTS (SELECT 1 FROM profile_snapshots s WHERE s.uscc = p.uscc AND s.content_hash = p.content_hash);

UPDATE profiles p SET snapshot_id = (
    SELECT max(s.id) FROM profile_snapshots s WHERE s.uscc = p.uscc AND s.content_hash = p.content_hash);

ALTER TABLE profiles ALTER COLUMN snapshot_id SET NOT NULL,
    DROP COLUMN doc,
    DROP COLUMN provenance;
