//! The `[notices]` settings: the channels' outside systems and the worker's retry policy.

use std::time::Duration;

use serde::Deserialize;

use super::DeliveryPolicy;
use super::channels::email::EmailConfig;
use super::channels::sms::SmsGatewayConfig;
use super::channels::webhook_target::AllowList;
use crate::config::Secret;

/// The `[notices]` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NoticesSettings {
    /// `MIANSHEN_NOTICES_ENABLED`: whether `mianshen serve` runs the delivery worker.
    pub enabled: bool,
    /// `MIANSHEN_SMTP_HOST`: the SMTP relay emails go through.
    pub smtp_host: String,
    /// `MIANSHEN_SMTP_PORT`: its port.
    pub smtp_port: u16,
    /// `MIANSHEN_SMTP_FROM`: the sender address of notices (its domain also ends every
    /// `Message-ID`).
    pub smtp_from: String,
    /// `MIANSHEN_SMTP_USERNAME`: the AUTH PLAIN user, when the relay wants one.
    pub smtp_username: Option<String>,
    /// `MIANSHEN_SMTP_PASSWORD`: its password.
    pub smtp_password: Option<Secret>,
    /// `MIANSHEN_SMTP_TIMEOUT_SECS`: timeout of one email's SMTP exchange.
    pub smtp_timeout_secs: u64,
    /// `MIANSHEN_SMS_GATEWAY_URL`: base URL of the SMS gateway (`POST {url}/v1/messages`).
    pub sms_gateway_url: String,
    /// `MIANSHEN_SMS_GATEWAY_TOKEN`: the bearer token of the SMS gateway.
    pub sms_gateway_token: Option<Secret>,
    /// `MIANSHEN_NOTICES_WEBHOOK_TIMEOUT_SECS`: timeout of one webhook or gateway request.
    pub webhook_timeout_secs: u64,
    /// `MIANSHEN_NOTICES_MAX_ATTEMPTS`: attempts before a delivery is `dead`.
    pub max_attempts: i32,
    /// `MIANSHEN_NOTICES_BASE_BACKOFF_MS`: wait after the first failure, doubled after each.
    pub base_backoff_ms: u64,
    /// `MIANSHEN_NOTICES_MAX_BACKOFF_SECS`: the longest wait between attempts.
    pub max_backoff_secs: u64,
    /// `MIANSHEN_NOTICES_CONCURRENCY`: deliveries one worker sends at once.
    pub concurrency: usize,
    /// `MIANSHEN_WEBHOOK_ALLOW_HOSTS`: hosts (`host` or `host:port`, comma-separated) a
    /// firm's webhook may reach over plain http or at an address inside our network, e.g.
    /// a receiver run next to the service. Everything else must be https to a public address.
    pub webhook_allow_hosts: Vec<String>,
}

impl Default for NoticesSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            smtp_host: "127.0.0.1".to_owned(),
            smtp_port: 2525,
            smtp_from: "noreply@mianshen.local".to_owned(),
            smtp_username: None,
            smtp_password: None,
            smtp_timeout_secs: 30,
            sms_gateway_url: "http://127.0.0.1:8091".to_owned(),
            sms_gateway_token: None,
            webhook_timeout_secs: 10,
            max_attempts: 8,
            base_backoff_ms: 5_000,
            max_backoff_secs: 3_600,
            concurrency: 32,
            webhook_allow_hosts: Vec::new(),
        }
    }
}

impl NoticesSettings {
    /// The worker's policy from these settings.
    pub fn policy(&self) -> DeliveryPolicy {
        DeliveryPolicy {
            max_attempts: self.max_attempts,
            base_backoff: Duration::from_millis(self.base_backoff_ms),
            max_backoff: Duration::from_secs(self.max_backoff_secs),
            timeout: Duration::from_secs(self.webhook_timeout_secs),
            smtp_timeout: Duration::from_secs(self.smtp_timeout_secs),
            concurrency: self.concurrency,
            webhook_allow: AllowList::new(&self.webhook_allow_hosts),
            sms: SmsGatewayConfig {
                url: self.sms_gateway_url.clone(),
                token: self.sms_gateway_token.clone(),
            },
            email: EmailConfig {
                host: self.smtp_host.clone(),
                port: self.smtp_port,
                from: self.smtp_from.clone(),
                username: self.smtp_username.clone(),
                password: self.smtp_password.clone(),
            },
            ..DeliveryPolicy::default()
        }
    }
}
