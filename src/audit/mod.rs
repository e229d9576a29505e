//! The audit log: append-only and hash-chained. Every state change is recorded with who,
//! what, when, on which record, and the before/after; `verify` walks the chain.
//!
//! The chain is extended in the database — row by row by a trigger (`audit_chain_link`), a
//! page at a time by `audit_append` — and every INSERT is checked as a whole
//! (`audit_check_links`), so no writer can skip or forge a link; [`chain`] recomputes the
//! same digest independently. Signed
//! checkpoints of the head, under a key kept outside the database, anchor the chain
//! against someone who could rewrite it whole (`checkpoint`). Bank account numbers go into
//! rows masked ([`mask`]).

pub mod chain;
mod checkpoint;
mod checkpoint_repo;
pub mod mask;
mod repo;
mod search_repo;

pub use checkpoint::{
    AuditSettings, Checkpoint, CheckpointKey, apply_env, checkpoint_file, read_checkpoint_file,
    run_checkpointer, verify_anchored, write_checkpoint,
};
pub use repo::{
    AuditEvent, BrokenLink, VerifyReport, list_events, list_events_about, record, record_many,
    verify,
};
pub use search_repo::{TrailFilter, TrailRow, search_trail};

use serde_json::Value;

/// Who did it.
#[derive(Debug, Clone)]
pub enum Actor<'a> {
    /// A signed-in account, by login name.
    User(&'a str),
    /// Unattended work, e.g. `System("nightly")` or `System("cli")`.
    System(&'a str),
}

impl Actor<'_> {
    /// The form stored in the `actor` column.
    pub fn to_column(&self) -> String {
        match self {
            Actor::User(name) => (*name).to_owned(),
            Actor::System(job) => format!("system:{job}"),
        }
    }
}

/// One entry about to be appended.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub(crate) actor: Actor<'a>,
    pub(crate) action: &'a str,
    pub(crate) entity_type: &'a str,
    pub(crate) entity_id: String,
    pub(crate) before: Option<Value>,
    pub(crate) after: Option<Value>,
}

impl<'a> AuditEntry<'a> {
    /// `actor` did `action` (a dotted verb such as `user.create`) on one record.
    pub fn new(actor: Actor<'a>, action: &'a str, entity_type: &'a str, entity_id: String) -> Self {
        Self {
            actor,
            action,
            entity_type,
            entity_id,
            before: None,
            after: None,
        }
    }

    /// The record as it was before the change.
    pub fn before(mut self, value: Value) -> Self {
        self.before = Some(value);
        self
    }

    /// The record as it is after the change.
    pub fn after(mut self, value: Value) -> Self {
        self.after = Some(value);
        self
    }
}
