//! What an administrator does to accounts (disable, enable, change a role, lift a login
//! wait) and what a person does to their own (change their password); each audited in
//! the same transaction. None of it hands anyone another person's credentials.

use serde_json::json;
use sqlx::PgPool;

use super::user::{AccountError, NewUser, check_password_strength};
use super::{Role, User, login_repo, password, repo};
use crate::audit::{self, Actor, AuditEntry};

/// Why an account change was refused; the messages are shown to people.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// No such account.
    #[error("没有编号为 {0} 的账户 / no account with id {0}")]
    NotFound(i64),
    /// Administrators do not change their own role or disable themselves.
    #[error(
        "不能对自己的账户执行此操作，请由另一位管理员办理 / another administrator must do this to your account"
    )]
    OwnAccount,
    /// The current password given is wrong.
    #[error("当前密码不正确 / the current password is wrong")]
    WrongPassword,
    /// The new password is the one set by the administrator.
    #[error("新密码不能与当前密码相同 / the new password must differ from the current one")]
    SamePassword,
    /// Bad role, firm or password.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// The database or the hasher failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ManageError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

/// Disables (`disabled`) or re-enables account `id`; disabling ends its sessions (its
/// tokens stop working with it).
pub async fn set_disabled(
    pool: &PgPool,
    admin: &User,
    id: i64,
    disabled: bool,
) -> Result<User, ManageError> {
    if id == admin.id {
        return Err(ManageError::OwnAccount);
    }
    let mut tx = pool.begin().await?;
    if !repo::set_disabled(&mut *tx, id, disabled).await? {
        return Err(ManageError::NotFound(id));
    }
    if disabled {
        repo::delete_sessions_of(&mut *tx, id).await?;
    }
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    let entry = AuditEntry::new(Actor::User(&admin.username), action, "user", id.to_string());
    audit::record(&mut *tx, &entry).await?;
    let user = repo::find_user(&mut *tx, id)
        .await?
        .ok_or(ManageError::NotFound(id))?;
    tx.commit().await?;
    Ok(user)
}

/// Gives account `id` another role (and firm); its sessions end so it signs in afresh.
pub async fn set_role(
    pool: &PgPool,
    admin: &User,
    id: i64,
    role: Role,
    uscc: Option<&str>,
) -> Result<User, ManageError> {
    if id == admin.id {
        return Err(ManageError::OwnAccount);
    }
    let uscc = NewUser::role_and_firm(role, uscc)?;
    let mut tx = pool.begin().await?;
    let before = repo::find_user(&mut *tx, id)
        .await?
        .ok_or(ManageError::NotFound(id))?;
    repo::set_role(&mut *tx, id, role, uscc.as_ref()).await?;
    repo::delete_sessions_of(&mut *tx, id).await?;
    let entry = AuditEntry::new(
        Actor::User(&admin.username),
        "user.role",
        "user",
        id.to_string(),
    )
    .before(json!({ "role": before.role, "uscc": before.uscc }))
    .after(json!({ "role": role, "uscc": uscc }));
    audit::record(&mut *tx, &entry).await?;
    let user = repo::find_user(&mut *tx, id)
        .await?
        .ok_or(ManageError::NotFound(id))?;
    tx.commit().await?;
    Ok(user)
}

/// Lifts every login wait on account `id`'s name.
pub async fn unlock(pool: &PgPool, admin: &User, id: i64) -> Result<(), ManageError> {
    let mut tx = pool.begin().await?;
    let user = repo::find_user(&mut *tx, id)
        .await?
        .ok_or(ManageError::NotFound(id))?;
    login_repo::clear_all_failures(&mut *tx, &user.username).await?;
    let entry = AuditEntry::new(
        Actor::User(&admin.username),
        "user.unlock",
        "user",
        id.to_string(),
    );
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// The owner sets their own password, proving the current one; other sessions end.
pub async fn change_own_password(
    pool: &PgPool,
    user: &User,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
) -> Result<(), ManageError> {
    check_password_strength(new)?;
    if current == new {
        return Err(ManageError::SamePassword);
    }
    let stored = repo::password_hash(pool, user.id)
        .await?
        .ok_or(ManageError::NotFound(user.id))?;
    let (current, new) = (current.to_owned(), new.to_owned());
    let (matches, hash) = tokio::task::spawn_blocking(move || {
        let matches = password::verify_password(&current, &stored);
        (matches, matches.then(|| password::hash_password(&new)))
    })
    .await
    .map_err(anyhow::Error::from)?;
    let Some(hash) = hash else {
        debug_assert!(!matches);
        return Err(ManageError::WrongPassword);
    };
    let hash = hash?;
    let mut tx = pool.begin().await?;
    repo::set_own_password(&mut *tx, user.id, &hash).await?;
    repo::delete_other_sessions(&mut *tx, user.id, keep_session).await?;
    let entry = AuditEntry::new(
        Actor::User(&user.username),
        "user.password_change",
        "user",
        user.id.to_string(),
    );
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}
