//! Versions: every version listed, one version's files (the rule highlighted with the
//! project's rule tokenizer) with what `rules check` and `rules test` say of them, and publishing by
//! a reviewer who is not the author (`/review` lists the drafts waiting for them).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;

use super::highlight::{SourceLine, highlight_rhai};
use crate::accounts::Role;
use crate::edge::auth::{Authorized, CurrentUser, PolicyReaders, Publishers};
use crate::edge::{ApiError, ApiPath, AppState};
use crate::policies::{self, Finding, PolicyVersion, SubmitError};
use crate::web::chrome::Chrome;
use crate::web::format;

/// One version as the lists show it.
#[derive(Debug, Clone)]
pub struct VersionLine {
    pub id: i64,
    pub policy_id: String,
    pub title: String,
    pub mode: String,
    pub status: &'static str,
    pub author: String,
    pub at: String,
}

/// One file of a version.
#[derive(Debug, Clone)]
pub struct File {
    pub name: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "policies.html")]
pub(super) struct VersionsPage {
    chrome: Chrome,
    heading: &'static str,
    intro: &'static str,
    versions: Vec<VersionLine>,
    can_submit: bool,
}

/// What `rules check` and `rules test` say of a version's files.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Both passed.
    pub passed: bool,
    /// One line for the page: what passed, or what failed.
    pub summary: String,
    /// The findings (`rules check`) or failed cases (`rules test`), each on one line.
    pub details: Vec<String>,
}

/// Another version of the same policy, to compare with.
#[derive(Debug, Clone)]
pub struct Sibling {
    pub id: i64,
    pub label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "policy_version.html")]
pub(super) struct VersionPage {
    chrome: Chrome,
    version: VersionLine,
    rule: Vec<SourceLine>,
    files: Vec<File>,
    verdict: Verdict,
    siblings: Vec<Sibling>,
    latest_dry_run: Option<i64>,
    can_publish: bool,
    can_dry_run: bool,
    own_draft: bool,
    is_author: bool,
}

pub(super) fn status(code: &str) -> &'static str {
    match code {
        "draft" => "草稿（待发布）",
        "published" => "已发布（现行）",
        "retired" => "已废止",
        _ => "未知",
    }
}

pub(super) fn line(v: &PolicyVersion) -> VersionLine {
    VersionLine {
        id: v.id,
        policy_id: v.policy_id.clone(),
        title: v.title.clone(),
        mode: v.mode.clone(),
        status: status(&v.status),
        author: v.author.clone(),
        at: format::beijing(v.created_at),
    }
}

async fn versions(state: &AppState) -> Result<Vec<PolicyVersion>, ApiError> {
    Ok(policies::list_versions_page(&state.pool, i64::MAX, 200).await?)
}

pub(super) async fn list_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<PolicyReaders>,
) -> Result<VersionsPage, ApiError> {
    Ok(VersionsPage {
        chrome: Chrome::new("政策与版本", Some(&current)),
        heading: "政策与版本",
        intro: "每个版本的规则文件、试算结果与发布状态。草稿须由作者以外的审核人员发布。",
        versions: versions(&state).await?.iter().map(line).collect(),
        can_submit: current.user.role == Role::PolicyAuthor,
    })
}

/// `/review`: drafts by others, waiting for this reviewer to publish them.
pub(super) async fn review_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Publishers>,
) -> Result<VersionsPage, ApiError> {
    let me = &current.user.username;
    Ok(VersionsPage {
        chrome: Chrome::new("待发布的政策版本", Some(&current)),
        heading: "待发布的政策版本",
        intro: "以下草稿由其他人员提交。请查看规则与试算结果后发布；您本人提交的草稿不会出现在这里。",
        versions: versions(&state)
            .await?
            .iter()
            .filter(|v| v.status == "draft" && &v.author != me)
            .map(line)
            .collect(),
        can_submit: false,
    })
}

pub(super) async fn find(state: &AppState, id: i64) -> Result<PolicyVersion, ApiError> {
    policies::find_version(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("政策版本不存在".to_owned()))
}

fn may_publish(current: &CurrentUser, v: &PolicyVersion) -> bool {
    current.user.role == Role::Reviewer && v.status == "draft" && v.author != current.user.username
}

pub(super) async fn version_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<PolicyReaders>,
    ApiPath(id): ApiPath<i64>,
) -> Result<VersionPage, ApiError> {
    let v = find(&state, id).await?;
    let stored = policies::files_of(&v);
    let rule = highlight_rhai(stored.get("rule.rhai").map_or("", String::as_str));
    let files = stored
        .iter()
        .filter(|(name, _)| name.as_str() != "rule.rhai")
        .map(|(name, text)| File {
            name: name.clone(),
            text: text.clone(),
        })
        .collect();
    // Checking compiles the rule and runs its cases: off the request threads.
    let (policy_id, folder) = (v.policy_id.clone(), stored.clone());
    let verdict = tokio::task::spawn_blocking(move || verdict(&policy_id, &folder))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let siblings = versions(&state)
        .await?
        .iter()
        .filter(|o| o.policy_id == v.policy_id && o.id != v.id)
        .map(|o| Sibling {
            id: o.id,
            label: format!(
                "版本 {}（{}，{}）",
                o.id,
                status(&o.status),
                format::beijing(o.created_at)
            ),
        })
        .collect();
    let role = current.user.role;
    Ok(VersionPage {
        chrome: Chrome::new(format!("{}（版本 {}）", v.title, v.id), Some(&current)),
        can_publish: may_publish(&current, &v),
        can_dry_run: matches!(role, Role::PolicyAuthor | Role::Reviewer),
        is_author: role == Role::PolicyAuthor,
        own_draft: v.status == "draft" && v.author == current.user.username,
        latest_dry_run: policies::latest_dry_run_job(&state.pool, v.id).await?,
        version: line(&v),
        rule,
        files,
        verdict,
        siblings,
    })
}

/// Runs the checks the CLI runs (`rules check`, then `rules test`) on the stored files.
fn verdict(policy_id: &str, files: &std::collections::BTreeMap<String, String>) -> Verdict {
    verdict_of(&policies::check_folder(policy_id, files).map(|(_, cases)| cases))
}

/// What the page says of a check: the cases passed, or the findings and failed cases.
pub(super) fn verdict_of(checked: &Result<usize, SubmitError>) -> Verdict {
    match checked {
        Ok(cases) => Verdict {
            passed: true,
            summary: format!("规则检查通过；测试用例 {cases} 个，全部通过。"),
            details: Vec::new(),
        },
        Err(SubmitError::Check(findings)) => Verdict {
            passed: false,
            summary: format!("规则检查发现 {} 个问题，请修改后再检查：", findings.len()),
            details: findings.iter().map(finding_text).collect(),
        },
        Err(SubmitError::Cases(failures)) => Verdict {
            passed: false,
            summary: format!(
                "规则检查通过，但有 {} 个测试用例未通过，请修改规则或用例：",
                failures.len()
            ),
            details: failures.clone(),
        },
        Err(SubmitError::Invalid(message)) => Verdict {
            passed: false,
            summary: "文件夹不完整或不符合要求：".to_owned(),
            details: vec![message.clone()],
        },
        Err(SubmitError::Other(_)) => Verdict {
            passed: false,
            summary: "暂时无法检查，请稍后重试；如仍失败，请联系系统管理员。".to_owned(),
            details: Vec::new(),
        },
    }
}

/// A finding as people read it: the file, the line and column, and what is wrong.
fn finding_text(f: &Finding) -> String {
    let mut at = match f.file_name() {
        "" => "政策文件夹".to_owned(),
        name => name.to_owned(),
    };
    if let Some(line) = f.line {
        at.push_str(&format!(" 第 {line} 行"));
        if let Some(column) = f.column {
            at.push_str(&format!("第 {column} 列"));
        }
    }
    format!("{at}：{}", f.message)
}

pub(super) async fn publish(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Publishers>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Redirect, ApiError> {
    policies::publish(&state.pool, id, &current.user.username).await?;
    Ok(Redirect::to(&format!("/policies/{id}")))
}
