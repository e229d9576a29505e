//! The policy author's workspace (`/policies`) and the reviewer's list of drafts
//! (`/review/versions`): versions with their highlighted files and their `rules check` and
//! `rules test` results, drafts uploaded as a folder or edited in the browser, the dry run
//! (试算) as a background job with its progress, and a diff between two versions.

mod diff;
mod drafts;
mod dry_runs;
mod highlight;
mod versions;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::edge::AppState;
use crate::edge::auth::MAX_UPLOAD_BYTES;

/// The routes of the policy workspace.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/policies", get(versions::list_page))
        .route("/policies/{id}", get(versions::version_page))
        .route("/policies/{id}/publish", post(versions::publish))
        .route("/policies/{id}/diff", get(diff::diff_page))
        .route("/policies/{id}/dry-run", get(dry_runs::latest))
        .route("/policies/{id}/dry-runs", post(dry_runs::start))
        .route("/policies/dry-runs/{id}", get(dry_runs::job_page))
        .route("/policies/dry-runs/{id}/progress", get(dry_runs::progress))
        .route("/policies/drafts/new", get(drafts::new_page))
        .route("/policies/drafts/edit", post(drafts::edit))
        .route(
            "/policies/drafts/upload",
            post(drafts::upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/review/versions", get(versions::review_page))
}
