//! Profile pages in Chinese: a firm's profile with each field's source and dates and its
//! history (staff), "我的企业档案" with a data-objection form (enterprise), the quarantine.

use axum::Router;
use axum::extract::State;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;

use super::page::{escape, layout};
use crate::firms::FirmScope;
use crate::http::auth::{Authorized, FirmReaders, RoleSet};
use crate::http::profiles::{self, Answerers, Enterprises, Staff, load};
use crate::http::{ApiError, ApiForm, ApiPath, AppState};
use crate::ingest::{self, StoredProfile};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/profiles/{uscc}", get(firm_page))
        .route("/my/profile", get(my_page))
        .route("/my/profile/objections", post(my_objection))
        .route("/quarantine", get(quarantine_page))
        .route("/quarantine/{id}/close", post(close_quarantined))
}

/// The field table: value, source, as-of and fetch time of each field.
fn field_table(p: &StoredProfile) -> String {
    let mut rows = String::new();
    let prov = p.provenance.as_object().cloned().unwrap_or_default();
    for (path, pv) in &prov {
        let value = lookup(&p.doc, path)
            .map(|v| v.to_string())
            .unwrap_or_default();
        let text = |k: &str| pv.get(k).and_then(Value::as_str).unwrap_or("—").to_owned();
        let original = pv
            .get("original")
            .and_then(Value::as_str)
            .map(|o| format!("（原值 {}）", escape(o)))
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}{original}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(path), escape(&value), escape(&text("source")), escape(&text("as_of")), escape(&text("fetched_at"))
        ));
    }
    format!(
        "<table><tr><th>字段</th><th>值</th><th>数据源</th><th>数据日期</th><th>采集时间</th></tr>{rows}</table>"
    )
}

/// The value at a provenance path (`name`, `annual[2025].revenue`).
fn lookup<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    match path
        .strip_prefix("annual[")
        .and_then(|r| r.split_once("]."))
    {
        Some((year, field)) => doc
            .get("annual")?
            .as_array()?
            .iter()
            .find(|a| a["year"].as_i64() == year.parse().ok())?
            .get(field),
        None => doc.get(path),
    }
}

async fn history_list(state: &AppState, scope: &FirmScope, uscc: &str) -> Result<String, ApiError> {
    let snaps = ingest::list_snapshots(&state.pool, scope, uscc, i64::MAX, 100).await?;
    let items: String = (0..snaps.len())
        .map(|i| {
            let changed = ingest::changed_fields(snaps.get(i + 1).map(|s| &s.doc), &snaps[i].doc);
            format!(
                "<li>{}：{}</li>",
                snaps[i].taken_at.format("%Y-%m-%d %H:%M"),
                escape(&changed.join("、"))
            )
        })
        .collect();
    Ok(format!("<h2>变更历史</h2><ul>{items}</ul>"))
}

async fn firm_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    ApiPath(uscc): ApiPath<String>,
) -> Result<Html<String>, ApiError> {
    let scope = FirmScope::of(&current.user);
    let p = load(&state, &scope, &uscc).await?;
    let history = history_list(&state, &scope, &p.uscc).await?;
    let body = format!(
        "<h1>企业档案 <code>{}</code></h1>{}{history}",
        escape(&p.uscc),
        field_table(&p)
    );
    Ok(Html(layout("企业档案", &body)))
}

async fn my_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
) -> Result<Html<String>, ApiError> {
    let scope = FirmScope::of(&current.user);
    let own = current
        .user
        .uscc
        .as_ref()
        .map(|u| u.as_str().to_owned())
        .unwrap_or_default();
    let p = load(&state, &scope, &own).await?;
    let history = history_list(&state, &scope, &p.uscc).await?;
    let csrf = escape(current.csrf_token().unwrap_or_default());
    let objections: String = ingest::list_objections(&state.pool, &scope, i64::MAX, 50)
        .await?
        .iter()
        .map(|o| {
            format!(
                "<li><code>{}</code>：{}（答复：{}）</li>",
                escape(&o.field),
                escape(&o.message),
                escape(o.answer.as_deref().unwrap_or("待答复"))
            )
        })
        .collect();
    let body = format!(
        r#"<h1>我的企业档案</h1>{table}{history}
<h2>数据异议</h2><ul>{objections}</ul>
<form method="post" action="/my/profile/objections"><input type="hidden" name="_csrf" value="{csrf}">
<label>字段 <input name="field" required></label><label>异议说明 <input name="message" required></label>
<button type="submit">提交数据异议</button></form>"#,
        table = field_table(&p)
    );
    Ok(Html(layout("我的企业档案", &body)))
}

#[derive(Debug, Deserialize)]
struct ObjectionForm {
    field: String,
    message: String,
}

async fn my_objection(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiForm(form): ApiForm<ObjectionForm>,
) -> Result<Redirect, ApiError> {
    let scope = FirmScope::of(&current.user);
    let own = current
        .user
        .uscc
        .as_ref()
        .map(|u| u.as_str().to_owned())
        .unwrap_or_default();
    let (field, message) = (form.field.trim(), form.message.trim());
    if field.is_empty() || message.is_empty() || message.chars().count() > 2000 {
        return Err(ApiError::Unprocessable(
            "字段名和异议说明均不能为空".to_owned(),
        ));
    }
    ingest::raise_objection(
        &state.pool,
        &scope,
        &own,
        field,
        message,
        &current.user.username,
    )
    .await?
    .ok_or_else(|| ApiError::NotFound("未找到企业档案".to_owned()))?;
    Ok(Redirect::to("/my/profile"))
}

async fn quarantine_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Staff>,
) -> Result<Html<String>, ApiError> {
    let csrf = escape(current.csrf_token().unwrap_or_default());
    // Only those who may close a record are offered the form (the server checks again).
    let closer = Answerers::ROLES.contains(&current.user.role);
    let rows: String = ingest::list_quarantine(&state.pool, None, i64::MAX, 200)
        .await?
        .iter()
        .map(|q| {
            let handling = match q.status.as_str() {
                "open" if closer => format!(
                    r#"<form method="post" action="/quarantine/{id}/close"><input type="hidden" name="_csrf" value="{csrf}">
<select name="status"><option value="resolved">已在来源更正</option><option value="dismissed">无需处理</option></select>
<input name="note" required maxlength="2000" placeholder="处理说明"><button type="submit">关闭</button></form>"#,
                    id = q.id
                ),
                "open" => "待处理".to_owned(),
                "resolved" => "已关闭（已在来源更正）".to_owned(),
                "dismissed" => "已关闭（无需处理）".to_owned(),
                other => escape(other),
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{handling}</td></tr>",
                q.id,
                escape(&q.source),
                escape(&q.field),
                escape(&q.reason),
                escape(&q.raw)
            )
        })
        .collect();
    let body = format!(
        "<h1>隔离区（未入库的数据）</h1><table><tr><th>编号</th><th>数据源</th><th>字段</th><th>原因</th><th>原始记录</th><th>处理</th></tr>{rows}</table>"
    );
    Ok(Html(layout("隔离区", &body)))
}

#[derive(Debug, Deserialize)]
struct CloseForm {
    status: String,
    note: String,
}

/// The quarantine page's close form: the same checks and audit as the API.
async fn close_quarantined(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Answerers>,
    ApiPath(id): ApiPath<i64>,
    ApiForm(form): ApiForm<CloseForm>,
) -> Result<Redirect, ApiError> {
    let user = &current.user.username;
    profiles::close_quarantined(&state, user, id, &form.status, &form.note).await?;
    Ok(Redirect::to("/quarantine"))
}
