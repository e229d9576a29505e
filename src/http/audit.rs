//! Reading and verifying the audit log (auditors and admins).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::{AuditReaders, Authorized};
use super::{ApiError, ApiQuery, AppState};
use crate::audit::{self, AuditEvent, VerifyReport};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit/events", get(events))
        .route("/api/v1/audit/verify", get(verify))
}

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    after_seq: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    100
}

async fn events(
    State(state): State<AppState>,
    _reader: Authorized<AuditReaders>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Vec<AuditEvent>>, ApiError> {
    if !(1..=1000).contains(&page.limit) {
        return Err(ApiError::BadRequest(
            "limit 必须在 1 到 1000 之间".to_owned(),
        ));
    }
    Ok(Json(
        audit::list_events(&state.pool, page.after_seq, page.limit).await?,
    ))
}

async fn verify(
    State(state): State<AppState>,
    _reader: Authorized<AuditReaders>,
) -> Result<Json<VerifyReport>, ApiError> {
    Ok(Json(audit::verify(&state.pool).await?))
}
