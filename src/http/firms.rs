//! Firm records: an enterprise account sees its own firm only (the scope is in the
//! query), staff see any firm.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::{Authorized, FirmReaders};
use super::{ApiError, ApiPath, ApiQuery, AppState};
use crate::firms::{self, Firm, FirmScope};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/firms", get(list))
        .route("/api/v1/firms/{uscc}", get(show))
}

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    after: String,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    50
}

async fn list(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Vec<Firm>>, ApiError> {
    if !(1..=500).contains(&page.limit) {
        return Err(ApiError::BadRequest(
            "limit 必须在 1 到 500 之间".to_owned(),
        ));
    }
    let scope = FirmScope::of(&current.user);
    Ok(Json(
        firms::list_firms(&state.pool, &scope, &page.after, page.limit).await?,
    ))
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
