//! The delivery worker: claims due deliveries with `FOR UPDATE SKIP LOCKED`, leases them,
//! sends them concurrently and records every attempt, with exponential backoff and jitter
//! up to a maximum of attempts, after which a delivery is `dead`.
//!
//! A crash after sending but before recording leaves the delivery pending with its lease;
//! when the lease runs out another worker resends it with the same idempotency key.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt as _;
use rand::Rng as _;
use sqlx::PgPool;

use super::channels::email::{self, EmailConfig, Mailer};
use super::channels::sms::{self, SmsGatewayConfig};
use super::channels::webhook_target::{self, AllowList};
use super::channels::{SendOutcome, webhook};
use super::repo::{self, AttemptRecord, Claimed};
use crate::telemetry::metrics;

/// Retry and concurrency settings of the worker.
#[derive(Debug, Clone)]
pub struct DeliveryPolicy {
    /// Attempts before a delivery is `dead`.
    pub max_attempts: i32,
    /// Backoff after the first failure; doubled after each further one.
    pub base_backoff: Duration,
    /// Cap of the backoff.
    pub max_backoff: Duration,
    /// How long a claimed delivery is held before another worker may resend it.
    pub lease: Duration,
    /// Timeout of one webhook or gateway request.
    pub timeout: Duration,
    /// Timeout of one email's SMTP exchange.
    pub smtp_timeout: Duration,
    /// Deliveries sent at once.
    pub concurrency: usize,
    /// Deliveries claimed per round.
    pub batch: i64,
    /// Pause when nothing is due.
    pub idle: Duration,
    /// The SMS gateway.
    pub sms: SmsGatewayConfig,
    /// The SMTP relay.
    pub email: EmailConfig,
    /// Hosts a webhook may reach over http or inside our network (see `webhook_target`).
    pub webhook_allow: AllowList,
    /// The service's public URL (`MIANSHEN_PUBLIC_URL`, no trailing slash): a notice's
    /// link leaves in an email, SMS or webhook as this plus the path, so it opens from
    /// outside the site. Empty: links stay paths.
    pub public_url: String,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(3600),
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            smtp_timeout: Duration::from_secs(30),
            concurrency: 32,
            batch: 200,
            idle: Duration::from_millis(500),
            sms: SmsGatewayConfig::default(),
            email: EmailConfig {
                host: "127.0.0.1".to_owned(),
                port: 2525,
                from: "noreply@mianshen.local".to_owned(),
                username: None,
                password: None,
            },
            webhook_allow: AllowList::default(),
            public_url: String::new(),
        }
    }
}

impl DeliveryPolicy {
    /// The wait before attempt `attempts + 1`: base·2^(attempts−1), capped, with ±25% jitter.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(20);
        let raw = self.base_backoff.saturating_mul(1 << exponent);
        let capped = raw.min(self.max_backoff);
        let millis = u64::try_from(capped.as_millis()).unwrap_or(u64::MAX);
        let jitter = millis / 4;
        let low = millis - jitter;
        Duration::from_millis(rand::rng().random_range(low..=millis.saturating_add(jitter)))
    }
}

/// The clients a worker sends through, built once: HTTP for webhooks and the SMS gateway,
/// SMTP (with its pool of connections) for email.
#[derive(Clone)]
pub struct Senders {
    /// The SMS gateway (configured by the operator).
    pub http: reqwest::Client,
    /// Firms' webhooks: public addresses only, no redirects, no proxy.
    pub webhook: reqwest::Client,
    /// The SMTP relay.
    pub mailer: Mailer,
}

impl Senders {
    /// Builds the clients of `policy`; fails on a sender address that does not parse.
    pub fn new(policy: &DeliveryPolicy) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder().build()?,
            webhook: webhook_target::client(&policy.webhook_allow)?,
            mailer: Mailer::new(&policy.email, policy.smtp_timeout)?,
        })
    }
}

/// Sends every delivery due now, in rounds of `policy.batch`; returns how many were tried.
pub async fn deliver_due(
    pool: &PgPool,
    senders: &Senders,
    policy: &DeliveryPolicy,
) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let lease = chrono::Duration::from_std(policy.lease)?;
        let claimed = repo::claim_due(pool, policy.batch, Utc::now() + lease).await?;
        if claimed.is_empty() {
            return Ok(total);
        }
        total += claimed.len();
        let results: Vec<anyhow::Result<()>> = futures_util::stream::iter(claimed)
            .map(|delivery| deliver_one(pool, senders, policy, delivery))
            .buffer_unordered(policy.concurrency.max(1))
            .collect()
            .await;
        for result in results {
            result?;
        }
    }
}

/// Runs until `shutdown` completes: delivers what is due, then waits `policy.idle`.
pub async fn run_worker(
    pool: PgPool,
    policy: DeliveryPolicy,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let senders = Senders::new(&policy)?;
    tokio::pin!(shutdown);
    loop {
        match deliver_due(&pool, &senders, &policy).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(deliveries = n, "notices delivered"),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "notice delivery round failed")
            }
        }
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(policy.idle) => {}
        }
    }
}

async fn send(senders: &Senders, policy: &DeliveryPolicy, delivery: &Claimed) -> SendOutcome {
    let client = &senders.http;
    match delivery.channel.as_str() {
        // The notice row is the inbox: it is visible once committed.
        "inbox" => SendOutcome::Delivered { status: None },
        "webhook" => {
            webhook::send(
                &senders.webhook,
                &policy.webhook_allow,
                policy.timeout,
                delivery,
            )
            .await
        }
        "email" => email::send(&senders.mailer, delivery).await,
        "sms" => sms::send(client, policy.timeout, &policy.sms, delivery).await,
        other => SendOutcome::Retry {
            status: None,
            error: format!("channel {other} is not available in this build"),
        },
    }
}

/// What a test send to one channel came to: the channel and `Ok` or the reason.
pub type TestOutcome = (&'static str, Result<(), String>);

/// Sends a test message to each channel `targets` names, now, without the outbox (nothing
/// is stored or retried): the firm sees at once whether its settings work.
pub async fn send_test(
    policy: &DeliveryPolicy,
    uscc: &str,
    targets: &super::inbox_repo::ChannelTargets,
) -> anyhow::Result<Vec<TestOutcome>> {
    let senders = Senders::new(policy)?;
    let channels = [
        ("webhook", targets.webhook_url.as_ref()),
        ("email", targets.email.as_ref()),
        ("sms", targets.phone.as_ref()),
    ];
    let mut outcomes = Vec::new();
    for (channel, target) in channels {
        let Some(target) = target else { continue };
        let delivery = with_public_link(
            Claimed {
                id: 0,
                channel: channel.to_owned(),
                target: target.clone(),
                idempotency_key: uuid::Uuid::new_v4(),
                attempts: 1,
                notice_id: 0,
                grant_id: None,
                uscc: uscc.to_owned(),
                policy_id: String::new(),
                kind: "test".to_owned(),
                title: "【测试】通知渠道测试".to_owned(),
                body: "这是一条测试消息：您的通知渠道设置有效。\n详情: /my/channels\n".to_owned(),
                amount: rust_decimal::Decimal::ZERO,
                link: "/my/channels".to_owned(),
                webhook_secret: targets.webhook_secret.clone(),
                queued_at: Utc::now(),
            },
            &policy.public_url,
        );
        let result = match send(&senders, policy, &delivery).await {
            SendOutcome::Delivered { .. } => Ok(()),
            SendOutcome::Retry { error, .. } | SendOutcome::Permanent { error, .. } => Err(error),
        };
        outcomes.push((channel, result));
    }
    Ok(outcomes)
}

/// `delivery` with its link made absolute on `base`, in the link field and in the text's
/// "详情:" line (a link that is already absolute, or an empty base, leaves it as it is).
fn with_public_link(mut delivery: Claimed, base: &str) -> Claimed {
    if base.is_empty() || !delivery.link.starts_with('/') {
        return delivery;
    }
    let absolute = format!("{base}{}", delivery.link);
    delivery.body = delivery.body.replace(
        &format!("详情: {}\n", delivery.link),
        &format!("详情: {absolute}\n"),
    );
    delivery.link = absolute;
    delivery
}

async fn deliver_one(
    pool: &PgPool,
    senders: &Senders,
    policy: &DeliveryPolicy,
    delivery: Claimed,
) -> anyhow::Result<()> {
    let delivery = with_public_link(delivery, &policy.public_url);
    let started = Instant::now();
    let outcome = send(senders, policy, &delivery).await;
    let took = started.elapsed();
    let duration_ms = i32::try_from(took.as_millis()).unwrap_or(i32::MAX);
    let now = Utc::now();
    let (record, status, next) = match &outcome {
        SendOutcome::Delivered { status } => (
            attempt("delivered", *status, None, duration_ms),
            "delivered",
            now,
        ),
        SendOutcome::Permanent { status, error } => (
            attempt("permanent", *status, Some(error), duration_ms),
            "dead",
            now,
        ),
        SendOutcome::Retry { status, error } => {
            let record = attempt("retry", *status, Some(error), duration_ms);
            if delivery.attempts >= policy.max_attempts {
                (record, "dead", now)
            } else {
                let wait = chrono::Duration::from_std(policy.backoff(delivery.attempts))?;
                (record, "pending", now + wait)
            }
        }
    };
    let mut tx = pool.begin().await?;
    repo::record_attempt(&mut tx, delivery.id, &record, status, next).await?;
    tx.commit().await?;
    let counted = match status {
        "delivered" => "delivered",
        "dead" => "dead",
        _ => "retry",
    };
    metrics::delivery_attempted(&delivery.channel, counted, took);
    if status == "delivered" {
        metrics::delivery_latency(
            &delivery.channel,
            (now - delivery.queued_at).to_std().unwrap_or_default(),
        );
    }
    if status == "dead" {
        tracing::warn!(delivery = delivery.id, channel = %delivery.channel, "notice delivery dead");
    }
    Ok(())
}

fn attempt<'a>(
    outcome: &'a str,
    status_code: Option<i32>,
    error: Option<&'a String>,
    duration_ms: i32,
) -> AttemptRecord<'a> {
    AttemptRecord {
        outcome,
        status_code,
        error: error.map(String::as_str),
        duration_ms,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{DeliveryPolicy, with_public_link};
    use crate::notices::repo::Claimed;

    fn claimed(link: &str) -> Claimed {
        Claimed {
            id: 1,
            channel: "email".to_owned(),
            target: "a@example.com".to_owned(),
            idempotency_key: uuid::Uuid::nil(),
            attempts: 1,
            notice_id: 1,
            grant_id: Some(56),
            uscc: "91370102MA3C4RQX2B".to_owned(),
            policy_id: "p".to_owned(),
            kind: "grant".to_owned(),
            title: "t".to_owned(),
            body: format!("金额: 1.00 元\n详情: {link}\n"),
            amount: rust_decimal::Decimal::ONE,
            link: link.to_owned(),
            webhook_secret: None,
            queued_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn links_leave_absolute_on_the_public_url() {
        let cases = [
            (
                "/grants/56",
                "https://ms.example.gov.cn",
                "https://ms.example.gov.cn/grants/56",
            ),
            ("/grants/56", "", "/grants/56"),
            (
                "https://other.example/x",
                "https://ms.example.gov.cn",
                "https://other.example/x",
            ),
        ];
        for (link, base, expected) in cases {
            let out = with_public_link(claimed(link), base);
            assert_eq!(out.link, expected);
            assert!(
                out.body.ends_with(&format!("详情: {expected}\n")),
                "{}",
                out.body
            );
        }
    }

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let policy = DeliveryPolicy {
            base_backoff: Duration::from_secs(4),
            max_backoff: Duration::from_secs(60),
            ..DeliveryPolicy::default()
        };
        for (attempts, nominal) in [(1, 4), (2, 8), (3, 16), (10, 60)] {
            let wait = policy.backoff(attempts);
            let nominal = Duration::from_secs(nominal);
            assert!(
                wait >= nominal * 3 / 4 && wait <= nominal * 5 / 4,
                "{attempts}: {wait:?}"
            );
        }
    }
}
