//! The treasury's callbacks: recorded once per event id as they arrive (the receiver
//! answers at once), then applied in sets by the sender through [`super::sending::apply`],
//! forward only, so repeats, late events and events after a poll change nothing.

use sqlx::PgPool;

use super::sending::{Applied, Update, apply};
use crate::treasury::{Callback, InstructionStatus, SettledStatus};

/// Records a verified callback once per event id; true if the event was new. The event
/// is applied by [`apply_events`] (the sender's next round), so a burst of callbacks is
/// answered at once and applied in sets. A callback about an instruction we do not know
/// is kept all the same (reconciliation flags its statement line).
pub async fn record_callback(pool: &PgPool, callback: &Callback) -> sqlx::Result<bool> {
    let status = match callback.status {
        SettledStatus::Paid => "paid",
        SettledStatus::Returned => "returned",
    };
    let inserted = sqlx::query!(
        "INSERT INTO treasury_events (event_id, instruction_id, status, amount, reason, at, value_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING",
        callback.event_id,
        callback.instruction_id,
        status,
        callback.amount,
        callback.reason,
        callback.at,
        callback.value_date
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Applies recorded callbacks not yet applied, `limit` at a time, until none is left.
pub async fn apply_events(pool: &PgPool, limit: i64) -> anyhow::Result<Applied> {
    let mut applied = Applied::default();
    loop {
        let mut tx = pool.begin().await?;
        let events = sqlx::query!(
            "SELECT event_id, instruction_id, status, reason, value_date FROM treasury_events
             WHERE applied_at IS NULL ORDER BY received_at, event_id LIMIT $1 FOR UPDATE SKIP LOCKED",
            limit
        )
        .fetch_all(&mut *tx)
        .await?;
        if events.is_empty() {
            return Ok(applied);
        }
        let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
        // Two events about one instruction in a round: the first settles it, the second
        // (a repeat under another id, or a contradiction) changes nothing.
        let mut seen = std::collections::HashSet::new();
        let updates: Vec<Update> = events
            .iter()
            .filter(|e| seen.insert(e.instruction_id.as_str()))
            .map(|e| Update {
                instruction_id: e.instruction_id.clone(),
                status: if e.status == "paid" {
                    InstructionStatus::Paid
                } else {
                    InstructionStatus::Returned
                },
                reason: e.reason.clone(),
                value_date: Some(e.value_date),
            })
            .collect();
        applied += apply(&mut tx, &updates).await?;
        sqlx::query!(
            "UPDATE treasury_events SET applied_at = now() WHERE event_id = ANY($1)",
            &ids as &[&str]
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
}
