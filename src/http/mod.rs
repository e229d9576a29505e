//! The JSON API and the operational endpoints: one router per route family, merged here.
//! The request plumbing they stand on (identity, errors, extractors, paging) is
//! [`crate::edge`]; `app.rs` mounts this router beside the pages'.

mod admin;
mod audit;
mod cockpit;
mod finance;
mod firms;
mod grants;
mod health;
mod me;
mod notices;
mod policies;
mod profiles;
mod publicity;
mod review;
mod session;

use axum::Router;

pub use health::metrics_router;

// The route families reach the shared plumbing as `super::…`.
use crate::edge::paging as page;
use crate::edge::{ApiError, ApiJson, ApiPath, ApiQuery, AppState, auth};

/// The API and operational routes (the layers are added by `app.rs`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(session::router())
        .merge(firms::router())
        .merge(admin::router())
        .merge(me::router())
        .merge(audit::router())
        .merge(cockpit::router())
        .merge(profiles::router())
        .merge(notices::router())
        .merge(grants::router())
        .merge(finance::router())
        .merge(policies::router())
        .merge(review::router())
        .merge(publicity::router())
}
