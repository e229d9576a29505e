//! A policy folder submitted over the API by its author: checked as `mianshen rules check`
//! does, its cases run as `mianshen rules test` does, then recorded as a draft version
//! (idempotent by content, like loading `rules/`). Nothing that fails a check or a case is
//! ever stored, so a typo cannot reach a reviewer, let alone a firm.

use std::collections::BTreeMap;

use sqlx::PgPool;

use super::service::{register, with_folder};
use crate::rules::RuleSet;
use crate::rules::cases::run_policy_cases;

/// At most this many files, each at most this many bytes.
const MAX_FILES: usize = 8;
const MAX_FILE_BYTES: usize = 256 * 1024;

/// Why a submission was refused; the messages are shown to the author.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("{0}")]
    Invalid(String),
    #[error("规则检查未通过:\n{}", .0.join("\n"))]
    Check(Vec<String>),
    #[error("规则测试未通过:\n{}", .0.join("\n"))]
    Cases(Vec<String>),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A submitted version: what is recorded, and whether it is new.
#[derive(utoipa::ToSchema, Debug, Clone, serde::Serialize)]
pub struct Submitted {
    pub id: i64,
    pub policy_id: String,
    pub version_hash: String,
    pub created: bool,
    pub cases_passed: usize,
}

/// Checks and records the folder `files` of policy `policy_id` as a draft by `author`.
pub async fn submit(
    pool: &PgPool,
    policy_id: &str,
    files: &BTreeMap<String, String>,
    author: &str,
) -> Result<Submitted, SubmitError> {
    check_shape(policy_id, files)?;
    let (policy, cases_passed) = with_folder(policy_id, files, |root| {
        // Errors name the file inside the folder, not the temporary place it was checked in.
        let prefix = format!("{}/", root.display());
        let mut set = RuleSet::load(root).map_err(|errors| {
            SubmitError::Check(
                errors
                    .iter()
                    .map(|e| e.to_string().replace(&prefix, ""))
                    .collect(),
            )
        })?;
        let policy = set
            .policies
            .pop()
            .ok_or_else(|| SubmitError::Invalid("没有可加载的政策".into()))?;
        let passed =
            run_policy_cases(crate::rules::RuleEngine::shared(), &policy).map_err(|failures| {
                SubmitError::Cases(
                    failures
                        .iter()
                        .map(|f| format!("{}: 期望 {}, 实际 {}", f.case, f.expected, f.actual))
                        .collect(),
                )
            })?;
        if passed == 0 {
            return Err(SubmitError::Cases(vec![
                "cases.toml 中没有测试用例: 至少需要一个".into(),
            ]));
        }
        Ok::<_, SubmitError>((policy, passed))
    })??;
    let mut tx = pool.begin().await.map_err(anyhow::Error::from)?;
    let (id, created) = register(&mut tx, &policy, files, author).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(Submitted {
        id,
        policy_id: policy.id.to_string(),
        version_hash: policy.version_hash.to_string(),
        created,
        cases_passed,
    })
}

/// The id and file names become paths: only plain names, and bounded sizes.
fn check_shape(policy_id: &str, files: &BTreeMap<String, String>) -> Result<(), SubmitError> {
    let invalid = |m: String| Err(SubmitError::Invalid(m));
    let id_ok = !policy_id.is_empty()
        && policy_id.len() <= 64
        && policy_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !policy_id.starts_with('-');
    if !id_ok {
        return invalid(format!(
            "政策编号 '{policy_id}' 无效: 只能使用小写字母、数字和连字符, 最长64个字符"
        ));
    }
    for required in ["policy.toml", "rule.rhai", "cases.toml"] {
        if !files.contains_key(required) {
            return invalid(format!("缺少文件 {required}"));
        }
    }
    if files.len() > MAX_FILES {
        return invalid(format!("文件过多: 最多 {MAX_FILES} 个"));
    }
    for (name, content) in files {
        let name_ok = !name.starts_with('.')
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
        if !name_ok {
            return invalid(format!(
                "文件名 '{name}' 无效: 只能使用字母、数字、点、下划线和连字符"
            ));
        }
        if content.len() > MAX_FILE_BYTES {
            return invalid(format!("文件 {name} 超过 {} KiB", MAX_FILE_BYTES / 1024));
        }
    }
    Ok(())
}
