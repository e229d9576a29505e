//! The rules engine: policies written in sandboxed rhai, evaluated with exact money and explanations.
//!
//! - [`RuleSet::load`] reads and checks every policy folder (`rules check`);
//! - [`RuleEngine::evaluate`] decides one (firm, policy), never failing the caller;
//! - [`apply_cross_firm`] applies the steps a policy declares over a batch of decisions
//!   (each person once across firms, pro rata within budget), for `eval` and the nightly run alike.

mod api;
pub mod cases;
mod check;
mod cross_firm;
mod decision;
mod engine;
pub(crate) mod format;
pub(crate) mod lexer;
mod policy;
mod reasons;
mod ruleset;
mod state;
mod view;

pub use api::Day;
pub use check::CheckError;
pub use cross_firm::{
    CrossFirmPlan, GRANTED_ELSEWHERE, SCALED, apply_cross_firm, per_person_once, plan_cross_firm,
    pro_rata,
};
pub use decision::{Decision, Explain, Item, PolicyKey, Reason, Reasons, money_string};
pub use engine::{Interrupted, Limits, RuleEngine};
pub use policy::{
    Allocation, Mode, Param, Params, Period, Policy, PolicyMeta, Window, read_folder,
};
pub use ruleset::RuleSet;
pub use view::{FirmView, KNOWN_FIELDS};
