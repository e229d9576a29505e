//! SQL for API tokens: issued to their owner, listed without their secret, revoked, and
//! looked up (live, unexpired, of an enabled account) on every use.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use super::repo::{UserRow, to_user};
use super::secrets::{digest, random_token};
use super::user::User;

/// A token as its owner and administrators see it: never the secret itself.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ApiTokenInfo {
    /// Its id.
    pub id: i64,
    /// The owner's name for it.
    pub label: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// After this it no longer works.
    pub expires_at: DateTime<Utc>,
    /// The last request it authenticated.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Who revoked it (the owner or an administrator).
    pub revoked_by: Option<String>,
}

/// A token just issued: the secret is shown this once.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct IssuedToken {
    /// The bearer value (`msk_…`), stored only as its SHA-256.
    pub token: String,
    /// What is stored about it.
    #[serde(flatten)]
    pub info: ApiTokenInfo,
}

/// Issues a token to `user_id`, valid for `ttl_days`.
pub async fn create_api_token(
    executor: impl PgExecutor<'_>,
    user_id: i64,
    label: &str,
    ttl_days: i32,
) -> sqlx::Result<IssuedToken> {
    let token = random_token("msk_");
    let info = sqlx::query_as!(
        ApiTokenInfo,
        r#"INSERT INTO api_tokens (user_id, label, token_hash, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(days => $4))
           RETURNING id, label, created_at, expires_at, last_used_at, revoked_at, revoked_by"#,
        user_id,
        label,
        digest(&token),
        ttl_days,
    )
    .fetch_one(executor)
    .await?;
    Ok(IssuedToken { token, info })
}

/// Up to `limit` tokens of `user_id` by id after `after_id`, revoked and expired ones too.
pub async fn list_api_tokens(
    executor: impl PgExecutor<'_>,
    user_id: i64,
    after_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<ApiTokenInfo>> {
    sqlx::query_as!(
        ApiTokenInfo,
        r#"SELECT id, label, created_at, expires_at, last_used_at, revoked_at, revoked_by
           FROM api_tokens WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3"#,
        user_id,
        after_id,
        limit
    )
    .fetch_all(executor)
    .await
}

/// How many tokens of `user_id` still work.
pub async fn count_live_tokens(executor: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM api_tokens
           WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()"#,
        user_id
    )
    .fetch_one(executor)
    .await
}

/// Revokes token `token_id` of `user_id`; `None` when the account has no such live token.
pub async fn revoke_api_token(
    executor: impl PgExecutor<'_>,
    user_id: i64,
    token_id: i64,
    by: &str,
) -> sqlx::Result<Option<ApiTokenInfo>> {
    sqlx::query_as!(
        ApiTokenInfo,
        r#"UPDATE api_tokens SET revoked_at = now(), revoked_by = $3
           WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL
           RETURNING id, label, created_at, expires_at, last_used_at, revoked_at, revoked_by"#,
        user_id,
        token_id,
        by
    )
    .fetch_optional(executor)
    .await
}

/// The account behind a live, unexpired API token, with the token's id; marks it used.
pub async fn find_by_token(
    executor: impl PgExecutor<'_>,
    token: &str,
) -> sqlx::Result<Option<(User, i64)>> {
    let row = sqlx::query!(
        r#"UPDATE api_tokens t SET last_used_at = now()
           FROM users u
           WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
             AND u.id = t.user_id AND u.disabled_at IS NULL
           RETURNING t.id AS token_id, u.id, u.username, u.display_name, u.role, u.uscc,
                     u.must_change_password"#,
        digest(token)
    )
    .fetch_optional(executor)
    .await?;
    row.map(|r| {
        let user = to_user(UserRow {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            role: r.role,
            uscc: r.uscc,
            must_change_password: r.must_change_password,
            disabled: false,
        })?;
        Ok((user, r.token_id))
    })
    .transpose()
}
