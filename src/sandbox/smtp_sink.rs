//! Our SMTP sink, for tests, the demo and `mianshen sandbox smtp-sink`: a small SMTP server
//! on tokio (EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-unstuffing, RSET, NOOP, QUIT;
//! 8BITMIME and SMTPUTF8 advertised, AUTH PLAIN when given a credential) that stores each
//! message once per `Message-ID` (a repeat is answered 250 and counted as a duplicate), can
//! be told to answer 4xx or 5xx, and lists what it received: in process through
//! [`SmtpSink::log`], over HTTP through [`http_router`] (`GET /messages`).

mod mail;
mod session;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tokio::net::TcpListener;

pub use mail::{Parsed, decode_words};

/// How the sink behaves.
#[derive(Debug, Clone, Default)]
pub struct SmtpBehaviour {
    /// Answer `451` (try again later) to this many messages first.
    pub fail_first: u64,
    /// Answer every `RCPT TO` with this reply code instead of 250 (e.g. 550: no such user).
    pub reject_rcpt: Option<u16>,
    /// Require `AUTH PLAIN` with this user and password before `MAIL FROM`.
    pub credentials: Option<(String, String)>,
    /// Wait this long after the data before storing and answering.
    pub delay: Duration,
}

/// One message as received.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReceivedMail {
    /// `Message-ID` as sent, with its angle brackets.
    pub message_id: String,
    /// The envelope sender (`MAIL FROM`).
    pub envelope_from: String,
    /// The envelope recipients (`RCPT TO`).
    pub envelope_to: Vec<String>,
    /// `From:` decoded.
    pub from: String,
    /// `To:` decoded.
    pub to: String,
    /// `Subject:` decoded.
    pub subject: String,
    /// `Content-Type:` as sent.
    pub content_type: String,
    /// The body decoded from its transfer encoding.
    pub body: String,
}

/// What the sink has received.
#[derive(Debug, Default)]
pub struct MailLog {
    messages: Mutex<Vec<ReceivedMail>>,
    ids: Mutex<HashSet<String>>,
    /// Messages whose `Message-ID` was already stored (accepted, not stored again).
    pub duplicates: AtomicU64,
    /// Messages answered with a 4xx because of `fail_first`.
    pub deferred: AtomicU64,
    /// Connections accepted.
    pub sessions: AtomicU64,
}

impl MailLog {
    /// Distinct messages stored.
    pub fn stored(&self) -> usize {
        self.messages.lock().map(|m| m.len()).unwrap_or_default()
    }

    /// Every stored message, in order of arrival.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Stores `mail` unless its `Message-ID` is known; false for a duplicate.
    fn store(&self, mail: ReceivedMail) -> bool {
        let (Ok(mut ids), Ok(mut messages)) = (self.ids.lock(), self.messages.lock()) else {
            return false;
        };
        if !ids.insert(mail.message_id.clone()) {
            self.duplicates.fetch_add(1, Ordering::SeqCst);
            return false;
        }
        messages.push(mail);
        true
    }
}

/// A bound SMTP sink.
pub struct SmtpSink {
    listener: TcpListener,
    behaviour: Arc<SmtpBehaviour>,
    log: Arc<MailLog>,
}

impl SmtpSink {
    /// Binds the sink to `listener`.
    pub fn bind(behaviour: SmtpBehaviour, listener: TcpListener) -> Self {
        Self {
            listener,
            behaviour: Arc::new(behaviour),
            log: Arc::new(MailLog::default()),
        }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// What it received so far (shared, live).
    pub fn log(&self) -> Arc<MailLog> {
        self.log.clone()
    }

    /// Accepts connections until `shutdown` completes; each is served on its own task.
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (stream, _) = accepted?;
                    self.log.sessions.fetch_add(1, Ordering::SeqCst);
                    let (behaviour, log) = (self.behaviour.clone(), self.log.clone());
                    tokio::spawn(async move {
                        if let Err(error) = session::serve(stream, &behaviour, &log).await {
                            tracing::debug!(%error, "smtp sink session ended");
                        }
                    });
                }
                () = &mut shutdown => return Ok(()),
            }
        }
    }
}

/// `GET /messages`: `{"messages": […], "duplicates": n, "deferred": n}`.
pub fn http_router(log: Arc<MailLog>) -> Router {
    Router::new().route("/messages", get(list)).with_state(log)
}

async fn list(State(log): State<Arc<MailLog>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "messages": log.messages(),
        "duplicates": log.duplicates.load(Ordering::SeqCst),
        "deferred": log.deferred.load(Ordering::SeqCst),
    }))
}
