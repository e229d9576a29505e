//! Grants over the JSON API: a firm lists its own grants and answers a 确认即享 grant
//! (confirm with a bank account, decline, or object); staff list every grant.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::{Authorized, FirmReaders, RoleSet};
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::accounts::Role;
use crate::firms::FirmScope;
use crate::grants::{self, Answer, AnswerError, Grant};
use crate::matching::{self, NearMiss};

/// Only the firm itself answers its grants.
#[derive(Debug)]
pub struct GrantAnswerers;
impl RoleSet for GrantAnswerers {
    const ROLES: &'static [Role] = &[Role::Enterprise];
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/grants", get(list))
        .route("/api/v1/grants/{id}/answer", post(answer))
        .route("/api/v1/near-misses", get(near_misses))
}

async fn list(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
) -> Result<Json<Vec<Grant>>, ApiError> {
    let scope = FirmScope::of(&current.user);
    let bind = match &scope {
        FirmScope::Own(u) => Some(u.as_str()),
        FirmScope::All => None,
        FirmScope::Nothing => Some(""),
    };
    Ok(Json(grants::list_grants(&state.pool, bind).await?))
}

#[derive(Debug, serde::Deserialize)]
struct NearMissQuery {
    policy: Option<String>,
    #[serde(default)]
    after: String,
}

/// Staff see every near miss; a firm sees what it lacks for each policy (its own only).
async fn near_misses(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    super::ApiQuery(q): super::ApiQuery<NearMissQuery>,
) -> Result<Json<Vec<NearMiss>>, ApiError> {
    let scope = FirmScope::of(&current.user);
    let bind = match &scope {
        FirmScope::Own(u) => Some(u.as_str()),
        FirmScope::All => None,
        FirmScope::Nothing => Some(""),
    };
    Ok(Json(
        matching::near_misses(&state.pool, q.policy.as_deref(), bind, &q.after, 200).await?,
    ))
}

async fn answer(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<GrantAnswerers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Answer>,
) -> Result<Json<Value>, ApiError> {
    let scope = FirmScope::of(&current.user);
    match grants::answer(&state.pool, &scope, id, &current.user.username, &body).await {
        Ok(status) => Ok(Json(json!({"id": id, "status": status}))),
        Err(AnswerError::Db(e)) => Err(e.into()),
        Err(e @ AnswerError::NotFound) => Err(ApiError::NotFound(e.to_string())),
        Err(e @ AnswerError::AlreadyAnswered) => Err(ApiError::Conflict(e.to_string())),
        Err(e @ (AnswerError::NoCommitment | AnswerError::NoMessage)) => {
            Err(ApiError::BadRequest(e.to_string()))
        }
        Err(e) => Err(ApiError::Unprocessable(e.to_string())),
    }
}
