//! Request ids, request metrics and the Prometheus exposition.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The header that carries the request id in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, or `-` outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".to_owned())
}

/// Gives every request an id (the caller's `x-request-id` if it is sane, else a new
/// UUID), makes it visible to the handler and its logs, and returns it in the response.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    if let Ok(value) = HeaderValue::from_str(&id) {
        request
            .headers_mut()
            .insert(REQUEST_ID_HEADER, value.clone());
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = %request.method(),
            path = %request.uri().path(),
            user.id = tracing::field::Empty,
            auth.token = tracing::field::Empty,
        );
        let mut response = REQUEST_ID
            .scope(id, tracing::Instrument::instrument(next.run(request), span))
            .await;
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
        return response;
    }
    next.run(request).await
}

/// The process-wide metrics recorder (installed once, shared by every server in the
/// process, as tests start many).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (a library user's); then ours
            // still renders, just without the global macros feeding it.
            if metrics::set_global_recorder(recorder).is_ok() {
                crate::telemetry::metrics::describe();
            }
            handle
        })
        .clone()
}

/// Counts requests and times them by route template (never by raw path, which would
/// put USCCs into metric labels).
pub async fn record_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("mianshen_http_requests_total", &labels).increment(1);
    metrics::histogram!("mianshen_http_request_duration_seconds", &labels)
        .record(started.elapsed());
    response
}
