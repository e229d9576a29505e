//! Nightly ingest of enterprise profiles from the data-sharing platform (issue 4): sources
//! (HTTP feeds and file drops), validation and quarantine, merge with per-field provenance,
//! snapshots, crash-safe cursors. See `run.rs` for the two phases and why they are safe.
//!
//! Matching reads what changed with [`changed_since`] and a profile with [`find_profile`].

mod check;
mod config;
mod file_feed;
mod history;
mod http_feed;
mod merge;
mod merge_run;
mod objection_repo;
mod read_repo;
mod repo;
mod run;

pub use check::{Accepted, Rejected, check_record, content_hash};
pub use config::{IngestSettings, SourceKind, SourceSettings, default_sources};
pub use history::changed_fields;
pub use http_feed::{FeedPage, HttpFeed};
pub use merge::{Merged, SourceRecord, merge};
pub use objection_repo::{Objection, answer_objection, list_objections, raise_objection};
pub use read_repo::{
    ChangedFirm, QuarantineEntry, Snapshot, StoredProfile, changed_since, close_quarantine,
    find_profile, list_quarantine, list_snapshots, quarantine_status,
};
pub use run::{Counts, NoProgress, Progress, run_ingest, today_in_china};
