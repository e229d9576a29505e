//! The reviewer's side of a grant's road: the review queue, approving or rejecting grants
//! (one or many, with a reason), objections raised in 公示 and their answers, and closing
//! ended 公示 windows on demand.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, Reviewers};
use super::page::{Page, PageParams};
use super::{ApiError, ApiJson, ApiPath, ApiQuery, AppState};
use crate::grants::publicity::{self, Settled};
use crate::grants::review::{self, Decision, ReviewOutcome, Window};
use crate::grants::steps::{Actor, GrantStatus};
use crate::grants::{Grant, Objection as PublicityObjection, list_objections, review_queue};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(objections))
        .routes(routes!(answer_objection))
        .routes(routes!(close))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct QueueQuery {
    /// The grants' status (`confirmed` when absent).
    #[param(value_type = Option<GrantStatus>)]
    status: Option<String>,
    /// Only this policy.
    policy: Option<String>,
}

/// An objection answered.
#[derive(Debug, Serialize, ToSchema)]
struct ObjectionAnswered {
    id: i64,
    /// The grant's status now.
    grant_status: GrantStatus,
}

/// Grants at one status (`confirmed` unless `?status=`), oldest first, paged by id.
#[utoipa::path(get, path = "/api/v1/review/grants", tag = "review",
    params(QueueQuery, PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of grants", body = [Grant])))]
async fn queue(
    State(state): State<AppState>,
    _: Authorized<Reviewers>,
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    ids: Vec<i64>,
    reason: String,
}

/// Approves grants (one or many, with a reason); they enter 公示.
#[utoipa::path(post, path = "/api/v1/review/grants/approve", tag = "review",
    request_body = ReviewBody,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Approved; where each grant went", body = ReviewOutcome),
        (status = 404, description = "A grant does not exist", body = crate::edge::ErrorBody),
        (status = 409, description = "A grant is not waiting for review", body = crate::edge::ErrorBody),
        (status = 422, description = "No grants or no reason", body = crate::edge::ErrorBody),
    ))]
async fn approve(
    state: State<AppState>,
    who: Authorized<Reviewers>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Json<ReviewOutcome>, ApiError> {
    decide(state, who, body, Decision::Approve).await
}

/// Rejects grants (one or many, with a reason).
#[utoipa::path(post, path = "/api/v1/review/grants/reject", tag = "review",
    request_body = ReviewBody,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Rejected; where each grant went", body = ReviewOutcome),
        (status = 404, description = "A grant does not exist", body = crate::edge::ErrorBody),
        (status = 409, description = "A grant is not waiting for review", body = crate::edge::ErrorBody),
        (status = 422, description = "No grants or no reason", body = crate::edge::ErrorBody),
    ))]
async fn reject(
    state: State<AppState>,
    who: Authorized<Reviewers>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Json<ReviewOutcome>, ApiError> {
    decide(state, who, body, Decision::Reject).await
}

async fn decide(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Reviewers>,
    body: ReviewBody,
    decision: Decision,
) -> Result<Json<ReviewOutcome>, ApiError> {
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
    Ok(Json(outcome))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ObjectionsQuery {
    /// Answered ones too.
    all: Option<bool>,
}

/// Objections raised in 公示 (open ones unless `?all=true`), oldest first.
#[utoipa::path(get, path = "/api/v1/review/publicity-objections", tag = "review",
    params(ObjectionsQuery, PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of objections", body = [PublicityObjection])))]
async fn objections(
    State(state): State<AppState>,
    _: Authorized<Reviewers>,
    ApiQuery(q): ApiQuery<ObjectionsQuery>,
    page: Page,
) -> Result<Response, ApiError> {
    let after = page.after_number(0)?;
    let items = list_objections(&state.pool, q.all.unwrap_or(false), after, page.limit).await?;
    Ok(page.answer(items, |o| o.id.to_string()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    /// True upholds the objection (the grant is rejected); false dismisses it.
    uphold: bool,
    answer: String,
}

/// A reviewer answers an objection raised in 公示.
#[utoipa::path(post, path = "/api/v1/review/publicity-objections/{id}/answer", tag = "review",
    params(("id" = i64, Path, description = "The objection's id")),
    request_body = AnswerBody,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Answered", body = ObjectionAnswered),
        (status = 404, description = "No such open objection", body = crate::edge::ErrorBody),
        (status = 409, description = "Refused in the grant's state", body = crate::edge::ErrorBody),
        (status = 422, description = "Empty answer", body = crate::edge::ErrorBody),
    ))]
async fn answer_objection(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Reviewers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<Json<ObjectionAnswered>, ApiError> {
    let actor = Actor::user(&current.user);
    let status =
        publicity::answer_objection(&state.pool, id, &actor, body.uphold, &body.answer).await?;
    Ok(Json(ObjectionAnswered {
        id,
        grant_status: status,
    }))
}

/// The 公示 job on demand: grants whose window ended move on.
#[utoipa::path(post, path = "/api/v1/review/publicity/close", tag = "review",
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses((status = 200, description = "How many grants moved on", body = Settled)))]
async fn close(
    State(state): State<AppState>,
    _: Authorized<Reviewers>,
) -> Result<Json<Settled>, ApiError> {
    let done = publicity::close_windows(&state.pool)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(done))
}
