//! Firm records: an enterprise account sees its own firm only (the scope is in the
//! query), staff see any firm.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, FirmReaders};
use super::page::{Page, PageParams};
use super::{ApiError, ApiPath, AppState};
use crate::firms::{self, Firm, FirmScope};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
}

/// A page of firms by USCC (`?after=<uscc>&limit=`); a firm sees only itself.
#[utoipa::path(get, path = "/api/v1/firms", tag = "firms",
    params(PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of firms", body = [Firm])))]
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

/// One firm (404 for another firm's USCC when the caller is a firm).
#[utoipa::path(get, path = "/api/v1/firms/{uscc}", tag = "firms",
    params(("uscc" = String, Path, description = "The firm's unified social credit code")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The firm", body = Firm),
        (status = 404, description = "No such firm the caller may see", body = crate::edge::ErrorBody),
    ))]
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
