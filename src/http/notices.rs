//! An enterprise's notices over the API: its inbox (another firm's notice is 404) and its
//! channel settings (webhook, email, phone), validated with Chinese messages.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Authorized;
use super::auth::Enterprises;
use super::page::{Page, PageParams};
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::firms::FirmScope;
use crate::notices::channel_settings::{ChannelUpdate, validate};
use crate::notices::channels::webhook_target::AllowList;
use crate::notices::inbox_repo::{self, ChannelView, InboxNotice};
use crate::notices::repo::put_firm_channels;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read))
        .routes(routes!(show, update))
}

/// A notice marked read.
#[derive(Debug, Serialize, ToSchema)]
struct MarkedRead {
    id: i64,
    /// Always true.
    read: bool,
}

fn own_uscc(user: &crate::accounts::User) -> Result<String, ApiError> {
    match FirmScope::of(user) {
        FirmScope::Own(uscc) => Ok(uscc.as_str().to_owned()),
        _ => Err(ApiError::NotFound("没有所属企业".to_owned())),
    }
}

/// A page of the firm's notices, newest first (`?after=<id>&limit=`).
#[utoipa::path(get, path = "/api/v1/enterprise/notices", tag = "enterprise",
    params(PageParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of notices", body = [InboxNotice]),
        (status = 404, description = "The account has no firm", body = crate::edge::ErrorBody),
    ))]
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

/// Marks one of the firm's notices read (another firm's is 404).
#[utoipa::path(post, path = "/api/v1/enterprise/notices/{id}/read", tag = "enterprise",
    params(("id" = i64, Path, description = "The notice's id")),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Marked read", body = MarkedRead),
        (status = 404, description = "No such notice of the caller's firm", body = crate::edge::ErrorBody),
    ))]
async fn read(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MarkedRead>, ApiError> {
    let uscc = own_uscc(&current.user)?;
    if !inbox_repo::mark_read(&state.pool, &uscc, id).await? {
        return Err(ApiError::NotFound(format!("未找到通知 {id}")));
    }
    Ok(Json(MarkedRead { id, read: true }))
}

/// The firm's notice channels (the webhook secret never shown).
#[utoipa::path(get, path = "/api/v1/enterprise/channels", tag = "enterprise",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The channels", body = ChannelView),
        (status = 404, description = "The account has no firm", body = crate::edge::ErrorBody),
    ))]
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

/// Sets the firm's notice channels (webhook on an allowed host, email, phone).
#[utoipa::path(put, path = "/api/v1/enterprise/channels", tag = "enterprise",
    request_body = ChannelUpdate,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The channels now", body = ChannelView),
        (status = 404, description = "The account has no firm", body = crate::edge::ErrorBody),
        (status = 422, description = "A channel is not acceptable", body = crate::edge::ErrorBody),
    ))]
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
