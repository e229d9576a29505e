//! `mianshen bench disbursement --grants N`: N grants from review to reconciled, end to
//! end and in-process but over real HTTP: review and 公示 end (the grant's steps), one
//! batch made and approved (four eyes, budget), instructions submitted to the sandbox
//! treasury, its signed callbacks received by our service, the statement fetched and
//! reconciled, and the ledger verified. Prints each step's time and rate.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use sqlx::PgPool;

use super::batches::{self, NewBatch};
use super::{budgets, callbacks, ledger, reconciliation, sending};
use crate::accounts::{self, NewUser, Role, User};
use crate::app::Application;
use crate::audit::Actor;
use crate::config::{Secret, Settings};
use crate::grants::steps::{self, Actor as StepActor, GrantStatus};
use crate::sandbox::treasury::{TreasuryBehaviour, TreasurySandbox, today};
use crate::treasury::{TreasuryClient, TreasurySettings};

const POLICY: &str = "bench-disbursement";
const TOKEN: &str = "bench-treasury-token";
const SECRET: &str = "bench-callback-secret";

/// One timed step.
#[derive(Debug, Clone)]
pub struct Step {
    /// What it did.
    pub name: &'static str,
    /// How many items it handled.
    pub items: u64,
    /// How long it took.
    pub took: Duration,
}

/// Runs the benchmark over `pool` (a fresh, migrated database); `settings` are the
/// service's (its own database URL is `database_url`). Returns the report to print.
pub async fn run(pool: &PgPool, database_url: &str, grants: u32) -> anyhow::Result<String> {
    let people = seed(pool, grants).await?;
    let ids: Vec<i64> = sqlx::query_scalar!("SELECT id FROM grants ORDER BY id")
        .fetch_all(pool)
        .await?;
    let mut steps: Vec<Step> = Vec::new();
    let start = Instant::now();
    let n = ids.len() as u64;

    let t = Instant::now();
    let mut tx = pool.begin().await?;
    steps::advance(
        &mut tx,
        &ids,
        GrantStatus::Created,
        GrantStatus::Reviewed,
        &StepActor::user(&people.reviewer),
        "审核通过",
    )
    .await?;
    steps::advance(
        &mut tx,
        &ids,
        GrantStatus::Reviewed,
        GrantStatus::Ready,
        &StepActor::System("publicity"),
        "公示期满无异议",
    )
    .await?;
    tx.commit().await?;
    steps.push(Step {
        name: "review and 公示 end (2 steps)",
        items: n,
        took: t.elapsed(),
    });

    let t = Instant::now();
    let mut tx = pool.begin().await?;
    let request = NewBatch {
        policy_id: POLICY.into(),
        budget_year: Some(batches::this_year()),
        ..NewBatch::default()
    };
    let batch = batches::create(&mut tx, &people.maker, &request).await?;
    tx.commit().await?;
    steps.push(Step {
        name: "batch made (maker)",
        items: n,
        took: t.elapsed(),
    });

    let t = Instant::now();
    batches::prepare_budget(pool, batch.id).await?;
    let mut tx = pool.begin().await?;
    batches::approve(&mut tx, &people.checker, batch.id, "同意").await?;
    tx.commit().await?;
    steps.push(Step {
        name: "batch approved (checker, budget, instructions)",
        items: n,
        took: t.elapsed(),
    });

    // Our service receives the callbacks; the sandbox treasury settles at once.
    let mut settings = Settings::default();
    settings.database.url = Some(Secret::new(database_url.to_owned()));
    settings.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    settings.treasury.callback_secret = Some(Secret::new(SECRET));
    let app = Application::build(settings, pool.clone()).await?;
    let callback_url = format!("http://{}/api/v1/treasury/callbacks", app.local_addr()?);
    let (stop_app, app_stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = app_stopped.await;
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let behaviour = TreasuryBehaviour {
        token: TOKEN.into(),
        return_permille: 10,
        settle_after: Duration::ZERO,
        callback_url: Some(callback_url),
        callback_secret: SECRET.into(),
        duplicate_permille: 20,
        late_permille: 0,
        callback_concurrency: 16,
        ..TreasuryBehaviour::default()
    };
    let sandbox = TreasurySandbox::bind(behaviour, listener);
    let base = format!("http://{}", sandbox.local_addr()?);
    let (stop_sandbox, sandbox_stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(sandbox.serve_until(async move {
        let _ = sandbox_stopped.await;
    }));
    let client = TreasuryClient::new(&TreasurySettings {
        url: base,
        token: Some(Secret::new(TOKEN)),
        timeout_secs: 60,
        ..TreasurySettings::default()
    })?;

    let t = Instant::now();
    let report = sending::send_pending(pool, &client, 1000).await?;
    anyhow::ensure!(
        report.stopped.is_none(),
        "sending stopped: {:?}",
        report.stopped
    );
    steps.push(Step {
        name: "instructions submitted over HTTP",
        items: report.submitted,
        took: t.elapsed(),
    });

    let t = Instant::now();
    loop {
        callbacks::apply_events(pool, 10_000).await?;
        let open = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM payment_instructions WHERE status IN ('pending', 'sent')"#
        )
        .fetch_one(pool)
        .await?;
        if open == 0 {
            break;
        }
        if t.elapsed() > Duration::from_secs(60) {
            // Callbacks lost: ask the treasury.
            sending::poll_unsettled(pool, &client, Duration::ZERO, 100_000, 32).await?;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    steps.push(Step {
        name: "callbacks received and applied",
        items: n,
        took: t.elapsed(),
    });

    let t = Instant::now();
    let run =
        reconciliation::reconcile_day(pool, &client, today(), &Actor::System("bench")).await?;
    steps.push(Step {
        name: "statement fetched and reconciled",
        items: run.lines as u64,
        took: t.elapsed(),
    });
    let total = start.elapsed();

    let t = Instant::now();
    let mut conn = pool.acquire().await?;
    let verified = ledger::verify(&mut conn).await?;
    drop(conn);
    let verify_took = t.elapsed();
    let _ = stop_app.send(());
    let _ = stop_sandbox.send(());

    let mut out = String::new();
    writeln!(out, "disbursement of {n} grants, review to reconciled:")?;
    for s in &steps {
        writeln!(
            out,
            "  {:<48} {:>8} in {:>7.2} s = {:>9.0} /s",
            s.name,
            s.items,
            s.took.as_secs_f64(),
            per_second(s.items, s.took)
        )?;
    }
    writeln!(
        out,
        "  total {:.1} s; {} reconciled, {} exceptions (returns flagged), {} returned to the firms",
        total.as_secs_f64(),
        run.newly_reconciled,
        run.exceptions,
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM grants WHERE status = 'awaiting_account'"#
        )
        .fetch_one(pool)
        .await?
    )?;
    write!(
        out,
        "  ledger verify: {} in {:.2} s",
        if verified.is_ok() { "ok" } else { "NOT OK" },
        verify_took.as_secs_f64()
    )?;
    Ok(out)
}

fn per_second(items: u64, took: Duration) -> u64 {
    let millis = u64::try_from(took.as_millis()).unwrap_or(u64::MAX).max(1);
    items.saturating_mul(1000) / millis
}

struct People {
    reviewer: User,
    maker: User,
    checker: User,
}

/// Staff, a published policy with a budget, N firms with payee accounts and one created
/// grant each (untimed).
async fn seed(pool: &PgPool, grants: u32) -> anyhow::Result<People> {
    let mut made = Vec::new();
    for (name, role) in [
        ("bench-reviewer", Role::Reviewer),
        ("bench-maker", Role::FinanceMaker),
        ("bench-checker", Role::FinanceChecker),
    ] {
        let new = NewUser::parse(name, name, role, None, "bench-password-123")?;
        made.push(accounts::create_user_audited(pool, &new, Actor::System("bench")).await?);
    }
    let [reviewer, maker, checker]: [User; 3] = made
        .try_into()
        .map_err(|_| anyhow::anyhow!("three accounts"))?;
    let n = i32::try_from(grants)?;
    let budget = Decimal::from(grants) * Decimal::from(10_000);
    sqlx::query!(
        "INSERT INTO policy_versions (policy_id, version_hash, title, mode, meta, files, author,
                                      status, published_by, published_at)
         VALUES ($1, 'bench', '拨付基准测试奖励', '免申即享', jsonb_build_object('source', '基准〔2026〕1号'),
                 '{}', 'bench-author', 'published', 'bench-reviewer', now())",
        POLICY
    )
    .execute(pool)
    .await?;
    let mut tx = pool.begin().await?;
    budgets::raise(
        &mut tx,
        POLICY,
        batches::this_year(),
        budget,
        &Actor::System("bench"),
        "基准测试预算",
    )
    .await?;
    tx.commit().await?;
    sqlx::query!(
        "INSERT INTO firms (uscc, name) SELECT '9137020000' || lpad(n::text, 8, '0'), '基准' || n || '科技有限公司'
         FROM generate_series(1, $1::int) AS n",
        n
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        "INSERT INTO payee_accounts (uscc, account_name, account_number, bank, updated_by)
         SELECT '9137020000' || lpad(n::text, 8, '0'), '基准' || n || '科技有限公司',
                '62220200' || lpad(n::text, 8, '0'), '中国工商银行青岛分行', 'bench'
         FROM generate_series(1, $1::int) AS n",
        n
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id)
         SELECT $2, (SELECT id FROM policy_versions WHERE policy_id = $2),
                '9137020000' || lpad(n::text, 8, '0'), '2026', 1000 + (n % 9000) + (n % 100) / 100.0,
                '免申即享', 0, 0
         FROM generate_series(1, $1::int) AS n",
        n,
        POLICY
    )
    .execute(pool)
    .await?;
    Ok(People {
        reviewer,
        maker,
        checker,
    })
}
