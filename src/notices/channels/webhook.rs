//! The webhook channel: POST of the notice as JSON, signed with the firm's secret.
//!
//! Contract for receivers: header `X-Mianshen-Signature: sha256=<hex HMAC-SHA256 of the raw
//! body keyed with the firm's secret>` (the scheme of [`crate::signature`]), header
//! `Idempotency-Key: <uuid>` stable across resends of the same (notice, channel); answer 2xx
//! once stored, and answer 2xx again without storing when the key was seen. 4xx (except
//! 408/429) stops the retries, and so does a redirect (never followed). The target must be
//! https to a public address unless the operator allows its host (`webhook_target`).

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::webhook_target::{AllowList, check_url};
use super::{SendOutcome, classify_http};
use crate::notices::repo::Claimed;
use crate::signature;

/// The JSON body sent for a delivery.
pub fn body(delivery: &Claimed) -> Vec<u8> {
    json!({
        "notice_id": delivery.notice_id,
        "grant_id": delivery.grant_id,
        "uscc": delivery.uscc,
        "policy_id": delivery.policy_id,
        "kind": delivery.kind,
        "title": delivery.title,
        "body": delivery.body,
        "amount": delivery.amount,
        "link": delivery.link,
        "sent_at": Utc::now(),
    })
    .to_string()
    .into_bytes()
}

/// Sends one delivery to its webhook, after checking the target again (a stored URL may
/// predate the rules, and `client` checks each resolved address; see `webhook_target`).
pub async fn send(
    client: &reqwest::Client,
    allow: &AllowList,
    timeout: Duration,
    delivery: &Claimed,
) -> SendOutcome {
    if let Err(refused) = check_url(&delivery.target, allow) {
        return SendOutcome::Permanent {
            status: None,
            error: format!("refused webhook target: {refused}"),
        };
    }
    let Some(secret) = delivery.webhook_secret.as_deref() else {
        return SendOutcome::Permanent {
            status: None,
            error: "no webhook secret configured".into(),
        };
    };
    let body = body(delivery);
    let result = client
        .post(&delivery.target)
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header(signature::HEADER, signature::sign(secret, &body))
        .header("Idempotency-Key", delivery.idempotency_key.to_string())
        .body(body)
        .send()
        .await;
    match result {
        // Redirects are not followed: the receiver must answer at the URL it gave.
        Ok(response) if response.status().is_redirection() => SendOutcome::Permanent {
            status: Some(i32::from(response.status().as_u16())),
            error: format!(
                "HTTP {} (redirects are not followed)",
                response.status().as_u16()
            ),
        },
        Ok(response) => classify_http(response.status().as_u16()),
        Err(error) => SendOutcome::Retry {
            status: None,
            error: format!("{error}"),
        },
    }
}
