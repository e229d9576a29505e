//! Enterprises known to the platform, and the scope that keeps each enterprise account
//! to its own firm.
//!
//! Every query an enterprise user can trigger takes a [`FirmScope`] and puts it in its
//! `WHERE` clause, so another firm's record is simply not found (404), whatever the
//! handler does.

mod repo;

pub use repo::{Firm, find_firm, list_firms, upsert_firm};

use crate::accounts::{Role, User};
use crate::profiles::Uscc;

/// Which firms a query may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirmScope {
    /// Only this firm (an enterprise account).
    Own(Uscc),
    /// Every firm (staff).
    All,
    /// No firm at all.
    Nothing,
}

impl FirmScope {
    /// The scope of a signed-in account. Enterprise accounts see their own firm only.
    pub fn of(user: &User) -> Self {
        match (&user.role, &user.uscc) {
            (Role::Enterprise, Some(uscc)) => FirmScope::Own(uscc.clone()),
            // An enterprise account without a firm is refused by the table's CHECK; should
            // one appear, it sees nothing rather than everything.
            (Role::Enterprise, None) => FirmScope::Nothing,
            _ => FirmScope::All,
        }
    }

    /// The USCC to bind into a query's `($n::text IS NULL OR uscc = $n)` clause.
    pub(crate) fn bind(&self) -> Option<&str> {
        match self {
            FirmScope::Own(uscc) => Some(uscc.as_str()),
            FirmScope::All => None,
            // No USCC is empty, so `uscc = ''` matches no row.
            FirmScope::Nothing => Some(""),
        }
    }
}
