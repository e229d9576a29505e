//! 政策库, the public policy library (no sign-in): every published policy with its title,
//! issuer, region, source document, window, mode, period and the conditions and amount its
//! rule checks (read from the rule itself), searchable by words, mode, issuing department,
//! region and industry (门类). A signed-in firm sees where it stands on each: 符合 (with its
//! grant), 尚差 (the conditions it does not meet, from its latest decision, replayed when only
//! the decision was stored), or 不适用 (outside the policy's scope, or not compared).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use serde::Deserialize;

use super::chrome::Chrome;
use super::format;
use crate::edge::auth::CurrentUser;
use crate::edge::{ApiError, ApiQuery, AppState};
use crate::firms::FirmScope;
use crate::matching;
use crate::policies::{self, LibraryChoices, LibraryFilter, Standing};
use crate::profiles::SECTIONS;

/// Where the signed-in firm stands on one policy.
#[derive(Debug, Clone)]
pub struct Position {
    /// 符合, 尚差, 不适用.
    pub verdict: &'static str,
    pub pass: bool,
    pub detail: Vec<String>,
    pub grant: Option<i64>,
}

/// One policy of the library.
#[derive(Debug, Clone)]
pub struct Entry {
    pub title: String,
    pub issuer: String,
    /// The area it applies in (青岛市, 山东省).
    pub area: String,
    /// The industries it covers (制造业、批发和零售业), or 全部行业.
    pub industries: String,
    /// What the rule checks and grants, in plain Chinese.
    pub conditions: Vec<String>,
    pub source: String,
    pub window: String,
    pub mode: String,
    pub period: &'static str,
    pub position: Option<Position>,
}

#[derive(Template, WebTemplate)]
#[template(path = "library.html")]
pub(super) struct LibraryPage {
    chrome: Chrome,
    words: String,
    mode: String,
    issuer: String,
    area: String,
    industry: String,
    sections: &'static [(&'static str, &'static str)],
    choices: LibraryChoices,
    entries: Vec<Entry>,
    firm: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct Search {
    q: Option<String>,
    mode: Option<String>,
    /// 发布部门, exactly as a policy names it.
    issuer: Option<String>,
    /// 适用地区, an area's code prefix (`3702`).
    area: Option<String>,
    /// 适用行业, a section letter of GB/T 4754 (`C` 制造业).
    industry: Option<String>,
}

fn period(code: Option<&str>) -> &'static str {
    match code {
        Some("once_ever") => "同一企业只享受一次",
        Some("per_year") => "每年度一次",
        Some("per_recognition") => "每次认定一次",
        Some("per_person") => "按人计算，每人一次",
        _ => "—",
    }
}

fn position(s: &Standing) -> Position {
    let texts = |passed: bool| -> Vec<String> {
        s.reasons
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["passed"].as_bool() == Some(passed))
            .filter_map(|r| r["text"].as_str().map(str::to_owned))
            .collect()
    };
    if s.eligible {
        return Position {
            verdict: "符合",
            pass: true,
            detail: vec![format!("可享受 {}", format::yuan(s.amount))],
            grant: s.grant_id,
        };
    }
    if !s.in_scope {
        let mut detail = vec!["本政策不面向贵单位，无需办理。".to_owned()];
        detail.extend(
            texts(false)
                .into_iter()
                .take(1)
                .map(|t| format!("适用范围：{t}（未满足）")),
        );
        return Position {
            verdict: "不适用",
            pass: false,
            detail,
            grant: None,
        };
    }
    if s.error.is_some() {
        return Position {
            verdict: "不适用",
            pass: false,
            detail: vec!["贵单位的数据暂不能按本政策比对，请核对企业档案。".to_owned()],
            grant: None,
        };
    }
    Position {
        verdict: "尚差",
        pass: false,
        detail: texts(false),
        grant: None,
    }
}

/// The firm's latest decisions, each with its reasons: a decision stored without them (neither
/// eligible nor a near miss) is replayed, exactly, from its rule version and profile snapshot.
async fn standings_with_reasons(state: &AppState, uscc: &str) -> Result<Vec<Standing>, ApiError> {
    let mut standings = policies::standings(&state.pool, uscc).await?;
    for s in standings.iter_mut().filter(|s| !s.explained) {
        match matching::replay(&state.pool, uscc, &s.policy_id).await {
            Ok(Some(replay)) => {
                s.reasons = serde_json::to_value(&replay.replayed.reasons).unwrap_or_default();
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(policy = %s.policy_id, %error, "replaying a decision for the library failed");
            }
        }
    }
    Ok(standings)
}

/// `s`, unless it is empty (a filter left at 全部).
fn non_empty(s: &str) -> Option<&str> {
    Some(s).filter(|s| !s.is_empty())
}

pub(super) async fn library_page(
    State(state): State<AppState>,
    current: Option<CurrentUser>,
    ApiQuery(search): ApiQuery<Search>,
) -> Result<LibraryPage, ApiError> {
    let words = search.q.map(|q| q.trim().to_owned()).unwrap_or_default();
    let mode = search
        .mode
        .filter(|m| m == "免申即享" || m == "确认即享")
        .unwrap_or_default();
    let choices = policies::library_choices(&state.pool).await?;
    // A choice the select does not offer (an edited address) is ignored, not an error page.
    let issuer = search
        .issuer
        .filter(|i| choices.issuers.contains(i))
        .unwrap_or_default();
    let area = search
        .area
        .filter(|a| choices.areas.iter().any(|(code, _)| code == a))
        .unwrap_or_default();
    let industry = search
        .industry
        .filter(|i| SECTIONS.iter().any(|(letter, _)| letter == i))
        .unwrap_or_default();
    let found = policies::library(
        &state.pool,
        &LibraryFilter {
            words: non_empty(&words),
            mode: non_empty(&mode),
            issuer: non_empty(&issuer),
            area: non_empty(&area),
            industry: non_empty(&industry),
        },
    )
    .await?;
    let firm = current.as_ref().and_then(|c| match FirmScope::of(&c.user) {
        FirmScope::Own(uscc) => Some(uscc.as_str().to_owned()),
        _ => None,
    });
    let standings = match &firm {
        Some(uscc) => standings_with_reasons(&state, uscc).await?,
        None => Vec::new(),
    };
    let entries = found
        .into_iter()
        .map(|e| Entry {
            position: firm.as_ref().map(|_| {
                standings
                    .iter()
                    .find(|s| s.policy_version_id == e.id)
                    .map_or_else(
                        || Position {
                            verdict: "不适用",
                            pass: false,
                            detail: vec!["平台尚未按本政策比对贵单位。".to_owned()],
                            grant: None,
                        },
                        position,
                    )
            }),
            area: e.area_name(),
            industries: e.industry_names(),
            conditions: e.conditions(),
            title: e.title,
            issuer: e.issuer.unwrap_or_default(),
            source: e.source.unwrap_or_default(),
            window: format!(
                "{} 至 {}",
                e.window_from.unwrap_or_default(),
                e.window_to.unwrap_or_default()
            ),
            mode: e.mode,
            period: period(e.period.as_deref()),
        })
        .collect();
    Ok(LibraryPage {
        chrome: Chrome::new("政策库", current.as_ref()),
        words,
        mode,
        issuer,
        area,
        industry,
        sections: &SECTIONS,
        choices,
        entries,
        firm: firm.is_some(),
    })
}
