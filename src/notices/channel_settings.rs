//! A firm's notification channels as it sets them: webhook (with its HMAC secret), email
//! and phone, checked with Chinese messages before they are stored.

use serde::Deserialize;

use super::channels::webhook_target::{AllowList, check_url};
use super::repo::FirmChannels;

/// A firm's channel settings as it sends them (`PUT /api/v1/enterprise/channels`, the
/// channels page); empty strings clear a channel.
#[derive(utoipa::ToSchema, Debug, Deserialize)]
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
