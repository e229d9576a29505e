//! The `Idempotency-Key` of the POSTs that move money, for the API (the key in the
//! header) and the finance pages (the key in a hidden field, one per rendered form) alike:
//! the work runs in one transaction with the key claimed and its answer stored, so a
//! replay (a retry, a double click, the browser's "resubmit") gets the first answer and
//! changes nothing, and the key used for another request is refused with 422.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use super::ApiError;
use crate::accounts::User;
use crate::disbursement::idempotency::{self, Claim};

/// The work of one keyed request, on the transaction the key is claimed in.
pub type Work<'c> = Pin<Box<dyn Future<Output = Result<Value, ApiError>> + Send + 'c>>;

/// What a keyed request answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    /// The first answer's HTTP status.
    pub status: u16,
    /// The first answer's body.
    pub body: Value,
    /// Whether this is a replay of an earlier request (nothing was done now).
    pub replayed: bool,
}

/// Runs `work` once per `key` of `user`: `route` and `body` identify the request (the
/// API's route and JSON body, so a form and an API call with one key are one request).
pub async fn idempotent(
    pool: &PgPool,
    user: &User,
    key: Option<&str>,
    route: &str,
    body: &impl Serialize,
    work: impl for<'c> FnOnce(&'c mut PgConnection) -> Work<'c>,
) -> Result<Keyed, ApiError> {
    let key = idempotency::check_key(key)?;
    let body = serde_json::to_vec(body).map_err(|e| ApiError::Internal(e.into()))?;
    let hash = idempotency::request_hash("POST", route, &body);
    let mut tx = pool.begin().await?;
    if let Claim::Replay { status, body } = idempotency::claim(&mut tx, user.id, key, &hash).await?
    {
        return Ok(Keyed {
            status,
            body,
            replayed: true,
        });
    }
    let value = work(&mut tx).await?;
    idempotency::store(&mut tx, user.id, key, 200, &value).await?;
    tx.commit().await?;
    Ok(Keyed {
        status: 200,
        body: value,
        replayed: false,
    })
}
