//! The treasury's callbacks: `POST` of a [`Callback`] as JSON, signed like our webhooks
//! (`X-Mianshen-Signature: sha256=<hex HMAC-SHA256(raw body)>`, see [`crate::signature`]).
//!
//! A receiver must tolerate the same event more than once (same `event_id`) and events
//! that arrive late, after a poll or a statement already told the same: it applies an
//! event only if it moves the instruction forward, and answers 2xx either way.

use super::amount::is_whole_fen;
use super::protocol::{Callback, SettledStatus, is_valid_id};
use crate::signature::{self, SignatureError};

pub use crate::signature::HEADER as SIGNATURE_HEADER;

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// The signature is missing, malformed or wrong (answer 401).
    #[error("callback signature refused: {0}")]
    Signature(#[from] SignatureError),
    /// Signed correctly, but not a callback of the protocol (answer 400).
    #[error("callback body refused: {0}")]
    Malformed(String),
}

/// Checks the signature header of a callback body, then parses it strictly.
pub fn verify_callback(
    secret: &str,
    signature_header: Option<&str>,
    body: &[u8],
) -> Result<Callback, CallbackError> {
    signature::verify(secret, signature_header, body)?;
    let callback: Callback =
        serde_json::from_slice(body).map_err(|e| CallbackError::Malformed(e.to_string()))?;
    let malformed = |why: &str| Err(CallbackError::Malformed(why.to_owned()));
    if !is_valid_id(&callback.event_id) || !is_valid_id(&callback.instruction_id) {
        return malformed(
            "event_id and instruction_id must be 1 to 64 characters of A-Z a-z 0-9 - _ . :",
        );
    }
    if !is_whole_fen(callback.amount) || callback.amount.is_sign_negative() {
        return malformed("amount must be a non-negative amount in whole fen");
    }
    match (callback.status, callback.reason.as_deref()) {
        (SettledStatus::Returned, None | Some("")) => {
            malformed("a returned callback needs a reason")
        }
        (SettledStatus::Paid, Some(_)) => malformed("a paid callback carries no reason"),
        _ => Ok(callback),
    }
}

#[cfg(test)]
mod tests {
    use super::{CallbackError, verify_callback};
    use crate::signature::{SignatureError, sign};

    const PAID: &str = r#"{"event_id":"evt-1","instruction_id":"PAY-1","status":"paid","amount":"10.00","reason":null,"at":"2026-11-24T02:00:00Z","value_date":"2026-11-24"}"#;

    #[test]
    fn a_signed_callback_is_parsed() {
        let callback = verify_callback("k", Some(&sign("k", PAID.as_bytes())), PAID.as_bytes());
        assert_eq!(callback.map(|c| c.instruction_id), Ok("PAY-1".to_owned()));
    }

    #[test]
    fn bad_callbacks_are_refused_with_the_reason() {
        let returned_without_reason = PAID.replace("\"paid\"", "\"returned\"");
        let float_amount = PAID.replace("\"10.00\"", "10.0");
        let accepted = PAID.replace("\"paid\"", "\"accepted\"");
        let extra_field = PAID.replace("{", "{\"x\":1,");
        type Check = fn(&CallbackError) -> bool;
        let table: [(&str, &str, &str, Check); 7] = [
            ("k", "none", PAID, |e| {
                *e == CallbackError::Signature(SignatureError::Missing)
            }),
            ("k", "other-key", PAID, |e| {
                *e == CallbackError::Signature(SignatureError::Mismatch)
            }),
            ("", "k", PAID, |e| {
                *e == CallbackError::Signature(SignatureError::NoSecret)
            }),
            ("k", "k", &returned_without_reason, |e| {
                matches!(e, CallbackError::Malformed(_))
            }),
            ("k", "k", &float_amount, |e| {
                matches!(e, CallbackError::Malformed(_))
            }),
            ("k", "k", &accepted, |e| {
                matches!(e, CallbackError::Malformed(_))
            }),
            ("k", "k", &extra_field, |e| {
                matches!(e, CallbackError::Malformed(_))
            }),
        ];
        for (secret, signed_with, body, expected) in table {
            let header = (signed_with != "none").then(|| sign(signed_with, body.as_bytes()));
            let error =
                verify_callback(secret, header.as_deref(), body.as_bytes()).expect_err(body);
            assert!(expected(&error), "{body}: {error}");
        }
    }
}
