//! Random bearer values (session cookies, API tokens, CSRF tokens) and their digests.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random value of 32 bytes, hex-encoded, with a prefix naming its kind.
pub(super) fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// The SHA-256 digest under which a token is stored.
pub(super) fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
