//! Matching (issue 5): after ingest, published policies in force are evaluated over the
//! changed firms (every firm for a version never matched). [`plan_run`] cuts the work into
//! USCC-range shards; any number of workers ([`run_worker`]) claim them from PostgreSQL with
//! `FOR UPDATE SKIP LOCKED` and store each decision with its reasons, amount, policy version
//! and profile snapshot; the last step ([`finalise_ready`]) applies the cross-firm steps over
//! each policy's whole population and creates grants exactly once. A worker renews its
//! shard's lease while it works; a worker that dies stops renewing and its shard is claimed
//! again once the lease runs out.

pub mod bench;
mod bench_repo;
mod finalise;
mod finalise_page;
mod near_miss_notices;
mod near_miss_repo;
mod nightly;
mod plan;
mod replay;
mod replay_repo;
mod repo;
mod worker;

pub use finalise::{FinaliseCounts, PolicyTime, finalise_ready, period_key};
pub use near_miss_notices::near_miss_period_key;
pub use near_miss_repo::{NearMiss, near_misses};
pub use nightly::{MatchSummary, PolicyCount, run_matching};
pub use plan::{DEFAULT_SHARD_SIZE, plan_run};
pub use replay::{Replay, replay};
pub use repo::{Shard, claim_shard, count_grants, renew_lease};
pub use worker::{WorkerOptions, WorkerStats, run_worker};
