//! Grants over the JSON API: a firm lists its own grants and answers a 确认即享 grant
//! (confirm with a bank account, decline, or object); staff list every grant.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::{Authorized, FirmReaders, RoleSet};
use super::page::Page;
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::accounts::Role;
use crate::firms::FirmScope;
use crate::grants::{self, Answer, Grant};
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

/// A page of grants, newest first (`?after=<id>&limit=`).
async fn list(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    page: Page,
) -> Result<Response, ApiError> {
    let scope = FirmScope::of(&current.user);
    let before = page.after_number(i64::MAX)?;
    let items: Vec<Grant> =
        grants::list_grants(&state.pool, scope_bind(&scope), before, page.limit).await?;
    Ok(page.answer(items, |g| g.id.to_string()))
}

fn scope_bind(scope: &FirmScope) -> Option<&str> {
    match scope {
        FirmScope::Own(u) => Some(u.as_str()),
        FirmScope::All => None,
        FirmScope::Nothing => Some(""),
    }
}

#[derive(Debug, serde::Deserialize)]
struct NearMissQuery {
    policy: Option<String>,
}

/// Staff see every near miss; a firm sees what it lacks for each policy (its own only).
/// Paged by (USCC, policy): `after` is `USCC` or `USCC,policy`.
async fn near_misses(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    super::ApiQuery(q): super::ApiQuery<NearMissQuery>,
    page: Page,
) -> Result<Response, ApiError> {
    let scope = FirmScope::of(&current.user);
    let after = page
        .after_text()
        .split_once(',')
        .unwrap_or((page.after_text(), ""));
    let items: Vec<NearMiss> = matching::near_misses(
        &state.pool,
        q.policy.as_deref(),
        scope_bind(&scope),
        after,
        page.limit,
    )
    .await?;
    Ok(page.answer(items, |m| format!("{},{}", m.uscc, m.policy_id)))
}

async fn answer(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<GrantAnswerers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Answer>,
) -> Result<Json<Value>, ApiError> {
    let status = grants::answer(&state.pool, &current.user, id, &body).await?;
    Ok(Json(json!({"id": id, "status": status})))
}
