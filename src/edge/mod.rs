//! The request plumbing the JSON API (`http`) and the pages (`web`) share: the state every
//! handler reaches, who is calling ([`auth`]), the one error type, the extractors that keep
//! control characters out, paging, security headers, request ids and metrics. `app.rs`
//! mounts both route families and wraps them in [`layers`]; neither imports the other.

pub mod auth;
mod error;
mod extract;
mod filing;
mod firm_records;
pub mod headers;
mod idempotent;
pub mod observability;
pub mod paging;
mod sign_in;
mod workflow_errors;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use sqlx::PgPool;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

pub use error::{ApiError, ErrorBody, ErrorDetail, ErrorInfo, method_not_allowed, not_found};
pub use extract::{ApiForm, ApiJson, ApiPath, ApiQuery, check_text, forbidden_char};
pub use filing::export_batch;
pub use firm_records::{answer_data_objection, close_quarantined, load_profile};
pub use idempotent::{Keyed, Work, idempotent};
pub use sign_in::{client_address, sign_in};

use crate::config::Settings;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Connections working as the application role.
    pub pool: PgPool,
    /// The settings the service started with.
    pub settings: Arc<Settings>,
}

/// `routes` with the layers every request passes: request ids, security headers, panics
/// caught, a timeout, control characters refused, metrics, and the caller resolved.
pub fn layers(routes: Router<AppState>, state: AppState) -> Router {
    let timeout = Duration::from_secs(state.settings.http.request_timeout_secs);
    // Install the metrics recorder before the first request is counted.
    observability::metrics_handle();
    routes
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::resolve_identity,
        ))
        .layer(middleware::from_fn(observability::record_metrics))
        .layer(middleware::from_fn(extract::reject_control_characters))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .layer(middleware::from_fn(observability::request_id))
        .with_state(state)
}
