//! The administrator's workspace: every account with its role, firm and state; unlocking,
//! disabling and re-enabling (each audited by `accounts`; never one's own account).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;

use super::chrome::Chrome;
use crate::accounts;
use crate::edge::auth::{Admins, Authorized};
use crate::edge::{ApiError, ApiPath, AppState};

/// One account as the list shows it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub role: &'static str,
    pub firm: String,
    pub state: &'static str,
    pub disabled: bool,
    pub own: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
pub(super) struct AdminPage {
    chrome: Chrome,
    accounts: Vec<Account>,
}

pub(super) async fn accounts_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Admins>,
) -> Result<AdminPage, ApiError> {
    let accounts = accounts::list_users(&state.pool, 0, 500)
        .await?
        .into_iter()
        .map(|u| Account {
            own: u.id == current.user.id,
            id: u.id,
            role: u.role.label(),
            firm: u.uscc.map(|c| c.as_str().to_owned()).unwrap_or_default(),
            state: if u.disabled {
                "已停用"
            } else if u.must_change_password {
                "待本人设置密码"
            } else {
                "正常"
            },
            disabled: u.disabled,
            username: u.username,
            name: u.display_name,
        })
        .collect();
    Ok(AdminPage {
        chrome: Chrome::new("账号管理", Some(&current)),
        accounts,
    })
}

pub(super) async fn unlock(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Redirect, ApiError> {
    accounts::unlock(&state.pool, &admin.user, id).await?;
    Ok(Redirect::to("/admin"))
}

pub(super) async fn disable(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Redirect, ApiError> {
    accounts::set_disabled(&state.pool, &admin.user, id, true).await?;
    Ok(Redirect::to("/admin"))
}

pub(super) async fn enable(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Redirect, ApiError> {
    accounts::set_disabled(&state.pool, &admin.user, id, false).await?;
    Ok(Redirect::to("/admin"))
}
