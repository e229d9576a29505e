//! Shared by the `matching_*` tests: a database with synthetic profiles (the sandbox's
//! generator) and the sample policies loaded by one author and published by another.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::NaiveDate;
use mianshen::db::{MIGRATOR, TestDatabase, app_pool, fresh_database};
use mianshen::sandbox::synth::{Population, firm};
use mianshen::sandbox::write_profile;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// The matching date of the tests: inside every sample policy's window.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

/// A fresh database with `n` synthetic firms (profile, snapshot, registry row) and the app pool.
pub async fn database_with_firms(n: u64) -> (TestDatabase, PgPool) {
    let db = fresh_database(&MIGRATOR).await.unwrap();
    insert_firms(&db.pool, n).await;
    let pool = app_pool(db.url(), 8).await.unwrap();
    (db, pool)
}

/// Writes `n` synthetic firms (seed 7) with the owner's pool `owner`.
pub async fn insert_firms(owner: &PgPool, n: u64) {
    let population = Population { firms: n };
    for index in 0..n {
        let f = firm(7, population, index, 0);
        let mut text = String::new();
        write_profile(&mut text, &f, None);
        let doc: Value = serde_json::from_str(&text).unwrap();
        insert_profile(owner, &f.uscc, &f.name, &doc).await;
    }
}

/// Writes a profile and its snapshot as ingest would (changed now).
pub async fn insert_profile(owner: &PgPool, uscc: &str, name: &str, doc: &Value) {
    let hash = Sha256::digest(doc.to_string().as_bytes()).to_vec();
    sqlx::query(
        "WITH s AS (INSERT INTO profile_snapshots (uscc, doc, provenance, content_hash)
                    VALUES ($1, $2, '{}', $3) RETURNING id)
         INSERT INTO profiles (uscc, snapshot_id, content_hash) SELECT $1, id, $3 FROM s
         ON CONFLICT (uscc) DO UPDATE
             SET snapshot_id = EXCLUDED.snapshot_id, content_hash = $3, changed_at = now()",
    )
    .bind(uscc)
    .bind(doc)
    .bind(&hash)
    .execute(owner)
    .await
    .unwrap();
    sqlx::query("INSERT INTO firms (uscc, name) VALUES ($1, $2) ON CONFLICT (uscc) DO NOTHING")
        .bind(uscc)
        .bind(name)
        .execute(owner)
        .await
        .unwrap();
}

/// Loads `rules/` as `alice` (author) and publishes every version as `bob` (reviewer).
pub async fn publish_all(pool: &PgPool) -> Vec<i64> {
    let loaded = mianshen::policies::load_versions(pool, std::path::Path::new("rules"), "alice")
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (id, _, _) in loaded {
        mianshen::policies::publish(pool, id, "bob").await.unwrap();
        ids.push(id);
    }
    ids
}

/// Everything matching leaves behind that must not depend on workers or timing, as text rows.
pub async fn state_of(pool: &PgPool) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar::<_, String>(
        "SELECT 'result ' || v.policy_id || ' ' || r.uscc || ' ' || r.eligible || ' ' || r.amount
                || ' ' || r.reasons::text || ' ' || r.items::text || ' ' || r.failed
         FROM match_results r JOIN policy_versions v ON v.id = r.policy_version_id
         UNION ALL SELECT 'grant ' || policy_id || ' ' || uscc || ' ' || period_key || ' ' || amount
                || ' ' || provisional || ' ' || status FROM grants
         UNION ALL SELECT 'person ' || p.policy_id || ' ' || p.person || ' ' || g.uscc
         FROM granted_persons p JOIN grants g ON g.id = p.grant_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.sort();
    rows
}

/// Grants per (policy, firm, period key): the count of the most duplicated one.
pub async fn max_grants_per_key(pool: &PgPool) -> i64 {
    sqlx::query_scalar::<_, Option<i64>>(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM grants GROUP BY policy_id, uscc, period_key) t",
    )
    .fetch_one(pool)
    .await
    .unwrap()
    .unwrap_or(0)
}
