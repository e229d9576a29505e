//! Policy versions over the JSON API: an author submits a folder (checked and tested before it
//! is stored as a draft), list, dry run (试算) of a draft, publish by a reviewer
//! who is not the author (four eyes), retire.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, Authors, PolicyReaders, Publishers};
use super::page::{Page, PageParams};
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::ingest::today_in_china;
use crate::policies::{self, DryRun, PolicyVersion, SubmitError, Submitted};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, submit))
        .routes(routes!(dry_run))
        .routes(routes!(publish))
        .routes(routes!(retire))
}

/// A retired version.
#[derive(Debug, Serialize, ToSchema)]
struct Retired {
    id: i64,
    /// Always `retired`.
    status: &'static str,
}

/// A page of versions, newest first (`?after=<id>&limit=`).
#[utoipa::path(get, path = "/api/v1/policy-versions", tag = "policies",
    params(PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of versions", body = [PolicyVersion])))]
async fn list(
    State(state): State<AppState>,
    _: Authorized<PolicyReaders>,
    page: Page,
) -> Result<Response, ApiError> {
    let before = page.after_number(i64::MAX)?;
    let items: Vec<PolicyVersion> =
        policies::list_versions_page(&state.pool, before, page.limit).await?;
    Ok(page.answer(items, |v| v.id.to_string()))
}

/// A policy folder: `policy.toml`, `rule.rhai`, `cases.toml` by name.
#[derive(Debug, Deserialize, ToSchema)]
struct Submission {
    policy_id: String,
    /// File name → content.
    files: BTreeMap<String, String>,
}

/// An author submits a policy folder; it is checked and its cases run before it is
/// stored as a draft (the same folder again answers 200 with the stored draft).
#[utoipa::path(post, path = "/api/v1/policy-versions", tag = "policies",
    request_body = Submission,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 201, description = "Stored as a new draft", body = Submitted),
        (status = 200, description = "This exact version exists already", body = Submitted),
        (status = 422, description = "The folder does not check or its cases fail", body = crate::edge::ErrorBody),
    ))]
async fn submit(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Authors>,
    ApiJson(body): ApiJson<Submission>,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    let submitted = policies::submit(
        &state.pool,
        &body.policy_id,
        &body.files,
        &current.user.username,
    )
    .await
    .map_err(|e| match e {
        SubmitError::Other(e) => ApiError::Internal(e),
        e => ApiError::Unprocessable(e.to_string()),
    })?;
    let status = if submitted.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(submitted)))
}

/// The dry run (试算) of a version: how many firms and how much money it means.
#[utoipa::path(get, path = "/api/v1/policy-versions/{id}/dry-run", tag = "policies",
    params(("id" = i64, Path, description = "The policy version's id")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The dry run", body = DryRun),
        (status = 404, description = "No such version", body = crate::edge::ErrorBody),
    ))]
async fn dry_run(
    State(state): State<AppState>,
    _: Authorized<PolicyReaders>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DryRun>, ApiError> {
    policies::dry_run(&state.pool, id, today_in_china())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("政策版本不存在".to_owned()))
}

/// A reviewer who is not its author publishes a draft (four eyes).
#[utoipa::path(post, path = "/api/v1/policy-versions/{id}/publish", tag = "policies",
    params(("id" = i64, Path, description = "The policy version's id")),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Published", body = PolicyVersion),
        (status = 404, description = "No such version", body = crate::edge::ErrorBody),
        (status = 409, description = "Not a draft", body = crate::edge::ErrorBody),
    ))]
async fn publish(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Publishers>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PolicyVersion>, ApiError> {
    policies::publish(&state.pool, id, &current.user.username)
        .await
        .map(Json)
        .map_err(ApiError::from)
}

/// A reviewer retires a published version.
#[utoipa::path(post, path = "/api/v1/policy-versions/{id}/retire", tag = "policies",
    params(("id" = i64, Path, description = "The policy version's id")),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Retired", body = Retired),
        (status = 404, description = "No such version", body = crate::edge::ErrorBody),
        (status = 409, description = "Not published", body = crate::edge::ErrorBody),
    ))]
async fn retire(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Publishers>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Retired>, ApiError> {
    policies::retire(&state.pool, id, &current.user.username)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(Retired {
        id,
        status: "retired",
    }))
}
