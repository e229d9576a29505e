//! Shared by the disbursement tests: a fresh database with finance staff, a reviewer, a
//! published test policy, firms with payee accounts and `ready` grants (moved there through
//! the grant's steps, as the review would), a sandbox treasury on loopback, and the
//! ledger check.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use mianshen::accounts::{self, NewUser, Role, User};
use mianshen::app::Application;
use mianshen::audit::Actor;
use mianshen::config::{Secret, Settings};
use mianshen::db::{self, MIGRATOR, TestDatabase};
use mianshen::disbursement::batches::{self, NewBatch};
use mianshen::disbursement::ledger;
use mianshen::grants::steps::{self, Actor as StepActor, GrantStatus};
use mianshen::sandbox::treasury::TreasuryBehaviour;
use rust_decimal::Decimal;
use sqlx::PgPool;
use tokio::sync::oneshot;

#[path = "../treasury_support/mod.rs"]
mod treasury_support;
#[allow(unused_imports)] // each test binary uses a different part
pub use treasury_support::{SECRET, TOKEN, Treasury, settings};

pub const PASSWORD: &str = "test-password-123";
pub const POLICY: &str = "test-money-policy";
pub const OTHER_POLICY: &str = "test-other-policy";
pub const YEAR: i32 = 2026;

/// A database with people, a policy and firms.
pub struct World {
    pub db: TestDatabase,
    /// The application role's pool (what the service uses).
    pub pool: PgPool,
    pub reviewer: User,
    pub maker: User,
    pub checker: User,
    pub checker2: User,
    next_firm: std::sync::atomic::AtomicU32,
}

/// A valid USCC numbered `n`.
pub fn uscc(n: u32) -> String {
    format!("9137021200{n:08}")
}

/// The registered name of firm `n`.
pub fn firm_name(n: u32) -> String {
    format!("青岛测试{n}科技有限公司")
}

impl World {
    pub async fn new() -> World {
        Self::with_pool_size(10).await
    }

    pub async fn with_pool_size(connections: u32) -> World {
        let db = db::fresh_database(&MIGRATOR).await.unwrap();
        let pool = db::app_pool(db.url(), connections).await.unwrap();
        let user = |name: &str, role| {
            let pool = pool.clone();
            let new = NewUser::parse(name, name, role, None, PASSWORD).unwrap();
            async move {
                accounts::create_user_audited(&pool, &new, Actor::System("test"))
                    .await
                    .unwrap()
            }
        };
        let reviewer = user("reviewer1", Role::Reviewer).await;
        let maker = user("maker1", Role::FinanceMaker).await;
        let checker = user("checker1", Role::FinanceChecker).await;
        let checker2 = user("checker2", Role::FinanceChecker).await;
        for (policy, budget) in [(POLICY, "1000000.00"), (OTHER_POLICY, "1000000.00")] {
            sqlx::query(
                "INSERT INTO policy_versions (policy_id, version_hash, title, mode, meta, files, author,
                                              status, published_by, published_at)
                 VALUES ($1, 'h-' || $1, '青岛市测试奖励', '免申即享',
                         jsonb_build_object('budget', $2::text, 'source', '青科规〔2026〕1号', 'notice_days', 0),
                         '{}', 'author1', 'published', 'reviewer1', now())",
            )
            .bind(policy)
            .bind(budget)
            .execute(&db.pool)
            .await
            .unwrap();
        }
        World {
            db,
            pool,
            reviewer,
            maker,
            checker,
            checker2,
            next_firm: std::sync::atomic::AtomicU32::new(1),
        }
    }

    /// `count` firms, each with a payee account and one ready grant of `amount` under
    /// `policy`; returns the grant ids.
    pub async fn ready_grants(&self, policy: &str, count: u32, amount: Decimal) -> Vec<i64> {
        let first = self
            .next_firm
            .fetch_add(count, std::sync::atomic::Ordering::SeqCst);
        let numbers: Vec<i32> = (first..first + count)
            .map(|n| i32::try_from(n).unwrap())
            .collect();
        sqlx::query(
            "INSERT INTO firms (uscc, name) SELECT '9137021200' || lpad(n::text, 8, '0'), '青岛测试' || n || '科技有限公司'
             FROM UNNEST($1::int[]) AS n ON CONFLICT DO NOTHING",
        )
        .bind(&numbers)
        .execute(&self.db.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO payee_accounts (uscc, account_name, account_number, bank, updated_by)
             SELECT '9137021200' || lpad(n::text, 8, '0'), '青岛测试' || n || '科技有限公司',
                    '62220202' || lpad(n::text, 8, '0'), '中国工商银行青岛分行', 'test'
             FROM UNNEST($1::int[]) AS n ON CONFLICT DO NOTHING",
        )
        .bind(&numbers)
        .execute(&self.db.pool)
        .await
        .unwrap();
        let ids: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id)
             SELECT $2, (SELECT id FROM policy_versions WHERE policy_id = $2),
                    '9137021200' || lpad(n::text, 8, '0'), '2026', $3, '免申即享', 0, 0
             FROM UNNEST($1::int[]) AS n RETURNING id",
        )
        .bind(&numbers)
        .bind(policy)
        .bind(amount)
        .fetch_all(&self.db.pool)
        .await
        .unwrap();
        let mut tx = self.pool.begin().await.unwrap();
        let reviewer = StepActor::user(&self.reviewer);
        steps::advance(
            &mut tx,
            &ids,
            GrantStatus::Created,
            GrantStatus::Reviewed,
            &reviewer,
            "审核通过",
        )
        .await
        .unwrap();
        steps::advance(
            &mut tx,
            &ids,
            GrantStatus::Reviewed,
            GrantStatus::Ready,
            &StepActor::System("test"),
            "公示期满",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        ids
    }

    /// A batch of exactly `grants`, made by the maker.
    pub async fn batch(&self, policy: &str, grants: &[i64]) -> i64 {
        let mut tx = self.pool.begin().await.unwrap();
        let request = NewBatch {
            policy_id: policy.into(),
            budget_year: Some(YEAR),
            grant_ids: Some(grants.to_vec()),
            ..NewBatch::default()
        };
        let batch = batches::create(&mut tx, &self.maker, &request)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        batch.id
    }

    /// Approves a batch as the first checker.
    pub async fn approve(&self, batch_id: i64) -> Result<batches::Approved, batches::BatchError> {
        batches::prepare_budget(&self.pool, batch_id).await?;
        let mut tx = self.pool.begin().await?;
        let approved = batches::approve(&mut tx, &self.checker, batch_id, "").await?;
        tx.commit().await?;
        Ok(approved)
    }

    /// Sets a budget's total directly (tests of its limit).
    pub async fn set_budget(&self, policy: &str, total: Decimal) {
        let mut tx = self.pool.begin().await.unwrap();
        mianshen::disbursement::budgets::raise(
            &mut tx,
            policy,
            YEAR,
            total,
            &Actor::System("test"),
            "测试预算",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    /// Counts rows of a query returning one bigint.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// The status of each grant, in id order.
    pub async fn statuses(&self, ids: &[i64]) -> Vec<String> {
        sqlx::query_scalar("SELECT status FROM grants WHERE id = ANY($1) ORDER BY id")
            .bind(ids)
            .fetch_all(&self.db.pool)
            .await
            .unwrap()
    }

    /// Asserts the ledger verifies.
    pub async fn assert_ledger_ok(&self) {
        let mut conn = self.pool.acquire().await.unwrap();
        let report = ledger::verify(&mut conn).await.unwrap();
        assert!(report.is_ok(), "{report}");
    }
}

/// Quick settlement, no duplicate or late callbacks, a tenth returned, no callback URL.
pub fn behaviour() -> TreasuryBehaviour {
    TreasuryBehaviour {
        settle_after: Duration::from_millis(30),
        ..treasury_support::behaviour()
    }
}

/// A running sandbox treasury on loopback, our client waiting 5 s at most.
pub async fn spawn_treasury(behaviour: TreasuryBehaviour) -> Treasury {
    treasury_support::spawn_with_timeout(behaviour, 5).await
}

/// Sends every pending instruction and polls until none is pending or sent (20 s at most).
pub async fn send_until_settled(world: &World, treasury: &Treasury) {
    use mianshen::disbursement::{callbacks, sending};
    for _ in 0..200 {
        sending::send_pending(&world.pool, &treasury.client, 1000)
            .await
            .unwrap();
        callbacks::apply_events(&world.pool, 5000).await.unwrap();
        sending::poll_unsettled(&world.pool, &treasury.client, Duration::ZERO, 5000, 8)
            .await
            .unwrap();
        let open = world
            .count("SELECT count(*) FROM payment_instructions WHERE status IN ('pending', 'sent')")
            .await;
        if open == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("instructions still unsettled after 20 s");
}

/// The service on port 0 over the world's database, talking to `treasury_url`.
pub struct Service {
    pub address: String,
    _stop: oneshot::Sender<()>,
}

pub async fn spawn_service(world: &World, treasury_url: &str) -> Service {
    let mut settings = Settings::default();
    settings.database.url = Some(Secret::new(world.db.url().to_owned()));
    settings.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    settings.treasury = self::settings(treasury_url, 5);
    let app = Application::build(settings, world.pool.clone())
        .await
        .unwrap();
    let address = format!("http://{}", app.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    Service {
        address,
        _stop: stop,
    }
}

/// A bearer token of `user`, written straight into the table.
pub async fn token(world: &World, user: &User) -> String {
    use sha2::Digest as _;
    let token = format!("msk_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query("INSERT INTO api_tokens (user_id, label, token_hash) VALUES ($1, 'test', $2)")
        .bind(user.id)
        .bind(sha2::Sha256::digest(token.as_bytes()).to_vec())
        .execute(&world.db.pool)
        .await
        .unwrap();
    token
}
