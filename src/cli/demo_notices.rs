//! The demo's notices: our webhook sink and SMTP sink started in-process, a share of the
//! sandbox's firms given a webhook and an email address before the nightly run (so their
//! grant and near-miss notices go out through every channel), and the delivery worker.

use sqlx::PgPool;

use super::demo_data::{DEMO_SANDBOX_FIRMS, DEMO_SANDBOX_SEED};
use crate::config::Settings;
use crate::notices::repo::{FirmChannels, put_firm_channels};
use crate::sandbox::smtp_sink::{SmtpBehaviour, SmtpSink, http_router};
use crate::sandbox::synth::{Population, firm};
use crate::sandbox::webhook_sink::{SinkBehaviour, WebhookSink};

/// Every `WEBHOOK_EVERY`-th sandbox firm has a webhook, every `EMAIL_EVERY`-th an email.
const WEBHOOK_EVERY: u64 = 4;
const EMAIL_EVERY: u64 = 3;
/// The secret the demo's firms sign their webhooks with.
const DEMO_WEBHOOK_SECRET: &str = "demo-webhook-secret";

/// Where the demo's notices can be seen.
pub struct DemoSinks {
    /// `http://…/hook`.
    pub webhook_url: String,
    /// `http://…/messages`: what the SMTP sink received.
    pub mail_listing: String,
}

/// Starts both sinks on free loopback ports and points the email settings at the SMTP one.
pub async fn start_sinks(settings: &mut Settings) -> anyhow::Result<DemoSinks> {
    let hook = WebhookSink::bind(
        SinkBehaviour {
            secret: DEMO_WEBHOOK_SECRET.into(),
            ..SinkBehaviour::default()
        },
        tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?,
    );
    let webhook_url = format!("http://{}/hook", hook.local_addr()?);
    // Our sink on loopback is on the operator's allow-list; firms' own webhooks are not.
    settings
        .notices
        .webhook_allow_hosts
        .push(hook.local_addr()?.to_string());
    tokio::spawn(hook.serve_until(std::future::pending()));
    let smtp = SmtpSink::bind(
        SmtpBehaviour::default(),
        tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?,
    );
    let smtp_address = smtp.local_addr()?;
    let listing = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let listing_address = listing.local_addr()?;
    let router = http_router(smtp.log());
    tokio::spawn(async move { axum::serve(listing, router).await });
    tokio::spawn(smtp.serve_until(std::future::pending()));
    settings.notices.smtp_host = smtp_address.ip().to_string();
    settings.notices.smtp_port = smtp_address.port();
    println!("沙箱 webhook 接收端: {webhook_url}");
    println!(
        "沙箱邮件服务器: smtp://{smtp_address} (收到的邮件: http://{listing_address}/messages)"
    );
    Ok(DemoSinks {
        webhook_url,
        mail_listing: format!("http://{listing_address}/messages"),
    })
}

/// Gives a share of the sandbox's firms a webhook and an email address (before ingest:
/// the firms are known from the generator), keeping any channel already set.
pub async fn give_channels(pool: &PgPool, sinks: &DemoSinks) -> anyhow::Result<u64> {
    let population = Population {
        firms: DEMO_SANDBOX_FIRMS,
    };
    let mut given = 0;
    for index in 0..DEMO_SANDBOX_FIRMS {
        let (webhook, email) = (index % WEBHOOK_EVERY == 0, index % EMAIL_EVERY == 0);
        if !webhook && !email {
            continue;
        }
        let uscc = firm(DEMO_SANDBOX_SEED, population, index, 0).uscc;
        let channels = FirmChannels {
            webhook_url: webhook.then(|| sinks.webhook_url.clone()),
            email: email.then(|| format!("caiwu{index}@demo.mianshen.local")),
            phone: None,
        };
        let secret = webhook.then_some(DEMO_WEBHOOK_SECRET);
        put_firm_channels(pool, &uscc, &channels, secret).await?;
        given += 1;
    }
    Ok(given)
}

/// Runs the delivery worker until the returned task is aborted (when the demo stops; a
/// send cut short is resent with the same key once its lease runs out).
pub fn start_worker(pool: PgPool, settings: &Settings) -> tokio::task::JoinHandle<()> {
    let policy = settings.delivery_policy();
    tokio::spawn(async move {
        if let Err(error) = crate::notices::run_worker(pool, policy, std::future::pending()).await {
            tracing::error!(error = %format!("{error:#}"), "demo notices worker stopped");
        }
    })
}
