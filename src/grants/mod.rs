//! Grants (issue 5): created exactly once per (policy, firm, period key) by the matching
//! finalisation, persons granted once across firms, held for review when a firm stops
//! qualifying before payment; the enterprise's answer to a 确认即享 grant; the grant's
//! steps from eligibility to cash ([`steps`]); the firm's payee account ([`payee`]);
//! review ([`review`]) and 公示 with its objections ([`publicity`]).

mod answer;
mod answer_repo;
mod batch_repo;
mod detail_repo;
pub mod hold;
pub mod payee;
mod payee_repo;
pub mod publicity;
mod publicity_repo;
mod reminder;
mod reminder_repo;
mod repo;
pub mod review;
mod review_repo;
pub mod steps;
mod steps_repo;

pub use answer::{Answer, AnswerError, answer};
pub use batch_repo::{
    CompactResult, GrantBatch, NewGrant, eligible_compact, eligible_of_firms, eligible_page,
    insert_granted_persons, insert_grants, update_provisional_many,
};
pub use detail_repo::{GrantDetail, GrantSummary, find_detail, list_summaries, step_history};
pub use hold::hold_lapsed;
pub use payee_repo::firms_without_account;
pub use publicity_repo::{Objection, list_objections};
pub use reminder::queue_reminders;
pub use repo::{EligibleResult, Grant, firm_awaiting_answers, granted_persons, list_grants};
pub use review_repo::{automatic_awaiting_review, queue as review_queue};
