//! `mianshen demo`: the service on the private cluster with one account per role, a few
//! sample firms, and (see `demo_data`) the sandbox's 2,000 firms ingested and matched against
//! the published sample policies, ready to click through; their notices are delivered to
//! our webhook and SMTP sinks (see `demo_notices`).

use std::process::ExitCode;

use crate::accounts::{self, NewUser, Role};
use crate::app::{Application, shutdown_signal};
use crate::audit::Actor;
use crate::config::Settings;
use crate::db::Database;
use crate::firms;
use crate::profiles::Uscc;

/// Sample firms: (USCC, name, region).
const DEMO_FIRMS: [(&str, &str, &str); 3] = [
    ("91370102MA3C4RQX2B", "济南历下示范科技有限公司", "370102"),
    ("91370212MA3M8FKL6L", "青岛崂山示范制造有限公司", "370212"),
    ("91370103MA3D7UN065", "济南市中示范商贸有限公司", "370103"),
];

/// One account per role: (username, display name, role, firm).
const DEMO_ACCOUNTS: [(&str, &str, Role, Option<&str>); 7] = [
    (
        "demo-enterprise",
        "济南历下示范科技有限公司",
        Role::Enterprise,
        Some("91370102MA3C4RQX2B"),
    ),
    ("demo-author", "政策制定 张明", Role::PolicyAuthor, None),
    ("demo-reviewer", "审核 李华", Role::Reviewer, None),
    ("demo-maker", "财务经办 王芳", Role::FinanceMaker, None),
    ("demo-checker", "财务复核 赵强", Role::FinanceChecker, None),
    ("demo-auditor", "审计 孙丽", Role::Auditor, None),
    ("demo-admin", "系统管理员", Role::Admin, None),
];

/// The demo accounts' shared password (a demo only; never in a real deployment).
pub const DEMO_PASSWORD: &str = "mianshen-demo-2026";

/// Seeds the sample data and serves until Ctrl-C.
pub async fn demo(settings: Settings) -> anyhow::Result<ExitCode> {
    let shutdown = shutdown_signal()?;
    let database = Database::open(&settings.database).await?;
    let outcome = run(settings, &database, shutdown).await;
    database.close().await;
    outcome
}

async fn run(
    mut settings: Settings,
    database: &Database,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<ExitCode> {
    seed(database).await?;
    super::demo_data::start_sandbox(&mut settings).await?;
    let sinks = super::demo_notices::start_sinks(&mut settings).await?;
    let given = super::demo_notices::give_channels(&database.pool, &sinks).await?;
    println!(
        "{given} 家沙箱企业设置了 webhook 或邮箱通知渠道; 邮件见 {}",
        sinks.mail_listing
    );
    super::demo_data::load_publish_and_run(&settings, database).await?;
    let notices = super::demo_notices::start_worker(database.pool.clone(), &settings);
    let app = Application::build(settings, database.pool.clone()).await?;
    let address = app.local_addr()?;
    print_welcome(address);
    let served = app.run_until(shutdown).await;
    notices.abort();
    served?;
    Ok(ExitCode::SUCCESS)
}

/// Creates the sample firms and accounts that are not there yet (a rerun reuses them).
async fn seed(database: &Database) -> anyhow::Result<()> {
    for (code, name, region) in DEMO_FIRMS {
        let uscc = Uscc::parse(code)?;
        firms::upsert_firm(&database.pool, &uscc, name, Some(region)).await?;
    }
    for (username, display_name, role, uscc) in DEMO_ACCOUNTS {
        if accounts::find_user_by_username(&database.pool, username)
            .await?
            .is_some()
        {
            continue;
        }
        let new = NewUser::parse(username, display_name, role, uscc, DEMO_PASSWORD)?;
        accounts::create_user_audited(&database.pool, &new, Actor::System("demo")).await?;
    }
    Ok(())
}

fn print_welcome(address: std::net::SocketAddr) {
    println!();
    println!("mianshen demo is running: http://{address}/");
    println!("  health: http://{address}/healthz   metrics: http://{address}/metrics");
    println!();
    println!("Demo accounts (password for all: {DEMO_PASSWORD}):");
    for (username, display_name, role, uscc) in DEMO_ACCOUNTS {
        let firm = uscc.map(|u| format!("  firm {u}")).unwrap_or_default();
        println!(
            "  {username:<16} {:<16} {display_name}{firm}",
            role.as_str()
        );
    }
    println!();
    println!("Press Ctrl-C to stop (the private PostgreSQL cluster stops with it).");
}
