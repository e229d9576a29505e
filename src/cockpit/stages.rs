//! The funnel's stages and which grant statuses have passed each (the statuses of
//! `src/grants/steps.rs`). A grant counts at every stage it has reached: a paid grant was
//! also reviewed. 免申即享 grants need no confirmation, so they count as confirmed once
//! reviewed; a 公示 window of zero days still counts as passed. Side exits (declined,
//! objected, held, rejected) count only at the stages they certainly passed.

/// One stage of the funnel eligible → notified → confirmed → reviewed → 公示 → paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A grant exists: the firm was found eligible.
    Eligible,
    /// Its grant notice was queued.
    Notified,
    /// The firm confirmed (确认即享), or it went on without needing to (免申即享).
    Confirmed,
    /// A reviewer approved it.
    Reviewed,
    /// It entered (or passed) the 公示 window.
    Publicity,
    /// The treasury paid it.
    Paid,
}

/// The stages in order.
pub const STAGES: [Stage; 6] = [
    Stage::Eligible,
    Stage::Notified,
    Stage::Confirmed,
    Stage::Reviewed,
    Stage::Publicity,
    Stage::Paid,
];

const PAID: &[&str] = &["paid", "reconciled"];
const PAST_PUBLICITY: &[&str] = &[
    "publicity",
    "disputed",
    "ready",
    "awaiting_account",
    "in_batch",
    "approved",
    "sent",
    "paid",
    "returned",
    "reconciled",
];

impl Stage {
    /// The stable name in the API and the exports.
    pub fn key(self) -> &'static str {
        match self {
            Stage::Eligible => "eligible",
            Stage::Notified => "notified",
            Stage::Confirmed => "confirmed",
            Stage::Reviewed => "reviewed",
            Stage::Publicity => "publicity",
            Stage::Paid => "paid",
        }
    }

    /// The name on screen.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Eligible => "符合条件",
            Stage::Notified => "已通知",
            Stage::Confirmed => "已确认",
            Stage::Reviewed => "已审核",
            Stage::Publicity => "公示",
            Stage::Paid => "已拨付",
        }
    }

    /// The grant statuses that have passed this stage (`None`: every grant, and for
    /// `Notified` the notice decides, not the status).
    pub fn statuses(self) -> Option<Vec<&'static str>> {
        let with = |extra: &[&'static str]| {
            let mut all = extra.to_vec();
            all.extend_from_slice(PAST_PUBLICITY);
            Some(all)
        };
        match self {
            Stage::Eligible | Stage::Notified => None,
            Stage::Confirmed => with(&["confirmed", "reviewed"]),
            Stage::Reviewed => with(&["reviewed"]),
            Stage::Publicity => with(&[]),
            Stage::Paid => Some(PAID.to_vec()),
        }
    }
}
