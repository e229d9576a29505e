//! The administrator's page for one account: its API tokens (never their secrets) with
//! revocation, and its role. Every change is audited by `accounts`; the server refuses a
//! change to one's own role (an administrator cannot remove their own admin role, so the
//! platform never loses its last one by mistake) and any of it to other roles.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::Redirect;
use axum::routing::{get, post};
use serde::Deserialize;

use super::chrome::Chrome;
use super::format;
use crate::accounts::{self, ApiTokenInfo, Role, TokenError, User};
use crate::edge::auth::{Admins, Authorized};
use crate::edge::{ApiError, ApiForm, ApiPath, AppState};

/// The routes of the account page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users/{id}", get(account_page))
        .route("/admin/users/{id}/role", post(change_role))
        .route(
            "/admin/users/{id}/tokens/{token_id}/revoke",
            post(revoke_token),
        )
}

/// One token as the page lists it.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub label: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub state: String,
    pub live: bool,
}

/// A role the select offers.
#[derive(Debug, Clone)]
pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_account.html")]
pub(super) struct AccountPage {
    chrome: Chrome,
    id: i64,
    username: String,
    name: String,
    role: &'static str,
    firm: String,
    own: bool,
    roles: Vec<RoleOption>,
    tokens: Vec<TokenRow>,
}

/// How many tokens the page lists (an account holds at most 20 live ones).
const TOKENS_SHOWN: i64 = 200;

fn token_row(t: ApiTokenInfo) -> TokenRow {
    let now = chrono::Utc::now();
    let state = match (&t.revoked_at, &t.revoked_by) {
        (Some(at), by) => format!(
            "已吊销（{}{}）",
            format::beijing(*at),
            by.as_deref()
                .map(|b| format!("，由 {b}"))
                .unwrap_or_default()
        ),
        (None, _) if t.expires_at <= now => "已过期".to_owned(),
        (None, _) => "有效".to_owned(),
    };
    TokenRow {
        live: t.revoked_at.is_none() && t.expires_at > now,
        id: t.id,
        created: format::beijing(t.created_at),
        expires: format::beijing(t.expires_at),
        last_used: t
            .last_used_at
            .map_or_else(|| "从未使用".to_owned(), format::beijing),
        label: t.label,
        state,
    }
}

async fn find(state: &AppState, id: i64) -> Result<User, ApiError> {
    accounts::find_user(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("没有编号为 {id} 的账号，请从账号列表重新选择")))
}

/// `GET /admin/users/{id}`.
pub(super) async fn account_page(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
) -> Result<AccountPage, ApiError> {
    let user = find(&state, id).await?;
    let tokens = accounts::list_api_tokens(&state.pool, id, 0, TOKENS_SHOWN)
        .await?
        .into_iter()
        .map(token_row)
        .collect();
    Ok(AccountPage {
        chrome: Chrome::new(format!("账号：{}", user.display_name), Some(&admin)),
        id,
        own: id == admin.user.id,
        roles: Role::ALL
            .iter()
            .map(|r| RoleOption {
                value: r.as_str(),
                label: r.label(),
                selected: *r == user.role,
            })
            .collect(),
        role: user.role.label(),
        firm: user.uscc.map(|c| c.as_str().to_owned()).unwrap_or_default(),
        username: user.username,
        name: user.display_name,
        tokens,
    })
}

/// The role form.
#[derive(Debug, Deserialize)]
pub(super) struct RoleForm {
    role: String,
    #[serde(default)]
    uscc: String,
}

/// `POST /admin/users/{id}/role`.
pub(super) async fn change_role(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
    ApiForm(form): ApiForm<RoleForm>,
) -> Result<Redirect, ApiError> {
    let role: Role = form.role.parse().map_err(|_| {
        ApiError::BadRequest(format!("没有“{}”这个角色：请从列表中选择角色", form.role))
    })?;
    let uscc = Some(form.uscc.trim()).filter(|u| !u.is_empty());
    accounts::set_role(&state.pool, &admin.user, id, role, uscc).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")))
}

/// `POST /admin/users/{id}/tokens/{token}/revoke`.
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath((id, token)): ApiPath<(i64, i64)>,
) -> Result<Redirect, ApiError> {
    find(&state, id).await?;
    accounts::revoke_token(&state.pool, id, token, &admin.user.username)
        .await
        .map_err(|e| match e {
            TokenError::Db(e) => e.into(),
            e @ TokenError::NotFound => ApiError::NotFound(e.to_string()),
            e => ApiError::Unprocessable(e.to_string()),
        })?;
    Ok(Redirect::to(&format!("/admin/users/{id}")))
}
