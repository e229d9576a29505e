//! Grants (issue 5): created exactly once per (policy, firm, period key) by the matching
//! finalisation, persons granted once across firms, held for review when a firm stops
//! qualifying before payment; the enterprise's answer to a 确认即享 grant.

mod answer;
mod answer_repo;
mod reminder;
mod reminder_repo;
mod repo;

pub use answer::{Answer, AnswerError, answer};
pub use reminder::queue_reminders;
pub use repo::{
    EligibleResult, Grant, eligible_results, eligible_results_of_run, granted_persons, hold_lapsed,
    insert_grant, insert_granted_person, list_grants, update_provisional,
};
