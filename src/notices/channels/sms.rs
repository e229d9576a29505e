//! The SMS channel: `POST {gateway}/v1/messages` with a bearer token and
//! `{phone, text, idempotency_key}`; the gateway drops a repeated key (our sandbox gateway
//! does, see `crate::sandbox::sms_gateway`). The text is the notice's title and link.

use std::time::Duration;

use serde_json::json;

use super::{SendOutcome, classify_http};
use crate::config::Secret;
use crate::notices::repo::Claimed;

/// Where and how to reach the gateway.
#[derive(Debug, Clone, Default)]
pub struct SmsGatewayConfig {
    /// Base URL, e.g. `http://127.0.0.1:8091`.
    pub url: String,
    /// Bearer token (never printed).
    pub token: Option<Secret>,
}

/// Sends one delivery as a text message.
pub async fn send(
    client: &reqwest::Client,
    timeout: Duration,
    gateway: &SmsGatewayConfig,
    delivery: &Claimed,
) -> SendOutcome {
    let text = format!("【免申即享】{} 详情: {}", delivery.title, delivery.link);
    let mut request = client
        .post(format!("{}/v1/messages", gateway.url.trim_end_matches('/')))
        .timeout(timeout)
        .header("Idempotency-Key", delivery.idempotency_key.to_string())
        .json(&json!({
            "phone": delivery.target,
            "text": text,
            "idempotency_key": delivery.idempotency_key.to_string(),
        }));
    if let Some(token) = &gateway.token {
        request = request.bearer_auth(token.expose());
    }
    match request.send().await {
        Ok(response) => classify_http(response.status().as_u16()),
        Err(error) => SendOutcome::Retry {
            status: None,
            error: format!("{error}"),
        },
    }
}
