//! `Idempotency-Key` for the POSTs that move money. The key is claimed inside the
//! transaction that does the work, and the answer stored in that same transaction: a
//! concurrent request with the same key waits for the first to commit and then gets its
//! answer; a replay gets the first answer; the same key with another request is refused.
//! A request that failed stores nothing (nothing changed), so its replay runs again.

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

/// The header.
pub const HEADER: &str = "Idempotency-Key";

/// What the key says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: do the work, then [`store`] the answer before committing.
    New,
    /// A replay: answer this, do nothing.
    Replay {
        /// The first answer's HTTP status.
        status: u16,
        /// The first answer's body.
        body: Value,
    },
}

/// Why a key was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No header on a money POST.
    #[error(
        "缺少 Idempotency-Key 请求头: 每个涉及资金的 POST 请求须带一个唯一的键 (如 UUID), 重试时使用同一个键"
    )]
    Missing,
    /// Not 1–100 visible ASCII characters.
    #[error("Idempotency-Key 须为 1 至 100 个可见 ASCII 字符")]
    Malformed,
    /// The key was used for another request.
    #[error("Idempotency-Key {0:?} 已用于另一个不同的请求: 新请求请使用新的键")]
    Reused(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Checks a header value.
pub fn check_key(value: Option<&str>) -> Result<&str, KeyError> {
    let key = value.ok_or(KeyError::Missing)?;
    if key.is_empty() || key.len() > 100 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(KeyError::Malformed);
    }
    Ok(key)
}

/// SHA-256 of what identifies a request: method, path and body.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().to_vec()
}

/// Claims `key` for `user` inside the caller's transaction.
pub async fn claim(
    conn: &mut PgConnection,
    user_id: i64,
    key: &str,
    hash: &[u8],
) -> Result<Claim, KeyError> {
    // Blocks while another transaction holds the same key uncommitted.
    let inserted = sqlx::query!(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, status, response)
         VALUES ($1, $2, $3, 0, 'null') ON CONFLICT (user_id, key) DO NOTHING",
        user_id,
        key,
        hash
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        return Ok(Claim::New);
    }
    let first = sqlx::query!(
        "SELECT request_hash, status, response FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        user_id,
        key
    )
    .fetch_one(&mut *conn)
    .await?;
    if first.request_hash != hash {
        return Err(KeyError::Reused(key.to_owned()));
    }
    Ok(Claim::Replay {
        status: u16::try_from(first.status).unwrap_or(200),
        body: first.response,
    })
}

/// Stores the answer to a claimed key (same transaction as the work).
pub async fn store(
    conn: &mut PgConnection,
    user_id: i64,
    key: &str,
    status: u16,
    body: &Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE idempotency_keys SET status = $3, response = $4 WHERE user_id = $1 AND key = $2",
        user_id,
        key,
        i16::try_from(status).unwrap_or(200),
        body
    )
    .execute(conn)
    .await?;
    Ok(())
}
