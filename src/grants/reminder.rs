//! Reminders: an unanswered 确认即享 grant past its policy's `notice_days` gets one reminder,
//! queued through the notices outbox in the transaction that marks it reminded.

use sqlx::PgPool;

use super::reminder_repo::{due_reminders, mark_reminded};
use crate::notices::{GrantNotice, NoticeKind, enqueue_grant_notice};

/// Queues every due reminder; returns how many.
pub async fn queue_reminders(pool: &PgPool) -> anyhow::Result<u64> {
    let mut queued = 0;
    loop {
        let mut tx = pool.begin().await?;
        let due = due_reminders(&mut *tx, 500).await?;
        if due.is_empty() {
            return Ok(queued);
        }
        for g in &due {
            let notice = GrantNotice {
                grant_id: g.id,
                uscc: &g.uscc,
                policy_id: &g.policy_id,
                policy_title: &g.title,
                mode: "确认即享",
                amount: g.amount,
                reasons: &[],
                template: None,
                link: format!("/grants/{}", g.id),
                kind: NoticeKind::Reminder,
                returned: None,
            };
            enqueue_grant_notice(&mut tx, &notice).await?;
            mark_reminded(&mut *tx, g.id).await?;
            queued += 1;
        }
        tx.commit().await?;
    }
}
