//! A policy folder: `policy.toml` (the metadata), `rule.rhai` (the rule) and `cases.toml` (its tests).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::decision::PolicyKey;
use crate::profiles::parse_money;

/// 免申即享 (no confirmation asked) or 确认即享 (the firm confirms before payment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum Mode {
    #[serde(rename = "免申即享")]
    NoApplication,
    #[serde(rename = "确认即享")]
    ConfirmToReceive,
}

/// What one grant is counted against: how often a firm may receive it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    PerYear,
    OnceEver,
    PerRecognition,
    PerPerson,
}

/// How the budget is shared when the eligible amounts exceed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Allocation {
    /// No budget step: every firm gets its amount.
    #[default]
    None,
    /// Each share is amount × budget / Σamount, rounded down to the fen.
    ProRata,
}

/// The inclusive window in which a policy is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// One parameter of the rule, with exactly one typed value and optional effective dates.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    pub decimal: Option<String>,
    pub int: Option<i64>,
    pub text: Option<String>,
    pub date: Option<NaiveDate>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// `policy.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyMeta {
    pub id: String,
    pub title: String,
    pub issuer: String,
    pub source: String,
    pub mode: Mode,
    pub window: Window,
    pub period: Period,
    pub notice_days: u32,
    /// The grant notice's lead; only the placeholders of `notices::render::PLACEHOLDERS`.
    pub notice_template: String,
    /// After each run, tell firms that fail exactly one condition what they lack (one
    /// near-miss notice per firm and period key). Off unless set.
    #[serde(default)]
    pub near_miss_notices: bool,
    /// The budget for the policy year, a decimal string in yuan.
    pub budget: Option<String>,
    #[serde(default)]
    pub allocation: Allocation,
    /// Each hire's person is granted once across all firms (earliest `hired_on`, then smaller USCC).
    #[serde(default)]
    pub per_person_once: bool,
    /// With `per_person_once`: persons granted by this policy in earlier runs are not granted
    /// again (true, the default), or each run stands alone (false).
    #[serde(default = "default_true")]
    pub per_person_across_runs: bool,
    /// A per-firm cap on counted items, applied after each person once.
    pub item_cap: Option<ItemCap>,
    #[serde(default)]
    pub params: Vec<Param>,
}

fn default_true() -> bool {
    true
}

/// `[item_cap]`: at most `max_per_firm` counted items per firm, kept in `order`; the others are
/// shown with `reason` and never given to another firm.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ItemCap {
    pub max_per_firm: u32,
    #[serde(default)]
    pub order: CapOrder,
    /// The text shown on each item over the cap (Chinese).
    pub reason: String,
}

/// Which counted items a firm keeps under its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapOrder {
    /// The earliest item dates (e.g. `hired_on`), then the smaller keys (e.g. `person`).
    #[default]
    DateThenKey,
}

/// A loaded policy folder. `version_hash` identifies exactly this content.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Shared, so that every `Decision` names its policy without copying the text.
    pub id: Arc<str>,
    pub version_hash: Arc<str>,
    /// The id and version together, as every `Decision` of this policy names them.
    pub key: Arc<PolicyKey>,
    pub meta: PolicyMeta,
    pub dir: PathBuf,
    pub source: String,
    pub budget: Option<Decimal>,
    pub(crate) ast: rhai::AST,
}

impl Policy {
    /// True when `date` lies in the policy's window (inclusive).
    pub fn in_force(&self, date: NaiveDate) -> bool {
        (self.meta.window.from..=self.meta.window.to).contains(&date)
    }

    /// The parameters in effect on `date`, as the rule sees them (`params.name`).
    ///
    /// Also compiles the rule once more with these parameters as constants, so that every
    /// `params.name` is folded into the AST (no map lookup per evaluation); the profile stays a
    /// variable. Build it once per (policy, date), not per firm.
    pub fn params_at(&self, date: NaiveDate) -> Params {
        let map = self.params_map(date);
        // Fold only when the rule only reads its parameters (a write must stay a run-time error)
        // and every declared parameter is in effect on this date: a rule reading one that is
        // not must still fail at run time ("property not found"), not read `()`.
        let complete = super::check::params_read_only(&self.source)
            && self
                .meta
                .params
                .iter()
                .all(|p| map.contains_key(p.name.as_str()));
        let value = rhai::Dynamic::from_map(map);
        let folded = complete
            .then(|| super::RuleEngine::shared().compile_with_params(&self.source, &value))
            .flatten()
            .map(std::sync::Arc::new);
        // When folded, the rule only reads `params.name` (checked above), so the run-time copy
        // left for any read the optimiser did not fold can be one shared map: no per-evaluation
        // copy, and no rule can reach it to write. Otherwise each evaluation gets its own copy.
        let value = if folded.is_some() {
            value.into_shared()
        } else {
            value
        };
        Params { value, folded }
    }

    pub(crate) fn params_map(&self, date: NaiveDate) -> rhai::Map {
        let mut map = rhai::Map::new();
        for p in &self.meta.params {
            let effective = p.from.is_none_or(|f| f <= date) && p.to.is_none_or(|t| date <= t);
            if effective {
                map.insert(
                    p.name.as_str().into(),
                    param_value(p).unwrap_or(rhai::Dynamic::UNIT),
                );
            }
        }
        map
    }
}

/// A policy's parameters on one date, built once per run, with the rule compiled against them
/// when it only reads them. Otherwise each evaluation gets a copy (one small map) as a constant:
/// a rule cannot modify it, and nothing leaks from one firm to the next.
#[derive(Debug, Clone)]
pub struct Params {
    pub(crate) value: rhai::Dynamic,
    /// The rule compiled with this map as the constant `params` (see [`Policy::params_at`]).
    pub(crate) folded: Option<std::sync::Arc<rhai::AST>>,
}

impl Params {
    /// True when the rule runs with these parameters folded into its AST.
    pub fn is_folded(&self) -> bool {
        self.folded.is_some()
    }
}

/// The rhai value of a parameter, or why it has none.
pub(crate) fn param_value(p: &Param) -> Result<rhai::Dynamic, String> {
    match (&p.decimal, p.int, &p.text, p.date) {
        (Some(d), None, None, None) => parse_money_or_rate(d)
            .map(rhai::Dynamic::from_decimal)
            .ok_or_else(|| format!("参数 {} 的decimal值不合法: '{d}'", p.name)),
        (None, Some(i), None, None) => Ok(rhai::Dynamic::from_int(i)),
        (None, None, Some(t), None) => Ok(rhai::Dynamic::from(t.clone())),
        (None, None, None, Some(d)) => Ok(rhai::Dynamic::from(super::api::Day(d))),
        _ => Err(format!(
            "参数 {} 须恰好有 decimal、int、text、date 之一",
            p.name
        )),
    }
}

/// Rates may carry more than two decimals (e.g. 0.055); money has at most two.
fn parse_money_or_rate(s: &str) -> Option<Decimal> {
    parse_money(s).or_else(|| {
        let ok = s
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
        if ok { s.parse().ok() } else { None }
    })
}

/// The files of a policy folder, by name, in name order.
pub fn read_folder(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            let name = entry.file_name().to_string_lossy().into_owned();
            files.insert(name, std::fs::read_to_string(entry.path())?);
        }
    }
    Ok(files)
}

/// SHA-256 over the sorted file names and contents, hex.
pub(crate) fn version_hash(files: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    for (name, content) in files {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update((content.len() as u64).to_le_bytes());
        h.update(content.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Checks of `policy.toml` beyond its syntax.
pub(crate) fn meta_errors(meta: &PolicyMeta, folder_name: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if meta.id != folder_name {
        errors.push(format!("id '{}' 与目录名 '{folder_name}' 不一致", meta.id));
    }
    if meta.window.from > meta.window.to {
        errors.push("window.from 晚于 window.to".into());
    }
    match (&meta.budget, meta.allocation) {
        (None, Allocation::ProRata) => errors.push("allocation = \"pro_rata\" 需要 budget".into()),
        (Some(b), _) if parse_money(b).is_none() => {
            errors.push(format!("budget 不是合法金额: '{b}'"))
        }
        _ => {}
    }
    if let Some(cap) = &meta.item_cap {
        if cap.max_per_firm == 0 {
            errors.push("item_cap.max_per_firm 应大于0".into());
        }
        if cap.reason.trim().is_empty() {
            errors.push("item_cap.reason 不能为空 (被核减的项目显示此原因)".into());
        }
    }
    if !meta.per_person_across_runs && !meta.per_person_once {
        errors.push("per_person_across_runs 只在 per_person_once = true 时有意义".into());
    }
    for p in &meta.params {
        if let Err(e) = param_value(p) {
            errors.push(e);
        }
    }
    for placeholder in crate::notices::render::unknown_placeholders(&meta.notice_template) {
        let known: Vec<String> = crate::notices::render::PLACEHOLDERS
            .iter()
            .map(|(name, _)| format!("{{{name}}}"))
            .collect();
        errors.push(format!(
            "政策 {} 的 notice_template 含未知占位符 {placeholder} (可用: {})",
            meta.id,
            known.join(" ")
        ));
    }
    errors
}
