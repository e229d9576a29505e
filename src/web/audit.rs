//! The auditor's workspace: the audit trail, newest first, filtered by actor, kind of
//! action and day; and the chain's verification (every hash recomputed, every signed
//! checkpoint checked) with its result in words.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Deserialize;

use super::chrome::Chrome;
use super::format;
use crate::audit::{self, CheckpointKey, TrailFilter};
use crate::edge::auth::{AuditReaders, Authorized};
use crate::edge::{ApiError, ApiQuery, AppState};

/// One row of the trail.
#[derive(Debug, Clone)]
pub struct Row {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub(super) struct AuditPage {
    chrome: Chrome,
    actor: String,
    action: String,
    from: String,
    to: String,
    rows: Vec<Row>,
    older: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit_verify.html")]
pub(super) struct VerifyPage {
    chrome: Chrome,
    intact: bool,
    rows_checked: u64,
    checkpoints_checked: u64,
    broken: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct TrailQuery {
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
}

fn text(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn day(value: Option<&String>, label: &str) -> Result<Option<NaiveDate>, ApiError> {
    text(value)
        .map(|v| {
            NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                .map_err(|_| ApiError::BadRequest(format!("{label}应为 年-月-日，例如 2026-12-06")))
        })
        .transpose()
}

/// Rows per page.
const PAGE: i64 = 100;

pub(super) async fn trail_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<AuditReaders>,
    ApiQuery(query): ApiQuery<TrailQuery>,
) -> Result<AuditPage, ApiError> {
    let filter = TrailFilter {
        actor: text(query.actor.as_ref()),
        action: text(query.action.as_ref()),
        from: day(query.from.as_ref(), "起始日期")?,
        to: day(query.to.as_ref(), "截止日期")?,
    };
    let before = query.before.unwrap_or(i64::MAX);
    let found = audit::search_trail(&state.pool, &filter, before, PAGE).await?;
    let older = (found.len() == usize::try_from(PAGE).unwrap_or_default())
        .then(|| found.last().map(|r| r.seq))
        .flatten()
        .map(|seq| {
            form_urlencoded::Serializer::new(String::new())
                .append_pair("actor", filter.actor.as_deref().unwrap_or_default())
                .append_pair("action", filter.action.as_deref().unwrap_or_default())
                .append_pair("from", query.from.as_deref().unwrap_or_default())
                .append_pair("to", query.to.as_deref().unwrap_or_default())
                .append_pair("before", &seq.to_string())
                .finish()
        });
    let rows = found
        .into_iter()
        .map(|r| Row {
            seq: r.seq,
            at: format::beijing(r.occurred_at),
            actor: r.actor,
            action: r.action,
            entity: format!("{} {}", r.entity_type, r.entity_id),
        })
        .collect();
    Ok(AuditPage {
        chrome: Chrome::new("审计日志", Some(&current)),
        actor: filter.actor.unwrap_or_default(),
        action: filter.action.unwrap_or_default(),
        from: query.from.unwrap_or_default(),
        to: query.to.unwrap_or_default(),
        rows,
        older,
    })
}

pub(super) async fn verify_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<AuditReaders>,
) -> Result<VerifyPage, ApiError> {
    let key = CheckpointKey::load(&state.settings)?;
    let report = audit::verify_anchored(&state.pool, key.as_ref(), &[]).await?;
    Ok(VerifyPage {
        chrome: Chrome::new("审计链校验", Some(&current)),
        intact: report.first_broken.is_none(),
        rows_checked: report.rows_checked,
        checkpoints_checked: report.checkpoints_checked,
        broken: report
            .first_broken
            .map(|b| format!("第 {} 条记录：{}", b.seq, b.reason)),
    })
}
