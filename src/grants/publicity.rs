//! 公示: the public list of a policy's grants in their window (masked firm names and
//! amounts, no sign-in), objections raised in the window and a reviewer's answer to them,
//! and the job that moves grants whose window ended to `ready`, or to `awaiting_account`
//! (with a reminder through the firm's notice channels) when the firm has no payee account.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::publicity_repo as repo;
use super::steps::{self, Actor, GrantStatus, StepError};
use crate::audit::{self, AuditEntry};
use crate::notices::{GrantNotice, NoticeKind, ReturnedPayment, enqueue_grant_notices};

/// The endings of registered firm names that stay visible when a name is masked, longest
/// first.
const FORMS: [&str; 9] = [
    "股份有限公司",
    "有限责任公司",
    "合伙企业（有限合伙）",
    "合伙企业(有限合伙)",
    "有限公司",
    "合伙企业",
    "个体工商户",
    "分公司",
    "公司",
];

/// A firm's name as the public list shows it: at most the first four characters before the
/// company form, `****`, then the form (`青岛万嘉电子科技有限公司` → `青岛万嘉****有限公司`).
/// At most half of the distinctive part is shown, so a short name is not given away.
pub fn mask_firm_name(name: &str) -> String {
    let name = name.trim();
    let form = FORMS
        .iter()
        .find(|f| name.ends_with(*f))
        .copied()
        .unwrap_or("");
    let stem: Vec<char> = name[..name.len() - form.len()].chars().collect();
    let shown = (stem.len() / 2).min(4);
    let head: String = stem[..shown].iter().collect();
    format!("{head}****{form}")
}

/// How many grants a step of the 公示 job moved.
#[derive(utoipa::ToSchema, Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Settled {
    pub ready: u64,
    pub awaiting_account: u64,
}

/// Moves `ids` (at `from`) on to payment: `ready` when the firm has a payee account, else
/// `awaiting_account` with a reminder to the firm (once per grant).
pub async fn settle(
    conn: &mut PgConnection,
    ids: &[i64],
    from: GrantStatus,
    actor: &Actor,
    reason: &str,
) -> Result<Settled, StepError> {
    if ids.is_empty() {
        return Ok(Settled::default());
    }
    let (with, without) = repo::split_by_account(&mut *conn, ids).await?;
    let ready = steps::advance(conn, &with, from, GrantStatus::Ready, actor, reason).await?;
    let awaiting_account = steps::advance(
        conn,
        &without,
        from,
        GrantStatus::AwaitingAccount,
        actor,
        reason,
    )
    .await?;
    remind(conn, &without).await?;
    Ok(Settled {
        ready,
        awaiting_account,
    })
}

/// Queues the reminder to give a payee account for each of `ids`, through the firm's
/// notice channels, in the caller's transaction.
async fn remind(conn: &mut PgConnection, ids: &[i64]) -> sqlx::Result<u64> {
    let due: Vec<(i64, Option<ReturnedPayment<'_>>)> = ids.iter().map(|&id| (id, None)).collect();
    queue_account_reminders(conn, &due).await
}

/// A grant whose payment the treasury returned, back with the firm to fix its account.
#[derive(Debug, Clone, Copy)]
pub struct Bounced<'a> {
    pub grant_id: i64,
    /// The returned instruction (a reminder is queued once per instruction).
    pub instruction_id: &'a str,
    /// The treasury's reason.
    pub reason: &'a str,
}

/// Queues, in the caller's transaction, the reminder to correct the payee account for
/// each bounced payment: one per returned instruction, so a firm whose second payment
/// bounces too is told again. Returns how many were queued (a replay queues none).
pub async fn remind_bounced(conn: &mut PgConnection, bounced: &[Bounced<'_>]) -> sqlx::Result<u64> {
    let due: Vec<(i64, Option<ReturnedPayment<'_>>)> = bounced
        .iter()
        .map(|b| {
            let returned = ReturnedPayment {
                instruction_id: b.instruction_id,
                reason: b.reason,
            };
            (b.grant_id, Some(returned))
        })
        .collect();
    queue_account_reminders(conn, &due).await
}

async fn queue_account_reminders(
    conn: &mut PgConnection,
    due: &[(i64, Option<ReturnedPayment<'_>>)],
) -> sqlx::Result<u64> {
    let ids: Vec<i64> = due.iter().map(|(id, _)| *id).collect();
    let details = repo::reminder_details(&mut *conn, &ids).await?;
    let by_id: std::collections::HashMap<i64, &repo::ReminderDetail> =
        details.iter().map(|g| (g.id, g)).collect();
    let notices: Vec<GrantNotice<'_>> = due
        .iter()
        .filter_map(|(id, returned)| by_id.get(id).map(|g| (*g, *returned)))
        .map(|(g, returned)| GrantNotice {
            grant_id: g.id,
            uscc: &g.uscc,
            policy_id: &g.policy_id,
            policy_title: &g.title,
            mode: &g.mode,
            amount: g.amount,
            reasons: &[],
            template: None,
            link: "/api/v1/enterprise/payee-account".to_owned(),
            kind: NoticeKind::AccountReminder,
            returned,
        })
        .collect();
    enqueue_grant_notices(conn, &notices).await
}

/// Grants handled per transaction by the 公示 job.
const PAGE: i64 = 5_000;

/// The 公示 job: every grant whose window has ended moves on ([`settle`]). Safe to run on
/// several instances at once (rows another is moving are skipped) and again after a crash.
pub async fn close_windows(pool: &PgPool) -> Result<Settled, StepError> {
    let mut total = Settled::default();
    loop {
        let mut tx = pool.begin().await?;
        let ended = repo::ended_windows(&mut *tx, PAGE).await?;
        if ended.is_empty() {
            return Ok(total);
        }
        let done = settle(
            &mut tx,
            &ended,
            GrantStatus::Publicity,
            &Actor::System("publicity"),
            "公示期满无异议",
        )
        .await?;
        tx.commit().await?;
        total.ready += done.ready;
        total.awaiting_account += done.awaiting_account;
    }
}

/// One line of a policy's public list.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct PublicEntry {
    pub grant_id: i64,
    /// Masked ([`mask_firm_name`]).
    pub firm: String,
    pub amount: Decimal,
    pub ends_at: DateTime<Utc>,
    /// `公示中` or `异议处理中`.
    pub state: &'static str,
}

/// A page of the grants of `policy_id` in 公示 (window running or objection open), by id.
pub async fn public_list(
    pool: &PgPool,
    policy_id: &str,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<PublicEntry>> {
    let rows = repo::in_publicity(pool, policy_id, after, limit).await?;
    Ok(rows
        .into_iter()
        .map(|r| PublicEntry {
            grant_id: r.id,
            firm: mask_firm_name(&r.name),
            amount: r.amount,
            ends_at: r.ends_at,
            state: if r.status == "disputed" {
                "异议处理中"
            } else {
                "公示中"
            },
        })
        .collect())
}

pub use super::publicity_repo::PolicyInPublicity;

/// The policies with grants in 公示 now, each with its window and how many grants.
pub async fn policies_in_publicity(pool: &PgPool) -> sqlx::Result<Vec<PolicyInPublicity>> {
    repo::policies_in_publicity(pool).await
}

/// Why an objection (or the answer to one) was refused; shown to people.
#[derive(Debug, thiserror::Error)]
pub enum ObjectionError {
    #[error("未找到该补贴")]
    NotFound,
    #[error("该补贴不在公示期内，不能提出异议")]
    NotInWindow,
    #[error("该补贴已有异议待处理")]
    AlreadyDisputed,
    #[error("异议须填写说明（1至1000字）")]
    BadMessage,
    #[error("未找到待处理的异议")]
    NoOpenObjection,
    #[error("处理异议须说明理由（1至500字）")]
    BadAnswer,
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Raises an objection to grant `grant_id` by `actor` (the firm itself, or a reviewer who
/// records one received from anyone else); the grant waits for a reviewer's answer.
pub async fn object(
    pool: &PgPool,
    grant_id: i64,
    actor: &Actor,
    message: &str,
) -> Result<i64, ObjectionError> {
    let message = message.trim();
    if message.is_empty() || message.chars().count() > 1000 {
        return Err(ObjectionError::BadMessage);
    }
    steps::check(GrantStatus::Publicity, GrantStatus::Disputed, actor)?;
    let mut tx = pool.begin().await?;
    let grant = repo::lock_grant(&mut *tx, grant_id, actor.firm())
        .await?
        .ok_or(ObjectionError::NotFound)?;
    match grant.status.as_str() {
        "disputed" => return Err(ObjectionError::AlreadyDisputed),
        "publicity" if grant.ends_at.is_some_and(|end| end > Utc::now()) => {}
        _ => return Err(ObjectionError::NotInWindow),
    }
    let by = actor.audit().to_column();
    let id = repo::insert_objection(&mut *tx, grant_id, &by, message).await?;
    steps::advance(
        &mut tx,
        &[grant_id],
        GrantStatus::Publicity,
        GrantStatus::Disputed,
        actor,
        message,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A reviewer's answer: dismiss (the grant goes on: back to 公示 while its window runs,
/// else to payment) or uphold (the grant is rejected).
pub async fn answer_objection(
    pool: &PgPool,
    objection_id: i64,
    reviewer: &Actor,
    uphold: bool,
    answer: &str,
) -> Result<GrantStatus, ObjectionError> {
    let answer = answer.trim();
    if answer.is_empty() || answer.chars().count() > steps::MAX_REASON_CHARS {
        return Err(ObjectionError::BadAnswer);
    }
    steps::check(GrantStatus::Disputed, GrantStatus::Rejected, reviewer)?;
    let mut tx = pool.begin().await?;
    let open = repo::lock_open_objection(&mut *tx, objection_id)
        .await?
        .ok_or(ObjectionError::NoOpenObjection)?;
    let ids = [open.grant_id];
    let to = if uphold {
        GrantStatus::Rejected
    } else if open.ends_at.is_some_and(|end| end > Utc::now()) {
        GrantStatus::Publicity
    } else {
        GrantStatus::Ready
    };
    let reason = format!("异议处理：{answer}");
    let to = if to == GrantStatus::Ready {
        let done = settle(&mut tx, &ids, GrantStatus::Disputed, reviewer, &reason).await?;
        if done.ready == 1 {
            GrantStatus::Ready
        } else {
            GrantStatus::AwaitingAccount
        }
    } else {
        steps::advance(&mut tx, &ids, GrantStatus::Disputed, to, reviewer, &reason).await?;
        to
    };
    let outcome = if uphold { "upheld" } else { "dismissed" };
    let by = reviewer.audit().to_column();
    repo::answer_objection(&mut *tx, objection_id, &by, outcome, answer).await?;
    let entry = AuditEntry::new(
        reviewer.audit(),
        "grant.objection.answer",
        "grant_objection",
        objection_id.to_string(),
    )
    .after(json!({"grant_id": open.grant_id, "outcome": outcome, "answer": answer, "status": to}));
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::mask_firm_name;

    #[test]
    fn a_masked_name_keeps_at_most_four_characters_and_the_company_form() {
        let cases = [
            ("青岛万嘉电子科技有限公司", "青岛万嘉****有限公司"),
            ("济南乙工贸有限公司", "济南****有限公司"),
            ("山东重工集团股份有限公司", "山东重****股份有限公司"),
            ("甲公司", "****公司"),
            (
                "济南某某合伙企业（有限合伙）",
                "济南****合伙企业（有限合伙）",
            ),
            ("张三五金店", "张三****"),
            ("", "****"),
        ];
        for (name, masked) in cases {
            assert_eq!(mask_firm_name(name), masked, "{name}");
        }
    }
}
