//! Grants over the JSON API: a firm lists its own grants and answers a 确认即享 grant
//! (confirm with a bank account, decline, or object); staff list every grant.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, FirmReaders, RoleSet};
use super::page::{Page, PageParams};
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

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(answer))
        .routes(routes!(near_misses))
}

/// A grant after the firm's answer.
#[derive(Debug, Serialize, ToSchema)]
struct Answered {
    id: i64,
    /// The grant's status now.
    status: &'static str,
}

/// A page of grants, newest first (`?after=<id>&limit=`); a firm sees its own.
#[utoipa::path(get, path = "/api/v1/grants", tag = "grants",
    params(PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of grants", body = [Grant])))]
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

#[derive(Debug, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct NearMissQuery {
    /// Only this policy.
    policy: Option<String>,
}

/// Staff see every near miss; a firm sees what it lacks for each policy (its own only).
/// Paged by (USCC, policy): `after` is `USCC` or `USCC,policy`.
#[utoipa::path(get, path = "/api/v1/near-misses", tag = "grants",
    params(NearMissQuery, PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of near misses", body = [NearMiss])))]
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

/// The firm answers its 确认即享 grant: confirm (with a bank account and the
/// commitment), decline, or object.
#[utoipa::path(post, path = "/api/v1/grants/{id}/answer", tag = "grants",
    params(("id" = i64, Path, description = "The grant's id")),
    request_body = Answer,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Answered", body = Answered),
        (status = 404, description = "No such grant of the caller's firm", body = crate::edge::ErrorBody),
        (status = 409, description = "Already answered", body = crate::edge::ErrorBody),
        (status = 422, description = "Not acceptable (bad account, not awaiting an answer…)", body = crate::edge::ErrorBody),
    ))]
async fn answer(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<GrantAnswerers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Answer>,
) -> Result<Json<Answered>, ApiError> {
    let status = grants::answer(&state.pool, &current.user, id, &body).await?;
    Ok(Json(Answered { id, status }))
}
