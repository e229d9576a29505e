//! The HTTP edge: one router per route family, merged here, with request ids, metrics,
//! identity resolution, timeouts and one error shape.

mod admin;
mod audit;
pub mod auth;
mod error;
mod extract;
mod finance;
mod firms;
mod grants;
pub mod headers;
mod health;
mod me;
mod notices;
pub mod observability;
mod page;
mod policies;
pub(crate) mod profiles;
mod publicity;
mod review;
mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use sqlx::PgPool;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

pub use error::ApiError;
pub use extract::{ApiForm, ApiJson, ApiPath, ApiQuery, check_text, forbidden_char};
pub use health::metrics_router;
pub(crate) use session::{client_address, sign_in};

use crate::config::Settings;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Connections working as the application role.
    pub pool: PgPool,
    /// The settings the service started with.
    pub settings: Arc<Settings>,
}

/// The whole HTTP surface: API, web pages and operational endpoints.
pub fn router(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.settings.http.request_timeout_secs);
    // Install the metrics recorder before the first request is counted.
    observability::metrics_handle();
    Router::new()
        .merge(health::router())
        .merge(session::router())
        .merge(firms::router())
        .merge(admin::router())
        .merge(me::router())
        .merge(audit::router())
        .merge(profiles::router())
        .merge(notices::router())
        .merge(grants::router())
        .merge(finance::router())
        .merge(policies::router())
        .merge(review::router())
        .merge(publicity::router())
        .merge(crate::web::router())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
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
