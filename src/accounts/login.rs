//! Signing in: throttling per client address, a growing wait per (name, address) after
//! repeated failures, the same answers and the same argon2 work for unknown names, and an
//! audit row the account's owner can see when someone keeps failing on their name.
//!
//! There is no account-wide lock: it let anyone lock any known account, and answering
//! "locked" told callers which names exist. The wait is per name tried (not per account),
//! so an unknown name is treated exactly like a known one, and per address, so an attacker
//! is slowed while the owner signs in from their own address.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{User, login_repo, password, repo};
use crate::audit::{self, Actor, AuditEntry};
use crate::config::AuthSettings;

/// The first wait after the free failures, doubled after each further failure.
const BASE_BACKOFF_SECS: i64 = 30;

/// The limits a login is held to.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Failures of one name from one address before each further attempt must wait.
    pub max_failed_logins: i32,
    /// The longest wait, in seconds.
    pub max_backoff_secs: i64,
    /// Attempts per client address per minute.
    pub attempts_per_minute: i32,
}

impl From<&AuthSettings> for LoginPolicy {
    fn from(settings: &AuthSettings) -> Self {
        let clamp = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            max_failed_logins: clamp(settings.max_failed_logins),
            max_backoff_secs: i64::from(settings.max_backoff_minutes) * 60,
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
    /// This name failed too often from this address; it may try again at `until`.
    #[error("too many failures of this name from this address; wait until {until}")]
    Wait {
        /// When the next attempt is checked.
        until: DateTime<Utc>,
    },
    /// Unknown name or wrong password (deliberately not told apart).
    #[error("wrong username or password")]
    BadCredentials,
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
    if login_repo::count_attempt(pool, client).await? > policy.attempts_per_minute {
        return Err(LoginError::Throttled);
    }
    let name = username.trim();
    if let Some(until) = login_repo::blocked_until(pool, name, client).await? {
        return Err(LoginError::Wait { until });
    }
    let credentials = repo::find_credentials(pool, name).await?;
    let hash = credentials
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |c| c.password_hash.clone());
    let candidate = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || password::verify_password(&candidate, &hash))
        .await
        .map_err(anyhow::Error::from)?;
    let account = credentials.map(|c| c.user).filter(|u| !u.disabled);
    if let Some(user) = account.as_ref().filter(|_| matches) {
        login_repo::clear_failures(pool, name, client).await?;
        login_repo::purge_old_failures(pool).await?;
        repo::purge_expired_sessions(pool).await?;
        return Ok(user.clone());
    }
    let (failures, blocked) = login_repo::record_failure(
        pool,
        name,
        client,
        policy.max_failed_logins,
        BASE_BACKOFF_SECS,
        policy.max_backoff_secs,
    )
    .await?;
    if let (Some(until), Some(user)) = (blocked, account) {
        // The owner is told (in their own security events), the caller is not.
        let entry = AuditEntry::new(
            Actor::System("login"),
            "user.login_throttled",
            "user",
            user.id.to_string(),
        )
        .after(serde_json::json!({ "client": client, "failures": failures, "wait_until": until }));
        audit::record(pool, &entry).await?;
    }
    Err(LoginError::BadCredentials)
}
