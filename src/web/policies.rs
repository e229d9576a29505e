//! The policy workspace: authors and reviewers see every version with its files; the dry
//! run (试算) of a version shows how many firms and how much money it means, by district
//! and by size as charts, and the firms whose outcome differs from the version in force;
//! a reviewer publishes a draft that is not their own (`/review` lists those).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;
use serde_json::json;

use super::chrome::Chrome;
use super::format;
use crate::accounts::Role;
use crate::edge::auth::{Authorized, CurrentUser, PolicyReaders, Publishers};
use crate::edge::{ApiError, ApiPath, AppState};
use crate::ingest::today_in_china;
use crate::policies::{self, PolicyVersion};

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

/// One row of a tally (district or size class).
#[derive(Debug, Clone)]
pub struct TallyRow {
    pub name: String,
    pub firms: u64,
    pub amount: String,
}

/// A firm whose outcome the draft changes.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    pub uscc: String,
    pub before: String,
    pub after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "policies.html")]
pub(super) struct VersionsPage {
    chrome: Chrome,
    heading: &'static str,
    intro: &'static str,
    versions: Vec<VersionLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "policy_version.html")]
pub(super) struct VersionPage {
    chrome: Chrome,
    version: VersionLine,
    files: Vec<File>,
    can_publish: bool,
    own_draft: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "dry_run.html")]
pub(super) struct DryRunPage {
    chrome: Chrome,
    version: VersionLine,
    as_of: String,
    eligible: u64,
    total: String,
    districts: Vec<TallyRow>,
    sizes: Vec<TallyRow>,
    changes: Vec<ChangeRow>,
    more_changes: usize,
    chart_data: String,
    chart_js: String,
    echarts_js: String,
}

fn status(code: &str) -> &'static str {
    match code {
        "draft" => "草稿（待发布）",
        "published" => "已发布（现行）",
        "retired" => "已废止",
        _ => "未知",
    }
}

fn line(v: &PolicyVersion) -> VersionLine {
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
    })
}

async fn find(state: &AppState, id: i64) -> Result<PolicyVersion, ApiError> {
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
    let files = v
        .files
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, text)| File {
            name: name.clone(),
            text: text.as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    Ok(VersionPage {
        chrome: Chrome::new(format!("{}（版本 {}）", v.title, v.id), Some(&current)),
        can_publish: may_publish(&current, &v),
        own_draft: v.status == "draft" && v.author == current.user.username,
        version: line(&v),
        files,
    })
}

/// How many changed firms the page lists.
const CHANGES_SHOWN: usize = 100;

fn tally_rows<'a>(
    tallies: impl Iterator<Item = (&'a String, &'a policies::Tally)>,
    name: impl Fn(&str) -> String,
) -> Vec<TallyRow> {
    tallies
        .map(|(key, t)| TallyRow {
            name: name(key),
            firms: t.firms,
            amount: format::yuan(t.amount),
        })
        .collect()
}

pub(super) async fn dry_run_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<PolicyReaders>,
    ApiPath(id): ApiPath<i64>,
) -> Result<DryRunPage, ApiError> {
    let v = find(&state, id).await?;
    let today = today_in_china();
    let dry = policies::dry_run(&state.pool, id, today)
        .await?
        .ok_or_else(|| ApiError::NotFound("政策版本不存在".to_owned()))?;
    let districts = tally_rows(dry.by_district.iter(), str::to_owned);
    let sizes = tally_rows(dry.by_size.iter(), |k| {
        super::profile_view::size(k).to_owned()
    });
    // The charts read counts and money as text: the amounts stay exact to the fen.
    let series = |rows: &[TallyRow],
                  source: &std::collections::BTreeMap<String, policies::Tally>| {
        json!({
            "names": rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
            "firms": rows.iter().map(|r| r.firms).collect::<Vec<_>>(),
            "amounts": source.values().map(|t| t.amount.to_string()).collect::<Vec<_>>(),
        })
    };
    let chart_data = json!({
        "district": series(&districts, &dry.by_district),
        "size": series(&sizes, &dry.by_size),
    })
    .to_string()
    // Inside <script type="application/json">: no "</script>" can close it early.
    .replace('<', "\\u003c");
    let amount =
        |a: Option<rust_decimal::Decimal>| a.map_or_else(|| "不符合".to_owned(), format::yuan);
    let changes: Vec<ChangeRow> = dry
        .changed
        .iter()
        .take(CHANGES_SHOWN)
        .map(|c| ChangeRow {
            uscc: c.uscc.clone(),
            before: amount(c.before),
            after: amount(c.after),
        })
        .collect();
    Ok(DryRunPage {
        chrome: Chrome::new(format!("试算：{}", v.title), Some(&current)),
        version: line(&v),
        as_of: today.format("%Y年%m月%d日").to_string(),
        eligible: dry.eligible,
        total: format::yuan(dry.total),
        more_changes: dry.changed.len().saturating_sub(CHANGES_SHOWN),
        districts,
        sizes,
        changes,
        chart_data,
        chart_js: super::assets::url("charts.js"),
        echarts_js: super::assets::url("echarts.min.js"),
    })
}

pub(super) async fn publish(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Publishers>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Redirect, ApiError> {
    policies::publish(&state.pool, id, &current.user.username).await?;
    Ok(Redirect::to(&format!("/policies/{id}")))
}
