//! Fixtures for the finance and reviewer pages: a published policy with a budget and a
//! 7-day 公示, firms with payee accounts, and grants moved through the grant's steps to
//! where a reviewer or a maker finds them (as the review and 公示 would move them).

use mianshen::accounts::User;
use mianshen::grants::steps::{self, Actor, GrantStatus};
use rust_decimal::Decimal;

use crate::helpers::TestApp;

pub const POLICY: &str = "test-money-policy";
pub const POLICY_TITLE: &str = "青岛市测试奖励";

/// The registered name of firm `n`.
pub fn firm_name(n: usize) -> String {
    format!("青岛万嘉{n}电子科技有限公司")
}

/// Publishes the policy (budget 1,000,000.00 元, 公示 7 days).
pub async fn publish_policy(app: &TestApp) {
    sqlx::query(
        "INSERT INTO policy_versions (policy_id, version_hash, title, mode, meta, files, author,
                                      status, published_by, published_at)
         VALUES ($1, 'h-1', $2, '免申即享',
                 jsonb_build_object('budget', '1000000.00', 'notice_days', 7,
                                    'issuer', '青岛市科学技术局', 'source', '青科规〔2026〕1号'),
                 '{}', 'author1', 'published', 'reviewer1', now())",
    )
    .bind(POLICY)
    .bind(POLICY_TITLE)
    .execute(&app.db.pool)
    .await
    .unwrap();
}

/// One firm per amount (numbered from `first`), each with a payee account and a 免申即享
/// grant at `created`; returns the grant ids.
pub async fn created_grants(app: &TestApp, first: usize, amounts: &[Decimal]) -> Vec<i64> {
    let mut ids = Vec::new();
    for (i, amount) in amounts.iter().enumerate() {
        let n = first + i;
        let uscc = format!("9137021200{n:08}");
        sqlx::query("INSERT INTO firms (uscc, name) VALUES ($1, $2)")
            .bind(&uscc)
            .bind(firm_name(n))
            .execute(&app.db.pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO payee_accounts (uscc, account_name, account_number, bank, updated_by)
             VALUES ($1, $2, '62220202' || lpad($3::text, 8, '0'), '中国工商银行青岛分行', 'test')",
        )
        .bind(&uscc)
        .bind(firm_name(n))
        .bind(i32::try_from(n).unwrap())
        .execute(&app.db.pool)
        .await
        .unwrap();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id)
             VALUES ($1, (SELECT id FROM policy_versions WHERE policy_id = $1), $2, '2026', $3, '免申即享', 0, 0)
             RETURNING id",
        )
        .bind(POLICY)
        .bind(&uscc)
        .bind(amount)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        ids.push(id);
    }
    ids
}

/// Grants ready for a batch: created, reviewed by `reviewer`, 公示 over.
pub async fn ready_grants(
    app: &TestApp,
    reviewer: &User,
    first: usize,
    amounts: &[Decimal],
) -> Vec<i64> {
    let ids = created_grants(app, first, amounts).await;
    let mut tx = app.app_pool.begin().await.unwrap();
    steps::advance(
        &mut tx,
        &ids,
        GrantStatus::Created,
        GrantStatus::Reviewed,
        &Actor::user(reviewer),
        "审核通过",
    )
    .await
    .unwrap();
    steps::advance(
        &mut tx,
        &ids,
        GrantStatus::Reviewed,
        GrantStatus::Ready,
        &Actor::System("test"),
        "公示期满",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    ids
}

/// The status of each grant, in the order given.
pub async fn statuses(app: &TestApp, ids: &[i64]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        out.push(
            sqlx::query_scalar("SELECT status FROM grants WHERE id = $1")
                .bind(id)
                .fetch_one(&app.db.pool)
                .await
                .unwrap(),
        );
    }
    out
}
