//! One ingest run in two phases.
//!
//! Phase 1, per source and per page, in ONE transaction: store the page's valid records
//! whose hash changed, mark their firms dirty, quarantine the bad ones, move the source's
//! cursor. Phase 2, per batch of dirty firms, in ONE transaction: merge their source
//! records, write profile + snapshot where the content hash changed, clear the marks.
//! A crash anywhere loses nothing (uncommitted pages are fetched again from the committed
//! cursor) and doubles nothing (keys, hashes and dirty marks make every step replayable).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::check::{Accepted, Rejected, check_record, not_json};
use super::config::{IngestSettings, SourceKind, SourceSettings};
use super::file_feed::{FileReader, pending_files};
use super::http_feed::{HttpFeed, check_progress};
use super::repo::{self, Position, QuarantineRow};

/// What a run did; stored in `job_runs.counts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Records received.
    pub fetched: u64,
    /// Valid records new or changed, stored in `source_records`.
    pub stored: u64,
    /// Valid records identical to what the source said before.
    pub unchanged: u64,
    /// Records refused into quarantine.
    pub quarantined: u64,
    /// Dirty firms merged.
    pub merged: u64,
    /// New profile snapshots (firms whose merged content changed).
    pub snapshots: u64,
}

/// Told about progress after every committed page and merge batch.
pub trait Progress: Send + Sync {
    /// A page of `source` was committed.
    fn page(&self, source: &str, counts: &Counts);
    /// A merge batch was committed.
    fn merged(&self, counts: &Counts);
}

/// Reports nothing.
#[derive(Debug)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn page(&self, _: &str, _: &Counts) {}
    fn merged(&self, _: &Counts) {}
}

/// Runs both phases over every configured source.
pub async fn run_ingest(
    pool: &PgPool,
    settings: &IngestSettings,
    run_id: Option<i64>,
    progress: &dyn Progress,
) -> anyhow::Result<Counts> {
    let mut counts = Counts::default();
    let token = settings.token.as_ref().map(|t| t.expose().to_owned());
    let http = HttpFeed::new(
        Duration::from_secs(settings.timeout_secs),
        token,
        settings.retries,
    )?;
    for source in &settings.sources {
        tracing::info!(source = %source.name, "ingesting");
        match &source.kind {
            SourceKind::Http { base_url } => {
                let base = base_url.as_deref().unwrap_or(&settings.base_url);
                ingest_http(
                    pool,
                    &http,
                    base,
                    source,
                    settings.page_size,
                    run_id,
                    &mut counts,
                    progress,
                )
                .await
            }
            SourceKind::File { dir } => {
                let dir = dir.clone();
                ingest_files(
                    pool,
                    &dir,
                    source,
                    settings.page_size,
                    run_id,
                    &mut counts,
                    progress,
                )
                .await
            }
        }
        .with_context(|| format!("ingesting source {}", source.name))?;
    }
    if counts.stored >= crate::db::BULK_ROWS {
        crate::db::refresh_planner_statistics(pool).await?;
    }
    super::merge_run::merge_dirty(pool, settings, &mut counts, progress).await?;
    Ok(counts)
}

#[allow(clippy::too_many_arguments)]
async fn ingest_http(
    pool: &PgPool,
    http: &HttpFeed,
    base: &str,
    source: &SourceSettings,
    limit: u32,
    run_id: Option<i64>,
    counts: &mut Counts,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let mut since = repo::cursor(&mut *pool.acquire().await?, &source.name).await?;
    loop {
        let page = http
            .page(base, &source.name, since.as_deref(), limit)
            .await?;
        check_progress(since.as_deref(), &page)?;
        if page.items.is_empty() && since.as_deref() == Some(page.next_cursor.as_str()) {
            return Ok(());
        }
        let caught_up = page.items.is_empty();
        let items = page.items.into_iter().map(|v| (v.to_string(), Ok(v)));
        let as_of = page.as_of.unwrap_or_else(today_in_china);
        let position = Position::Cursor(page.next_cursor.clone());
        store_page(pool, source, items, as_of, position, run_id, counts).await?;
        progress.page(&source.name, counts);
        if caught_up {
            return Ok(());
        }
        since = Some(page.next_cursor);
    }
}

async fn ingest_files(
    pool: &PgPool,
    dir: &std::path::Path,
    source: &SourceSettings,
    limit: u32,
    run_id: Option<i64>,
    counts: &mut Counts,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let seen = repo::files(&mut *pool.acquire().await?, &source.name).await?;
    let done: Vec<String> = seen.iter().filter(|f| f.2).map(|f| f.0.clone()).collect();
    for path in pending_files(dir, &done)? {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let start = seen.iter().find(|f| f.0 == name).map_or(0, |f| f.1);
        let mut reader = FileReader::open(&path, start)?;
        loop {
            let lines = reader.next_lines(limit as usize)?;
            let finished = lines.len() < limit as usize;
            let items = lines.into_iter().map(|l| (l.raw, l.value));
            let position = Position::File {
                name: name.clone(),
                lines_done: reader.lines_done,
                done: finished,
            };
            store_page(
                pool,
                source,
                items,
                today_in_china(),
                position,
                run_id,
                counts,
            )
            .await?;
            progress.page(&source.name, counts);
            if finished {
                break;
            }
        }
    }
    Ok(())
}

/// Checks a page's records and commits them, their quarantine rows and the new position
/// together.
async fn store_page(
    pool: &PgPool,
    source: &SourceSettings,
    items: impl Iterator<Item = (String, Result<Value, serde_json::Error>)>,
    as_of: NaiveDate,
    position: Position,
    run_id: Option<i64>,
    counts: &mut Counts,
) -> anyhow::Result<()> {
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rejected = Vec::new();
    for (raw, value) in items {
        counts.fetched += 1;
        let outcome = match &value {
            Ok(v) => check_record(&source.name, &source.fields, v),
            Err(e) => Err(not_json(e)),
        };
        match outcome {
            // A firm twice in one page: the later record is the source's latest word.
            Ok(a) => match index.get(&a.uscc) {
                Some(&i) => accepted[i] = a,
                None => {
                    index.insert(a.uscc.clone(), accepted.len());
                    accepted.push(a);
                }
            },
            Err(r) => rejected.push(quarantine_row(raw, r)),
        }
    }
    let usccs: Vec<String> = accepted.iter().map(|a| a.uscc.clone()).collect();
    let hashes: Vec<Vec<u8>> = accepted.iter().map(|a| a.hash.clone()).collect();
    let originals: Vec<Option<Value>> = accepted.iter().map(|a| a.originals.clone()).collect();
    let docs: Vec<Value> = accepted.into_iter().map(|a| a.doc).collect();
    let mut tx = pool.begin().await?;
    let stored = repo::store_records(
        &mut tx,
        &source.name,
        &usccs,
        &docs,
        &hashes,
        &originals,
        as_of,
        Utc::now(),
    )
    .await?;
    repo::quarantine(&mut tx, &source.name, run_id, &rejected).await?;
    repo::advance(&mut tx, &source.name, &position).await?;
    tx.commit().await?;
    let stored = u64::try_from(stored).unwrap_or_default();
    counts.stored += stored;
    counts.unchanged += (usccs.len() as u64).saturating_sub(stored);
    counts.quarantined += rejected.len() as u64;
    Ok(())
}

fn quarantine_row(raw: String, r: Rejected) -> QuarantineRow {
    let (field, reason) = r
        .errors
        .first()
        .map(|e| (e.field.clone(), e.reason.clone()))
        .unwrap_or_default();
    QuarantineRow {
        uscc: r.uscc,
        raw,
        field,
        reason,
        errors: json!(r.errors),
    }
}

/// Today's date in China Standard Time (UTC+8), the as-of date of file drops.
pub fn today_in_china() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}
