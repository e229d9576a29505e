//! The pages people use, in Simplified Chinese, rendered from askama templates under
//! `src/web/templates/` (checked at compile time, escaped automatically): one base layout,
//! a workspace per role, errors as pages for browsers ([`error_pages`]). The request
//! plumbing is [`crate::edge`]; `app.rs` mounts these routes beside the API's.

mod accounts_admin;
mod admin;
mod assets;
mod audit;
mod authoring;
mod channels;
mod chrome;
mod errors;
mod format;
mod grants;
mod home;
mod library;
mod notices;
mod profile_view;
mod profiles;
mod quarantine;
mod sign_in;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};

pub use errors::error_pages;

use crate::edge::AppState;

/// The web pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route(
            "/login",
            get(sign_in::login_form).post(sign_in::login_submit),
        )
        .route("/logout", post(sign_in::logout))
        .route("/my/password", post(sign_in::change_password))
        .route("/assets/{name}", get(assets::serve))
        .route("/profiles", get(home::find_profile))
        .route("/profiles/{uscc}", get(profiles::firm_page))
        .route("/my/profile", get(profiles::my_page))
        .route("/my/profile/objections", post(profiles::my_objection))
        .route("/my/notices", get(notices::inbox_page))
        .route("/my/notices/{id}", get(notices::open_notice))
        .route("/my/grants", get(grants::list_page))
        .route("/my/grants/{id}", get(grants::grant_page))
        .route("/my/grants/{id}/confirm", post(grants::confirm))
        .route("/my/grants/{id}/decline", post(grants::decline))
        .route("/my/grants/{id}/object", post(grants::object))
        .route("/grants/{id}", get(grants::notice_link))
        .route("/my/channels", get(channels::show).post(channels::save))
        .route("/my/channels/test", post(channels::test_send))
        // The reviewer's workspace is `/review` (branch webfin); until it lands, the drafts.
        .route(
            "/review",
            get(|| async { Redirect::to("/review/versions") }),
        )
        .route("/admin", get(admin::accounts_page))
        .route("/admin/users/{id}/unlock", post(admin::unlock))
        .route("/admin/users/{id}/disable", post(admin::disable))
        .route("/admin/users/{id}/enable", post(admin::enable))
        .route("/zhengce", get(library::library_page))
        .route("/audit", get(audit::trail_page))
        .route("/audit/verify", get(audit::verify_page))
        .route("/quarantine", get(quarantine::quarantine_page))
        .route("/quarantine/{id}/close", post(quarantine::close))
        .merge(authoring::router())
        .merge(accounts_admin::router())
}
