//! Loading a folder of policies: every policy checked, every error listed, nothing run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;

use super::cases;
use super::check::{CheckError, lint, lint_calls};
use super::decision::PolicyKey;
use super::engine::RuleEngine;
use super::policy::{Policy, PolicyMeta, meta_errors, read_folder, version_hash};
use crate::profiles::parse_money;

/// Every policy of a rules folder, compiled once.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub policies: Vec<Policy>,
}

impl RuleSet {
    /// Loads and checks every `<dir>/<policy-id>/` folder with the shared engine.
    pub fn load(dir: &Path) -> Result<Self, Vec<CheckError>> {
        Self::load_with(RuleEngine::shared(), dir)
    }

    pub fn load_with(engine: &RuleEngine, dir: &Path) -> Result<Self, Vec<CheckError>> {
        let mut errors = Vec::new();
        let mut folders: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect(),
            Err(e) => return Err(vec![err(dir, None, format!("无法读取规则目录: {e}"))]),
        };
        folders.sort();
        let mut policies = Vec::new();
        for folder in folders {
            match load_policy(engine, &folder) {
                Ok(p) => policies.push(p),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if policies.is_empty() && errors.is_empty() {
            errors.push(err(dir, None, "目录中没有任何政策".into()));
        }
        if errors.is_empty() {
            Ok(Self { policies })
        } else {
            Err(errors)
        }
    }

    /// The policies in force on `date`.
    pub fn in_force(&self, date: NaiveDate) -> impl Iterator<Item = &Policy> {
        self.policies.iter().filter(move |p| p.in_force(date))
    }
}

fn err(file: &Path, at: Option<(usize, usize)>, message: String) -> CheckError {
    CheckError {
        file: file.to_owned(),
        line: at.map(|a| a.0),
        column: at.map(|a| a.1),
        message,
    }
}

/// Loads one policy folder, listing every problem in it.
pub(crate) fn load_policy(engine: &RuleEngine, folder: &Path) -> Result<Policy, Vec<CheckError>> {
    let files =
        read_folder(folder).map_err(|e| vec![err(folder, None, format!("无法读取: {e}"))])?;
    let (toml_path, rule_path) = (folder.join("policy.toml"), folder.join("rule.rhai"));
    let mut errors = Vec::new();
    let folder_name = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let meta = match files
        .get("policy.toml")
        .map(|s| toml::from_str::<PolicyMeta>(s))
    {
        None => {
            errors.push(err(&toml_path, None, "缺少 policy.toml".into()));
            None
        }
        Some(Err(e)) => {
            let at = e
                .span()
                .and_then(|s| files.get("policy.toml").map(|src| line_col(src, s.start)));
            errors.push(err(
                &toml_path,
                at,
                format!("policy.toml 格式错误: {}", e.message()),
            ));
            None
        }
        Some(Ok(m)) => {
            errors.extend(
                meta_errors(&m, &folder_name)
                    .into_iter()
                    .map(|e| err(&toml_path, None, e)),
            );
            Some(m)
        }
    };
    let Some(source) = files.get("rule.rhai") else {
        errors.push(err(&rule_path, None, "缺少 rule.rhai".into()));
        return Err(errors);
    };
    let ast = match engine.compile(source) {
        Ok(ast) => Some(ast),
        Err(e) => {
            let p = e.position();
            let at = p.line().map(|l| (l, p.position().unwrap_or(0)));
            errors.push(err(&rule_path, at, format!("编译错误: {}", e.err_type())));
            None
        }
    };
    let params: Option<Vec<&str>> = meta
        .as_ref()
        .map(|m| m.params.iter().map(|p| p.name.as_str()).collect());
    for (l, c, m) in lint(source, params.as_deref()) {
        errors.push(err(&rule_path, Some((l, c)), m));
    }
    if let Some(ast) = &ast {
        let own: Vec<String> = ast.iter_functions().map(|f| f.name.to_owned()).collect();
        let known = |name: &str| engine.has_function(name) || own.iter().any(|f| f == name);
        for (l, c, m) in lint_calls(source, &known) {
            errors.push(err(&rule_path, Some((l, c)), m));
        }
    }
    if let Some(src) = files.get("cases.toml")
        && let Err(e) = cases::parse(src)
    {
        errors.push(err(&folder.join("cases.toml"), None, e));
    }
    match (meta, ast) {
        (Some(meta), Some(ast)) if errors.is_empty() => {
            let key = PolicyKey {
                id: meta.id.as_str().into(),
                version_hash: version_hash(&files).into(),
            };
            Ok(Policy {
                id: Arc::clone(&key.id),
                version_hash: Arc::clone(&key.version_hash),
                key: Arc::new(key),
                budget: meta.budget.as_deref().and_then(parse_money),
                meta,
                dir: folder.to_owned(),
                source: source.clone(),
                ast,
            })
        }
        _ => Err(errors),
    }
}

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}
