//! `mianshen demo`: the service on the private cluster with one account per role, a few
//! sample firms, and (see `demo_data`) the sandbox's 2,000 firms ingested and matched against
//! the published sample policies, ready to click through; their notices are delivered to
//! our webhook and SMTP sinks (see `demo_notices`); grants are reviewed and go through a
//! shortened 公示 (see `demo_review`); the money loop pays the ready ones through the
//! sandbox treasury and reconciles (see `demo_money`).

use std::process::ExitCode;

use crate::accounts::{self, NewUser, Role};
use crate::app::{Application, shutdown_signal};
use crate::audit::Actor;
use crate::config::{DemoAccount, DemoGuide, Settings};
use crate::db::Database;
use crate::firms;
use crate::profiles::Uscc;

/// Sample firms: (USCC, name, region).
const DEMO_FIRMS: [(&str, &str, &str); 3] = [
    ("91370102MA3C4RQX2B", "济南历下示范科技有限公司", "370102"),
    ("91370212MA3M8FKL6L", "青岛崂山示范制造有限公司", "370212"),
    ("91370103MA3D7UN065", "济南市中示范商贸有限公司", "370103"),
];

/// The enterprise account: signed in as the sandbox firm with the most grants awaiting its
/// answer after the demo's night (else the first sample firm).
const DEMO_ENTERPRISE: &str = "demo-enterprise";

/// One account per staff role: (username, display name, role).
const DEMO_ACCOUNTS: [(&str, &str, Role); 6] = [
    ("demo-author", "政策制定 张明", Role::PolicyAuthor),
    ("demo-reviewer", "审核 李华", Role::Reviewer),
    ("demo-maker", "财务经办 王芳", Role::FinanceMaker),
    ("demo-checker", "财务复核 赵强", Role::FinanceChecker),
    ("demo-auditor", "审计 孙丽", Role::Auditor),
    ("demo-admin", "系统管理员", Role::Admin),
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
    let treasury = super::demo_money::start_treasury(&mut settings).await?;
    let enterprise = seed_enterprise(database).await?;
    settings.demo = Some(guide(&enterprise));
    super::demo_review::run(&database.pool).await?;
    let notices = super::demo_notices::start_worker(database.pool.clone(), &settings);
    let checkpoints =
        super::audit::start_checkpointer(&settings, database, std::future::pending())?;
    // Metrics on a loopback address of their own (not served to everyone).
    if settings.http.metrics_listen.is_none() && settings.http.metrics_token.is_none() {
        settings.http.metrics_listen = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    }
    let money_settings = settings.clone();
    let app = Application::build(settings, database.pool.clone()).await?;
    let address = app.local_addr()?;
    let metrics = app.metrics_addr().transpose()?;
    let serving = tokio::spawn(app.run_until(shutdown));
    super::demo_money::run(
        &money_settings,
        database,
        &treasury,
        &format!("http://{address}"),
    )
    .await?;
    print_welcome(address, metrics, &enterprise);
    let served = serving.await?;
    notices.abort();
    if let Some(task) = checkpoints {
        task.abort();
    }
    served?;
    Ok(ExitCode::SUCCESS)
}

/// Creates the sample firms and accounts that are not there yet (a rerun reuses them).
async fn seed(database: &Database) -> anyhow::Result<()> {
    for (code, name, region) in DEMO_FIRMS {
        let uscc = Uscc::parse(code)?;
        firms::upsert_firm(&database.pool, &uscc, name, Some(region)).await?;
    }
    for (username, display_name, role) in DEMO_ACCOUNTS {
        create_account(database, username, display_name, role, None).await?;
    }
    Ok(())
}

/// Creates the enterprise account for the firm with the most open grants; a rerun keeps the
/// firm it had. Returns (firm USCC, firm name).
async fn seed_enterprise(database: &Database) -> anyhow::Result<(String, String)> {
    if let Some(user) = accounts::find_user_by_username(&database.pool, DEMO_ENTERPRISE).await?
        && let Some(uscc) = user.uscc
    {
        return Ok((uscc.as_str().to_owned(), user.display_name));
    }
    let (uscc, name) = match crate::grants::firm_awaiting_answers(&database.pool).await? {
        Some(firm) => firm,
        None => (DEMO_FIRMS[0].0.to_owned(), DEMO_FIRMS[0].1.to_owned()),
    };
    create_account(
        database,
        DEMO_ENTERPRISE,
        &name,
        Role::Enterprise,
        Some(&uscc),
    )
    .await?;
    Ok((uscc, name))
}

async fn create_account(
    database: &Database,
    username: &str,
    display_name: &str,
    role: Role,
    uscc: Option<&str>,
) -> anyhow::Result<()> {
    if accounts::find_user_by_username(&database.pool, username)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let new = NewUser::parse(username, display_name, role, uscc, DEMO_PASSWORD)?;
    accounts::create_user_audited(&database.pool, &new, Actor::System("demo")).await?;
    Ok(())
}

/// The accounts `/demo` lists, the enterprise first.
fn guide(enterprise: &(String, String)) -> DemoGuide {
    let firm = DemoAccount {
        username: DEMO_ENTERPRISE.to_owned(),
        display_name: format!("{}（{}）", enterprise.1, enterprise.0),
        role: Role::Enterprise,
    };
    let staff = DEMO_ACCOUNTS
        .iter()
        .map(|(username, name, role)| DemoAccount {
            username: (*username).to_owned(),
            display_name: (*name).to_owned(),
            role: *role,
        });
    DemoGuide {
        password: DEMO_PASSWORD.to_owned(),
        accounts: std::iter::once(firm).chain(staff).collect(),
    }
}

fn print_welcome(
    address: std::net::SocketAddr,
    metrics: Option<std::net::SocketAddr>,
    enterprise: &(String, String),
) {
    println!();
    println!("mianshen demo is running: http://{address}/");
    println!("  opens on the demo accounts per role: http://{address}/demo");
    match metrics {
        Some(m) => println!("  health: http://{address}/healthz   metrics: http://{m}/metrics"),
        None => println!("  health: http://{address}/healthz"),
    }
    println!();
    println!("Demo accounts (password for all: {DEMO_PASSWORD}):");
    let (uscc, name) = enterprise;
    println!(
        "  {DEMO_ENTERPRISE:<16} {:<16} {name}  firm {uscc}",
        Role::Enterprise.as_str()
    );
    for (username, display_name, role) in DEMO_ACCOUNTS {
        println!("  {username:<16} {:<16} {display_name}", role.as_str());
    }
    println!();
    println!("Press Ctrl-C to stop (the private PostgreSQL cluster stops with it).");
}
