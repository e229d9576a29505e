//! Reading and verifying the audit log (auditors and admins).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{AuditReaders, Authorized};
use super::page::{Page, PageParams};
use super::{ApiError, AppState};
use crate::audit::{self, AuditEvent, CheckpointKey, VerifyReport};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events))
        .routes(routes!(verify))
}

/// A page of the log in chain order (`?after=<seq>&limit=`; `after_seq` also accepted).
#[utoipa::path(get, path = "/api/v1/audit/events", tag = "audit",
    params(PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of the log", body = [AuditEvent])))]
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
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "What the walk found", body = VerifyReport)))]
async fn verify(
    State(state): State<AppState>,
    _reader: Authorized<AuditReaders>,
) -> Result<Json<VerifyReport>, ApiError> {
    let key = CheckpointKey::load(&state.settings)?;
    Ok(Json(
        audit::verify_anchored(&state.pool, key.as_ref(), &[]).await?,
    ))
}
