//! Reading and verifying the audit log (auditors and admins).

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};

use super::auth::{AuditReaders, Authorized};
use super::page::Page;
use super::{ApiError, AppState};
use crate::audit::{self, AuditEvent, CheckpointKey, VerifyReport};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit/events", get(events))
        .route("/api/v1/audit/verify", get(verify))
}

/// A page of the log in chain order (`?after=<seq>&limit=`; `after_seq` also accepted).
async fn events(
    State(state): State<AppState>,
    _reader: Authorized<AuditReaders>,
    page: Page,
) -> Result<Response, ApiError> {
    let after = page.after_number(0)?;
    let items: Vec<AuditEvent> = audit::list_events(&state.pool, after, page.limit).await?;
    Ok(page.answer(items, |e| e.seq.to_string()))
}

/// The chain walk plus every stored signed checkpoint (see `audit::verify_anchored`).
async fn verify(
    State(state): State<AppState>,
    _reader: Authorized<AuditReaders>,
) -> Result<Json<VerifyReport>, ApiError> {
    let key = CheckpointKey::load(&state.settings)?;
    Ok(Json(
        audit::verify_anchored(&state.pool, key.as_ref(), &[]).await?,
    ))
}
