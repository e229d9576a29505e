//! Profiles (一企一档) over the API: a firm's profile with each field's source and dates,
//! its history, the quarantine (closed by staff as resolved or dismissed, audited), and data
//! objections (数据异议). Enterprise accounts see
//! only their own firm (the scope is in every query); staff see all.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::auth::{Authorized, FirmReaders, RoleSet};
use super::page::Page;
use super::{ApiError, ApiJson, ApiPath, ApiQuery, AppState};
use crate::accounts::Role;
use crate::audit::{self, Actor, AuditEntry};
use crate::firms::FirmScope;
use crate::ingest::{self, Objection, QuarantineEntry, StoredProfile};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/profiles/{uscc}", get(show))
        .route("/api/v1/profiles/{uscc}/snapshots", get(history))
        .route("/api/v1/profiles/{uscc}/objections", post(raise))
        .route("/api/v1/quarantine", get(quarantine))
        .route("/api/v1/quarantine/{id}/close", post(close))
        .route("/api/v1/objections", get(objections))
        .route("/api/v1/objections/{id}/answer", post(answer))
}

/// Staff who may see every firm's profile and the quarantine.
#[derive(Debug)]
pub struct Staff;
impl RoleSet for Staff {
    const ROLES: &'static [Role] = &[
        Role::Reviewer,
        Role::FinanceMaker,
        Role::FinanceChecker,
        Role::Auditor,
        Role::Admin,
    ];
}

/// Staff who answer objections (auditors only read).
#[derive(Debug)]
pub struct Answerers;
impl RoleSet for Answerers {
    const ROLES: &'static [Role] = &[Role::Reviewer, Role::Admin];
}

/// Only enterprise accounts raise objections, on their own profile.
#[derive(Debug)]
pub struct Enterprises;
impl RoleSet for Enterprises {
    const ROLES: &'static [Role] = &[Role::Enterprise];
}

/// The profile of `uscc` if the scope may see it, else 404.
pub(crate) async fn load(
    state: &AppState,
    scope: &FirmScope,
    uscc: &str,
) -> Result<StoredProfile, ApiError> {
    let code = uscc.trim().to_uppercase();
    ingest::find_profile(&state.pool, scope, &code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("未找到企业档案 {code}")))
}

async fn show(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    ApiPath(uscc): ApiPath<String>,
) -> Result<Json<StoredProfile>, ApiError> {
    Ok(Json(
        load(&state, &FirmScope::of(&current.user), &uscc).await?,
    ))
}

/// A snapshot with the fields that changed from the one before it.
#[derive(Debug, Serialize)]
struct HistoryEntry {
    #[serde(flatten)]
    snapshot: ingest::Snapshot,
    changed: Vec<String>,
}

/// A page of the firm's snapshots, newest first (`?after=<id>&limit=`), each with the
/// fields that changed from the one before it (read one beyond the page for that).
async fn history(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    ApiPath(uscc): ApiPath<String>,
    page: Page,
) -> Result<Response, ApiError> {
    let scope = FirmScope::of(&current.user);
    let profile = load(&state, &scope, &uscc).await?;
    let before = page.after_number(i64::MAX)?;
    let snaps =
        ingest::list_snapshots(&state.pool, &scope, &profile.uscc, before, page.limit + 1).await?;
    let shown = snaps
        .len()
        .min(usize::try_from(page.limit).unwrap_or(usize::MAX));
    let entries: Vec<HistoryEntry> = (0..shown)
        .map(|i| HistoryEntry {
            changed: ingest::changed_fields(snaps.get(i + 1).map(|s| &s.doc), &snaps[i].doc),
            snapshot: snaps[i].clone(),
        })
        .collect();
    Ok(page.answer(entries, |e| e.snapshot.id.to_string()))
}

#[derive(Debug, Deserialize)]
struct QuarantineQuery {
    source: Option<String>,
}

/// A page of quarantined records, newest first (`?source=&after=<id>&limit=`).
async fn quarantine(
    State(state): State<AppState>,
    Authorized(..): Authorized<Staff>,
    ApiQuery(q): ApiQuery<QuarantineQuery>,
    page: Page,
) -> Result<Response, ApiError> {
    let before = page.after_number(i64::MAX)?;
    let items: Vec<QuarantineEntry> =
        ingest::list_quarantine(&state.pool, q.source.as_deref(), before, page.limit).await?;
    Ok(page.answer(items, |q| q.id.to_string()))
}

#[derive(Debug, Deserialize)]
struct CloseBody {
    /// `resolved` (corrected at its source) or `dismissed` (nothing to correct).
    status: String,
    note: String,
}

/// Closes an open quarantined record, with a note for the audit trail (reviewers, admins).
async fn close(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Answerers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CloseBody>,
) -> Result<Json<QuarantineEntry>, ApiError> {
    let user = &current.user.username;
    Ok(Json(
        close_quarantined(&state, user, id, &body.status, &body.note).await?,
    ))
}

/// Closes quarantined record `id` as `status` (`resolved` or `dismissed`) with `note`, audited
/// in the same transaction; shared by the API and the quarantine page.
pub(crate) async fn close_quarantined(
    state: &AppState,
    user: &str,
    id: i64,
    status: &str,
    note: &str,
) -> Result<QuarantineEntry, ApiError> {
    let status = status.trim();
    if !matches!(status, "resolved" | "dismissed") {
        return Err(ApiError::Unprocessable(format!(
            "status 应为 resolved（已在来源更正）或 dismissed（无需处理），收到 '{status}'"
        )));
    }
    let note = note.trim();
    if !(1..=2000).contains(&note.chars().count()) {
        return Err(ApiError::Unprocessable(
            "处理说明不能为空（不超过2000字）".to_owned(),
        ));
    }
    let mut tx = state.pool.begin().await?;
    let Some(closed) = ingest::close_quarantine(&mut *tx, id, status).await? else {
        return Err(match ingest::quarantine_status(&mut *tx, id).await? {
            Some(now) => ApiError::Conflict(format!("隔离记录 {id} 已处理（{now}）")),
            None => ApiError::NotFound(format!("未找到隔离记录 {id}")),
        });
    };
    // The raw record may hold personal data: the trail names the fault, not the content.
    let after = json!({"status": status, "note": note, "source": closed.source,
                       "field": closed.field, "reason": closed.reason});
    let entry = AuditEntry::new(
        Actor::User(user),
        "quarantine.close",
        "quarantine",
        id.to_string(),
    )
    .after(after);
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(closed)
}

#[derive(Debug, Deserialize)]
struct NewObjection {
    field: String,
    message: String,
}

async fn raise(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiPath(uscc): ApiPath<String>,
    ApiJson(body): ApiJson<NewObjection>,
) -> Result<(axum::http::StatusCode, Json<Objection>), ApiError> {
    let (field, message) = (body.field.trim(), body.message.trim());
    if !(1..=200).contains(&field.chars().count()) || !(1..=2000).contains(&message.chars().count())
    {
        return Err(ApiError::Unprocessable(
            "字段名和异议说明均不能为空（说明不超过2000字）".to_owned(),
        ));
    }
    let scope = FirmScope::of(&current.user);
    let code = uscc.trim().to_uppercase();
    let user = &current.user.username;
    let raised = ingest::raise_objection(&state.pool, &scope, &code, field, message, user)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("未找到企业档案 {code}")))?;
    Ok((axum::http::StatusCode::CREATED, Json(raised)))
}

/// A page of objections, newest first (`?after=<id>&limit=`).
async fn objections(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    page: Page,
) -> Result<Response, ApiError> {
    let scope = FirmScope::of(&current.user);
    let before = page.after_number(i64::MAX)?;
    let items: Vec<Objection> =
        ingest::list_objections(&state.pool, &scope, before, page.limit).await?;
    Ok(page.answer(items, |o| o.id.to_string()))
}

#[derive(Debug, Deserialize)]
struct AnswerBody {
    answer: String,
}

async fn answer(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Answerers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<Json<Objection>, ApiError> {
    let text = body.answer.trim();
    if text.is_empty() {
        return Err(ApiError::Unprocessable("答复不能为空".to_owned()));
    }
    let user = &current.user.username;
    let mut tx = state.pool.begin().await?;
    let answered = ingest::answer_objection(&mut *tx, id, text, user)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("未找到数据异议 {id}")))?;
    let after: Value = json!({"uscc": answered.uscc, "field": answered.field, "answer": text});
    let entry = AuditEntry::new(
        Actor::User(user),
        "objection.answer",
        "data_objection",
        id.to_string(),
    )
    .after(after);
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(Json(answered))
}
