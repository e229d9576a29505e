//! An enterprise's notices over the API: its inbox (another firm's notice is 404) and its
//! channel settings (webhook, email, phone), validated with Chinese messages.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Authorized;
use super::auth::Enterprises;
use super::page::Page;
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::firms::FirmScope;
use crate::notices::channels::webhook_target::{AllowList, check_url};
use crate::notices::inbox_repo::{self, ChannelView, InboxNotice};
use crate::notices::repo::{FirmChannels, put_firm_channels};

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

/// The body of `PUT /api/v1/enterprise/channels`; empty strings clear a channel.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelUpdate {
    /// Webhook URL (https:// to a public address, or a host on the operator's allow-list).
    pub webhook_url: Option<String>,
    /// HMAC secret, at least 16 characters; required with a webhook URL.
    pub webhook_secret: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Mainland mobile number, 11 digits.
    pub phone: Option<String>,
}

fn blank_none(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Checks an update against the webhook rules of `allow` (see `webhook_target`); the
/// error is the Chinese message of the first bad field.
pub fn validate(
    update: ChannelUpdate,
    allow: &AllowList,
) -> Result<(FirmChannels, Option<String>), String> {
    let url = blank_none(update.webhook_url);
    let secret = blank_none(update.webhook_secret);
    let email = blank_none(update.email);
    let phone = blank_none(update.phone);
    if let Some(url) = &url {
        check_url(url, allow).map_err(|refused| refused.to_string())?;
        if secret.as_ref().is_none_or(|s| s.chars().count() < 16) {
            return Err("设置回调地址时必须提供至少16个字符的签名密钥".to_owned());
        }
    }
    if let Some(email) = &email {
        let ok = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            });
        if !ok {
            return Err("电子邮箱格式不正确".to_owned());
        }
    }
    if let Some(phone) = &phone {
        let b = phone.as_bytes();
        let ok = b.len() == 11
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1])
            && b.iter().all(u8::is_ascii_digit);
        if !ok {
            return Err("手机号码必须是以1开头的11位数字".to_owned());
        }
    }
    let secret = if url.is_some() { secret } else { None };
    let channels = FirmChannels {
        webhook_url: url,
        email,
        phone,
    };
    Ok((channels, secret))
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
