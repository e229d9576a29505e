//! The demo's money loop: the grants that are `ready` (after `demo_review`'s review and
//! shortened 公示 window) go into one batch per policy made by the demo maker and approved by the demo
//! checker (four eyes, budget), are sent to a sandbox treasury started in-process (which
//! returns a few as bad accounts and calls our service back), and the day's statement, with
//! one line left out on purpose, is reconciled. Prints that part of the loop's summary.

use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::accounts;
use crate::audit::Actor;
use crate::config::{Secret, Settings};
use crate::db::Database;
use crate::disbursement::batches::{self, NewBatch};
use crate::disbursement::{budgets, callbacks, ledger, reconciliation, sending};
use crate::sandbox::treasury::{
    AdminClient, DefectOrder, TreasuryBehaviour, TreasurySandbox, today,
};
use crate::treasury::TreasuryClient;

/// Starts the sandbox treasury on a free loopback port and points the treasury settings
/// at it; callbacks go to `callback_url` (our service, once it listens).
pub async fn start_treasury(settings: &mut Settings) -> anyhow::Result<AdminClient> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let token = uuid::Uuid::new_v4().simple().to_string();
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let behaviour = TreasuryBehaviour {
        token: token.clone(),
        callback_secret: secret.clone(),
        return_permille: 40,
        settle_after: Duration::from_millis(300),
        ..TreasuryBehaviour::default()
    };
    let sandbox = TreasurySandbox::bind(behaviour, listener);
    let base = format!("http://{}", sandbox.local_addr()?);
    tokio::spawn(sandbox.serve_until(std::future::pending()));
    settings.treasury.url = base.clone();
    settings.treasury.token = Some(Secret::new(token.clone()));
    settings.treasury.callback_secret = Some(Secret::new(secret));
    println!("沙箱国库集中支付: {base}");
    Ok(AdminClient::new(&base, &token))
}

/// Runs the money loop once our service listens at `service` (for the callbacks).
pub async fn run(
    settings: &Settings,
    database: &Database,
    admin: &AdminClient,
    service: &str,
) -> anyhow::Result<()> {
    let pool = &database.pool;
    admin
        .set_callback_url(Some(&format!("{service}/api/v1/treasury/callbacks")))
        .await?;
    let find = |name: &str| {
        let name = name.to_owned();
        async move {
            accounts::find_user_by_username(pool, &name)
                .await?
                .with_context(|| format!("demo account {name}"))
        }
    };
    let (maker, checker) = (find("demo-maker").await?, find("demo-checker").await?);
    let ready =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM grants WHERE status = 'ready'"#)
            .fetch_one(pool)
            .await?;
    let year = batches::this_year();
    let policies: Vec<String> = sqlx::query_scalar!(
        "SELECT DISTINCT policy_id FROM grants WHERE status = 'ready' AND NOT provisional AND amount > 0 ORDER BY 1"
    )
    .fetch_all(pool)
    .await?;
    let mut approved = 0;
    for policy in &policies {
        let mut tx = pool.begin().await?;
        let request = NewBatch {
            policy_id: policy.clone(),
            budget_year: Some(year),
            note: Some("演示批次".into()),
            ..NewBatch::default()
        };
        let batch = match batches::create(&mut tx, &maker, &request).await {
            Ok(batch) => batch,
            Err(error) => {
                println!("  政策 {policy}: 未编制批次 ({error})");
                continue;
            }
        };
        tx.commit().await?;
        if budgets::get(pool, policy, year).await?.is_none() {
            let mut tx = pool.begin().await?;
            let amount = batch.total * rust_decimal::Decimal::from(2);
            budgets::raise(
                &mut tx,
                policy,
                year,
                amount,
                &Actor::User("demo-checker"),
                "演示: 财务追加预算",
            )
            .await?;
            tx.commit().await?;
        }
        batches::prepare_budget(pool, batch.id).await?;
        let mut tx = pool.begin().await?;
        match batches::approve(&mut tx, &checker, batch.id, "演示: 同意拨付").await {
            Ok(done) => {
                tx.commit().await?;
                approved += 1;
                println!(
                    "  批次 {} ({policy}): {} 笔, 共 {} 元; 经办 demo-maker 编制, 复核 demo-checker 审批",
                    batch.id, done.instructions, batch.total
                );
            }
            Err(error) => println!("  批次 {} ({policy}) 未审批: {error}", batch.id),
        }
    }
    if approved == 0 {
        // A rerun: what was ready has been paid before; this treasury is a new sandbox
        // whose statements know nothing of it, so there is nothing to send or reconcile.
        println!("拨付: 没有新的待拨付补贴 (此前运行中已拨付)");
        return Ok(());
    }
    let client = TreasuryClient::new(&settings.treasury)?;
    let sent = sending::send_pending(pool, &client, 1000).await?;
    // One paid line left out of today's statement, for the exception queue to show.
    let missing: Option<String> =
        sqlx::query_scalar!("SELECT id FROM payment_instructions ORDER BY id LIMIT 1")
            .fetch_optional(pool)
            .await?;
    if let Some(id) = &missing {
        admin
            .statement_defects(&DefectOrder {
                missing: vec![id.clone()],
                ..DefectOrder::default()
            })
            .await?;
    }
    let start = Instant::now();
    loop {
        callbacks::apply_events(pool, 5000).await?;
        let open = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM payment_instructions WHERE status IN ('pending', 'sent')"#
        )
        .fetch_one(pool)
        .await?;
        if open == 0 || start.elapsed() > Duration::from_secs(30) {
            break;
        }
        if start.elapsed() > Duration::from_secs(5) {
            sending::poll_unsettled(pool, &client, Duration::from_secs(2), 5000, 8).await?;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let earlier = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM reconciliation_runs"#)
        .fetch_one(pool)
        .await?;
    if earlier > 0 {
        // A rerun: this sandbox treasury was started afresh and its statement knows nothing
        // of the earlier runs' payments, which a real treasury's would.
        println!(
            "对账: 沙箱国库为本次新启动, 不与此前运行的支付对账 (mianshen finance reconcile 可按日补对)"
        );
        return Ok(());
    }
    let run = reconciliation::reconcile_day(pool, &client, today(), &Actor::System("demo")).await?;
    let counts = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status = 'paid') AS "paid!",
                  count(*) FILTER (WHERE status = 'returned') AS "returned!",
                  count(*) FILTER (WHERE reconciled_at IS NOT NULL) AS "reconciled!"
           FROM payment_instructions"#
    )
    .fetch_one(pool)
    .await?;
    let mut conn = pool.acquire().await?;
    let verified = ledger::verify(&mut conn).await?;
    println!(
        "拨付: {ready} 笔补贴待拨付, {approved} 个批次审批通过, {} 条支付指令提交国库; 已支付 {}, 退回 {} (退回的补贴回到企业补充账户后以新指令重新支付)",
        sent.submitted, counts.paid, counts.returned
    );
    println!(
        "对账: 对账单 {} 行, {} 笔相符并标记为已对账, {} 条异常进入财务异常队列 (含演示故意漏掉的一行 {}); 总账核验: {}",
        run.lines,
        counts.reconciled,
        run.exceptions,
        missing.as_deref().unwrap_or("-"),
        if verified.is_ok() {
            "通过"
        } else {
            "未通过"
        }
    );
    Ok(())
}
