//! The cockpit's exports: each chart's table as a CSV file (UTF-8 with a byte-order mark,
//! so spreadsheet programs read the Chinese headers), under the page's filters.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::cockpit::load_one;
use super::cockpit_tables::{CHART_NAMES, Style, tables};
use crate::cockpit::{Filter, RawFilter};
use crate::edge::auth::{Authorized, CockpitReaders};
use crate::edge::{ApiError, ApiPath, ApiQuery, AppState};

/// `GET /cockpit/export/{name}.csv`: one chart's table.
pub(super) async fn export(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiPath(file): ApiPath<String>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Result<Response, ApiError> {
    let name = file
        .strip_suffix(".csv")
        .filter(|n| CHART_NAMES.contains(n))
        .ok_or_else(|| ApiError::NotFound(format!("没有名为“{file}”的导出")))?;
    let filter = Filter::parse(&raw)?;
    let figures = load_one(&state, &filter, name).await?;
    let chart = tables(&figures, Style::Csv)
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| ApiError::NotFound(format!("没有名为“{file}”的导出")))?;
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer
        .write_record(&chart.table.headers)
        .and_then(|()| {
            chart
                .table
                .rows
                .iter()
                .try_for_each(|row| writer.write_record(row))
        })
        .map_err(|e| ApiError::Internal(e.into()))?;
    let bytes = writer
        .into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("writing the CSV: {e}")))?;
    let disposition = format!("attachment; filename=\"cockpit-{name}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
