//! Holding grants whose firm stopped qualifying before payment: each moves to `held`
//! through [`steps::advance`] (who, why and an audit row, refused by the table like any
//! other step), to wait for a reviewer.

use std::collections::BTreeMap;

use sqlx::PgConnection;

use super::repo;
use super::steps::{self, Actor, GrantStatus, StepError};

/// Why a lapsed grant is held, as the audit and the firm's timeline say it.
pub const REASON: &str = "企业不再符合条件，待复核";

/// Holds the unpaid grants of `policy_id` (not yet in a payment batch) whose firm's decision
/// in run `run_id` of `version_id` is no longer eligible, in the caller's transaction;
/// returns how many were held.
pub async fn hold_lapsed(
    conn: &mut PgConnection,
    policy_id: &str,
    version_id: i64,
    run_id: i64,
) -> Result<u64, StepError> {
    let lapsed = repo::lapsed(&mut *conn, policy_id, version_id, run_id).await?;
    // One statement per status the grants are at (`advance` moves one `from` at a time).
    let mut by_status: BTreeMap<GrantStatus, Vec<i64>> = BTreeMap::new();
    for (id, status) in lapsed {
        if let Ok(status) = status.parse::<GrantStatus>() {
            by_status.entry(status).or_default().push(id);
        }
    }
    let matching = Actor::System("matching");
    let mut held = 0;
    for (from, ids) in by_status {
        held += steps::advance(conn, &ids, from, GrantStatus::Held, &matching, REASON).await?;
    }
    Ok(held)
}
