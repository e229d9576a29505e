//! "我的通知": an enterprise's inbox page, newest first, its own firm's notices only;
//! opening one marks it read and goes where it points.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;

use super::chrome::Chrome;
use super::format;
use crate::edge::auth::{Authorized, Enterprises};
use crate::edge::{ApiError, ApiPath, AppState};
use crate::firms::FirmScope;
use crate::notices::inbox_repo;

/// One notice as the inbox lists it.
#[derive(Debug, Clone)]
pub struct NoticeItem {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub amount: String,
    pub unread: bool,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "notices.html")]
pub(super) struct InboxPage {
    chrome: Chrome,
    notices: Vec<NoticeItem>,
}

fn own_uscc(scope: FirmScope) -> Result<String, ApiError> {
    match scope {
        FirmScope::Own(uscc) => Ok(uscc.as_str().to_owned()),
        _ => Err(ApiError::NotFound("没有所属企业".to_owned())),
    }
}

pub(super) async fn inbox_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
) -> Result<InboxPage, ApiError> {
    let uscc = own_uscc(FirmScope::of(&current.user))?;
    let notices = inbox_repo::list(&state.pool, &uscc, i64::MAX, 200)
        .await?
        .into_iter()
        .map(|n| NoticeItem {
            id: n.id,
            title: n.title,
            body: n.body,
            amount: format::yuan(n.amount),
            unread: n.read_at.is_none(),
            at: format::beijing(n.created_at),
        })
        .collect();
    Ok(InboxPage {
        chrome: Chrome::new("我的通知", Some(&current)),
        notices,
    })
}

/// `GET /my/notices/{id}`: marks the notice read and opens what it is about.
pub(super) async fn open_notice(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Redirect, ApiError> {
    let uscc = own_uscc(FirmScope::of(&current.user))?;
    if !inbox_repo::mark_read(&state.pool, &uscc, id).await? {
        return Err(ApiError::NotFound("未找到该通知".to_owned()));
    }
    let link = inbox_repo::list(&state.pool, &uscc, id + 1, 1)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .map_or_else(|| "/my/notices".to_owned(), |n| n.link);
    Ok(Redirect::to(&super::sign_in::safe_next(Some(&link))))
}
