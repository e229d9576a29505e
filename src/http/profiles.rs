//! Profiles (一企一档) over the API: a firm's profile with each field's source and dates,
//! its history, the quarantine (closed by staff as resolved or dismissed, audited), and data
//! objections (数据异议). Enterprise accounts see
//! only their own firm (the scope is in every query); staff see all.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::{Answerers, Authorized, Enterprises, FirmReaders, Staff};
use super::page::Page;
use super::{ApiError, ApiJson, ApiPath, ApiQuery, AppState};
use crate::edge::{answer_data_objection, close_quarantined, load_profile as load};
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
    let user = &current.user.username;
    let answered = answer_data_objection(&state, user, id, &body.answer).await?;
    Ok(Json(answered))
}
