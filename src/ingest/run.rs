//! One ingest run in two phases.
//!
//! Phase 1, per source and per page, in ONE transaction: store the page's valid records
//! whose hash changed, mark their firms dirty, quarantine the bad ones, move the source's
//! cursor. Phase 2, per batch of dirty firms, in ONE transaction: merge their source
//! records, write profile + snapshot where the content hash changed, clear the marks.
//! `workers` sources are read at once, and as many merge batches worked at once.
//! A crash anywhere loses nothing (uncommitted pages are fetched again from the committed
//! cursor) and doubles nothing (keys, hashes and dirty marks make every step replayable).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
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

/// The run's counts, added to by the sources and merge batches worked at once.
#[derive(Debug, Default)]
pub(super) struct Tally(Mutex<Counts>);

impl Tally {
    /// Applies `change` and returns the counts after it.
    pub(super) fn add(&self, change: impl FnOnce(&mut Counts)) -> Counts {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut counts);
        counts.clone()
    }

    /// The counts so far.
    pub(super) fn counts(&self) -> Counts {
        self.add(|_| {})
    }
}

/// Runs both phases over every configured source: up to `settings.workers` sources are
/// read at once (each page in its own transaction), then the dirty firms are merged.
pub async fn run_ingest(
    pool: &PgPool,
    settings: &IngestSettings,
    run_id: Option<i64>,
    progress: &dyn Progress,
) -> anyhow::Result<Counts> {
    let tally = Tally::default();
    let token = settings.token.as_ref().map(|t| t.expose().to_owned());
    let http = HttpFeed::new(
        Duration::from_secs(settings.timeout_secs),
        token,
        settings.retries,
    )?;
    let reader = Reader {
        pool,
        http: &http,
        settings,
        run_id,
        tally: &tally,
        progress,
    };
    let sources: Vec<_> = settings.sources.iter().map(|s| reader.read(s)).collect();
    stream::iter(sources)
        .buffer_unordered(settings.workers.max(1) as usize)
        .try_collect::<Vec<()>>()
        .await?;
    if crate::db::is_bulk(pool, "source_records", tally.counts().stored).await? {
        crate::db::refresh_planner_statistics(pool).await?;
    }
    super::merge_run::merge_dirty(pool, settings, &tally, progress).await?;
    Ok(tally.counts())
}

/// What reading one source needs.
struct Reader<'a> {
    pool: &'a PgPool,
    http: &'a HttpFeed,
    settings: &'a IngestSettings,
    run_id: Option<i64>,
    tally: &'a Tally,
    progress: &'a dyn Progress,
}

impl Reader<'_> {
    /// Reads `source` from its stored position to its end.
    async fn read(&self, source: &SourceSettings) -> anyhow::Result<()> {
        tracing::info!(source = %source.name, "ingesting");
        match &source.kind {
            SourceKind::Http { base_url } => {
                let base = base_url.as_deref().unwrap_or(&self.settings.base_url);
                self.http_pages(base, source).await
            }
            SourceKind::File { dir } => self.files(dir, source).await,
        }
        .with_context(|| format!("ingesting source {}", source.name))
    }

    /// Stores one page and tells the progress.
    async fn store(
        &self,
        source: &SourceSettings,
        items: impl Iterator<Item = (String, Result<Value, serde_json::Error>)>,
        as_of: NaiveDate,
        position: Position,
    ) -> anyhow::Result<()> {
        let page = store_page(self.pool, source, items, as_of, position, self.run_id).await?;
        let counts = self.tally.add(|c| {
            c.fetched += page.fetched;
            c.stored += page.stored;
            c.unchanged += page.unchanged;
            c.quarantined += page.quarantined;
        });
        self.progress.page(&source.name, &counts);
        Ok(())
    }

    /// Pages of an HTTP feed from the stored cursor until the feed is caught up.
    async fn http_pages(&self, base: &str, source: &SourceSettings) -> anyhow::Result<()> {
        let mut since = repo::cursor(&mut *self.pool.acquire().await?, &source.name).await?;
        loop {
            let page = self
                .http
                .page(
                    base,
                    &source.name,
                    since.as_deref(),
                    self.settings.page_size,
                )
                .await?;
            check_progress(since.as_deref(), &page)?;
            if page.items.is_empty() && since.as_deref() == Some(page.next_cursor.as_str()) {
                return Ok(());
            }
            let caught_up = page.items.is_empty();
            let items = page.items.into_iter().map(|v| (v.to_string(), Ok(v)));
            let as_of = page.as_of.unwrap_or_else(today_in_china);
            let position = Position::Cursor(page.next_cursor.clone());
            self.store(source, items, as_of, position).await?;
            if caught_up {
                return Ok(());
            }
            since = Some(page.next_cursor);
        }
    }

    /// The files of a drop folder not yet done, each from the lines already stored.
    async fn files(&self, dir: &std::path::Path, source: &SourceSettings) -> anyhow::Result<()> {
        let limit = self.settings.page_size as usize;
        let seen = repo::files(&mut *self.pool.acquire().await?, &source.name).await?;
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
                let lines = reader.next_lines(limit)?;
                let finished = lines.len() < limit;
                let items = lines.into_iter().map(|l| (l.raw, l.value));
                let position = Position::File {
                    name: name.clone(),
                    lines_done: reader.lines_done,
                    done: finished,
                };
                self.store(source, items, today_in_china(), position)
                    .await?;
                if finished {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Checks a page's records and commits them, their quarantine rows and the new position
/// together; returns the page's counts.
async fn store_page(
    pool: &PgPool,
    source: &SourceSettings,
    items: impl Iterator<Item = (String, Result<Value, serde_json::Error>)>,
    as_of: NaiveDate,
    position: Position,
    run_id: Option<i64>,
) -> anyhow::Result<Counts> {
    let mut counts = Counts::default();
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
    counts.stored = stored;
    counts.unchanged = (usccs.len() as u64).saturating_sub(stored);
    counts.quarantined = rejected.len() as u64;
    Ok(counts)
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
