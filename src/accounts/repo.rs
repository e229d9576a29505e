//! SQL for accounts, sessions, API tokens and login throttling.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use super::Role;
use super::secrets::{digest, random_token};
use super::user::{AccountError, NewUser, User};
use crate::profiles::Uscc;

/// An account row with what login needs beyond [`User`].
#[derive(Debug)]
pub(super) struct Credentials {
    pub user: User,
    pub password_hash: String,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
}

/// A live browser session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The account it belongs to.
    pub user: User,
    /// The token every state-changing request of this session must echo.
    pub csrf_token: String,
}

/// Builds a [`User`] from a row. The table's CHECK constraints hold role and uscc to
/// these forms; a row that breaks them is an error, never a guess.
fn to_user(
    id: i64,
    username: String,
    display_name: String,
    role: &str,
    uscc: Option<String>,
) -> sqlx::Result<User> {
    let decode = |e: String| sqlx::Error::Decode(e.into());
    Ok(User {
        id,
        username,
        display_name,
        role: role.parse::<Role>().map_err(|e| decode(e.to_string()))?,
        uscc: uscc
            .map(|code| Uscc::parse(&code).map_err(|e| decode(e.to_string())))
            .transpose()?,
    })
}

/// Creates an account with an already hashed password.
#[tracing::instrument(skip_all, fields(user.role = %new.role))]
pub async fn create_user(
    conn: &mut PgConnection,
    new: &NewUser,
    password_hash: &str,
) -> Result<User, anyhow::Error> {
    let row = sqlx::query!(
        r#"INSERT INTO users (username, display_name, role, uscc, password_hash)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT ON CONSTRAINT users_username_key DO NOTHING
           RETURNING id"#,
        new.username,
        new.display_name,
        new.role.as_str(),
        new.uscc.as_ref().map(Uscc::as_str),
        password_hash,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Err(AccountError::UsernameTaken(new.username.clone()).into());
    };
    Ok(User {
        id: row.id,
        username: new.username.clone(),
        display_name: new.display_name.clone(),
        role: new.role,
        uscc: new.uscc.clone(),
    })
}

/// The account with this login name, if any.
pub async fn find_user_by_username(
    executor: impl PgExecutor<'_>,
    username: &str,
) -> sqlx::Result<Option<User>> {
    Ok(find_credentials(executor, username).await?.map(|c| c.user))
}

pub(super) async fn find_credentials(
    executor: impl PgExecutor<'_>,
    username: &str,
) -> sqlx::Result<Option<Credentials>> {
    let row = sqlx::query!(
        r#"SELECT id, username, display_name, role, uscc, password_hash, locked_until,
                  disabled_at IS NOT NULL AS "disabled!"
           FROM users WHERE username = $1"#,
        username
    )
    .fetch_optional(executor)
    .await?;
    row.map(|r| {
        Ok(Credentials {
            user: to_user(r.id, r.username, r.display_name, &r.role, r.uscc)?,
            password_hash: r.password_hash,
            locked_until: r.locked_until,
            disabled: r.disabled,
        })
    })
    .transpose()
}

/// Every account, by login name.
pub async fn list_users(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<User>> {
    let rows =
        sqlx::query!("SELECT id, username, display_name, role, uscc FROM users ORDER BY username")
            .fetch_all(executor)
            .await?;
    rows.into_iter()
        .map(|r| to_user(r.id, r.username, r.display_name, &r.role, r.uscc))
        .collect()
}

/// Counts a failed login; locks the account once `max_failures` is reached. Returns the
/// lock's end if the account is now locked.
pub(super) async fn record_failure(
    executor: impl PgExecutor<'_>,
    user_id: i64,
    max_failures: i32,
    lockout_minutes: i32,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    let row = sqlx::query!(
        r#"UPDATE users
           SET failed_logins = failed_logins + 1,
               locked_until = CASE WHEN failed_logins + 1 >= $2
                                   THEN now() + make_interval(mins => $3)
                                   ELSE locked_until END
           WHERE id = $1
           RETURNING locked_until"#,
        user_id,
        max_failures,
        lockout_minutes,
    )
    .fetch_one(executor)
    .await?;
    Ok(row.locked_until)
}

/// Clears the failure count after a successful login.
pub(super) async fn record_success(
    executor: impl PgExecutor<'_>,
    user_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
        user_id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Lifts a lock-out. Returns whether the account exists.
pub async fn unlock_user(executor: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
        user_id
    )
    .execute(executor)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Counts one login attempt from `client` in the current minute and returns the count.
pub(super) async fn count_attempt(
    executor: impl PgExecutor<'_>,
    client: &str,
) -> sqlx::Result<i32> {
    let row = sqlx::query!(
        r#"INSERT INTO login_throttle AS t (client, window_start, attempts)
           VALUES ($1, date_trunc('minute', now()), 1)
           ON CONFLICT ON CONSTRAINT login_throttle_pkey DO UPDATE
           SET attempts = CASE WHEN t.window_start = date_trunc('minute', now())
                               THEN t.attempts + 1 ELSE 1 END,
               window_start = date_trunc('minute', now())
           RETURNING attempts"#,
        client
    )
    .fetch_one(executor)
    .await?;
    Ok(row.attempts)
}

/// Starts a session; returns the cookie value (shown once, stored only as a digest).
pub async fn create_session(
    executor: impl PgExecutor<'_>,
    user_id: i64,
    ttl_minutes: i32,
) -> sqlx::Result<(String, String)> {
    let token = random_token("mss_");
    let csrf = random_token("");
    sqlx::query!(
        r#"INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(mins => $4))"#,
        digest(&token),
        user_id,
        csrf,
        ttl_minutes,
    )
    .execute(executor)
    .await?;
    Ok((token, csrf))
}

/// The live session behind a cookie value, if any.
pub async fn find_session(
    executor: impl PgExecutor<'_>,
    token: &str,
) -> sqlx::Result<Option<SessionRecord>> {
    let row = sqlx::query!(
        r#"SELECT u.id, u.username, u.display_name, u.role, u.uscc, s.csrf_token
           FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL"#,
        digest(token)
    )
    .fetch_optional(executor)
    .await?;
    row.map(|r| {
        Ok(SessionRecord {
            user: to_user(r.id, r.username, r.display_name, &r.role, r.uscc)?,
            csrf_token: r.csrf_token,
        })
    })
    .transpose()
}

/// Ends a session.
pub async fn delete_session(executor: impl PgExecutor<'_>, token: &str) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM sessions WHERE token_hash = $1", digest(token))
        .execute(executor)
        .await?;
    Ok(())
}

/// Issues an API token for a machine client; returns the token (shown once).
pub async fn create_api_token(
    executor: impl PgExecutor<'_>,
    user_id: i64,
    label: &str,
) -> sqlx::Result<String> {
    let token = random_token("msk_");
    sqlx::query!(
        "INSERT INTO api_tokens (user_id, label, token_hash) VALUES ($1, $2, $3)",
        user_id,
        label,
        digest(&token),
    )
    .execute(executor)
    .await?;
    Ok(token)
}

/// The account behind a live API token, if any; marks the token used.
pub async fn find_by_token(
    executor: impl PgExecutor<'_>,
    token: &str,
) -> sqlx::Result<Option<User>> {
    let row = sqlx::query!(
        r#"UPDATE api_tokens t SET last_used_at = now()
           FROM users u
           WHERE t.token_hash = $1 AND t.revoked_at IS NULL
             AND u.id = t.user_id AND u.disabled_at IS NULL
           RETURNING u.id, u.username, u.display_name, u.role, u.uscc"#,
        digest(token)
    )
    .fetch_optional(executor)
    .await?;
    row.map(|r| to_user(r.id, r.username, r.display_name, &r.role, r.uscc))
        .transpose()
}
