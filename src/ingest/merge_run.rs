//! Phase 2 of a run: merge the firms marked dirty, batch by batch, each batch in one
//! transaction (claim with SKIP LOCKED, merge in Rust, write profile + snapshot only where
//! the content hash changed, clear the marks); `workers` batches at once, on their own
//! connections. Replaying a batch after a crash writes nothing twice: the hash is then
//! already equal.

use std::collections::HashMap;

use sqlx::PgPool;

use super::check::content_hash;
use super::config::IngestSettings;
use super::merge::{SourceRecord, merge};
use super::repo;
use super::run::{Progress, Tally};

/// Phase 2: merges dirty firms batch by batch until none is left, `settings.workers`
/// batches at once (SKIP LOCKED hands each its own firms).
pub(super) async fn merge_dirty(
    pool: &PgPool,
    settings: &IngestSettings,
    tally: &Tally,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let workers =
        (0..settings.workers.max(1)).map(|_| merge_batches(pool, settings, tally, progress));
    futures_util::future::try_join_all(workers).await?;
    Ok(())
}

/// One merge worker: batches until none is left to claim.
async fn merge_batches(
    pool: &PgPool,
    settings: &IngestSettings,
    tally: &Tally,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let order = |s: &str| {
        settings
            .sources
            .iter()
            .position(|c| c.name == s)
            .unwrap_or(usize::MAX)
    };
    loop {
        let mut tx = pool.begin().await?;
        let batch = repo::claim_dirty(&mut tx, i64::from(settings.merge_batch)).await?;
        if batch.is_empty() {
            tx.commit().await?;
            return Ok(());
        }
        let mut by_firm: HashMap<String, Vec<SourceRecord>> = HashMap::new();
        for (uscc, rec) in repo::records_of(&mut tx, &batch).await? {
            by_firm.entry(uscc).or_default().push(rec);
        }
        let old: HashMap<String, Vec<u8>> = repo::profile_hashes(&mut tx, &batch)
            .await?
            .into_iter()
            .collect();
        let mut changed = repo::ChangedProfiles::default();
        for uscc in &batch {
            let Some(records) = by_firm.get_mut(uscc) else {
                continue;
            };
            records
                .sort_by(|a, b| (order(&a.source), &a.source).cmp(&(order(&b.source), &b.source)));
            let merged = merge(uscc, records);
            let hash = content_hash(&merged.doc);
            if old.get(uscc) != Some(&hash) {
                changed.push(uscc.clone(), merged.doc, hash, merged.provenance);
            }
        }
        if !changed.usccs.is_empty() {
            repo::write_profiles(&mut tx, &changed).await?;
        }
        repo::clear_dirty(&mut tx, &batch).await?;
        tx.commit().await?;
        let counts = tally.add(|c| {
            c.merged += batch.len() as u64;
            c.snapshots += changed.usccs.len() as u64;
        });
        progress.merged(&counts);
    }
}
