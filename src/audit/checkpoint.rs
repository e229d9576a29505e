//! Signed checkpoints of the chain head. The hash chain alone shows a row changed after the
//! fact, but whoever holds the owner's or a superuser's rights could recompute every hash
//! from a changed row on. A checkpoint is HMAC-SHA256 over (seq, head hash, time) under a
//! key that never enters the database (`MIANSHEN_AUDIT_KEY` or a key file readable only by
//! the service), stored in `audit_checkpoints` and appended as a JSON line to a file meant
//! to be shipped off the machine; `verify` checks each against the rows.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, SubsecRound as _, Utc};
use hmac::{Hmac, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;

use super::checkpoint_repo::{chain_head, insert_checkpoint, list_checkpoints};
use super::repo::{Anchors, BrokenLink, VerifyReport, walk};
use crate::config::{Secret, Settings};

/// The `[audit]` settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSettings {
    /// `MIANSHEN_AUDIT_KEY`: the checkpoint key itself (at least 32 characters), e.g. from
    /// a secrets manager. Takes precedence over the key file.
    pub key: Option<Secret>,
    /// `MIANSHEN_AUDIT_KEY_FILE`: the file holding the key; created (mode 0600) with a random
    /// key on first use. Default `<data_dir>/audit-checkpoint.key`.
    pub key_file: Option<PathBuf>,
    /// `MIANSHEN_AUDIT_CHECKPOINT_FILE`: every checkpoint is also appended here as a JSON
    /// line, to be shipped off the machine. Default `<data_dir>/audit-checkpoints.jsonl`.
    pub checkpoint_file: Option<PathBuf>,
    /// `MIANSHEN_AUDIT_CHECKPOINT_MINUTES`: how often `serve` writes a checkpoint when the
    /// chain has grown (0: only on demand, `mianshen audit checkpoint`).
    pub checkpoint_minutes: u64,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            key: None,
            key_file: None,
            checkpoint_file: None,
            checkpoint_minutes: 60,
        }
    }
}

/// The `[audit]` environment overrides.
pub fn apply_env(
    vars: &dyn crate::config::Vars,
    audit: &mut AuditSettings,
) -> Result<(), crate::config::ConfigError> {
    if let Some(key) = vars.get("MIANSHEN_AUDIT_KEY") {
        if key.len() < 32 {
            return Err(crate::config::ConfigError::Invalid {
                variable: "MIANSHEN_AUDIT_KEY",
                value: "(hidden: a secret)".to_owned(),
                expected: "a secret of at least 32 characters",
            });
        }
        audit.key = Some(Secret::new(key));
    }
    if let Some(path) = vars.get("MIANSHEN_AUDIT_KEY_FILE") {
        audit.key_file = Some(PathBuf::from(path));
    }
    if let Some(path) = vars.get("MIANSHEN_AUDIT_CHECKPOINT_FILE") {
        audit.checkpoint_file = Some(PathBuf::from(path));
    }
    if let Some(minutes) = vars.get("MIANSHEN_AUDIT_CHECKPOINT_MINUTES") {
        audit.checkpoint_minutes =
            minutes
                .trim()
                .parse()
                .map_err(|_| crate::config::ConfigError::Invalid {
                    variable: "MIANSHEN_AUDIT_CHECKPOINT_MINUTES",
                    value: minutes.clone(),
                    expected: "a whole number of minutes (0 turns the periodic checkpoint off)",
                })?;
    }
    Ok(())
}

/// The key checkpoints are signed with, and its public name.
#[derive(Clone)]
pub struct CheckpointKey {
    key: Vec<u8>,
    id: String,
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointKey({})", self.id)
    }
}

/// Where the key file is: configured, or in the data folder.
fn key_path(settings: &Settings) -> PathBuf {
    settings
        .audit
        .key_file
        .clone()
        .unwrap_or_else(|| settings.database.data_dir.join("audit-checkpoint.key"))
}

/// Where checkpoints are appended: configured, or in the data folder.
pub fn checkpoint_file(settings: &Settings) -> PathBuf {
    settings
        .audit
        .checkpoint_file
        .clone()
        .unwrap_or_else(|| settings.database.data_dir.join("audit-checkpoints.jsonl"))
}

impl CheckpointKey {
    fn from_bytes(key: Vec<u8>) -> Self {
        let id = hex::encode(&Sha256::digest(&key)[..8]);
        Self { key, id }
    }

    /// The configured key, if there is one (the secret, else an existing key file).
    pub fn load(settings: &Settings) -> anyhow::Result<Option<Self>> {
        if let Some(key) = &settings.audit.key {
            return Ok(Some(Self::from_bytes(key.expose().as_bytes().to_vec())));
        }
        let path = key_path(settings);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let key = hex::decode(text.trim())
                    .with_context(|| format!("the audit key file {} is not hex", path.display()))?;
                anyhow::ensure!(
                    key.len() >= 32,
                    "the audit key in {} is too short",
                    path.display()
                );
                Ok(Some(Self::from_bytes(key)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading the audit key {}", path.display())),
        }
    }

    /// The configured key, creating a random key file (mode 0600) when there is none.
    pub fn load_or_create(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(key) = Self::load(settings)? {
            return Ok(key);
        }
        let path = key_path(settings);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let key: [u8; 32] = rand::random();
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("creating the audit key {}", path.display()))?;
        writeln!(file, "{}", hex::encode(key))?;
        tracing::info!(key_file = %path.display(), "created the audit checkpoint key");
        Ok(Self::from_bytes(key.to_vec()))
    }

    /// The key's public name (first 8 bytes of its SHA-256, hex).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// HMAC-SHA256 over the checkpoint's fields, ready to finish or verify.
    fn mac(&self, seq: i64, head_hash: &[u8], signed_at: DateTime<Utc>) -> Hmac<Sha256> {
        let message = format!(
            "mianshen-audit-checkpoint/v1\n{seq}\n{}\n{}",
            hex::encode(head_hash),
            signed_at.format("%Y-%m-%dT%H:%M:%S%.6fZ")
        );
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(message.as_bytes());
        mac
    }

    fn sign(&self, seq: i64, head_hash: &[u8], signed_at: DateTime<Utc>) -> [u8; 32] {
        self.mac(seq, head_hash, signed_at)
            .finalize()
            .into_bytes()
            .into()
    }

    /// Whether `checkpoint` was signed with this key.
    pub fn verifies(&self, checkpoint: &Checkpoint) -> bool {
        let (Ok(head), Ok(signature)) = (
            hex::decode(&checkpoint.head_hash),
            hex::decode(&checkpoint.signature),
        ) else {
            return false;
        };
        checkpoint.key_id == self.id
            && self
                .mac(checkpoint.seq, &head, checkpoint.signed_at)
                .verify_slice(&signature)
                .is_ok()
    }
}

/// A signed checkpoint, as stored and as written to the off-machine file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    /// The chain position it anchors.
    pub seq: i64,
    /// That row's hash, hex.
    pub head_hash: String,
    /// When it was signed.
    pub signed_at: DateTime<Utc>,
    /// Which key signed it.
    pub key_id: String,
    /// HMAC-SHA256, hex.
    pub signature: String,
}

/// Signs the current chain head and stores the checkpoint, also appending it to `file`.
/// `None` when the chain is empty, or (unless `force`) when the last checkpoint already
/// anchors the head.
pub async fn write_checkpoint(
    pool: &PgPool,
    key: &CheckpointKey,
    file: Option<&Path>,
    force: bool,
) -> anyhow::Result<Option<Checkpoint>> {
    let Some((seq, head, last_anchored)) = chain_head(pool).await? else {
        return Ok(None);
    };
    if !force && last_anchored == Some(seq) {
        return Ok(None);
    }
    let signed_at = Utc::now().trunc_subsecs(6);
    let signature = key.sign(seq, &head, signed_at);
    let checkpoint = Checkpoint {
        seq,
        head_hash: hex::encode(&head),
        signed_at,
        key_id: key.id().to_owned(),
        signature: hex::encode(signature),
    };
    insert_checkpoint(pool, &checkpoint, &head, &signature).await?;
    if let Some(path) = file {
        append_line(path, &checkpoint)
            .with_context(|| format!("appending the checkpoint to {}", path.display()))?;
    }
    Ok(Some(checkpoint))
}

fn append_line(path: &Path, checkpoint: &Checkpoint) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{}", serde_json::to_string(checkpoint)?)?;
    Ok(())
}

/// Reads checkpoints kept elsewhere (a file of JSON lines, as [`write_checkpoint`] writes).
pub fn read_checkpoint_file(path: &Path) -> anyhow::Result<Vec<Checkpoint>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading checkpoints from {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .with_context(|| format!("{} line {}: not a checkpoint", path.display(), i + 1))
        })
        .collect()
}

/// The chain walk of [`super::verify`], plus every checkpoint (stored, and `extra` ones
/// kept off the machine): each must verify under `key`, and the row it anchors must carry
/// the hash it signed, so a chain rewritten whole, or cut short, fails.
pub async fn verify_anchored(
    pool: &PgPool,
    key: Option<&CheckpointKey>,
    extra: &[Checkpoint],
) -> anyhow::Result<VerifyReport> {
    let mut checkpoints = list_checkpoints(pool).await?;
    checkpoints.extend(extra.iter().cloned());
    let mut anchors = Anchors::new();
    for checkpoint in &checkpoints {
        let Some(key) = key else {
            anyhow::bail!(
                "there are audit checkpoints but no checkpoint key to check them with \
                 (set MIANSHEN_AUDIT_KEY or MIANSHEN_AUDIT_KEY_FILE)"
            );
        };
        if !key.verifies(checkpoint) {
            return Ok(VerifyReport {
                rows_checked: 0,
                first_broken: Some(BrokenLink {
                    seq: checkpoint.seq,
                    reason: format!(
                        "the checkpoint signed at {} does not verify with the configured key \
                         (forged, or signed with another key)",
                        checkpoint.signed_at
                    ),
                }),
                checkpoints_checked: 0,
            });
        }
        let head = hex::decode(&checkpoint.head_hash)?;
        anchors
            .entry(checkpoint.seq)
            .or_default()
            .push((head, checkpoint.signed_at));
    }
    let mut report = walk(pool, &anchors).await?;
    report.checkpoints_checked = u64::try_from(checkpoints.len()).unwrap_or(u64::MAX);
    Ok(report)
}

/// Writes a checkpoint every `every` while the chain grows, until `shutdown`.
pub async fn run_checkpointer(
    pool: PgPool,
    key: CheckpointKey,
    file: PathBuf,
    every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
        match write_checkpoint(&pool, &key, Some(&file), false).await {
            Ok(Some(c)) => tracing::info!(seq = c.seq, "audit checkpoint written"),
            Ok(None) => {}
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "audit checkpoint failed"),
        }
    }
}
