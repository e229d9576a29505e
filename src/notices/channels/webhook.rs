//! The webhook channel: POST of the notice as JSON, signed with the firm's secret.
//!
//! Contract for receivers: header `X-Mianshen-Signature: sha256=<hex HMAC-SHA256 of the raw
//! body keyed with the firm's secret>`, header `Idempotency-Key: <uuid>` stable across
//! resends of the same (notice, channel); answer 2xx once stored, and answer 2xx again
//! without storing when the key was seen. 4xx (except 408/429) stops the retries, and so
//! does a redirect (never followed). The target must be https to a public address unless
//! the operator allows its host (`webhook_target`).

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::webhook_target::{AllowList, check_url};
use super::{SendOutcome, classify_http};
use crate::notices::repo::Claimed;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Mianshen-Signature";

/// HMAC-SHA256 (RFC 2104) of `message` keyed with `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The header value for `body`: `sha256=<hex>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.as_bytes(), body))
    )
}

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
        .header(SIGNATURE_HEADER, signature(secret, &body))
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

#[cfg(test)]
mod tests {
    use super::hmac_sha256;

    #[test]
    fn rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
