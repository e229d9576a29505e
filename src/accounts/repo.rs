//! SQL for accounts, sessions, API tokens and login throttling.

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
pub(super) fn to_user(row: UserRow) -> sqlx::Result<User> {
    let decode = |e: String| sqlx::Error::Decode(e.into());
    Ok(User {
        id: row.id,
        username: row.username,
        display_name: row.display_name,
        role: row
            .role
            .parse::<Role>()
            .map_err(|e| decode(e.to_string()))?,
        uscc: row
            .uscc
            .map(|code| Uscc::parse(&code).map_err(|e| decode(e.to_string())))
            .transpose()?,
        must_change_password: row.must_change_password,
        disabled: row.disabled,
    })
}

/// The columns of `users` a [`User`] is built from.
#[derive(Debug)]
pub(super) struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub uscc: Option<String>,
    pub must_change_password: bool,
    pub disabled: bool,
}

/// Creates an account with an already hashed password.
#[tracing::instrument(skip_all, fields(user.role = %new.role))]
pub async fn create_user(
    conn: &mut PgConnection,
    new: &NewUser,
    password_hash: &str,
) -> Result<User, anyhow::Error> {
    let row = sqlx::query!(
        r#"INSERT INTO users (username, display_name, role, uscc, password_hash, must_change_password)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT ON CONSTRAINT users_username_key DO NOTHING
           RETURNING id"#,
        new.username,
        new.display_name,
        new.role.as_str(),
        new.uscc.as_ref().map(Uscc::as_str),
        password_hash,
        new.must_change_password,
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
        must_change_password: new.must_change_password,
        disabled: false,
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
        r#"SELECT id, username, display_name, role, uscc, password_hash, must_change_password,
                  disabled_at IS NOT NULL AS "disabled!"
           FROM users WHERE username = $1"#,
        username
    )
    .fetch_optional(executor)
    .await?;
    row.map(|r| {
        Ok(Credentials {
            password_hash: r.password_hash,
            user: to_user(UserRow {
                id: r.id,
                username: r.username,
                display_name: r.display_name,
                role: r.role,
                uscc: r.uscc,
                must_change_password: r.must_change_password,
                disabled: r.disabled,
            })?,
        })
    })
    .transpose()
}

/// Up to `limit` accounts by id after `after_id`.
pub async fn list_users(
    executor: impl PgExecutor<'_>,
    after_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<User>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, username, display_name, role, uscc, must_change_password,
                  disabled_at IS NOT NULL AS "disabled!"
           FROM users WHERE id > $1 ORDER BY id LIMIT $2"#,
        after_id,
        limit
    )
    .fetch_all(executor)
    .await?
    .into_iter()
    .map(to_user)
    .collect()
}

/// The account with this id, disabled or not.
pub async fn find_user(executor: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<User>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, username, display_name, role, uscc, must_change_password,
                  disabled_at IS NOT NULL AS "disabled!"
           FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(executor)
    .await?
    .map(to_user)
    .transpose()
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
        r#"SELECT u.id, u.username, u.display_name, u.role, u.uscc, u.must_change_password,
                  s.csrf_token
           FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL"#,
        digest(token)
    )
    .fetch_optional(executor)
    .await?;
    row.map(|r| {
        Ok(SessionRecord {
            user: to_user(UserRow {
                id: r.id,
                username: r.username,
                display_name: r.display_name,
                role: r.role,
                uscc: r.uscc,
                must_change_password: r.must_change_password,
                disabled: false,
            })?,
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

/// Ends every session of an account (disabled, role changed, password changed).
pub async fn delete_sessions_of(executor: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!("DELETE FROM sessions WHERE user_id = $1", user_id)
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}

/// Ends every session of an account but `keep` (a cookie value).
pub async fn delete_other_sessions(
    executor: impl PgExecutor<'_>,
    user_id: i64,
    keep: Option<&str>,
) -> sqlx::Result<u64> {
    let keep = keep.map(digest);
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE user_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2)",
        user_id,
        keep
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

/// Forgets sessions that ended more than a day ago.
pub async fn purge_expired_sessions(executor: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query!("DELETE FROM sessions WHERE expires_at < now() - interval '1 day'")
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}

/// Disables (`true`) or re-enables an account; `false` when there is no such account.
pub async fn set_disabled(
    executor: impl PgExecutor<'_>,
    user_id: i64,
    disabled: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"UPDATE users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END
           WHERE id = $1"#,
        user_id,
        disabled
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives an account another role (and firm, for enterprise accounts).
pub async fn set_role(
    executor: impl PgExecutor<'_>,
    user_id: i64,
    role: Role,
    uscc: Option<&Uscc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE users SET role = $2, uscc = $3 WHERE id = $1",
        user_id,
        role.as_str(),
        uscc.map(Uscc::as_str)
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The stored password hash of an account.
pub async fn password_hash(
    executor: impl PgExecutor<'_>,
    user_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user_id)
        .fetch_optional(executor)
        .await
}

/// Stores a password the owner chose, which lifts `must_change_password`.
pub async fn set_own_password(
    executor: impl PgExecutor<'_>,
    user_id: i64,
    password_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2, must_change_password = false WHERE id = $1",
        user_id,
        password_hash
    )
    .execute(executor)
    .await?;
    Ok(())
}
