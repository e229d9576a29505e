//! 公示 and payment details on the enterprise side: the public list of a policy's grants
//! in their window (no sign-in), an objection to a grant in its window, and the firm's
//! payee account (shown masked).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, RoleSet};
use super::page::{Page, PageParams};
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::accounts::Role;
use crate::firms::FirmScope;
use crate::grants::payee::{self, AccountSet, MaskedPayeeAccount, PayeeError, PayeeInput};
use crate::grants::publicity::{self, PublicEntry};
use crate::grants::steps::{Actor, GrantStatus, StepError};

/// The firm objects to its own grant; a reviewer records an objection from anyone else.
#[derive(Debug)]
pub struct Objectors;
impl RoleSet for Objectors {
    const ROLES: &'static [Role] = &[Role::Enterprise, Role::Reviewer];
}

/// Only the firm itself gives its payee account.
#[derive(Debug)]
pub struct Firms;
impl RoleSet for Firms {
    const ROLES: &'static [Role] = &[Role::Enterprise];
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(public_list))
        .routes(routes!(raise_objection))
        .routes(routes!(own_account, set_account))
}

/// An objection raised in 公示.
#[derive(Debug, Serialize, ToSchema)]
struct ObjectionRaised {
    objection_id: i64,
    grant_id: i64,
    /// Always `disputed`.
    grant_status: GrantStatus,
}

/// The grants of a policy in 公示, masked names and amounts, by id; anyone may read it.
#[utoipa::path(get, path = "/api/v1/public/policies/{policy_id}/publicity", tag = "review",
    params(("policy_id" = String, Path, description = "The policy's id"), PageParams),
    responses((status = 200, description = "A page of the public list", body = [PublicEntry])))]
async fn public_list(
    State(state): State<AppState>,
    ApiPath(policy_id): ApiPath<String>,
    page: Page,
) -> Result<Response, ApiError> {
    let after = page.after_number(0)?;
    let items = publicity::public_list(&state.pool, &policy_id, after, page.limit).await?;
    Ok(page.answer(items, |e| e.grant_id.to_string()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ObjectionBody {
    message: String,
}

/// An objection to a grant in its 公示 window: the firm to its own, a reviewer on
/// behalf of anyone else.
#[utoipa::path(post, path = "/api/v1/grants/{id}/publicity-objection", tag = "review",
    params(("id" = i64, Path, description = "The grant's id")),
    request_body = ObjectionBody,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Raised; the grant is disputed", body = ObjectionRaised),
        (status = 404, description = "No such grant the caller may object to", body = crate::edge::ErrorBody),
        (status = 409, description = "Not in its window, or already disputed", body = crate::edge::ErrorBody),
        (status = 422, description = "Empty or too long message", body = crate::edge::ErrorBody),
    ))]
async fn raise_objection(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Objectors>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ObjectionBody>,
) -> Result<Json<ObjectionRaised>, ApiError> {
    let actor = Actor::user(&current.user);
    let objection = publicity::object(&state.pool, id, &actor, &body.message).await?;
    Ok(Json(ObjectionRaised {
        objection_id: objection,
        grant_id: id,
        grant_status: GrantStatus::Disputed,
    }))
}

fn own_firm(current: &super::auth::CurrentUser) -> Result<String, ApiError> {
    match FirmScope::of(&current.user) {
        FirmScope::Own(uscc) => Ok(uscc.as_str().to_owned()),
        _ => Err(ApiError::Forbidden(
            "只有企业账户可以管理收款账户".to_owned(),
        )),
    }
}

/// The firm's payee account, the number masked; 404 before it gives one.
#[utoipa::path(get, path = "/api/v1/enterprise/payee-account", tag = "enterprise",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The account, number masked", body = MaskedPayeeAccount),
        (status = 404, description = "No account given yet", body = crate::edge::ErrorBody),
    ))]
async fn own_account(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Firms>,
) -> Result<Json<MaskedPayeeAccount>, ApiError> {
    let uscc = own_firm(&current)?;
    let account = payee::payee_account(&state.pool, &uscc)
        .await?
        .ok_or_else(|| ApiError::NotFound("尚未提供收款账户".to_owned()))?;
    Ok(Json(account.masked()))
}

/// The firm gives (or changes) its payee account; grants waiting for it move on.
#[utoipa::path(put, path = "/api/v1/enterprise/payee-account", tag = "enterprise",
    request_body = PayeeInput,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Set", body = AccountSet),
        (status = 404, description = "The firm is unknown", body = crate::edge::ErrorBody),
        (status = 422, description = "The account is not acceptable", body = crate::edge::ErrorBody),
    ))]
async fn set_account(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Firms>,
    ApiJson(body): ApiJson<PayeeInput>,
) -> Result<Json<AccountSet>, ApiError> {
    let uscc = own_firm(&current)?;
    let actor = Actor::user(&current.user);
    let set = payee::set_payee_account(&state.pool, &uscc, &body, &actor)
        .await
        .map_err(|e| match e {
            PayeeError::Db(e) | PayeeError::Step(StepError::Db(e)) => e.into(),
            e @ PayeeError::NoFirm => ApiError::NotFound(e.to_string()),
            e => ApiError::Unprocessable(e.to_string()),
        })?;
    Ok(Json(set))
}
