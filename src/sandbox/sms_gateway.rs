//! A sandbox SMS gateway of ours: `POST /v1/messages` with a bearer token and
//! `{phone, text, idempotency_key}` stores a message once per key (a repeat is answered
//! 200 with `"duplicate": true`); `GET /v1/messages` lists what it received.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;
use tokio::net::TcpListener;

/// One message as sent to the gateway.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SmsMessage {
    /// Mobile number.
    pub phone: String,
    /// Text (UTF-8 Chinese).
    pub text: String,
    /// The sender's key; a repeat is not stored again.
    pub idempotency_key: String,
}

#[derive(Clone)]
struct Gateway {
    token: Arc<String>,
    messages: Arc<Mutex<Vec<SmsMessage>>>,
}

fn authorised(gateway: &Gateway, headers: &HeaderMap) -> bool {
    let expected = format!("Bearer {}", gateway.token);
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

async fn send(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    Json(message): Json<SmsMessage>,
) -> (StatusCode, Json<Value>) {
    if !authorised(&gateway, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "bad token"})),
        );
    }
    if message.phone.len() != 11 || message.text.is_empty() || message.idempotency_key.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "bad message"})),
        );
    }
    let Ok(mut messages) = gateway.messages.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({})));
    };
    let duplicate = messages
        .iter()
        .any(|m| m.idempotency_key == message.idempotency_key);
    if !duplicate {
        messages.push(message);
    }
    (
        StatusCode::OK,
        Json(json!({"accepted": true, "duplicate": duplicate})),
    )
}

async fn list(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
) -> Result<Json<Vec<SmsMessage>>, StatusCode> {
    if !authorised(&gateway, &headers) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let messages = gateway
        .messages
        .lock()
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(messages.clone()))
}

/// A bound SMS gateway.
pub struct SmsGateway {
    listener: TcpListener,
    gateway: Gateway,
}

impl SmsGateway {
    /// Binds the gateway, accepting `token`, to `listener`.
    pub fn bind(token: &str, listener: TcpListener) -> Self {
        let gateway = Gateway {
            token: Arc::new(token.to_owned()),
            messages: Arc::default(),
        };
        Self { listener, gateway }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The messages received so far (shared, live).
    pub fn messages(&self) -> Arc<Mutex<Vec<SmsMessage>>> {
        self.gateway.messages.clone()
    }

    /// Serves until `shutdown` completes.
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = Router::new()
            .route("/v1/messages", post(send).get(list))
            .with_state(self.gateway);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
