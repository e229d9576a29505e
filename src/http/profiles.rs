//! Profiles (一企一档) over the API: a firm's profile with each field's source and dates,
//! its history, the quarantine (closed by staff as resolved or dismissed, audited), and data
//! objections (数据异议). Enterprise accounts see
//! only their own firm (the scope is in every query); staff see all.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Answerers, Authorized, Enterprises, FirmReaders, Staff};
use super::page::{Page, PageParams};
use super::{ApiError, ApiJson, ApiPath, ApiQuery, AppState};
use crate::edge::{answer_data_objection, close_quarantined, load_profile as load};
use crate::firms::FirmScope;
use crate::ingest::{self, Objection, QuarantineEntry, StoredProfile};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show))
        .routes(routes!(history))
        .routes(routes!(raise))
        .routes(routes!(quarantine))
        .routes(routes!(close))
        .routes(routes!(objections))
        .routes(routes!(answer))
}

/// A firm's profile with each field's source and dates.
#[utoipa::path(get, path = "/api/v1/profiles/{uscc}", tag = "firms",
    params(("uscc" = String, Path, description = "The firm's unified social credit code")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The profile", body = StoredProfile),
        (status = 404, description = "No profile the caller may see", body = crate::edge::ErrorBody),
    ))]
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
#[derive(Debug, Serialize, ToSchema)]
struct HistoryEntry {
    #[serde(flatten)]
    snapshot: ingest::Snapshot,
    changed: Vec<String>,
}

/// A page of the firm's snapshots, newest first (`?after=<id>&limit=`), each with the
/// fields that changed from the one before it (read one beyond the page for that).
#[utoipa::path(get, path = "/api/v1/profiles/{uscc}/snapshots", tag = "firms",
    params(("uscc" = String, Path, description = "The firm's unified social credit code"), PageParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of snapshots", body = [HistoryEntry]),
        (status = 404, description = "No profile the caller may see", body = crate::edge::ErrorBody),
    ))]
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct QuarantineQuery {
    /// Only records from this source.
    source: Option<String>,
}

/// A page of quarantined records, newest first (`?source=&after=<id>&limit=`).
#[utoipa::path(get, path = "/api/v1/quarantine", tag = "firms",
    params(QuarantineQuery, PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of quarantined records", body = [QuarantineEntry])))]
async fn quarantine(
    State(state): State<AppState>,
    _: Authorized<Staff>,
    ApiQuery(q): ApiQuery<QuarantineQuery>,
    page: Page,
) -> Result<Response, ApiError> {
    let before = page.after_number(i64::MAX)?;
    let items: Vec<QuarantineEntry> =
        ingest::list_quarantine(&state.pool, q.source.as_deref(), before, page.limit).await?;
    Ok(page.answer(items, |q| q.id.to_string()))
}

#[derive(Debug, Deserialize, ToSchema)]
struct CloseBody {
    /// `resolved` (corrected at its source) or `dismissed` (nothing to correct).
    status: String,
    note: String,
}

/// Closes an open quarantined record, with a note for the audit trail (reviewers, admins).
#[utoipa::path(post, path = "/api/v1/quarantine/{id}/close", tag = "firms",
    params(("id" = i64, Path, description = "The record's id")),
    request_body = CloseBody,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Closed", body = QuarantineEntry),
        (status = 404, description = "No such record", body = crate::edge::ErrorBody),
        (status = 409, description = "Already closed", body = crate::edge::ErrorBody),
        (status = 422, description = "Bad status or empty note", body = crate::edge::ErrorBody),
    ))]
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

#[derive(Debug, Deserialize, ToSchema)]
struct NewObjection {
    field: String,
    message: String,
}

/// A firm objects to a field of its own profile (数据异议).
#[utoipa::path(post, path = "/api/v1/profiles/{uscc}/objections", tag = "firms",
    params(("uscc" = String, Path, description = "The firm's unified social credit code")),
    request_body = NewObjection,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 201, description = "Raised", body = Objection),
        (status = 404, description = "No profile the caller may see", body = crate::edge::ErrorBody),
        (status = 422, description = "Empty field or message, or too long", body = crate::edge::ErrorBody),
    ))]
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

/// A page of data objections, newest first (`?after=<id>&limit=`); a firm sees its own.
#[utoipa::path(get, path = "/api/v1/objections", tag = "firms",
    params(PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of objections", body = [Objection])))]
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

#[derive(Debug, Deserialize, ToSchema)]
struct AnswerBody {
    answer: String,
}

/// Answers a data objection (reviewers, admins).
#[utoipa::path(post, path = "/api/v1/objections/{id}/answer", tag = "firms",
    params(("id" = i64, Path, description = "The objection's id")),
    request_body = AnswerBody,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Answered", body = Objection),
        (status = 404, description = "No such objection", body = crate::edge::ErrorBody),
        (status = 422, description = "Empty answer", body = crate::edge::ErrorBody),
    ))]
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
