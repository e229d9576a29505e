//! "通知渠道": where a firm's notices go besides its inbox (email, mobile phone, a webhook
//! with its signing secret), checked with the API's rules, and a test send that reports at
//! once whether each channel works.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;
use serde::Deserialize;

use super::chrome::Chrome;
use crate::edge::auth::{Authorized, CurrentUser, Enterprises};
use crate::edge::{ApiError, ApiForm, ApiQuery, AppState};
use crate::firms::FirmScope;
use crate::notices::channel_settings::{ChannelUpdate, validate};
use crate::notices::channels::webhook_target::AllowList;
use crate::notices::inbox_repo::{self, ChannelView};
use crate::notices::repo::put_firm_channels;

/// The result of a test send to one channel.
#[derive(Debug, Clone)]
pub struct Tested {
    pub channel: &'static str,
    pub ok: bool,
    pub detail: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "channels.html")]
pub(super) struct ChannelsPage {
    chrome: Chrome,
    channels: ChannelView,
    saved: bool,
    tested: Vec<Tested>,
    tested_none: bool,
}

fn own_uscc(current: &CurrentUser) -> Result<String, ApiError> {
    match FirmScope::of(&current.user) {
        FirmScope::Own(uscc) => Ok(uscc.as_str().to_owned()),
        _ => Err(ApiError::NotFound("没有所属企业".to_owned())),
    }
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
    saved: bool,
    tested: Option<Vec<Tested>>,
) -> Result<ChannelsPage, ApiError> {
    let uscc = own_uscc(current)?;
    let channels = inbox_repo::channels(&state.pool, &uscc)
        .await?
        .unwrap_or(ChannelView {
            webhook_url: None,
            webhook_secret_set: false,
            email: None,
            phone: None,
        });
    Ok(ChannelsPage {
        chrome: Chrome::new("通知渠道", Some(current)),
        channels,
        saved,
        tested_none: tested.as_ref().is_some_and(Vec::is_empty),
        tested: tested.unwrap_or_default(),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct Saved {
    saved: Option<String>,
}

pub(super) async fn show(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiQuery(query): ApiQuery<Saved>,
) -> Result<ChannelsPage, ApiError> {
    page(&state, &current, query.saved.is_some(), None).await
}

#[derive(Debug, Deserialize)]
pub(super) struct ChannelsForm {
    email: Option<String>,
    phone: Option<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
}

pub(super) async fn save(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiForm(form): ApiForm<ChannelsForm>,
) -> Result<Redirect, ApiError> {
    let uscc = own_uscc(&current)?;
    let allow = AllowList::new(&state.settings.notices.webhook_allow_hosts);
    let update = ChannelUpdate {
        webhook_url: form.webhook_url,
        webhook_secret: form.webhook_secret,
        email: form.email,
        phone: form.phone,
    };
    let (channels, secret) = validate(update, &allow).map_err(ApiError::Unprocessable)?;
    put_firm_channels(&state.pool, &uscc, &channels, secret.as_deref()).await?;
    Ok(Redirect::to("/my/channels?saved=1"))
}

fn channel_name(channel: &str) -> &'static str {
    match channel {
        "email" => "电子邮箱",
        "sms" => "手机短信",
        "webhook" => "接口回调（Webhook）",
        _ => "其他",
    }
}

pub(super) async fn test_send(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
) -> Result<ChannelsPage, ApiError> {
    let uscc = own_uscc(&current)?;
    let tested = match inbox_repo::channel_targets(&state.pool, &uscc).await? {
        Some(targets) => {
            let policy = state.settings.delivery_policy();
            crate::notices::send_test(&policy, &uscc, &targets)
                .await?
                .into_iter()
                .map(|(channel, result)| Tested {
                    channel: channel_name(channel),
                    ok: result.is_ok(),
                    detail: result.err().unwrap_or_else(|| "已发送成功".to_owned()),
                })
                .collect()
        }
        None => Vec::new(),
    };
    page(&state, &current, false, Some(tested)).await
}
