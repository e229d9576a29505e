//! Firm records: an enterprise account sees its own firm only (the scope is in the
//! query), staff see any firm.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};

use super::auth::{Authorized, FirmReaders};
use super::page::Page;
use super::{ApiError, ApiPath, AppState};
use crate::firms::{self, Firm, FirmScope};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/firms", get(list))
        .route("/api/v1/firms/{uscc}", get(show))
}

/// A page of firms by USCC (`?after=<uscc>&limit=`).
async fn list(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    page: Page,
) -> Result<Response, ApiError> {
    let scope = FirmScope::of(&current.user);
    let after = page.after_text().trim().to_uppercase();
    let items: Vec<Firm> = firms::list_firms(&state.pool, &scope, &after, page.limit).await?;
    Ok(page.answer(items, |f| f.uscc.clone()))
}

async fn show(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    ApiPath(uscc): ApiPath<String>,
) -> Result<Json<Firm>, ApiError> {
    let scope = FirmScope::of(&current.user);
    let code = uscc.trim().to_uppercase();
    firms::find_firm(&state.pool, &scope, &code)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("未找到企业 {code}")))
}
