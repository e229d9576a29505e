-- Audit rows appended a page at a time (issue 16). The per-row trigger of 0001 links each
-- row by taking the chain's lock and reading the head again for every row; a first night
-- appends one row per grant (about a million at a million firms), and that per-row work
-- was a large share of finalising. The link itself is unchanged: the same fields, the same
-- `<length>:<text>` encoding, the same SHA-256 (src/audit/chain.rs).
--
-- Now a writer may hand in rows already linked: `audit_append` takes the chain's lock once,
-- reads the head once, computes the page's links in one loop and inserts the page in one
-- statement. So that no writer can forge or skip a link, every INSERT statement is then
-- checked as a whole (`audit_events_check_links`, with the statement's rows as a
-- transition table): each row's hash must be the link hash of its content, its prev_hash
-- the hash of the row before it, and its seq the next one. Rows that arrive unlinked
-- (`hash` empty, as `audit::record` sends them) are still linked by the per-row trigger.

-- The same text as before; `length(value)::text` (an immutable cast, where `integer || text`
-- is only stable) lets the planner inline the function instead of calling it per field.
CREATE OR REPLACE FUNCTION audit_field(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN '-' ELSE length(value)::text || ':' || value END
$$;

DROP TRIGGER audit_events_chain ON audit_events;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
    FOR EACH ROW WHEN (octet_length(NEW.hash) = 0) EXECUTE FUNCTION audit_chain_link();

-- The link hash of one row's content after `prev_hash` (as audit_chain_link computes it).
-- Stable, not immutable, because `to_char` is: so it is inlined where it is used.
CREATE FUNCTION audit_link_hash(prev_hash bytea, seq bigint, occurred_at timestamptz,
                                actor text, action text, entity_type text, entity_id text,
                                before jsonb, after jsonb) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT sha256(prev_hash || convert_to(
        audit_field(seq::text)
        || audit_field(to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || audit_field(actor)
        || audit_field(action)
        || audit_field(entity_type)
        || audit_field(entity_id)
        || audit_field(before::text)
        || audit_field(after::text),
        'UTF8'))
$$;

CREATE FUNCTION audit_check_links() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    SELECT r.seq INTO bad
    FROM (SELECT n.*,
                 lag(n.seq) OVER w AS seq_before,
                 lag(n.hash) OVER w AS hash_before
          FROM audit_new_rows n WINDOW w AS (ORDER BY n.seq)) r
    WHERE r.hash IS DISTINCT FROM audit_link_hash(r.prev_hash, r.seq, r.occurred_at, r.actor,
                  r.action, r.entity_type, r.entity_id, r.before, r.after)
       OR r.prev_hash IS DISTINCT FROM CASE
              WHEN r.seq_before IS NOT NULL THEN
                  CASE WHEN r.seq_before = r.seq - 1 THEN r.hash_before END
              WHEN r.seq = 1 THEN
                  '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
              ELSE (SELECT p.hash FROM audit_events p WHERE p.seq = r.seq - 1)
          END
    ORDER BY r.seq
    LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'audit row % does not link to the chain', bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_events_check_links AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS audit_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_check_links();

-- Appends the entries (arrays of one length, in order) under the chain's lock with their
-- links computed here: one lock, one read of the head, one INSERT. Returns the rows appended.
CREATE FUNCTION audit_append(actors text[], actions text[], entity_types text[],
                             entity_ids text[], befores jsonb[], afters jsonb[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n      integer := coalesce(cardinality(actors), 0);
    at     timestamptz := date_trunc('microseconds', now());
    head   bigint;
    link   bytea;
    prevs  bytea[];
    hashes bytea[];
BEGIN
    IF n = 0 THEN
        RETURN 0;
    END IF;
    -- As audit_chain_link: one writer at a time until commit, so the head read below (a
    -- fresh snapshot, after the lock) is the committed head of the chain.
    PERFORM pg_advisory_xact_lock(7235501234);
    SELECT seq, hash INTO head, link FROM audit_events ORDER BY seq DESC LIMIT 1;
    head := coalesce(head, 0);
    link := coalesce(link, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    FOR i IN 1..n LOOP
        prevs[i] := link;
        link := audit_link_hash(link, head + i, at, actors[i], actions[i], entity_types[i],
                                entity_ids[i], befores[i], afters[i]);
        hashes[i] := link;
    END LOOP;
    INSERT INTO audit_events (seq, occurred_at, actor, action, entity_type, entity_id,
                              before, after, prev_hash, hash)
    SELECT head + t.n, at, t.actor, t.action, t.entity_type, t.entity_id, t.before, t.after,
           t.prev_hash, t.hash
    FROM unnest(actors, actions, entity_types, entity_ids, befores, afters, prevs, hashes)
         WITH ORDINALITY AS t(actor, action, entity_type, entity_id, before, after,
                              prev_hash, hash, n);
    RETURN n;
END
$$;
