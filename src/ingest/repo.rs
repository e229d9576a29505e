//! SQL of the ingest write path: pages into `source_records` with their cursor, quarantine
//! rows, and the merge phase's batches. Every function takes the caller's connection so the
//! caller owns the transaction.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::PgConnection;

use super::merge::SourceRecord;

/// Where a source's reading stands, written with the records it covers.
#[derive(Debug, Clone, PartialEq)]
pub enum Position {
    /// An HTTP feed's cursor.
    Cursor(String),
    /// A file of a drop folder: data lines stored so far, and whether it is finished.
    File {
        /// The file's name in the folder.
        name: String,
        /// Lines stored so far.
        lines_done: i64,
        /// True once the whole file is stored.
        done: bool,
    },
}

/// A rejected record as stored in `quarantine`.
#[derive(Debug, Clone)]
pub struct QuarantineRow {
    /// The USCC as delivered, if any.
    pub uscc: Option<String>,
    /// The raw text.
    pub raw: String,
    /// First field at fault.
    pub field: String,
    /// Its reason.
    pub reason: String,
    /// Every fault as `[{field, reason}]`.
    pub errors: Value,
}

/// The stored HTTP cursor of `source`.
pub async fn cursor(conn: &mut PgConnection, source: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT cursor FROM source_cursors WHERE source = $1",
        source
    )
    .fetch_optional(conn)
    .await
}

/// The files of `source` already seen: `(name, lines_done, done)`.
pub async fn files(
    conn: &mut PgConnection,
    source: &str,
) -> sqlx::Result<Vec<(String, i64, bool)>> {
    let rows = sqlx::query!(
        "SELECT file_name, lines_done, done FROM source_files WHERE source = $1",
        source
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.file_name, r.lines_done, r.done))
        .collect())
}

/// Upserts the page's valid records (only those whose hash changed), marks their firms
/// dirty, and returns how many were stored (new or changed). The marks are taken in USCC
/// order, so pages of sources read at once never wait on each other in a cycle.
#[allow(clippy::too_many_arguments)]
pub async fn store_records(
    conn: &mut PgConnection,
    source: &str,
    usccs: &[String],
    docs: &[Value],
    hashes: &[Vec<u8>],
    originals: &[Option<Value>],
    as_of: NaiveDate,
    fetched_at: DateTime<Utc>,
) -> sqlx::Result<i64> {
    let stored = sqlx::query_scalar!(
        r#"WITH input AS (
               SELECT * FROM UNNEST($1::text[], $2::jsonb[], $3::bytea[], $4::jsonb[])
                   AS t(uscc, doc, content_hash, originals)
           ), up AS (
               INSERT INTO source_records (uscc, source, doc, content_hash, originals, as_of, fetched_at)
               SELECT uscc, $5, doc, content_hash, originals, $6, $7 FROM input
               ON CONFLICT (uscc, source) DO UPDATE
                   SET doc = EXCLUDED.doc, content_hash = EXCLUDED.content_hash,
                       originals = EXCLUDED.originals, as_of = EXCLUDED.as_of,
                       fetched_at = EXCLUDED.fetched_at
                   WHERE source_records.content_hash <> EXCLUDED.content_hash
               RETURNING uscc
           ), dirty AS (
               INSERT INTO profile_dirty (uscc) SELECT uscc FROM up ORDER BY uscc
               ON CONFLICT DO NOTHING
           )
           SELECT count(*) AS "stored!" FROM up"#,
        usccs,
        docs,
        hashes as &[Vec<u8>],
        originals as &[Option<Value>],
        source,
        as_of,
        fetched_at,
    )
    .fetch_one(conn)
    .await?;
    Ok(stored)
}

/// Inserts quarantine rows for `source` in run `run_id`.
pub async fn quarantine(
    conn: &mut PgConnection,
    source: &str,
    run_id: Option<i64>,
    rows: &[QuarantineRow],
) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let uscc: Vec<Option<String>> = rows.iter().map(|r| r.uscc.clone()).collect();
    let raw: Vec<String> = rows.iter().map(|r| r.raw.clone()).collect();
    let field: Vec<String> = rows.iter().map(|r| r.field.clone()).collect();
    let reason: Vec<String> = rows.iter().map(|r| r.reason.clone()).collect();
    let errors: Vec<Value> = rows.iter().map(|r| r.errors.clone()).collect();
    sqlx::query!(
        r#"INSERT INTO quarantine (source, uscc, raw, field, reason, errors, run_id)
           SELECT $1, u, r, f, re, e, $7
           FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) AS t(u, r, f, re, e)"#,
        source,
        &uscc as &[Option<String>],
        &raw,
        &field,
        &reason,
        &errors,
        run_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves the source's position; call in the transaction that stored the page.
pub async fn advance(
    conn: &mut PgConnection,
    source: &str,
    position: &Position,
) -> sqlx::Result<()> {
    match position {
        Position::Cursor(cursor) => {
            sqlx::query!(
                "INSERT INTO source_cursors (source, cursor) VALUES ($1, $2)
                 ON CONFLICT (source) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()",
                source,
                cursor
            )
            .execute(conn)
            .await?;
        }
        Position::File {
            name,
            lines_done,
            done,
        } => {
            sqlx::query!(
                "INSERT INTO source_files (source, file_name, lines_done, done) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (source, file_name) DO UPDATE
                     SET lines_done = EXCLUDED.lines_done, done = EXCLUDED.done, updated_at = now()",
                source,
                name,
                lines_done,
                done
            )
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// Claims up to `limit` dirty firms for this transaction (others skip them).
pub async fn claim_dirty(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT uscc FROM profile_dirty ORDER BY uscc LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit
    )
    .fetch_all(conn)
    .await
}

/// Every source record of the given firms, ordered by firm.
pub async fn records_of(
    conn: &mut PgConnection,
    usccs: &[String],
) -> sqlx::Result<Vec<(String, SourceRecord)>> {
    let rows = sqlx::query!(
        "SELECT uscc, source, doc, originals, as_of, fetched_at FROM source_records
         WHERE uscc = ANY($1) ORDER BY uscc",
        usccs
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let rec = SourceRecord {
                source: r.source,
                doc: r.doc,
                originals: r.originals,
                as_of: r.as_of,
                fetched_at: r.fetched_at,
            };
            (r.uscc, rec)
        })
        .collect())
}

/// The current content hashes of the given firms' profiles.
pub async fn profile_hashes(
    conn: &mut PgConnection,
    usccs: &[String],
) -> sqlx::Result<Vec<(String, Vec<u8>)>> {
    let rows = sqlx::query!(
        "SELECT uscc, content_hash FROM profiles WHERE uscc = ANY($1)",
        usccs
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.uscc, r.content_hash)).collect())
}

/// Merged profiles of one batch whose content changed, as the columns written.
#[derive(Debug, Default)]
pub struct ChangedProfiles {
    pub usccs: Vec<String>,
    pub docs: Vec<Value>,
    pub hashes: Vec<Vec<u8>>,
    pub provenance: Vec<Value>,
}

impl ChangedProfiles {
    /// Adds one firm's merged profile.
    pub fn push(&mut self, uscc: String, doc: Value, hash: Vec<u8>, provenance: Value) {
        self.usccs.push(uscc);
        self.docs.push(doc);
        self.hashes.push(hash);
        self.provenance.push(provenance);
    }

    /// The `firms` row of each profile that has a name: (uscc, name, region, size class),
    /// as `doc->>'field'` reads them.
    fn firm_rows(&self) -> [Vec<Option<String>>; 4] {
        let text = |doc: &Value, field: &str| match doc.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        let mut rows: [Vec<Option<String>>; 4] = Default::default();
        for (uscc, doc) in self.usccs.iter().zip(&self.docs) {
            if doc.get("name").is_none() {
                continue;
            }
            rows[0].push(Some(uscc.clone()));
            rows[1].push(text(doc, "name"));
            rows[2].push(text(doc, "region_code"));
            rows[3].push(text(doc, "size_class"));
        }
        rows
    }
}

/// Writes one snapshot of each changed profile and points the profile to it (one statement:
/// the documents cross the wire once and are stored once), and keeps `firms` in step (firms
/// without a name yet are left out of `firms`, whose name is required).
pub async fn write_profiles(
    conn: &mut PgConnection,
    changed: &ChangedProfiles,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"WITH snapshots AS (
               INSERT INTO profile_snapshots (uscc, doc, content_hash, provenance)
               SELECT * FROM UNNEST($1::text[], $2::jsonb[], $3::bytea[], $4::jsonb[])
               RETURNING id, uscc, content_hash
           )
           INSERT INTO profiles (uscc, snapshot_id, content_hash)
           SELECT uscc, id, content_hash FROM snapshots
           ON CONFLICT (uscc) DO UPDATE
               SET snapshot_id = EXCLUDED.snapshot_id, content_hash = EXCLUDED.content_hash,
                   updated_at = now(), changed_at = now()"#,
        &changed.usccs,
        &changed.docs,
        &changed.hashes as &[Vec<u8>],
        &changed.provenance,
    )
    .execute(&mut *conn)
    .await?;
    let [usccs, names, regions, sizes] = changed.firm_rows();
    sqlx::query!(
        r#"INSERT INTO firms (uscc, name, region_code, size_class)
           SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])
           ON CONFLICT (uscc) DO UPDATE
               SET name = EXCLUDED.name, region_code = EXCLUDED.region_code,
                   size_class = EXCLUDED.size_class, updated_at = now()"#,
        &usccs as &[Option<String>],
        &names as &[Option<String>],
        &regions as &[Option<String>],
        &sizes as &[Option<String>],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Clears the dirty marks of a merged batch.
pub async fn clear_dirty(conn: &mut PgConnection, usccs: &[String]) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM profile_dirty WHERE uscc = ANY($1)", usccs)
        .execute(conn)
        .await?;
    Ok(())
}
