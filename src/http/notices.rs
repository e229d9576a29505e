//! An enterprise's notices over the API: its inbox (another firm's notice is 404) and its
//! channel settings (webhook, email, phone), validated with Chinese messages.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Authorized;
use super::auth::Enterprises;
use super::page::Page;
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::firms::FirmScope;
use crate::notices::channel_settings::{ChannelUpdate, validate};
use crate::notices::channels::webhook_target::AllowList;
use crate::notices::inbox_repo::{self, ChannelView, InboxNotice};
use crate::notices::repo::put_firm_channels;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/enterprise/notices", get(list))
        .route("/api/v1/enterprise/notices/{id}/read", post(read))
        .route("/api/v1/enterprise/channels", get(show).put(update))
}

fn own_uscc(user: &crate::accounts::User) -> Result<String, ApiError> {
    match FirmScope::of(user) {
        FirmScope::Own(uscc) => Ok(uscc.as_str().to_owned()),
        _ => Err(ApiError::NotFound("没有所属企业".to_owned())),
    }
}

/// A page of the firm's notices, newest first (`?after=<id>&limit=`).
async fn list(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    page: Page,
) -> Result<Response, ApiError> {
    let uscc = own_uscc(&current.user)?;
    let before = page.after_number(i64::MAX)?;
    let items: Vec<InboxNotice> = inbox_repo::list(&state.pool, &uscc, before, page.limit).await?;
    Ok(page.answer(items, |n| n.id.to_string()))
}

async fn read(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let uscc = own_uscc(&current.user)?;
    if !inbox_repo::mark_read(&state.pool, &uscc, id).await? {
        return Err(ApiError::NotFound(format!("未找到通知 {id}")));
    }
    Ok(Json(json!({ "id": id, "read": true })))
}

async fn show(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
) -> Result<Json<ChannelView>, ApiError> {
    let uscc = own_uscc(&current.user)?;
    let view = inbox_repo::channels(&state.pool, &uscc).await?;
    Ok(Json(view.unwrap_or(ChannelView {
        webhook_url: None,
        webhook_secret_set: false,
        email: None,
        phone: None,
    })))
}

async fn update(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiJson(body): ApiJson<ChannelUpdate>,
) -> Result<Json<ChannelView>, ApiError> {
    let uscc = own_uscc(&current.user)?;
    let allow = AllowList::new(&state.settings.notices.webhook_allow_hosts);
    let (channels, secret) = validate(body, &allow).map_err(ApiError::Unprocessable)?;
    put_firm_channels(&state.pool, &uscc, &channels, secret.as_deref()).await?;
    Ok(Json(ChannelView {
        webhook_secret_set: secret.is_some(),
        webhook_url: channels.webhook_url,
        email: channels.email,
        phone: channels.phone,
    }))
}
