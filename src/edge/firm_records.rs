//! Operations on firm records that the API and the pages both perform, answered in the
//! one error type: a profile within the caller's scope, closing a quarantined record.

use serde_json::json;

use super::{ApiError, AppState};
use crate::audit::{self, Actor, AuditEntry};
use crate::firms::FirmScope;
use crate::ingest::{self, QuarantineEntry, StoredProfile};

/// The profile of `uscc` if the scope may see it, else 404.
pub async fn load_profile(
    state: &AppState,
    scope: &FirmScope,
    uscc: &str,
) -> Result<StoredProfile, ApiError> {
    let code = uscc.trim().to_uppercase();
    ingest::find_profile(&state.pool, scope, &code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("未找到企业档案 {code}")))
}

/// Closes quarantined record `id` as `status` (`resolved` or `dismissed`) with `note`, audited
/// in the same transaction; shared by the API and the quarantine page.
pub async fn close_quarantined(
    state: &AppState,
    user: &str,
    id: i64,
    status: &str,
    note: &str,
) -> Result<QuarantineEntry, ApiError> {
    let status = status.trim();
    if !matches!(status, "resolved" | "dismissed") {
        return Err(ApiError::Unprocessable(format!(
            "status 应为 resolved（已在来源更正）或 dismissed（无需处理），收到 '{status}'"
        )));
    }
    let note = note.trim();
    if !(1..=2000).contains(&note.chars().count()) {
        return Err(ApiError::Unprocessable(
            "处理说明不能为空（不超过2000字）".to_owned(),
        ));
    }
    let mut tx = state.pool.begin().await?;
    let Some(closed) = ingest::close_quarantine(&mut *tx, id, status).await? else {
        return Err(match ingest::quarantine_status(&mut *tx, id).await? {
            Some(now) => ApiError::Conflict(format!("隔离记录 {id} 已处理（{now}）")),
            None => ApiError::NotFound(format!("未找到隔离记录 {id}")),
        });
    };
    // The raw record may hold personal data: the trail names the fault, not the content.
    let after = json!({"status": status, "note": note, "source": closed.source,
                       "field": closed.field, "reason": closed.reason});
    let entry = AuditEntry::new(
        Actor::User(user),
        "quarantine.close",
        "quarantine",
        id.to_string(),
    )
    .after(after);
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(closed)
}

/// Answers data objection `id` with `answer`, audited in the same transaction; shared by
/// the API and the reviewer's page.
pub async fn answer_data_objection(
    state: &AppState,
    user: &str,
    id: i64,
    answer: &str,
) -> Result<ingest::Objection, ApiError> {
    let text = answer.trim();
    if text.is_empty() {
        return Err(ApiError::Unprocessable("答复不能为空".to_owned()));
    }
    let mut tx = state.pool.begin().await?;
    let answered = ingest::answer_objection(&mut *tx, id, text, user)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("未找到数据异议 {id}")))?;
    let after = json!({"uscc": answered.uscc, "field": answered.field, "answer": text});
    let entry = AuditEntry::new(
        Actor::User(user),
        "objection.answer",
        "data_objection",
        id.to_string(),
    )
    .after(after);
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(answered)
}
