//! Replaying a stored decision (`mianshen explain`): the same rule version over the same
//! profile snapshot on the same date, compared field by field with what was stored. For a
//! decision stored without its explanation (neither eligible, nor an error, nor a near miss)
//! the replay is the explanation: the outcome is compared, and the reasons are the replay's.

use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgPool;

use super::replay_repo::{latest_result, snapshot_doc};
use crate::policies::{find_version, policy_of};
use crate::profiles::validate_value;
use crate::rules::{Decision, Explain, RuleEngine};

/// A stored decision and its replay.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    pub policy_version_id: i64,
    pub version_hash: String,
    pub snapshot_id: i64,
    pub stored: Value,
    pub replayed: Decision,
    /// True when eligibility, amount and error are identical, and reasons and items too when
    /// they were stored.
    pub identical: bool,
    /// False when the stored row held the decision alone (its explanation is `replayed`).
    pub explained: bool,
}

/// Replays the latest stored decision of `uscc` for `policy_id`; `None` when there is none.
pub async fn replay(pool: &PgPool, uscc: &str, policy_id: &str) -> anyhow::Result<Option<Replay>> {
    let Some(stored) = latest_result(pool, uscc, policy_id).await? else {
        return Ok(None);
    };
    let version = find_version(pool, stored.policy_version_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("政策版本 {} 不存在", stored.policy_version_id))?;
    let policy = policy_of(&version)?;
    let doc = snapshot_doc(pool, stored.snapshot_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("档案快照 {} 不存在", stored.snapshot_id))?;
    let profile = validate_value(&doc).map_err(|e| anyhow::anyhow!("档案快照不合法: {e:?}"))?;
    let replayed =
        RuleEngine::shared().evaluate_profile(&policy, &profile, stored.as_of, Explain::Full)?;
    let stored_json = json!({
        "eligible": stored.eligible,
        "amount": stored.amount.to_string(),
        "reasons": stored.reasons,
        "items": stored.items,
        "error": stored.error,
    });
    let identical = stored.eligible == replayed.eligible
        && stored.amount == replayed.amount.round_dp(2)
        && stored.error == replayed.error
        && (!stored.explained
            || (stored.reasons == json!(replayed.reasons)
                && stored.items == json!(replayed.items)));
    Ok(Some(Replay {
        policy_version_id: stored.policy_version_id,
        version_hash: version.version_hash,
        snapshot_id: stored.snapshot_id,
        stored: stored_json,
        replayed,
        identical,
        explained: stored.explained,
    }))
}
