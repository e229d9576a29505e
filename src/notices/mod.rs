//! Notices through an outbox (issue 5): a notice row and one delivery row per channel are
//! written in the grant's own transaction ([`enqueue_grant_notice`]); the delivery worker
//! ([`worker`]) drains the deliveries with retries and exponential backoff, recording every
//! attempt.
//!
//! Exactly-once delivery is at-least-once sending plus idempotent receivers: a delivery
//! recorded `delivered` is never sent again, and a resend after a crash between sending and
//! recording carries the same idempotency key (`Idempotency-Key` header, email
//! `Message-ID`), by which receivers drop the duplicate.

pub mod batch;
pub mod bench;
pub mod channel_settings;
pub mod channels;
pub mod inbox_repo;
pub mod render;
pub mod repo;
pub mod settings;
pub mod worker;

use rust_decimal::Decimal;
use sqlx::PgConnection;

pub use batch::enqueue_grant_notices;
pub use settings::NoticesSettings;
pub use worker::{DeliveryPolicy, Senders, TestOutcome, deliver_due, run_worker, send_test};

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// A grant was created.
    Grant,
    /// A 确认即享 grant was not confirmed within the policy's days.
    Reminder,
    /// The firm nearly qualified.
    NearMiss,
    /// A grant is ready for payment but the firm has given no payee account.
    AccountReminder,
}

impl NoticeKind {
    /// Its name in the database and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Grant => "grant",
            NoticeKind::Reminder => "reminder",
            NoticeKind::NearMiss => "near_miss",
            NoticeKind::AccountReminder => "account_reminder",
        }
    }
}

/// A notice about one grant, as the matching side hands it over.
#[derive(Debug, Clone)]
pub struct GrantNotice<'a> {
    /// The grant (`grants.id`).
    pub grant_id: i64,
    /// The firm's USCC.
    pub uscc: &'a str,
    /// The policy id.
    pub policy_id: &'a str,
    /// The policy's title.
    pub policy_title: &'a str,
    /// "免申即享" or "确认即享".
    pub mode: &'a str,
    /// The amount granted, in yuan.
    pub amount: Decimal,
    /// Why the firm qualifies, one reason per line.
    pub reasons: &'a [String],
    /// The policy's notice template (`{name}`, `{title}`, `{amount}`, `{notice_days}`, …).
    pub template: Option<&'a str>,
    /// Where the firm sees the grant.
    pub link: String,
    /// What the notice is about.
    pub kind: NoticeKind,
    /// The bounced payment an [`NoticeKind::AccountReminder`] follows, if any: the firm is
    /// told once per returned instruction, not once per grant.
    pub returned: Option<ReturnedPayment<'a>>,
}

/// A payment the treasury returned (e.g. a closed account), as a reminder names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnedPayment<'a> {
    /// Our instruction id, e.g. `PAY-3-17`.
    pub instruction_id: &'a str,
    /// The treasury's reason, e.g. `收款账户已销户`.
    pub reason: &'a str,
}

impl<'a> GrantNotice<'a> {
    /// What this notice is about beyond its kind (`notices.occasion`): `''` for the first
    /// one, the returned instruction's id for a reminder after a return.
    pub fn occasion(&self) -> &'a str {
        self.returned.map_or("", |r| r.instruction_id)
    }
}

/// Renders the notice and writes it with one delivery per channel of the firm, in the
/// caller's transaction ([`enqueue_grant_notices`] with one notice). Idempotent per (grant,
/// kind, occasion): a replay returns the existing id.
pub async fn enqueue_grant_notice(
    tx: &mut PgConnection,
    notice: &GrantNotice<'_>,
) -> sqlx::Result<i64> {
    enqueue_grant_notices(&mut *tx, std::slice::from_ref(notice)).await?;
    repo::notice_id(
        &mut *tx,
        notice.grant_id,
        notice.kind.as_str(),
        notice.occasion(),
    )
    .await?
    .ok_or(sqlx::Error::RowNotFound)
}

/// A near-miss notice ready to write: the firm and its rendered text.
#[derive(Debug, Clone)]
pub struct NearMissNotice {
    /// The firm's USCC.
    pub uscc: String,
    /// Subject and text.
    pub rendered: render::Rendered,
}

/// Writes near-miss notices of `policy_id` for `period_key` with one delivery per channel
/// of each firm, in the caller's transaction, in one statement each. A firm already told
/// for (policy, period key) is skipped; returns how many were written.
pub async fn enqueue_near_miss_notices(
    tx: &mut PgConnection,
    policy_id: &str,
    period_key: &str,
    link: &str,
    notices: &[NearMissNotice],
) -> sqlx::Result<u64> {
    let ids =
        repo::insert_near_miss_notices(&mut *tx, policy_id, period_key, link, notices).await?;
    repo::insert_deliveries(&mut *tx, &ids).await?;
    Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
}
