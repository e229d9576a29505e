//! Policy versions over the JSON API: an author submits a folder (checked and tested before it
//! is stored as a draft), list, dry run (试算) of a draft, publish by a reviewer
//! who is not the author (four eyes), retire.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Authorized, Authors, PolicyReaders, Publishers};
use super::page::Page;
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::ingest::today_in_china;
use crate::policies::{self, DryRun, PolicyVersion, SubmitError, Submitted};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/policy-versions", get(list).post(submit))
        .route("/api/v1/policy-versions/{id}/dry-run", get(dry_run))
        .route("/api/v1/policy-versions/{id}/publish", post(publish))
        .route("/api/v1/policy-versions/{id}/retire", post(retire))
}

/// A page of versions, newest first (`?after=<id>&limit=`).
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
#[derive(Debug, Deserialize)]
struct Submission {
    policy_id: String,
    files: BTreeMap<String, String>,
}

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

async fn retire(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Publishers>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    policies::retire(&state.pool, id, &current.user.username)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(json!({"id": id, "status": "retired"})))
}
