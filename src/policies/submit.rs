//! A policy folder submitted over the API by its author: checked as `mianshen rules check`
//! does, its cases run as `mianshen rules test` does, then recorded as a draft version
//! (idempotent by content, like loading `rules/`). Nothing that fails a check or a case is
//! ever stored, so a typo cannot reach a reviewer, let alone a firm.

use std::collections::BTreeMap;

use sqlx::PgPool;

use super::service::{register, with_folder};
use crate::rules::cases::run_policy_cases;
use crate::rules::{CheckError, Policy, RuleSet};

/// At most this many files, each at most this many bytes.
pub const MAX_FILES: usize = 8;
pub const MAX_FILE_BYTES: usize = 256 * 1024;

/// One finding of `rules check`, located in its file of the folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The file as `rules check` names it inside the rules folder
    /// (`<policy-id>/rule.rhai`), or the folder itself.
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl Finding {
    /// The file's name inside the policy's folder (`rule.rhai`); empty for the folder.
    pub fn file_name(&self) -> &str {
        self.file.split_once('/').map_or("", |(_, name)| name)
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a submission was refused; the messages are shown to the author.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("{0}")]
    Invalid(String),
    #[error("规则检查未通过:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Check(Vec<Finding>),
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
    let (policy, cases_passed) = check_folder(policy_id, files)?;
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

/// What `mianshen rules check` and then `mianshen rules test` say of the folder `files`:
/// the loaded policy and the number of cases passed, or every finding (with its line) or
/// failed case. Nothing is stored.
pub fn check_folder(
    policy_id: &str,
    files: &BTreeMap<String, String>,
) -> Result<(Policy, usize), SubmitError> {
    check_shape(policy_id, files)?;
    with_folder(policy_id, files, |root| {
        let mut set = RuleSet::load(root).map_err(|errors| {
            SubmitError::Check(errors.iter().map(|e| finding(root, e)).collect())
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
    })?
}

/// A check error named by the file inside the folder, not the temporary place it was
/// checked in.
fn finding(root: &std::path::Path, error: &CheckError) -> Finding {
    let prefix = format!("{}/", root.display());
    let file = error
        .file
        .strip_prefix(root)
        .map_or_else(|_| String::new(), |p| p.to_string_lossy().into_owned());
    Finding {
        file,
        line: error.line,
        column: error.column,
        message: error.message.replace(&prefix, ""),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> BTreeMap<String, String> {
        ["policy.toml", "rule.rhai", "cases.toml"]
            .iter()
            .map(|n| {
                let path = format!("rules/qd-2026-little-giant-reward/{n}");
                (
                    (*n).to_owned(),
                    std::fs::read_to_string(path).unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn a_typo_is_found_with_its_file_and_line() {
        let mut files = folder();
        let rule = files
            .get_mut("rule.rhai")
            .map(std::mem::take)
            .unwrap_or_default();
        files.insert(
            "rule.rhai".into(),
            rule.replace("profile.serious_dishonesty", "profile.serious_dishonsty"),
        );
        let Err(SubmitError::Check(findings)) = check_folder("qd-2026-little-giant-reward", &files)
        else {
            panic!("the typo is found");
        };
        let first = &findings[0];
        assert_eq!((first.file_name(), first.line), ("rule.rhai", Some(4)));
        assert!(
            first
                .to_string()
                .starts_with("qd-2026-little-giant-reward/rule.rhai:4"),
            "{first}"
        );
    }

    #[test]
    fn the_sample_folder_passes_its_check_and_cases() {
        let (policy, cases) = check_folder("qd-2026-little-giant-reward", &folder())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&*policy.id, "qd-2026-little-giant-reward");
        assert!(cases >= 5);
    }
}
