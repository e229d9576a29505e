//! The sandbox exchange over HTTP: `GET /feeds/{source}` and `POST /admin/advance-day`.
//!
//! Protocol:
//! - Every request needs `Authorization: Bearer {token}`, else `401 unauthorized`.
//!   Errors are `{"error":{"code":"…","message":"…"}}`; codes `unauthorized` (401),
//!   `unknown_source` (404), `bad_request` (400: limit outside 1..=10000, a cursor we did not
//!   write or one past today, an unknown query parameter).
//! - `GET /feeds/{source}?since={cursor}&limit={n}` (limit default 1000) answers
//!   `{"items":[…],"next_cursor":"…","as_of":"YYYY-MM-DD"}`. Items are partial profiles ordered
//!   by (change day, firm index); day 0 lists every firm. `next_cursor` is the position after
//!   the last item (equal to `since` when nothing is left: empty `items` means caught up). An
//!   item shows the firm as it stood on its change day, so a page never changes once served.
//! - `POST /admin/advance-day` moves the data one day on and answers `{"day":K,"as_of":"…"}`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;

use super::Source;
use super::feed::{Cursor, FeedConfig, Feeds};

/// Everything `mianshen sandbox data-exchange` takes.
#[derive(Debug, Clone)]
pub struct ExchangeConfig {
    pub feeds: FeedConfig,
    /// The bearer token clients must send.
    pub token: String,
}

#[derive(Clone)]
struct AppState {
    feeds: Arc<Feeds>,
    token: Arc<str>,
}

/// An error response of the exchange.
struct ApiError(StatusCode, &'static str, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.1, "message": self.2}});
        (self.0, Json(body)).into_response()
    }
}

fn authorize(headers: &HeaderMap, token: &str) -> Result<(), ApiError> {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if bool::from(sent.as_bytes().ct_eq(token.as_bytes())) && !token.is_empty() {
        Ok(())
    } else {
        Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "缺少或无效的访问令牌 (Authorization: Bearer …)".into(),
        ))
    }
}

/// The exchange's routes over `feeds`, guarded by `token`.
pub fn router(feeds: Arc<Feeds>, token: &str) -> Router {
    Router::new()
        .route("/feeds/{source}", get(feed))
        .route("/admin/advance-day", post(advance_day))
        .with_state(AppState {
            feeds,
            token: token.into(),
        })
}

fn bad_request(message: String) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, "bad_request", message)
}

async fn feed(
    State(state): State<AppState>,
    Path(source): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.token)?;
    let source = Source::from_name(&source).ok_or_else(|| {
        ApiError(
            StatusCode::NOT_FOUND,
            "unknown_source",
            format!("未知数据源: {source}"),
        )
    })?;
    let (mut since, mut limit) = (Cursor::default(), 1000_usize);
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "since" => {
                since =
                    Cursor::decode(&v).ok_or_else(|| bad_request(format!("无效的游标: '{v}'")))?;
            }
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or_else(|| bad_request(format!("limit 应为1到10000之间的整数: '{v}'")))?;
            }
            _ => return Err(bad_request(format!("未知参数: {k}"))),
        }
    }
    let feeds = state.feeds.clone();
    let built = tokio::task::spawn_blocking(move || {
        let page = feeds.page(source, since, limit)?;
        let mut body = String::with_capacity(page.items.len() + 100);
        body.push_str("{\"items\":[");
        body.push_str(&page.items);
        body.push_str(&format!(
            "],\"next_cursor\":\"{}\",\"as_of\":\"{}\"}}",
            page.next.encode(),
            feeds.as_of()
        ));
        Some(body)
    })
    .await
    .map_err(|_| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "内部错误".into(),
        )
    })?;
    let body = built.ok_or_else(|| bad_request("游标晚于当前数据日期".into()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn advance_day(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.token)?;
    let feeds = state.feeds.clone();
    let day = tokio::task::spawn_blocking(move || feeds.advance_day())
        .await
        .map_err(|_| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "内部错误".into(),
            )
        })?;
    let as_of = super::synth::as_of(day).to_string();
    Ok(Json(json!({"day": day, "as_of": as_of})).into_response())
}

/// A bound exchange, ready to serve: the server takes its listener and its shutdown signal.
pub struct DataExchange {
    listener: TcpListener,
    feeds: Arc<Feeds>,
    token: String,
}

impl DataExchange {
    /// Builds the feeds (the change lists of days up to `config.feeds.day`) on `listener`.
    pub fn bind(config: ExchangeConfig, listener: TcpListener) -> Self {
        Self {
            listener,
            feeds: Arc::new(Feeds::new(config.feeds)),
            token: config.token,
        }
    }

    /// The address it listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The feeds it serves (to advance days or predict items in-process).
    pub fn feeds(&self) -> Arc<Feeds> {
        self.feeds.clone()
    }

    /// Serves until `shutdown` completes.
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = router(self.feeds, &self.token);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
