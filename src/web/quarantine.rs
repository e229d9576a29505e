//! The quarantine page: records that never reached a profile, with the field and the
//! reason; reviewers and administrators close them (resolved at the source, or dismissed).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;
use serde::Deserialize;

use super::chrome::Chrome;
use crate::edge::auth::{Answerers, Authorized, RoleSet, Staff};
use crate::edge::{ApiError, ApiForm, ApiPath, AppState, close_quarantined};
use crate::ingest;

/// One quarantined record.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub source: String,
    pub field: String,
    pub reason: String,
    pub raw: String,
    pub status: &'static str,
    pub open: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine.html")]
pub(super) struct QuarantinePage {
    chrome: Chrome,
    closer: bool,
    rows: Vec<Row>,
}

pub(super) async fn quarantine_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Staff>,
) -> Result<QuarantinePage, ApiError> {
    let rows = ingest::list_quarantine(&state.pool, None, i64::MAX, 200)
        .await?
        .into_iter()
        .map(|q| Row {
            id: q.id,
            source: super::profile_view::source_name(&q.source).to_owned(),
            field: q.field,
            reason: q.reason,
            raw: q.raw,
            open: q.status == "open",
            status: match q.status.as_str() {
                "open" => "待处理",
                "resolved" => "已关闭（已在来源更正）",
                "dismissed" => "已关闭（无需处理）",
                _ => "未知",
            },
        })
        .collect();
    Ok(QuarantinePage {
        // Only those who may close a record are offered the form (the server checks again).
        closer: Answerers::ROLES.contains(&current.user.role),
        chrome: Chrome::new("隔离区", Some(&current)),
        rows,
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct CloseForm {
    status: String,
    note: String,
}

/// The quarantine page's close form: the same checks and audit as the API.
pub(super) async fn close(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Answerers>,
    ApiPath(id): ApiPath<i64>,
    ApiForm(form): ApiForm<CloseForm>,
) -> Result<Redirect, ApiError> {
    let user = &current.user.username;
    close_quarantined(&state, user, id, &form.status, &form.note).await?;
    Ok(Redirect::to("/quarantine"))
}
