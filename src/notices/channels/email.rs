//! The email channel: the notice as a UTF-8 plain-text email (Chinese subject encoded per
//! RFC 2047, body as `text/plain; charset=utf-8`) over SMTP with lettre's async tokio
//! transport, with the delivery's idempotency key as its `Message-ID`, so a resend after a
//! crash is recognisably the same message (our sink drops it, see
//! `crate::sandbox::smtp_sink`).
//!
//! Plain SMTP only: this build has no TLS (lettre without a TLS feature), so the relay is
//! one we run next to the service (the sandbox sink, or a local MTA that relays onwards).
//! Reply classes decide: 2xx delivered, 4xx and connection failures retried, 5xx permanent.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::{self, AsyncSmtpTransport};
use lettre::{AsyncTransport as _, Tokio1Executor};

use super::SendOutcome;
use crate::config::Secret;
use crate::notices::repo::Claimed;

/// The relay and sender of notices (`[notices]` `smtp_*`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmailConfig {
    /// Relay host.
    pub host: String,
    /// Relay port.
    pub port: u16,
    /// Sender address, e.g. `免申即享 <noreply@mianshen.local>`.
    pub from: String,
    /// AUTH PLAIN user, if the relay wants one.
    pub username: Option<String>,
    /// Its password.
    pub password: Option<Secret>,
}

/// An SMTP client built once per worker (it keeps a pool of open connections).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
    timeout: Duration,
}

impl Mailer {
    /// A client for `config`; fails when the sender address does not parse.
    pub fn new(config: &EmailConfig, timeout: Duration) -> anyhow::Result<Self> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("MIANSHEN_SMTP_FROM {:?}: {e}", config.from))?;
        let domain = from.email.domain().to_owned();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .timeout(Some(timeout));
        if let Some(user) = &config.username {
            let password = config.password.as_ref().map_or("", Secret::expose);
            builder = builder.credentials(Credentials::new(user.clone(), password.to_owned()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            domain,
            timeout,
        })
    }
}

/// The `Message-ID` of a delivery: `<{idempotency key}@{sender's domain}>`.
pub fn message_id(delivery: &Claimed, domain: &str) -> String {
    format!("<{}@{domain}>", delivery.idempotency_key)
}

/// The email of `delivery`, or why it cannot be written (a bad recipient address).
pub fn message(from: &Mailbox, domain: &str, delivery: &Claimed) -> Result<Message, String> {
    let to: Mailbox = delivery
        .target
        .parse()
        .map_err(|e| format!("收件地址无效 ({}): {e}", mask_email(&delivery.target)))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(delivery.title.as_str())
        .message_id(Some(message_id(delivery, domain)))
        .header(ContentType::TEXT_PLAIN)
        .body(delivery.body.clone())
        .map_err(|e| format!("邮件无法生成: {e}"))
}

/// Sends one delivery as an email.
pub async fn send(mailer: &Mailer, delivery: &Claimed) -> SendOutcome {
    let email = match message(&mailer.from, &mailer.domain, delivery) {
        Ok(email) => email,
        Err(error) => {
            return SendOutcome::Permanent {
                status: None,
                error,
            };
        }
    };
    match tokio::time::timeout(mailer.timeout, mailer.transport.send(email)).await {
        Ok(Ok(response)) => SendOutcome::Delivered {
            status: Some(i32::from(u16::from(response.code()))),
        },
        Ok(Err(error)) => classify_smtp(&error),
        Err(_) => SendOutcome::Retry {
            status: None,
            error: format!("SMTP timeout after {:?}", mailer.timeout),
        },
    }
}

/// 5xx replies are permanent; 4xx replies, refused or broken connections and timeouts are
/// worth another try.
pub fn classify_smtp(error: &smtp::Error) -> SendOutcome {
    let status = error.status().map(|code| i32::from(u16::from(code)));
    // A server's reply may quote the recipient (`550 <zhang.san@…>: unknown user`): stored
    // attempts keep only the masked address.
    let text = mask_addresses(&format!("SMTP: {error}"));
    if error.is_permanent() {
        SendOutcome::Permanent {
            status,
            error: text,
        }
    } else {
        SendOutcome::Retry {
            status,
            error: text,
        }
    }
}

/// An address fit for a log line: the first character of the local part, then `***`.
pub fn mask_email(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// `text` with every word that holds an `@` (an address, possibly in `<…>`) masked by
/// [`mask_email`].
pub fn mask_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let word_end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | ',' | ';'))
            .unwrap_or(rest.len());
        if word_end == 0 {
            let c = rest.chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[..c]);
            rest = &rest[c..];
            continue;
        }
        let word = &rest[..word_end];
        if word.contains('@') {
            let trailing = word.len() - word.trim_end_matches(['.', ':']).len();
            let (address, punct) = word.split_at(word.len() - trailing);
            out.push_str(&mask_email(address));
            out.push_str(punct);
        } else {
            out.push_str(word);
        }
        rest = &rest[word_end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{mask_addresses, mask_email};

    #[test]
    fn addresses_in_server_replies_are_masked_and_the_rest_kept() {
        for (reply, stored) in [
            (
                "SMTP: permanent error (550): 5.1.1 <zhang.san@example.com>: Recipient address rejected",
                "SMTP: permanent error (550): 5.1.1 <z***@example.com>: Recipient address rejected",
            ),
            (
                "SMTP: 553 mailbox li.si@corp.cn unavailable.",
                "SMTP: 553 mailbox l***@corp.cn unavailable.",
            ),
            (
                "收件人 王五@例子.中国, 抄送 a@b.cn",
                "收件人 王***@例子.中国, 抄送 a***@b.cn",
            ),
            ("SMTP: connection refused", "SMTP: connection refused"),
            ("", ""),
        ] {
            assert_eq!(mask_addresses(reply), stored, "{reply}");
        }
    }

    #[test]
    fn addresses_are_masked_to_their_first_letter_and_domain() {
        for (address, masked) in [
            ("zhang.san@example.com", "z***@example.com"),
            ("a@b.cn", "a***@b.cn"),
            ("张三@例子.中国", "张***@例子.中国"),
            ("no-at-sign", "***"),
            ("@x.cn", "***@x.cn"),
        ] {
            assert_eq!(mask_email(address), masked, "{address}");
        }
    }
}
