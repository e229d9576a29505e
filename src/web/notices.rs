//! "我的通知": an enterprise's inbox page, newest first, its own firm's notices only.

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;

use super::page::{escape, layout};
use crate::firms::FirmScope;
use crate::http::auth::Authorized;
use crate::http::profiles::Enterprises;
use crate::http::{ApiError, AppState};
use crate::notices::inbox_repo;
use crate::notices::render::format_amount;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/my/notices", get(inbox_page))
}

async fn inbox_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
) -> Result<Html<String>, ApiError> {
    let FirmScope::Own(uscc) = FirmScope::of(&current.user) else {
        return Err(ApiError::NotFound("没有所属企业".to_owned()));
    };
    let notices = inbox_repo::list(&state.pool, uscc.as_str(), i64::MAX, 200).await?;
    let items: String = notices
        .iter()
        .map(|n| {
            let state = if n.read_at.is_some() {
                "已读"
            } else {
                "未读"
            };
            format!(
                "<li><h3>{} <small>({state})</small></h3><p>金额：{} 元</p><pre>{}</pre>\
                 <p><a href=\"{}\">查看详情</a> · {}</p></li>",
                escape(&n.title),
                format_amount(n.amount),
                escape(&n.body),
                escape(&n.link),
                n.created_at.format("%Y-%m-%d %H:%M")
            )
        })
        .collect();
    let body = if notices.is_empty() {
        "<h1>我的通知</h1><p>暂无通知。</p>".to_owned()
    } else {
        format!("<h1>我的通知</h1><ul>{items}</ul>")
    };
    Ok(Html(layout("我的通知", &body)))
}
