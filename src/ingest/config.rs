//! The `[ingest]` settings: which data sources to read, how, and which profile fields each owns.

use std::path::PathBuf;

use serde::Deserialize;

use crate::config::Secret;
use crate::sandbox::Source;

/// How the nightly ingest reaches its data sources.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct IngestSettings {
    /// `MIANSHEN_INGEST_BASE_URL`: base URL of the data-sharing platform, used by every
    /// `http` source that names no `base_url` of its own.
    pub base_url: String,
    /// `MIANSHEN_INGEST_TOKEN`: bearer token for the platform (never printed).
    pub token: Option<Secret>,
    /// `MIANSHEN_INGEST_PAGE_SIZE`: records asked for per page (`limit`).
    pub page_size: u32,
    /// `MIANSHEN_INGEST_TIMEOUT_SECS`: the longest one page request may take.
    pub timeout_secs: u64,
    /// `MIANSHEN_INGEST_RETRIES`: attempts after a failed request (network error or 5xx),
    /// with doubling backoff from 500 ms.
    pub retries: u32,
    /// `MIANSHEN_INGEST_MERGE_BATCH`: firms merged per transaction in the merge phase.
    pub merge_batch: u32,
    /// `MIANSHEN_INGEST_WORKERS`: sources read at once, and merge batches worked at once
    /// (each in its own transaction on its own connection); the machine's cores by default.
    pub workers: u32,
    /// The sources, merged in this order (a later source never overrides a field it does
    /// not own, and no two sources own the same field).
    pub sources: Vec<SourceSettings>,
}

/// One data source. (Not `deny_unknown_fields`: serde cannot combine it with `flatten`.)
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SourceSettings {
    /// Its name, e.g. `market_regulation`; also the feed path `/feeds/{name}`.
    pub name: String,
    /// The profile fields it owns: top-level names, or `annual[].field` for annual figures.
    pub fields: Vec<String>,
    /// Where it is read from.
    #[serde(flatten)]
    pub kind: SourceKind,
}

/// Where a source is read from.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SourceKind {
    /// Paged JSON over HTTP from the data-sharing platform.
    Http {
        /// Overrides [`IngestSettings::base_url`] for this source.
        #[serde(default)]
        base_url: Option<String>,
    },
    /// A drop folder of `.jsonl` and `.csv` files, each taken once, in name order.
    File {
        /// The folder.
        dir: PathBuf,
    },
}

/// The five default sources, all over HTTP from `base_url`, each owning the fields the
/// data-sharing platform's table gives it (`mianshen::sandbox::sources`, the one place
/// that table is written); annual figures are owned as `annual[].<field>`.
pub fn default_sources() -> Vec<SourceSettings> {
    Source::ALL
        .iter()
        .map(|source| {
            let top = source
                .fields()
                .iter()
                .filter(|f| **f != "annual")
                .map(|f| (*f).to_owned());
            let annual = source
                .annual_fields()
                .iter()
                .map(|f| format!("annual[].{f}"));
            SourceSettings {
                name: source.name().to_owned(),
                fields: top.chain(annual).collect(),
                kind: SourceKind::Http { base_url: None },
            }
        })
        .collect()
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8090".to_owned(),
            token: None,
            page_size: 1000,
            timeout_secs: 30,
            retries: 3,
            merge_batch: 2000,
            workers: crate::config::cores(),
            sources: default_sources(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::Settings;

    #[test]
    fn sources_read_from_toml_and_overrides_from_the_environment() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("m.toml");
        let toml = r#"
[ingest]
page_size = 50
[[ingest.sources]]
name = "credit"
kind = "file"
dir = "/srv/drop/credit"
fields = ["serious_dishonesty"]
[scheduler]
nightly_cron = "0 30 1 * * *"
"#;
        std::fs::write(&path, toml).unwrap_or_else(|e| panic!("{e}"));
        let file = path.to_string_lossy().into_owned();
        let vars = HashMap::from([
            ("MIANSHEN_CONFIG", file.as_str()),
            ("MIANSHEN_INGEST_BASE_URL", "http://feeds.example:8090"),
            ("MIANSHEN_INGEST_WORKERS", "3"),
            ("MIANSHEN_NIGHTLY_WORKERS", "4"),
        ]);
        let s = Settings::load_from(&vars).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.ingest.page_size, 50);
        assert_eq!((s.ingest.workers, s.scheduler.workers), (3, 4));
        assert_eq!(s.ingest.base_url, "http://feeds.example:8090");
        assert_eq!(
            s.ingest.sources[0].kind,
            SourceKind::File {
                dir: "/srv/drop/credit".into()
            }
        );
        assert_eq!(s.scheduler.nightly_cron, "0 30 1 * * *");
    }

    #[test]
    fn bad_overrides_name_the_variable() {
        let table = [
            ("MIANSHEN_NIGHTLY_CRON", "at two"),
            ("MIANSHEN_NIGHTLY_TIMEZONE", "Mars/Olympus"),
            ("MIANSHEN_INGEST_BASE_URL", "ftp://x"),
            ("MIANSHEN_INGEST_PAGE_SIZE", "0"),
            ("MIANSHEN_INGEST_WORKERS", "0"),
            ("MIANSHEN_INGEST_WORKERS", "many"),
            ("MIANSHEN_NIGHTLY_WORKERS", "65"),
            ("MIANSHEN_SCHEDULER_ENABLED", "perhaps"),
        ];
        for (variable, value) in table {
            let vars = HashMap::from([(variable, value)]);
            let error = Settings::load_from(&vars).expect_err(variable);
            assert!(error.to_string().contains(variable), "{error}");
        }
    }
}
