//! A batch's filing list (拨付清单) as a download, for the API and the finance pages
//! alike: only an approved batch, `.xlsx` or `.csv`, each download audited. Full account
//! numbers are in it, so only finance staff reach it (the callers' guard).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{ApiError, AppState};
use crate::accounts::User;
use crate::audit::{self, Actor, AuditEntry};
use crate::disbursement::batches::{self, BatchError};
use crate::disbursement::export;

/// The filing list of batch `id` in `format` (`xlsx` or `csv`), downloaded by `user`.
pub async fn export_batch(
    state: &AppState,
    user: &User,
    id: i64,
    format: &str,
) -> Result<Response, ApiError> {
    let batch = batches::get(&state.pool, id)
        .await?
        .ok_or(BatchError::NotFound(id))?;
    if batch.status != "approved" {
        return Err(ApiError::Conflict(format!(
            "批次 {id} 状态为 {}, 审批通过后才能导出拨付清单",
            batch.status
        )));
    }
    if !matches!(format, "csv" | "xlsx") {
        return Err(ApiError::BadRequest(format!(
            "format {format:?} 不支持: 请用 xlsx 或 csv"
        )));
    }
    let mut conn = state.pool.acquire().await?;
    let rows = export::rows(&mut conn, id).await?;
    let (bytes, content_type) = if format == "csv" {
        (export::to_csv(&rows)?, "text/csv; charset=utf-8")
    } else {
        (
            export::to_xlsx(&rows, &format!("批次{id}"))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    };
    let entry = AuditEntry::new(
        Actor::User(&user.username),
        "batch.export",
        "payment_batch",
        id.to_string(),
    )
    .after(json!({"format": format, "rows": rows.len()}));
    audit::record(&state.pool, &entry).await?;
    let disposition = format!("attachment; filename=\"batch-{id}.{format}\"");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
