//! 公示 and payment details on the enterprise side: the public list of a policy's grants
//! in their window (no sign-in), an objection to a grant in its window, and the firm's
//! payee account (shown masked).

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Authorized, RoleSet};
use super::page::Page;
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::accounts::Role;
use crate::firms::FirmScope;
use crate::grants::payee::{self, PayeeError, PayeeInput};
use crate::grants::publicity;
use crate::grants::steps::{Actor, StepError};

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

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/public/policies/{policy_id}/publicity",
            get(public_list),
        )
        .route(
            "/api/v1/grants/{id}/publicity-objection",
            post(raise_objection),
        )
        .route(
            "/api/v1/enterprise/payee-account",
            get(own_account).put(set_account),
        )
}

/// The grants of a policy in 公示, masked names and amounts, by id; anyone may read it.
async fn public_list(
    State(state): State<AppState>,
    ApiPath(policy_id): ApiPath<String>,
    page: Page,
) -> Result<Response, ApiError> {
    let after = page.after_number(0)?;
    let items = publicity::public_list(&state.pool, &policy_id, after, page.limit).await?;
    Ok(page.answer(items, |e| e.grant_id.to_string()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectionBody {
    message: String,
}

async fn raise_objection(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Objectors>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ObjectionBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = Actor::user(&current.user);
    let objection = publicity::object(&state.pool, id, &actor, &body.message).await?;
    Ok(Json(
        json!({"objection_id": objection, "grant_id": id, "grant_status": "disputed"}),
    ))
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
async fn own_account(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Firms>,
) -> Result<Json<Value>, ApiError> {
    let uscc = own_firm(&current)?;
    let account = payee::payee_account(&state.pool, &uscc)
        .await?
        .ok_or_else(|| ApiError::NotFound("尚未提供收款账户".to_owned()))?;
    Ok(Json(json!(account.masked())))
}

async fn set_account(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Firms>,
    ApiJson(body): ApiJson<PayeeInput>,
) -> Result<Json<Value>, ApiError> {
    let uscc = own_firm(&current)?;
    let actor = Actor::user(&current.user);
    let set = payee::set_payee_account(&state.pool, &uscc, &body, &actor)
        .await
        .map_err(|e| match e {
            PayeeError::Db(e) | PayeeError::Step(StepError::Db(e)) => e.into(),
            e @ PayeeError::NoFirm => ApiError::NotFound(e.to_string()),
            e => ApiError::Unprocessable(e.to_string()),
        })?;
    Ok(Json(json!(set)))
}
