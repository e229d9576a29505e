//! Signing in: throttling per client address, lock-out per account, constant work for
//! unknown names, and an audit record of every lock-out and success.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{User, password, repo};
use crate::audit::{self, Actor, AuditEntry};
use crate::config::AuthSettings;

/// The limits a login is held to.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Consecutive failures that lock an account.
    pub max_failed_logins: i32,
    /// How long a lock lasts.
    pub lockout_minutes: i32,
    /// Attempts per client address per minute.
    pub attempts_per_minute: i32,
}

impl From<&AuthSettings> for LoginPolicy {
    fn from(settings: &AuthSettings) -> Self {
        let clamp = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            max_failed_logins: clamp(settings.max_failed_logins),
            lockout_minutes: clamp(settings.lockout_minutes),
            attempts_per_minute: clamp(settings.attempts_per_minute),
        }
    }
}

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Too many attempts from this client address in the last minute.
    #[error("too many login attempts from this address")]
    Throttled,
    /// Unknown name or wrong password (deliberately not told apart).
    #[error("wrong username or password")]
    BadCredentials,
    /// The account is locked after repeated failures.
    #[error("account locked until {until}")]
    Locked {
        /// When the lock ends.
        until: DateTime<Utc>,
    },
    /// The database or the hasher failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for LoginError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

/// A hash of a password nobody has, checked for unknown names so that they cost the
/// same time as known ones.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| password::hash_password("decoy password never used").unwrap_or_default())
}

/// Checks a login attempt from `client` and returns the account on success.
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    pool: &PgPool,
    policy: LoginPolicy,
    username: &str,
    password: &str,
    client: &str,
) -> Result<User, LoginError> {
    if repo::count_attempt(pool, client).await? > policy.attempts_per_minute {
        return Err(LoginError::Throttled);
    }
    let credentials = repo::find_credentials(pool, username.trim()).await?;
    let hash = credentials
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |c| c.password_hash.clone());
    let candidate = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || password::verify_password(&candidate, &hash))
        .await
        .map_err(anyhow::Error::from)?;
    let Some(credentials) = credentials.filter(|c| !c.disabled) else {
        return Err(LoginError::BadCredentials);
    };
    if let Some(until) = credentials.locked_until.filter(|until| *until > Utc::now()) {
        return Err(LoginError::Locked { until });
    }
    let user = credentials.user;
    if matches {
        repo::record_success(pool, user.id).await?;
        return Ok(user);
    }
    let locked = repo::record_failure(
        pool,
        user.id,
        policy.max_failed_logins,
        policy.lockout_minutes,
    )
    .await?;
    match locked.filter(|until| *until > Utc::now()) {
        Some(until) => {
            let entry = AuditEntry::new(
                Actor::System("login"),
                "user.lock",
                "user",
                user.id.to_string(),
            )
            .after(serde_json::json!({ "locked_until": until, "username": user.username }));
            audit::record(pool, &entry).await?;
            Err(LoginError::Locked { until })
        }
        None => Err(LoginError::BadCredentials),
    }
}
