//! Account operations that span hashing, storage and the audit log.

use serde_json::json;
use sqlx::PgPool;

use super::{NewUser, User, password, repo};
use crate::audit::{self, Actor, AuditEntry};

/// Creates an account and records it in the audit log, in one transaction.
pub async fn create_user_audited(
    pool: &PgPool,
    new: &NewUser,
    actor: Actor<'_>,
) -> anyhow::Result<User> {
    let plain = new.password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash_password(&plain)).await??;
    let mut tx = pool.begin().await?;
    let user = repo::create_user(&mut tx, new, &hash).await?;
    let after = json!({
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "uscc": user.uscc,
    });
    let entry = AuditEntry::new(actor, "user.create", "user", user.id.to_string()).after(after);
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(user)
}
