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
pub mod openapi;
mod policies;
mod profiles;
mod publicity;
mod review;
mod session;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

pub use health::metrics_router;

// The route families reach the shared plumbing as `super::…`.
use crate::edge::paging as page;
use crate::edge::{ApiError, ApiJson, ApiPath, ApiQuery, AppState, auth};

/// Every route family, each route registered with its description.
fn families() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
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

/// The API and operational routes (the layers are added by `app.rs`), with the
/// description at `/openapi.json` and the reference page at `/api/docs`.
pub fn router() -> Router<AppState> {
    let (routes, _) = openapi::described(families()).split_for_parts();
    routes.merge(openapi::reference_page())
}

/// The OpenAPI 3.1 description of every route [`router`] serves (the reference page's
/// own files aside).
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::finish(openapi::described(families()).into_openapi())
}
