//! The reviewer's side of a grant's road: the review queue, approving or rejecting grants
//! (one or many, with a reason), objections raised in 公示 and their answers, and closing
//! ended 公示 windows on demand.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Authorized, Reviewers};
use super::page::Page;
use super::{ApiError, ApiJson, ApiPath, ApiQuery, AppState};
use crate::grants::publicity;
use crate::grants::review::{self, Decision, Window};
use crate::grants::steps::{Actor, GrantStatus};
use crate::grants::{Grant, list_objections, review_queue};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/review/grants", get(queue))
        .route("/api/v1/review/grants/approve", post(approve))
        .route("/api/v1/review/grants/reject", post(reject))
        .route("/api/v1/review/publicity-objections", get(objections))
        .route(
            "/api/v1/review/publicity-objections/{id}/answer",
            post(answer_objection),
        )
        .route("/api/v1/review/publicity/close", post(close))
}

#[derive(Debug, Deserialize)]
struct QueueQuery {
    status: Option<String>,
    policy: Option<String>,
}

/// Grants at one status (`confirmed` unless `?status=`), oldest first, paged by id.
async fn queue(
    State(state): State<AppState>,
    Authorized(..): Authorized<Reviewers>,
    ApiQuery(q): ApiQuery<QueueQuery>,
    page: Page,
) -> Result<Response, ApiError> {
    let status: GrantStatus =
        q.status.as_deref().unwrap_or("confirmed").parse().map_err(
            |e: crate::grants::steps::UnknownStatus| ApiError::BadRequest(e.to_string()),
        )?;
    let after = page.after_number(0)?;
    let items: Vec<Grant> = review_queue(
        &state.pool,
        status.as_str(),
        q.policy.as_deref(),
        after,
        page.limit,
    )
    .await?;
    Ok(page.answer(items, |g| g.id.to_string()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    ids: Vec<i64>,
    reason: String,
}

async fn approve(
    state: State<AppState>,
    who: Authorized<Reviewers>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Json<Value>, ApiError> {
    decide(state, who, body, Decision::Approve).await
}

async fn reject(
    state: State<AppState>,
    who: Authorized<Reviewers>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Json<Value>, ApiError> {
    decide(state, who, body, Decision::Reject).await
}

async fn decide(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Reviewers>,
    body: ReviewBody,
    decision: Decision,
) -> Result<Json<Value>, ApiError> {
    let actor = Actor::user(&current.user);
    let outcome = review::review(
        &state.pool,
        &body.ids,
        decision,
        &actor,
        &body.reason,
        Window::PolicyDays,
    )
    .await?;
    Ok(Json(json!(outcome)))
}

#[derive(Debug, Deserialize)]
struct ObjectionsQuery {
    all: Option<bool>,
}

/// Objections raised in 公示 (open ones unless `?all=true`), oldest first.
async fn objections(
    State(state): State<AppState>,
    Authorized(..): Authorized<Reviewers>,
    ApiQuery(q): ApiQuery<ObjectionsQuery>,
    page: Page,
) -> Result<Response, ApiError> {
    let after = page.after_number(0)?;
    let items = list_objections(&state.pool, q.all.unwrap_or(false), after, page.limit).await?;
    Ok(page.answer(items, |o| o.id.to_string()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    uphold: bool,
    answer: String,
}

async fn answer_objection(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Reviewers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = Actor::user(&current.user);
    let status =
        publicity::answer_objection(&state.pool, id, &actor, body.uphold, &body.answer).await?;
    Ok(Json(json!({"id": id, "grant_status": status})))
}

/// The 公示 job on demand: grants whose window ended move on.
async fn close(
    State(state): State<AppState>,
    Authorized(..): Authorized<Reviewers>,
) -> Result<Json<Value>, ApiError> {
    let done = publicity::close_windows(&state.pool)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(json!(done)))
}
