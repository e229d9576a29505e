//! The outcome of one (firm, policy) evaluation: eligibility, exact amount and the explanation.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

pub use super::reasons::{Reason, Reasons};

/// One counted unit of a per-item grant (e.g. a hire), with its own conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The item's identity, e.g. the hire's person hash.
    pub key: String,
    /// The date that decides between firms (e.g. `hired_on`).
    pub date: NaiveDate,
    #[serde(serialize_with = "money")]
    pub amount: Decimal,
    pub passed: bool,
    pub reasons: Reasons,
}

/// How much explanation to build. All give the identical eligibility, amount and error.
///
/// A failed firm-level condition decides the outcome: not eligible, whatever the rest of the
/// rule does. The decision path therefore stops there; the full path goes on to record every
/// remaining reason, and a run-time error after that point (or running out of budget) is
/// recorded as a reason, not as the decision's `error` — so both paths give the same result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Explain {
    /// Every condition's text with the values read, and the amount's computation.
    Full,
    /// Only the outcome: no reason strings are formatted, and the rule stops at the first failed
    /// firm-level condition.
    DecisionOnly,
    /// Like `DecisionOnly` but every condition is evaluated (no early stop): for measuring what
    /// the explanations themselves cost, and for checks.
    DecisionEveryCondition,
}

/// Which policy version decided: shared by all of that version's decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyKey {
    pub id: Arc<str>,
    pub version_hash: Arc<str>,
}

/// The decision for one (firm, policy).
///
/// Serialised flat: `{"uscc", "policy", "policy_version", "eligible", "amount", "reasons",
/// "items", "error"}`, then `"in_scope": false` for a firm out of the policy's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Shared with the firm's view: building a decision copies no text.
    pub uscc: Arc<str>,
    /// Shared with the policy: one reference count for its id and version.
    pub policy: Arc<PolicyKey>,
    pub eligible: bool,
    /// Two decimals; zero when not eligible.
    pub amount: Decimal,
    pub reasons: Reasons,
    pub items: Vec<Item>,
    /// Set when the rule erred or ran out of budget; the decision is then not eligible.
    pub error: Option<String>,
    /// False when a `scope` condition failed: the policy does not address this firm at all
    /// (never a near miss; counted apart from in-scope firms).
    pub in_scope: bool,
    /// Firm-level conditions that failed, counted on every path (the decision path stops at the
    /// first): at most the number of failed reasons of the full explanation. Not serialised.
    pub failures: u32,
}

// A decision is built and moved once per evaluation: it stays small (no text of its own).
const _: () = assert!(std::mem::size_of::<Decision>() <= 144);

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Decision", 8 + usize::from(!self.in_scope))?;
        st.serialize_field("uscc", &*self.uscc)?;
        st.serialize_field("policy", &*self.policy.id)?;
        st.serialize_field("policy_version", &*self.policy.version_hash)?;
        st.serialize_field("eligible", &self.eligible)?;
        st.serialize_field("amount", &money_string(self.amount))?;
        st.serialize_field("reasons", &self.reasons)?;
        st.serialize_field("items", &self.items)?;
        st.serialize_field("error", &self.error)?;
        if self.in_scope {
            st.skip_field("in_scope")?;
        } else {
            st.serialize_field("in_scope", &self.in_scope)?;
        }
        st.end()
    }
}

/// Money in output: a decimal string with exactly two decimals.
pub fn money_string(d: Decimal) -> String {
    format!(
        "{:.2}",
        d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    )
}

fn money<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&money_string(*d))
}

impl Decision {
    /// The failed conditions' texts, firm-level first. An amount shown as not applying (after a
    /// failed condition) is not a condition of its own.
    pub fn failing(&self) -> Vec<&str> {
        self.reasons
            .iter()
            .filter(|r| !r.passed && !r.text.ends_with(super::state::NOT_APPLYING))
            .map(|r| r.text)
            .collect()
    }

    /// True when this outcome must be stored with its full explanation: it is read by notices,
    /// pages and staff (eligible, an error, or a near miss: in scope with one failed condition).
    /// Decided from any path (see [`Self::failures`]).
    pub fn is_read(&self) -> bool {
        self.eligible || self.error.is_some() || (self.in_scope && self.failures <= 1)
    }

    /// Recomputes the amount from passed items (for per-item grants) and sets eligibility.
    pub(crate) fn settle_items(&mut self, explain: Explain) {
        let total: Decimal = self
            .items
            .iter()
            .filter(|i| i.passed)
            .map(|i| i.amount)
            .sum();
        self.amount = total;
        if total.is_zero() && self.eligible {
            self.eligible = false;
            if explain == Explain::Full {
                self.reasons.push("无符合条件的项目, 金额为0", false);
            }
        }
    }
}
