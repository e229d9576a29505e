//! Policy versions (issue 5): loading `rules/` (or an author's submission over the API,
//! checked and tested first) records each folder's content as a version (by content hash); a draft is published by a reviewer who is not its author (four eyes,
//! also a CHECK in the database), which retires the version it replaces; a published
//! version can be retired. Every change is audited.

mod conditions;
mod diff;
mod dry_run;
mod dry_run_job;
mod dry_run_job_repo;
mod dry_run_repo;
mod library_repo;
mod repo;
mod service;
mod submit;

pub use diff::{DiffLine, FileDiff, diff_versions};
pub use dry_run::{Changed, DryRun, Found, PageOutcome, Tally, dry_run, evaluate_page, summarise};
pub use dry_run_job::{
    DryRunWorker, STALE_AFTER, find_dry_run_job, job_result, latest_dry_run_job, needs_worker,
    start_dry_run, work_dry_runs,
};
pub use dry_run_job_repo::DryRunJob;
pub use library_repo::{
    LibraryChoices, LibraryEntry, LibraryFilter, PROVINCE_PREFIX, Standing, library,
    library_choices, standings,
};
pub use repo::{
    PolicyVersion, find_version, list_versions, list_versions_page, published_versions,
};
pub use service::{
    PublishError, files_of, load_versions, mode_text, policy_of, publish, register, retire,
};
pub use submit::{
    Finding, MAX_FILE_BYTES, MAX_FILES, SubmitError, Submitted, check_folder, submit,
};
