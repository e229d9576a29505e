//! HMAC-SHA256 signatures of HTTP bodies, one scheme for every signed body we send or
//! receive: our webhooks to firms and the treasury's callbacks to us.
//!
//! The header is `X-Mianshen-Signature: sha256=<lower-case hex of HMAC-SHA256(raw body)>`,
//! keyed with the shared secret's UTF-8 bytes. Checking compares in constant time.

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// The signature header.
pub const HEADER: &str = "X-Mianshen-Signature";

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No secret is configured, so nothing can be verified.
    #[error("no shared secret is configured: every signed body is refused")]
    NoSecret,
    /// The header is absent.
    #[error("the {HEADER} header is missing")]
    Missing,
    /// The header is not `sha256=<64 hex digits>`.
    #[error("the {HEADER} header is not of the form sha256=<64 hex digits>")]
    Malformed,
    /// The signature does not match the body.
    #[error("the {HEADER} header does not match the body (wrong secret or altered body)")]
    Mismatch,
}

fn mac(secret: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length (longer ones are hashed first, RFC 2104), so
    // `new_from_slice` cannot fail here.
    <Hmac<Sha256>>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!())
}

/// The header value for `body`: `sha256=<hex>`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks `header` (the value of [`HEADER`], if present) against `body`.
pub fn verify(secret: &str, header: Option<&str>, body: &[u8]) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.ok_or(SignatureError::Missing)?;
    let tag = header
        .trim()
        .strip_prefix("sha256=")
        .filter(|hex| hex.len() == 64)
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or(SignatureError::Malformed)?;
    let mut mac = mac(secret);
    mac.update(body);
    mac.verify_slice(&tag).map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::{SignatureError, sign, verify};

    #[test]
    fn rfc4231_case_2() {
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_key_longer_than_a_block_is_hashed_first() {
        // Checked against Python's `hmac.new(b"k" * 131, msg, hashlib.sha256)`.
        let msg = b"Test Using Larger Than Block-Size Key - Hash Key First";
        assert_eq!(
            sign(&"k".repeat(131), msg),
            "sha256=70e4b005732fa7ff79392aa24fb240159b925dbc9f1398420c0f45e6763dcf14"
        );
    }

    #[test]
    fn verification_refuses_every_bad_header() {
        let body = br#"{"a":1}"#;
        let good = sign("s3cret", body);
        let cases: [(&str, Option<&str>, &[u8], SignatureError); 6] = [
            ("", Some(&good), body, SignatureError::NoSecret),
            ("s3cret", None, body, SignatureError::Missing),
            ("s3cret", Some("sha1=00"), body, SignatureError::Malformed),
            ("s3cret", Some("sha256=zz"), body, SignatureError::Malformed),
            ("other", Some(&good), body, SignatureError::Mismatch),
            (
                "s3cret",
                Some(&good),
                br#"{"a":2}"#,
                SignatureError::Mismatch,
            ),
        ];
        for (secret, header, body, expected) in cases {
            assert_eq!(verify(secret, header, body), Err(expected), "{header:?}");
        }
        assert_eq!(verify("s3cret", Some(&good), body), Ok(()));
    }
}
