//! Registering, publishing and retiring policy versions, and rebuilding a version's
//! [`Policy`] from its stored files so a decision can be replayed exactly.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use sqlx::PgPool;

use super::repo::{self, PolicyVersion};
use crate::audit::{self, Actor, AuditEntry};
use crate::rules::{Mode, Policy, RuleSet, read_folder};

/// Why a publish or retire was refused. The messages are shown to staff.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("政策版本不存在")]
    NotFound,
    #[error("不能发布自己提交的政策版本（四眼原则）")]
    OwnDraft,
    #[error("只有草稿可以发布，该版本当前状态为 {0}")]
    NotDraft(String),
    #[error("只有已发布的版本可以停用，该版本当前状态为 {0}")]
    NotPublished(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The stored text of a mode.
pub fn mode_text(mode: Mode) -> &'static str {
    match mode {
        Mode::NoApplication => "免申即享",
        Mode::ConfirmToReceive => "确认即享",
    }
}

/// Records one loaded policy, whose folder held `files`, as a version authored by `author`
/// (idempotent by content).
pub async fn register(
    conn: &mut sqlx::PgConnection,
    policy: &Policy,
    files: &BTreeMap<String, String>,
    author: &str,
) -> anyhow::Result<(i64, bool)> {
    let meta = serde_json::to_value(&policy.meta)?;
    let (id, new) = repo::insert_version(
        conn,
        &policy.id,
        &policy.version_hash,
        &policy.meta.title,
        mode_text(policy.meta.mode),
        &meta,
        &serde_json::to_value(files)?,
        author,
    )
    .await?;
    if new {
        let entry = AuditEntry::new(
            Actor::User(author),
            "policy.version.create",
            "policy_version",
            id.to_string(),
        )
        .after(
            json!({"policy_id": policy.id, "version_hash": policy.version_hash, "status": "draft"}),
        );
        audit::record(&mut *conn, &entry).await?;
    }
    Ok((id, new))
}

/// Loads `dir` (every policy checked) and records each folder as a version by `author`.
/// Returns (version id, policy id, newly created) per policy.
pub async fn load_versions(
    pool: &PgPool,
    dir: &Path,
    author: &str,
) -> anyhow::Result<Vec<(i64, String, bool)>> {
    let set = RuleSet::load(dir).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("规则目录有错误:\n{}", lines.join("\n"))
    })?;
    let mut tx = pool.begin().await?;
    let mut out = Vec::new();
    for policy in &set.policies {
        let files = read_folder(&policy.dir)?;
        let (id, new) = register(&mut tx, policy, &files, author).await?;
        out.push((id, policy.id.to_string(), new));
    }
    tx.commit().await?;
    Ok(out)
}

/// Publishes draft `id` as `reviewer`; the version it replaces is retired in the same step.
pub async fn publish(
    pool: &PgPool,
    id: i64,
    reviewer: &str,
) -> Result<PolicyVersion, PublishError> {
    let mut tx = pool.begin().await?;
    let version = repo::find_version(&mut *tx, id)
        .await?
        .ok_or(PublishError::NotFound)?;
    if version.status != "draft" {
        return Err(PublishError::NotDraft(version.status));
    }
    if version.author == reviewer {
        return Err(PublishError::OwnDraft);
    }
    let replaces = repo::published_of(&mut tx, &version.policy_id).await?;
    if let Some(old) = replaces {
        repo::set_retired(&mut tx, old, reviewer).await?;
        let entry = AuditEntry::new(
            Actor::User(reviewer),
            "policy.version.retire",
            "policy_version",
            old.to_string(),
        )
        .before(json!({"status": "published"}))
        .after(json!({"status": "retired", "replaced_by": id}));
        audit::record(&mut *tx, &entry).await?;
    }
    repo::set_published(&mut tx, id, reviewer, replaces).await?;
    let entry = AuditEntry::new(
        Actor::User(reviewer),
        "policy.version.publish",
        "policy_version",
        id.to_string(),
    )
    .before(json!({"status": "draft"}))
    .after(json!({"status": "published", "replaces": replaces}));
    audit::record(&mut *tx, &entry).await?;
    let published = repo::find_version(&mut *tx, id)
        .await?
        .ok_or(PublishError::NotFound)?;
    tx.commit().await?;
    Ok(published)
}

/// Retires published version `id`.
pub async fn retire(pool: &PgPool, id: i64, by: &str) -> Result<(), PublishError> {
    let mut tx = pool.begin().await?;
    let version = repo::find_version(&mut *tx, id)
        .await?
        .ok_or(PublishError::NotFound)?;
    if version.status != "published" {
        return Err(PublishError::NotPublished(version.status));
    }
    repo::set_retired(&mut tx, id, by).await?;
    let entry = AuditEntry::new(
        Actor::User(by),
        "policy.version.retire",
        "policy_version",
        id.to_string(),
    )
    .before(json!({"status": "published"}))
    .after(json!({"status": "retired"}));
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// The stored files of a version by name (empty when the stored value is not a map).
pub fn files_of(version: &PolicyVersion) -> BTreeMap<String, String> {
    let Value::Object(stored) = &version.files else {
        return BTreeMap::new();
    };
    stored
        .iter()
        .map(|(name, content)| {
            (
                name.clone(),
                content.as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Rebuilds the exact [`Policy`] of a stored version from its files.
pub fn policy_of(version: &PolicyVersion) -> anyhow::Result<Policy> {
    let files = files_of(version);
    anyhow::ensure!(!files.is_empty(), "政策版本 {} 的文件不完整", version.id);
    let policy = with_folder(&version.policy_id, &files, RuleSet::load)?
        .map_err(|e| anyhow::anyhow!("政策版本 {} 无法加载: {e:?}", version.id))?
        .policies
        .pop()
        .ok_or_else(|| anyhow::anyhow!("政策版本为空"))?;
    anyhow::ensure!(
        *policy.version_hash == *version.version_hash,
        "政策版本 {} 的内容与其哈希不符",
        version.id
    );
    Ok(policy)
}

/// Writes `files` as the folder `<temp>/<policy_id>/`, calls `f` with `<temp>`, and removes
/// the folder again. The caller has checked `policy_id` and the file names.
pub(super) fn with_folder<T>(
    policy_id: &str,
    files: &BTreeMap<String, String>,
    f: impl FnOnce(&Path) -> T,
) -> anyhow::Result<T> {
    let root = std::env::temp_dir().join(format!(
        "mianshen-policy-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    let dir = root.join(policy_id);
    std::fs::create_dir_all(&dir)?;
    let written = files
        .iter()
        .try_for_each(|(name, content)| std::fs::write(dir.join(name), content));
    let out = written.map(|()| f(&root));
    let _ = std::fs::remove_dir_all(&root);
    Ok(out?)
}
