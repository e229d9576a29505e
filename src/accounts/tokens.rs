//! API tokens as a person's own credentials: issued only to the person asking (or, for
//! bootstrapping, by the operator at the console), with an expiry, listed without their
//! secret, revoked by their owner or by an administrator. Every step is audited.

use serde_json::json;
use sqlx::PgPool;

use super::User;
use super::token_repo::{self, ApiTokenInfo, IssuedToken};
use crate::audit::{self, Actor, AuditEntry};

/// Live tokens one account may hold at once.
pub const MAX_LIVE_TOKENS: i64 = 20;

/// Why a token was not issued or revoked; the messages are shown to people.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The label is empty or too long.
    #[error("令牌名称须为1至100个字符 / the label must be 1 to 100 characters")]
    BadLabel,
    /// The lifetime asked for is out of range.
    #[error("有效期须为1至{0}天 / the lifetime must be 1 to {0} days")]
    BadLifetime(u32),
    /// The account holds too many live tokens.
    #[error(
        "有效令牌已达{MAX_LIVE_TOKENS}个，请先吊销不用的令牌 / revoke unused tokens first: at most {MAX_LIVE_TOKENS} live tokens"
    )]
    TooMany,
    /// No such live token of this account.
    #[error("未找到该令牌或已吊销 / no such live token")]
    NotFound,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Issues a token to `owner` on their own request (or the operator's, `actor`), valid for
/// `days` (the configured lifetime when `None`, never longer).
pub async fn issue_token(
    pool: &PgPool,
    owner: &User,
    actor: Actor<'_>,
    label: &str,
    days: Option<u32>,
    max_days: u32,
) -> Result<IssuedToken, TokenError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(TokenError::BadLabel);
    }
    let days = days.unwrap_or(max_days);
    if !(1..=max_days).contains(&days) {
        return Err(TokenError::BadLifetime(max_days));
    }
    let mut tx = pool.begin().await?;
    if token_repo::count_live_tokens(&mut *tx, owner.id).await? >= MAX_LIVE_TOKENS {
        return Err(TokenError::TooMany);
    }
    let ttl = i32::try_from(days).unwrap_or(i32::MAX);
    let issued = token_repo::create_api_token(&mut *tx, owner.id, label, ttl).await?;
    let entry = AuditEntry::new(actor, "api_token.create", "user", owner.id.to_string()).after(
        json!({ "token_id": issued.info.id, "label": label, "expires_at": issued.info.expires_at }),
    );
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(issued)
}

/// Revokes token `token_id` of account `owner_id`, by `actor` (the owner or an
/// administrator, who never sees the token itself).
pub async fn revoke_token(
    pool: &PgPool,
    owner_id: i64,
    token_id: i64,
    actor: &str,
) -> Result<ApiTokenInfo, TokenError> {
    let mut tx = pool.begin().await?;
    let revoked = token_repo::revoke_api_token(&mut *tx, owner_id, token_id, actor)
        .await?
        .ok_or(TokenError::NotFound)?;
    let entry = AuditEntry::new(
        Actor::User(actor),
        "api_token.revoke",
        "user",
        owner_id.to_string(),
    )
    .after(json!({ "token_id": token_id, "label": revoked.label }));
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(revoked)
}
