//! The cockpit's rollups (migration 0061) against the base tables: after the seed, after
//! steps (`grants::steps::advance`), notices, deliveries, payments, a firm that moves
//! district, late firm rows and deletes, and after transactions that race on the same
//! rows, every rollup equals the same aggregate computed here straight from `grants`,
//! `notices`, `notice_deliveries`, `payment_instructions` and `firms`.

use std::time::Duration;

use mianshen::accounts::Role;
use mianshen::grants::steps::{Actor, GrantStatus, advance};
use sqlx::PgPool;

use crate::cockpit_support::{seed, uscc};
use crate::helpers::{TestApp, spawn_app};

/// Each rollup's non-empty rows and the same groups aggregated from the base tables, each
/// row as its text.
const PAIRS: [(&str, &str, &str); 3] = [
    (
        "grants",
        "SELECT t::text FROM (
             SELECT g.policy_id, coalesce(f.region_code, ''), coalesce(f.size_class, ''),
                    (g.created_at AT TIME ZONE 'Asia/Shanghai')::date, g.status,
                    n.id IS NOT NULL, count(*), sum(g.amount)::numeric(20, 2)
             FROM grants g LEFT JOIN firms f ON f.uscc = g.uscc
             LEFT JOIN notices n ON n.grant_id = g.id AND n.kind = 'grant'
             GROUP BY 1, 2, 3, 4, 5, 6) t
         ORDER BY 1",
        "SELECT t::text FROM (
             SELECT policy_id, region_code, size_class, day, status, notified, grants,
                    amount::numeric(20, 2)
             FROM cockpit_grants WHERE grants <> 0 OR amount <> 0) t
         ORDER BY 1",
    ),
    (
        "deliveries",
        "SELECT t::text FROM (
             SELECT n.policy_id, coalesce(f.region_code, ''),
                    (n.created_at AT TIME ZONE 'Asia/Shanghai')::date, d.channel,
                    CASE WHEN d.status = 'pending' AND d.attempts = 0 THEN 'queued'
                         WHEN d.status = 'pending' THEN 'failing' ELSE d.status END, count(*)
             FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id
             LEFT JOIN firms f ON f.uscc = n.uscc
             GROUP BY 1, 2, 3, 4, 5) t
         ORDER BY 1",
        "SELECT t::text FROM (
             SELECT policy_id, region_code, day, channel, state, deliveries
             FROM cockpit_deliveries WHERE deliveries <> 0) t
         ORDER BY 1",
    ),
    (
        "cash",
        "SELECT t::text FROM (
             SELECT g.policy_id, coalesce(f.region_code, ''),
                    (g.created_at AT TIME ZONE 'Asia/Shanghai')::date,
                    round(extract(epoch FROM p.settled_at - g.created_at)), count(*)
             FROM payment_instructions p JOIN grants g ON g.id = p.grant_id
             LEFT JOIN firms f ON f.uscc = g.uscc
             WHERE p.status = 'paid' AND p.settled_at IS NOT NULL
             GROUP BY 1, 2, 3, 4) t
         ORDER BY 1",
        "SELECT t::text FROM (
             SELECT policy_id, region_code, day, delay_secs, paid
             FROM cockpit_cash WHERE paid <> 0) t
         ORDER BY 1",
    ),
];

async fn assert_rollups_agree(pool: &PgPool, after: &str) {
    for (name, direct, rollup) in PAIRS {
        let want: Vec<String> = sqlx::query_scalar(direct).fetch_all(pool).await.unwrap();
        let got: Vec<String> = sqlx::query_scalar(rollup).fetch_all(pool).await.unwrap();
        assert!(
            !want.is_empty(),
            "{name} after {after}: the check compares nothing"
        );
        assert_eq!(got, want, "{name} after {after}");
    }
}

async fn reviewer(app: &TestApp) -> Actor {
    Actor::user(&app.create_user("reviewer", Role::Reviewer, None).await)
}

async fn step(pool: &PgPool, ids: &[i64], from: GrantStatus, to: GrantStatus, who: &Actor) {
    let mut tx = pool.begin().await.unwrap();
    let moved = advance(&mut tx, ids, from, to, who, "测试").await.unwrap();
    assert_eq!(moved, ids.len() as u64, "{from} -> {to}");
    tx.commit().await.unwrap();
}

/// Grants still `created` without a grant notice, oldest first.
async fn unnotified(pool: &PgPool, n: i64) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT id FROM grants g WHERE status = 'created'
           AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.grant_id = g.id AND n.kind = 'grant')
         ORDER BY id LIMIT $1",
    )
    .bind(n)
    .fetch_all(pool)
    .await
    .unwrap()
}

const NOTICE: &str =
    "INSERT INTO notices (grant_id, uscc, policy_id, kind, title, body, amount, link)
     SELECT id, uscc, policy_id, 'grant', '通知', '正文', amount, '/my/grants/' || id
     FROM grants WHERE id = ANY($1)";

/// A grant of the policy of grant `like` for firm `firm`, period `period`.
async fn insert_grant(conn: &mut sqlx::PgConnection, like: i64, firm: &str, period: &str) {
    sqlx::query(
        "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id)
         SELECT policy_id, policy_version_id, $2, $3, 1234.56, mode, 0, 0 FROM grants WHERE id = $1",
    )
    .bind(like)
    .bind(firm)
    .bind(period)
    .execute(conn)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_rollups_follow_every_kind_of_write() {
    // Arrange
    let app = spawn_app().await;
    seed(&app.db.pool, &app.app_pool).await;
    let (owner, service) = (&app.db.pool, &app.app_pool);
    assert_rollups_agree(owner, "the seed").await;
    let who = reviewer(&app).await;
    let ids = unnotified(service, 4).await;

    // Act and assert: steps, as the service takes them.
    step(
        service,
        &ids,
        GrantStatus::Created,
        GrantStatus::Reviewed,
        &who,
    )
    .await;
    let system = Actor::System("publicity");
    step(
        service,
        &ids[..2],
        GrantStatus::Reviewed,
        GrantStatus::Publicity,
        &system,
    )
    .await;
    assert_rollups_agree(owner, "steps").await;

    // Notices and their deliveries, tried, delivered, given up.
    sqlx::query(NOTICE)
        .bind(&ids)
        .execute(service)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO notice_deliveries (notice_id, channel, target, idempotency_key)
         SELECT n.id, c, 'x', gen_random_uuid() FROM notices n, unnest('{inbox,email}'::text[]) c
         WHERE n.grant_id = ANY($1) AND n.kind = 'grant'",
    )
    .bind(&ids)
    .execute(service)
    .await
    .unwrap();
    for sql in [
        "UPDATE notice_deliveries SET attempts = attempts + 1 WHERE channel = 'email'",
        "UPDATE notice_deliveries SET status = 'delivered', attempts = attempts + 1 WHERE channel = 'inbox' AND status = 'pending'",
        "UPDATE notice_deliveries SET status = 'dead' WHERE channel = 'email' AND attempts > 0 AND id % 2 = 0",
    ] {
        sqlx::query(sql).execute(service).await.unwrap();
    }
    assert_rollups_agree(owner, "notices and deliveries").await;

    // A payment settled, then its settlement time corrected.
    sqlx::query(
        "UPDATE payment_instructions SET settled_at = settled_at + interval '90 minutes 7 seconds'
         WHERE status = 'paid' AND grant_id = (SELECT min(grant_id) FROM payment_instructions WHERE status = 'paid')",
    )
    .execute(owner)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE payment_instructions SET status = 'paid', settled_at = now() WHERE status = 'sent'",
    )
    .execute(owner)
    .await
    .unwrap();
    assert_rollups_agree(owner, "payments").await;

    // A firm moves district and changes size; a grant's firm row comes late; an amount changes.
    sqlx::query("UPDATE firms SET region_code = '370299', size_class = 'micro' WHERE uscc = $1")
        .bind(uscc(1))
        .execute(service)
        .await
        .unwrap();
    sqlx::query("UPDATE firms SET name = name || '（更名）'")
        .execute(service)
        .await
        .unwrap();
    let late = "91370500LATE000001";
    let mut conn = owner.acquire().await.unwrap();
    insert_grant(&mut conn, ids[0], late, "2026").await;
    assert_rollups_agree(owner, "a grant without a firm row").await;
    sqlx::query("INSERT INTO firms (uscc, name, region_code, size_class) VALUES ($1, '迟到企业', '370500', 'small')")
        .bind(late)
        .execute(service)
        .await
        .unwrap();
    sqlx::query("UPDATE grants SET amount = amount + 0.05 WHERE id = ANY($1)")
        .bind(&ids)
        .execute(owner)
        .await
        .unwrap();
    assert_rollups_agree(owner, "firm changes and amounts").await;

    // Deletes (the owner's; the service never deletes these rows).
    for sql in [
        "DELETE FROM notice_deliveries WHERE channel = 'sms'",
        "DELETE FROM payment_instructions WHERE status = 'returned'",
        "DELETE FROM grants WHERE uscc = '91370500LATE000001'",
        "DELETE FROM firms WHERE uscc = '91370500LATE000001'",
    ] {
        sqlx::query(sql).execute(owner).await.unwrap();
    }
    sqlx::query("DELETE FROM firms f WHERE uscc = $1")
        .bind(uscc(2))
        .execute(owner)
        .await
        .unwrap();
    assert_rollups_agree(owner, "deletes").await;

    // The service cannot write a rollup itself.
    let refused = sqlx::query("UPDATE cockpit_grants SET grants = grants + 1")
        .execute(service)
        .await;
    assert!(refused.is_err(), "the application role wrote a rollup");
}

/// Waits a moment and checks the task is still blocked (it must wait for a lock).
async fn still_waiting<T>(task: &tokio::task::JoinHandle<T>, what: &str) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !task.is_finished(),
        "{what} did not wait for the other transaction"
    );
}

#[tokio::test]
async fn racing_transactions_leave_the_rollups_exact() {
    // Arrange
    let app = spawn_app().await;
    seed(&app.db.pool, &app.app_pool).await;
    let (owner, service) = (app.db.pool.clone(), app.app_pool.clone());
    let who = reviewer(&app).await;
    let ids = unnotified(&service, 2).await;
    assert_eq!(ids.len(), 2, "the seed has grants without notices");

    // A grant notice, then a step of its grant before the notice commits.
    let mut notice = service.begin().await.unwrap();
    sqlx::query(NOTICE)
        .bind(&ids[..1])
        .execute(&mut *notice)
        .await
        .unwrap();
    let (pool, one, w) = (service.clone(), ids[0], who.clone());
    let stepping = tokio::spawn(async move {
        step(
            &pool,
            &[one],
            GrantStatus::Created,
            GrantStatus::Reviewed,
            &w,
        )
        .await;
    });
    still_waiting(&stepping, "the step").await;
    notice.commit().await.unwrap();
    stepping.await.unwrap();
    assert_rollups_agree(&owner, "a notice, then a step").await;

    // A step, then a notice of the same grant before the step commits.
    let mut stepped = service.begin().await.unwrap();
    advance(
        &mut stepped,
        &ids[1..],
        GrantStatus::Created,
        GrantStatus::Reviewed,
        &who,
        "测试",
    )
    .await
    .unwrap();
    let (pool, two) = (service.clone(), ids[1]);
    let noticing = tokio::spawn(async move {
        sqlx::query(NOTICE)
            .bind(vec![two])
            .execute(&pool)
            .await
            .unwrap();
    });
    still_waiting(&noticing, "the notice").await;
    stepped.commit().await.unwrap();
    noticing.await.unwrap();
    assert_rollups_agree(&owner, "a step, then a notice").await;

    // A firm moves district, and a grant of it is written before the move commits.
    let mut moving = service.begin().await.unwrap();
    sqlx::query("UPDATE firms SET region_code = '370298' WHERE uscc = $1")
        .bind(uscc(3))
        .execute(&mut *moving)
        .await
        .unwrap();
    let (pool, like) = (owner.clone(), ids[0]);
    let granting = tokio::spawn(async move {
        let mut conn = pool.acquire().await.unwrap();
        insert_grant(&mut conn, like, &uscc(3), "2030").await;
    });
    still_waiting(&granting, "the grant").await;
    moving.commit().await.unwrap();
    granting.await.unwrap();
    assert_rollups_agree(&owner, "a move, then a grant").await;

    // A grant is written, and its firm moves before the grant commits.
    let mut granted = owner.begin().await.unwrap();
    insert_grant(&mut granted, ids[0], &uscc(4), "2031").await;
    let pool = service.clone();
    let moving = tokio::spawn(async move {
        sqlx::query(
            "UPDATE firms SET region_code = '370297', size_class = 'large' WHERE uscc = $1",
        )
        .bind(uscc(4))
        .execute(&pool)
        .await
        .unwrap();
    });
    still_waiting(&moving, "the move").await;
    granted.commit().await.unwrap();
    moving.await.unwrap();
    assert_rollups_agree(&owner, "a grant, then a move").await;

    // Many small steps at once on grants of the same groups (the same rollup rows).
    let fresh: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id)
         SELECT policy_id, policy_version_id, uscc, 'bulk-' || n, 10.01 * n, mode, 0, 0
         FROM grants, generate_series(1, 40) n WHERE id = $1 RETURNING id",
    )
    .bind(ids[0])
    .fetch_all(&owner)
    .await
    .unwrap();
    let tasks: Vec<_> = fresh
        .chunks(5)
        .map(|chunk| {
            let (pool, chunk, w) = (service.clone(), chunk.to_vec(), who.clone());
            tokio::spawn(async move {
                for id in &chunk {
                    step(
                        &pool,
                        &[*id],
                        GrantStatus::Created,
                        GrantStatus::Reviewed,
                        &w,
                    )
                    .await;
                }
                sqlx::query(NOTICE)
                    .bind(&chunk)
                    .execute(&pool)
                    .await
                    .unwrap();
                let system = Actor::System("publicity");
                step(
                    &pool,
                    &chunk,
                    GrantStatus::Reviewed,
                    GrantStatus::Publicity,
                    &system,
                )
                .await;
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_rollups_agree(&owner, "concurrent steps").await;
}
