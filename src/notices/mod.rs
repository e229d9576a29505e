//! Stand-in for the notices outbox (built on the `notices` branch). It has exactly the
//! agreed signature and inserts nothing; at merge the real module replaces this file.

use rust_decimal::Decimal;

/// Which notice a grant triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Grant,
    Reminder,
    NearMiss,
}

/// What the outbox needs to render and deliver one notice.
#[derive(Debug, Clone)]
pub struct GrantNotice<'a> {
    pub grant_id: i64,
    pub uscc: &'a str,
    pub policy_id: &'a str,
    pub policy_title: &'a str,
    /// 免申即享 or 确认即享.
    pub mode: &'a str,
    pub amount: Decimal,
    pub reasons: &'a [String],
    pub template: Option<&'a str>,
    pub link: String,
    pub kind: NoticeKind,
}

/// Queues a notice in the caller's transaction (outbox). Stand-in: inserts nothing and
/// returns 0; the `notices` branch provides the real insert.
pub async fn enqueue_grant_notice(
    _tx: &mut sqlx::PgConnection,
    _notice: &GrantNotice<'_>,
) -> sqlx::Result<i64> {
    Ok(0)
}
