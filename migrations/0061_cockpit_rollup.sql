-- The cockpit's rollups (src/cockpit/repo.rs): the grant-wide figures summed from a few
-- thousand pre-aggregated rows instead of every grant, so each chart answers in
-- milliseconds whatever the number of firms. Each rollup is keyed by what the filters and
-- the charts need: the policy, the firm's 行政区划 code (whole; the district filter is a
-- prefix of it), the firm's size class, the Beijing day (the date filter's unit; `from`
-- and `to` are Beijing days). '' stands for "no firm row or no value", as the charts show
-- it, and never matches a district filter (codes are six digits).
--
-- Exactness: statement-level triggers with transition tables add, for each statement that
-- writes a base table, the rows it added and subtract the rows it removed, one upsert per
-- group, groups in key order (so two writers meet the same rows in the same order). A
-- group whose delta is zero is not written. Groups emptied keep a row with zeros; the
-- queries skip them. The triggers run as the owner (SECURITY DEFINER): the application may
-- read the rollups, never write them.
--
-- Concurrency (READ COMMITTED, the service's level): a trigger reads what its row depends
-- on in other tables (the firm's region and size, whether the grant was notified, the
-- grant of a notice or payment) with a snapshot taken after it holds:
-- * a shared advisory lock 'mianshen.cockpit.rollup' (every rollup writer) against the
--   exclusive one taken by a change of a firm's region or size class, which moves that
--   firm's rows: so the move sees every grant committed before it, and a writer after it
--   sees the firm's new values;
-- * FOR SHARE on the grants a new or deleted grant notice is about: a concurrent status
--   change waits, then its trigger sees the notice (and the other way round).
-- Columns the rollups read and that no code changes, so no trigger follows them: the
-- grants' id, policy_id, uscc, created_at; the notices' grant_id, kind, policy_id, uscc,
-- created_at; the payments' grant_id.

CREATE TABLE cockpit_grants (
    policy_id   text    NOT NULL,
    region_code text    NOT NULL,
    size_class  text    NOT NULL,
    -- Beijing date of grants.created_at (when the firm was found eligible).
    day         date    NOT NULL,
    status      text    NOT NULL,
    -- A notice of kind 'grant' exists for the grant.
    notified    boolean NOT NULL,
    grants      bigint  NOT NULL,
    amount      numeric NOT NULL,
    CONSTRAINT cockpit_grants_pkey
        PRIMARY KEY (policy_id, region_code, size_class, day, status, notified)
);

-- Deliveries by the notice's policy, firm and Beijing day of creation, by channel and by
-- the state the notices chart shows: queued (pending, never tried), failing (pending,
-- tried), delivered, dead.
CREATE TABLE cockpit_deliveries (
    policy_id   text   NOT NULL,
    region_code text   NOT NULL,
    day         date   NOT NULL,
    channel     text   NOT NULL,
    state       text   NOT NULL,
    deliveries  bigint NOT NULL,
    CONSTRAINT cockpit_deliveries_pkey PRIMARY KEY (policy_id, region_code, day, channel, state)
);

-- Paid, settled payment instructions by their grant's policy, firm and Beijing day, and
-- by whole seconds from the grant's creation to the settlement. Percentiles of the
-- rounded delays are the rounded percentiles of the delays (rounding keeps the order).
CREATE TABLE cockpit_cash (
    policy_id   text   NOT NULL,
    region_code text   NOT NULL,
    day         date   NOT NULL,
    delay_secs  bigint NOT NULL,
    paid        bigint NOT NULL,
    CONSTRAINT cockpit_cash_pkey PRIMARY KEY (policy_id, region_code, day, delay_secs)
);

REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON cockpit_grants, cockpit_deliveries, cockpit_cash
    FROM mianshen_app;

-- The deltas of a set of grants rows (sign +1 or -1): keyed, grouped, non-zero, in key order.
-- Views cannot read transition tables, so each trigger writes the statement out. The
-- planner knows nothing of a transition table's contents: left to itself it hashed the
-- whole `notices` table to join a page of 2,000 rows. Inside these functions every lookup
-- goes through an index (hash and merge joins and sequential scans off), and EXISTS
-- subqueries carry OFFSET 0 so they stay per-row probes instead of a hashed scan.

CREATE FUNCTION cockpit_grants_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('mianshen.cockpit.rollup'));
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cockpit_grants AS r
        SELECT g.policy_id, coalesce(f.region_code, ''), coalesce(f.size_class, ''),
               (g.created_at AT TIME ZONE 'Asia/Shanghai')::date, g.status,
               -- A new grant has no notice yet: a notice references an existing grant.
               false,
               count(*), sum(g.amount)
        FROM new_grants g LEFT JOIN firms f ON f.uscc = g.uscc
        GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT ON CONSTRAINT cockpit_grants_pkey DO UPDATE
            SET grants = r.grants + EXCLUDED.grants, amount = r.amount + EXCLUDED.amount;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO cockpit_grants AS r
        SELECT g.policy_id, coalesce(f.region_code, ''), coalesce(f.size_class, ''),
               (g.created_at AT TIME ZONE 'Asia/Shanghai')::date, g.status,
               EXISTS (SELECT 1 FROM notices n WHERE n.grant_id = g.id AND n.kind = 'grant' OFFSET 0),
               sum(g.sign), sum(g.sign * g.amount)
        FROM (SELECT o.id, o.policy_id, o.uscc, o.created_at, o.status, o.amount, -1 AS sign
              FROM old_grants o
              UNION ALL
              SELECT n.id, n.policy_id, n.uscc, n.created_at, n.status, n.amount, 1
              FROM new_grants n) g
        LEFT JOIN firms f ON f.uscc = g.uscc
        GROUP BY 1, 2, 3, 4, 5, 6
        HAVING sum(g.sign) <> 0 OR sum(g.sign * g.amount) <> 0
        ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT ON CONSTRAINT cockpit_grants_pkey DO UPDATE
            SET grants = r.grants + EXCLUDED.grants, amount = r.amount + EXCLUDED.amount;
    ELSE
        INSERT INTO cockpit_grants AS r
        SELECT g.policy_id, coalesce(f.region_code, ''), coalesce(f.size_class, ''),
               (g.created_at AT TIME ZONE 'Asia/Shanghai')::date, g.status,
               EXISTS (SELECT 1 FROM notices n WHERE n.grant_id = g.id AND n.kind = 'grant' OFFSET 0),
               sum(g.sign), sum(g.sign * g.amount)
        FROM (SELECT o.id, o.policy_id, o.uscc, o.created_at, o.status, o.amount, -1 AS sign
              FROM old_grants o) g
        LEFT JOIN firms f ON f.uscc = g.uscc
        GROUP BY 1, 2, 3, 4, 5, 6
        HAVING sum(g.sign) <> 0 OR sum(g.sign * g.amount) <> 0
        ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT ON CONSTRAINT cockpit_grants_pkey DO UPDATE
            SET grants = r.grants + EXCLUDED.grants, amount = r.amount + EXCLUDED.amount;
    END IF;
    RETURN NULL;
END $$;

-- A new (or deleted) grant notice moves its grant between notified and not.
CREATE FUNCTION cockpit_notices_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
    ids bigint[];
    flag boolean := TG_OP = 'INSERT';
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(grant_id ORDER BY grant_id) INTO ids FROM new_notices WHERE kind = 'grant';
    ELSE
        SELECT array_agg(grant_id ORDER BY grant_id) INTO ids FROM old_notices WHERE kind = 'grant';
    END IF;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(hashtext('mianshen.cockpit.rollup'));
    -- Grants this transaction wrote (the night's, notified in the same page) are seen by
    -- no other transaction yet: only the others need the lock.
    PERFORM 1 FROM grants WHERE id = ANY (ids) AND xmin <> pg_current_xact_id()::xid
    ORDER BY id FOR SHARE;
    INSERT INTO cockpit_grants AS r
    SELECT g.policy_id, coalesce(f.region_code, ''), coalesce(f.size_class, ''),
           (g.created_at AT TIME ZONE 'Asia/Shanghai')::date, g.status, s.notified,
           sum(s.sign), sum(s.sign * g.amount)
    FROM grants g
    CROSS JOIN LATERAL (VALUES (NOT flag, -1), (flag, 1)) AS s(notified, sign)
    LEFT JOIN firms f ON f.uscc = g.uscc
    WHERE g.id = ANY (ids)
    GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ON CONSTRAINT cockpit_grants_pkey DO UPDATE
        SET grants = r.grants + EXCLUDED.grants, amount = r.amount + EXCLUDED.amount;
    RETURN NULL;
END $$;

CREATE FUNCTION cockpit_deliveries_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('mianshen.cockpit.rollup'));
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cockpit_deliveries AS r
        SELECT n.policy_id, coalesce(f.region_code, ''),
               (n.created_at AT TIME ZONE 'Asia/Shanghai')::date, d.channel,
               CASE WHEN d.status <> 'pending' THEN d.status
                    WHEN d.attempts = 0 THEN 'queued' ELSE 'failing' END,
               count(*)
        FROM new_deliveries d JOIN notices n ON n.id = d.notice_id
        LEFT JOIN firms f ON f.uscc = n.uscc
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ON CONSTRAINT cockpit_deliveries_pkey DO UPDATE
            SET deliveries = r.deliveries + EXCLUDED.deliveries;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO cockpit_deliveries AS r
        SELECT n.policy_id, coalesce(f.region_code, ''),
               (n.created_at AT TIME ZONE 'Asia/Shanghai')::date, d.channel,
               CASE WHEN d.status <> 'pending' THEN d.status
                    WHEN d.attempts = 0 THEN 'queued' ELSE 'failing' END,
               sum(d.sign)
        FROM (SELECT o.notice_id, o.channel, o.status, o.attempts, -1 AS sign FROM old_deliveries o
              UNION ALL
              SELECT w.notice_id, w.channel, w.status, w.attempts, 1 FROM new_deliveries w) d
        JOIN notices n ON n.id = d.notice_id
        LEFT JOIN firms f ON f.uscc = n.uscc
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.sign) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ON CONSTRAINT cockpit_deliveries_pkey DO UPDATE
            SET deliveries = r.deliveries + EXCLUDED.deliveries;
    ELSE
        INSERT INTO cockpit_deliveries AS r
        SELECT n.policy_id, coalesce(f.region_code, ''),
               (n.created_at AT TIME ZONE 'Asia/Shanghai')::date, d.channel,
               CASE WHEN d.status <> 'pending' THEN d.status
                    WHEN d.attempts = 0 THEN 'queued' ELSE 'failing' END,
               sum(d.sign)
        FROM (SELECT o.notice_id, o.channel, o.status, o.attempts, -1 AS sign FROM old_deliveries o) d
        JOIN notices n ON n.id = d.notice_id
        LEFT JOIN firms f ON f.uscc = n.uscc
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.sign) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ON CONSTRAINT cockpit_deliveries_pkey DO UPDATE
            SET deliveries = r.deliveries + EXCLUDED.deliveries;
    END IF;
    RETURN NULL;
END $$;

-- Adds (sign +1) or removes (-1) settled payments of grants to the time-to-cash rollup.
-- Payments change a few at a time (a treasury round), so arrays carry them.
CREATE FUNCTION cockpit_cash_add(grant_ids bigint[], settled timestamptz[], signs int[])
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
    INSERT INTO cockpit_cash AS r
    SELECT g.policy_id, coalesce(f.region_code, ''),
           (g.created_at AT TIME ZONE 'Asia/Shanghai')::date,
           extract(epoch FROM p.settled_at - g.created_at)::bigint, sum(p.sign)
    FROM unnest(grant_ids, settled, signs) AS p(grant_id, settled_at, sign)
    JOIN grants g ON g.id = p.grant_id
    LEFT JOIN firms f ON f.uscc = g.uscc
    GROUP BY 1, 2, 3, 4 HAVING sum(p.sign) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT ON CONSTRAINT cockpit_cash_pkey DO UPDATE SET paid = r.paid + EXCLUDED.paid
$$;
REVOKE EXECUTE ON FUNCTION cockpit_cash_add(bigint[], timestamptz[], int[]) FROM PUBLIC;

CREATE FUNCTION cockpit_payments_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('mianshen.cockpit.rollup'));
    IF TG_OP = 'INSERT' THEN
        PERFORM cockpit_cash_add(array_agg(w.grant_id), array_agg(w.settled_at), array_agg(1))
        FROM new_payments w WHERE w.status = 'paid' AND w.settled_at IS NOT NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM cockpit_cash_add(array_agg(p.grant_id), array_agg(p.settled_at), array_agg(p.sign))
        FROM (SELECT o.grant_id, o.settled_at, -1 AS sign FROM old_payments o
              WHERE o.status = 'paid' AND o.settled_at IS NOT NULL
              UNION ALL
              SELECT w.grant_id, w.settled_at, 1 FROM new_payments w
              WHERE w.status = 'paid' AND w.settled_at IS NOT NULL) p;
    ELSE
        PERFORM cockpit_cash_add(array_agg(o.grant_id), array_agg(o.settled_at), array_agg(-1))
        FROM old_payments o WHERE o.status = 'paid' AND o.settled_at IS NOT NULL;
    END IF;
    RETURN NULL;
END $$;

-- A firm's region or size class changed (or the firm row appeared or went): its grants,
-- deliveries and payments move from the old key to the new one, under the exclusive lock.
CREATE FUNCTION cockpit_firms_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    usccs text[];
    r0 text[];
    s0 text[];
    r1 text[];
    s1 text[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(o.uscc ORDER BY o.uscc),
               array_agg(coalesce(o.region_code, '') ORDER BY o.uscc),
               array_agg(coalesce(o.size_class, '') ORDER BY o.uscc),
               array_agg(coalesce(n.region_code, '') ORDER BY o.uscc),
               array_agg(coalesce(n.size_class, '') ORDER BY o.uscc)
        INTO usccs, r0, s0, r1, s1
        FROM old_firms o JOIN new_firms n ON n.uscc = o.uscc
        WHERE (o.region_code, o.size_class) IS DISTINCT FROM (n.region_code, n.size_class);
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.uscc ORDER BY n.uscc), array_agg(''::text ORDER BY n.uscc),
               array_agg(''::text ORDER BY n.uscc),
               array_agg(coalesce(n.region_code, '') ORDER BY n.uscc),
               array_agg(coalesce(n.size_class, '') ORDER BY n.uscc)
        INTO usccs, r0, s0, r1, s1
        FROM new_firms n
        WHERE (n.region_code IS NOT NULL OR n.size_class IS NOT NULL)
          AND (EXISTS (SELECT 1 FROM grants g WHERE g.uscc = n.uscc OFFSET 0)
               OR EXISTS (SELECT 1 FROM notices x WHERE x.uscc = n.uscc OFFSET 0));
    ELSE
        SELECT array_agg(o.uscc ORDER BY o.uscc),
               array_agg(coalesce(o.region_code, '') ORDER BY o.uscc),
               array_agg(coalesce(o.size_class, '') ORDER BY o.uscc),
               array_agg(''::text ORDER BY o.uscc), array_agg(''::text ORDER BY o.uscc)
        INTO usccs, r0, s0, r1, s1
        FROM old_firms o
        WHERE (o.region_code IS NOT NULL OR o.size_class IS NOT NULL);
    END IF;
    IF usccs IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('mianshen.cockpit.rollup'));
    -- (The firm's new row is this transaction's, so every query below sees it.)
    INSERT INTO cockpit_grants AS r
    SELECT g.policy_id, s.region, s.size, (g.created_at AT TIME ZONE 'Asia/Shanghai')::date,
           g.status,
           EXISTS (SELECT 1 FROM notices n WHERE n.grant_id = g.id AND n.kind = 'grant' OFFSET 0),
           sum(s.sign), sum(s.sign * g.amount)
    FROM unnest(usccs, r0, s0, r1, s1) AS m(uscc, r0, s0, r1, s1)
    CROSS JOIN LATERAL (SELECT * FROM grants x WHERE x.uscc = m.uscc OFFSET 0) g
    CROSS JOIN LATERAL (VALUES (m.r0, m.s0, -1), (m.r1, m.s1, 1)) AS s(region, size, sign)
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(s.sign) <> 0 OR sum(s.sign * g.amount) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ON CONSTRAINT cockpit_grants_pkey DO UPDATE
        SET grants = r.grants + EXCLUDED.grants, amount = r.amount + EXCLUDED.amount;
    INSERT INTO cockpit_deliveries AS r
    SELECT n.policy_id, s.region, (n.created_at AT TIME ZONE 'Asia/Shanghai')::date, d.channel,
           CASE WHEN d.status <> 'pending' THEN d.status
                WHEN d.attempts = 0 THEN 'queued' ELSE 'failing' END,
           sum(s.sign)
    FROM unnest(usccs, r0, r1) AS m(uscc, r0, r1)
    CROSS JOIN LATERAL (SELECT * FROM notices x WHERE x.uscc = m.uscc OFFSET 0) n
    CROSS JOIN LATERAL (SELECT * FROM notice_deliveries x WHERE x.notice_id = n.id OFFSET 0) d
    CROSS JOIN LATERAL (VALUES (m.r0, -1), (m.r1, 1)) AS s(region, sign)
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(s.sign) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ON CONSTRAINT cockpit_deliveries_pkey DO UPDATE
        SET deliveries = r.deliveries + EXCLUDED.deliveries;
    INSERT INTO cockpit_cash AS r
    SELECT g.policy_id, s.region, (g.created_at AT TIME ZONE 'Asia/Shanghai')::date,
           extract(epoch FROM p.settled_at - g.created_at)::bigint, sum(s.sign)
    FROM unnest(usccs, r0, r1) AS m(uscc, r0, r1)
    CROSS JOIN LATERAL (SELECT * FROM grants x WHERE x.uscc = m.uscc OFFSET 0) g
    CROSS JOIN LATERAL (SELECT * FROM payment_instructions x WHERE x.grant_id = g.id
                        AND x.status = 'paid' AND x.settled_at IS NOT NULL OFFSET 0) p
    CROSS JOIN LATERAL (VALUES (m.r0, -1), (m.r1, 1)) AS s(region, sign)
    GROUP BY 1, 2, 3, 4 HAVING sum(s.sign) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT ON CONSTRAINT cockpit_cash_pkey DO UPDATE SET paid = r.paid + EXCLUDED.paid;
    RETURN NULL;
END $$;

CREATE TRIGGER cockpit_grants_inserted AFTER INSERT ON grants
    REFERENCING NEW TABLE AS new_grants
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_grants_changed();
CREATE TRIGGER cockpit_grants_updated AFTER UPDATE ON grants
    REFERENCING OLD TABLE AS old_grants NEW TABLE AS new_grants
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_grants_changed();
CREATE TRIGGER cockpit_grants_deleted AFTER DELETE ON grants
    REFERENCING OLD TABLE AS old_grants
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_grants_changed();

CREATE TRIGGER cockpit_notices_inserted AFTER INSERT ON notices
    REFERENCING NEW TABLE AS new_notices
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_notices_changed();
CREATE TRIGGER cockpit_notices_deleted AFTER DELETE ON notices
    REFERENCING OLD TABLE AS old_notices
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_notices_changed();

CREATE TRIGGER cockpit_deliveries_inserted AFTER INSERT ON notice_deliveries
    REFERENCING NEW TABLE AS new_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_deliveries_changed();
CREATE TRIGGER cockpit_deliveries_updated AFTER UPDATE ON notice_deliveries
    REFERENCING OLD TABLE AS old_deliveries NEW TABLE AS new_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_deliveries_changed();
CREATE TRIGGER cockpit_deliveries_deleted AFTER DELETE ON notice_deliveries
    REFERENCING OLD TABLE AS old_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_deliveries_changed();

CREATE TRIGGER cockpit_payments_inserted AFTER INSERT ON payment_instructions
    REFERENCING NEW TABLE AS new_payments
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_payments_changed();
CREATE TRIGGER cockpit_payments_updated AFTER UPDATE ON payment_instructions
    REFERENCING OLD TABLE AS old_payments NEW TABLE AS new_payments
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_payments_changed();
CREATE TRIGGER cockpit_payments_deleted AFTER DELETE ON payment_instructions
    REFERENCING OLD TABLE AS old_payments
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_payments_changed();

CREATE TRIGGER cockpit_firms_inserted AFTER INSERT ON firms
    REFERENCING NEW TABLE AS new_firms
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_firms_changed();
CREATE TRIGGER cockpit_firms_updated AFTER UPDATE ON firms
    REFERENCING OLD TABLE AS old_firms NEW TABLE AS new_firms
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_firms_changed();
CREATE TRIGGER cockpit_firms_deleted AFTER DELETE ON firms
    REFERENCING OLD TABLE AS old_firms
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit_firms_changed();

-- The backfill, in the migration's transaction (the triggers above already follow any
-- write after it).
INSERT INTO cockpit_grants
SELECT g.policy_id, coalesce(f.region_code, ''), coalesce(f.size_class, ''),
       (g.created_at AT TIME ZONE 'Asia/Shanghai')::date, g.status,
       EXISTS (SELECT 1 FROM notices n WHERE n.grant_id = g.id AND n.kind = 'grant'),
       count(*), sum(g.amount)
FROM grants g LEFT JOIN firms f ON f.uscc = g.uscc
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO cockpit_deliveries
SELECT n.policy_id, coalesce(f.region_code, ''),
       (n.created_at AT TIME ZONE 'Asia/Shanghai')::date, d.channel,
       CASE WHEN d.status <> 'pending' THEN d.status
            WHEN d.attempts = 0 THEN 'queued' ELSE 'failing' END,
       count(*)
FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id
LEFT JOIN firms f ON f.uscc = n.uscc
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO cockpit_cash
SELECT g.policy_id, coalesce(f.region_code, ''),
       (g.created_at AT TIME ZONE 'Asia/Shanghai')::date,
       extract(epoch FROM p.settled_at - g.created_at)::bigint, count(*)
FROM payment_instructions p JOIN grants g ON g.id = p.grant_id
LEFT JOIN firms f ON f.uscc = g.uscc
WHERE p.status = 'paid' AND p.settled_at IS NOT NULL
GROUP BY 1, 2, 3, 4;
