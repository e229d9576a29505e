//! What `mianshen demo` shows beyond accounts: the sandbox data exchange started in-process
//! with 2,000 synthetic firms, the sample policies loaded by the demo author and published by
//! the demo reviewer (four eyes), and one nightly run (ingest → matching → notices), so the
//! demo has real grants and notices.

use chrono::{SubsecRound, Utc};

use super::nightly::print_matching;
use crate::config::{Secret, Settings};
use crate::db::Database;
use crate::ingest::NoProgress;
use crate::policies;
use crate::sandbox::{DataExchange, ExchangeConfig, FeedConfig};
use crate::scheduler::{Outcome, run_nightly};

/// Firms the demo's sandbox serves.
pub const DEMO_SANDBOX_FIRMS: u64 = 2_000;
/// The seed of the demo's sandbox.
pub const DEMO_SANDBOX_SEED: u64 = 1;

/// Starts the sandbox on a free loopback port and points the ingest settings at it.
pub async fn start_sandbox(settings: &mut Settings) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let token = uuid::Uuid::new_v4().simple().to_string();
    let config = ExchangeConfig {
        feeds: FeedConfig {
            firms: DEMO_SANDBOX_FIRMS,
            seed: DEMO_SANDBOX_SEED,
            day: 0,
            bad_permille: 5,
        },
        token: token.clone(),
    };
    let exchange = DataExchange::bind(config, listener);
    let address = exchange.local_addr()?;
    tokio::spawn(exchange.serve_until(std::future::pending()));
    settings.ingest.base_url = format!("http://{address}");
    settings.ingest.token = Some(Secret::new(token));
    println!("沙箱数据交换平台: http://{address} ({DEMO_SANDBOX_FIRMS} 家企业)");
    Ok(())
}

/// Loads and publishes the sample policies, then runs the nightly job once and prints it.
pub async fn load_publish_and_run(settings: &Settings, database: &Database) -> anyhow::Result<()> {
    let pool = &database.pool;
    for (id, policy, _) in
        policies::load_versions(pool, std::path::Path::new("rules"), "demo-author").await?
    {
        match policies::publish(pool, id, "demo-reviewer").await {
            Ok(_) | Err(policies::PublishError::NotDraft(_)) => {}
            Err(e) => anyhow::bail!("发布政策 {policy} 失败: {e}"),
        }
    }
    let slot = Utc::now().trunc_subsecs(0);
    match run_nightly(pool, settings, slot, &NoProgress).await? {
        Outcome::Ran(id, c, m) => {
            println!(
                "夜间任务 {id}: 收到 {} 条, 合并 {} 户, 隔离 {}",
                c.fetched, c.merged, c.quarantined
            );
            print_matching(&m);
        }
        Outcome::Skipped(why) => println!("夜间任务未运行: {why}"),
    }
    Ok(())
}
