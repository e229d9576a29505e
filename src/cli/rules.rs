//! `mianshen rules …` and `mianshen eval`: policy checks, rule tests and offline evaluation.

use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use crate::profiles::validate_line;
use crate::rules::cases::run_policy_cases;
use crate::rules::{
    Decision, Explain, FirmView, Interrupted, RuleEngine, RuleSet, apply_cross_firm, money_string,
};

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check every policy folder: compile errors, unknown profile fields, malformed policy.toml.
    Check {
        /// The folder of policies.
        #[arg(default_value = "rules")]
        dir: PathBuf,
    },
    /// Run every policy's test cases and print each failure as expected vs actual.
    Test {
        /// The folder of policies.
        #[arg(default_value = "rules")]
        dir: PathBuf,
    },
}

/// Output format of `eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per (firm, policy).
    Jsonl,
    /// An aligned text table for people.
    Table,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The folder of policies.
    #[arg(long, default_value = "rules")]
    pub rules: PathBuf,
    /// A JSONL file of enterprise profiles.
    #[arg(long)]
    pub profiles: PathBuf,
    /// The evaluation date, YYYY-MM-DD.
    #[arg(long)]
    pub as_of: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
}

pub fn run(cmd: RulesCommand) -> ExitCode {
    match cmd {
        RulesCommand::Check { dir } => match load(&dir) {
            Some(set) => {
                for p in &set.policies {
                    println!("ok  {}  {}  {}", p.id, &p.version_hash[..12], p.meta.title);
                }
                ExitCode::SUCCESS
            }
            None => ExitCode::FAILURE,
        },
        RulesCommand::Test { dir } => test(&dir),
    }
}

/// Loads a rules folder, printing every check error to stderr.
fn load(dir: &Path) -> Option<RuleSet> {
    match RuleSet::load(dir) {
        Ok(set) => Some(set),
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("{} error(s)", errors.len());
            None
        }
    }
}

fn test(dir: &Path) -> ExitCode {
    let Some(set) = load(dir) else {
        return ExitCode::FAILURE;
    };
    let (mut passed, mut failed) = (0, 0);
    for policy in &set.policies {
        match run_policy_cases(RuleEngine::shared(), policy) {
            Ok(n) => {
                passed += n;
                println!("ok    {}  {n} case(s)", policy.id);
            }
            Err(failures) => {
                println!("FAIL  {}", policy.id);
                for f in &failures {
                    println!(
                        "  case: {}\n    expected: {}\n    actual:   {}",
                        f.case, f.expected, f.actual
                    );
                }
                failed += failures.len();
            }
        }
    }
    println!("{passed} case(s) passed, {failed} failure(s)");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

pub fn eval(args: EvalArgs) -> ExitCode {
    let Ok(as_of) = NaiveDate::parse_from_str(&args.as_of, "%Y-%m-%d") else {
        eprintln!("--as-of 应为 YYYY-MM-DD: '{}'", args.as_of);
        return ExitCode::from(2);
    };
    let Some(set) = load(&args.rules) else {
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&args.profiles) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("无法读取 {}: {e}", args.profiles.display());
            return ExitCode::from(2);
        }
    };
    let firms = read_profiles(&args.profiles, &text);
    let decisions = match evaluate_all(&set, &firms, as_of) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let written = match args.format {
        Format::Jsonl => decisions.iter().try_for_each(|d| {
            let line = serde_json::to_string(d).map_err(std::io::Error::other)?;
            writeln!(out, "{line}")
        }),
        Format::Table => write_table(&mut out, &decisions),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("写出结果失败: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Valid profiles of the file; each bad line reported on stderr with its number, field and reason.
fn read_profiles(path: &Path, text: &str) -> Vec<FirmView> {
    let mut seen = HashSet::new();
    let mut firms = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        if line.trim().is_empty() {
            continue;
        }
        match validate_line(line) {
            Ok(p) if !seen.insert(p.uscc.clone()) => {
                eprintln!(
                    "{}:{n}: uscc: 与前面的行重复 ({}), 已跳过",
                    path.display(),
                    p.uscc
                );
            }
            Ok(p) => firms.push(FirmView::new(&p)),
            Err(errors) => {
                for e in errors {
                    let field = if e.field.is_empty() { "-" } else { &e.field };
                    eprintln!("{}:{n}: {field}: {}", path.display(), e.reason);
                }
            }
        }
    }
    firms
}

/// Every policy in force over every firm, cross-firm steps applied; ordered by firm, then policy.
/// `Err` when an evaluation was interrupted by the wall-clock safety net (run it again).
pub fn evaluate_all(
    set: &RuleSet,
    firms: &[FirmView],
    as_of: NaiveDate,
) -> Result<Vec<Decision>, Interrupted> {
    let engine = RuleEngine::shared();
    let mut per_policy: Vec<Vec<Decision>> = set
        .in_force(as_of)
        .map(|policy| {
            let params = policy.params_at(as_of);
            let mut ds = firms
                .iter()
                .map(|f| engine.evaluate(policy, &params, f, as_of, Explain::Full))
                .collect::<Result<Vec<Decision>, _>>()?;
            apply_cross_firm(policy, &mut ds, &HashSet::new());
            Ok(ds)
        })
        .collect::<Result<_, Interrupted>>()?;
    let mut out = Vec::with_capacity(firms.len() * per_policy.len());
    let mut iters: Vec<_> = per_policy.iter_mut().map(|v| v.drain(..)).collect();
    for _ in firms {
        out.extend(iters.iter_mut().filter_map(Iterator::next));
    }
    Ok(out)
}

fn write_table(out: &mut impl Write, decisions: &[Decision]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<18}  {:<30}  {:<5}  {:>14}  note",
        "uscc", "policy", "ok", "amount"
    )?;
    for d in decisions {
        let note = match &d.error {
            Some(e) => format!("错误: {e}"),
            None => d
                .failing()
                .first()
                .map(|s| (*s).to_owned())
                .unwrap_or_default(),
        };
        let ok = if d.eligible { "yes" } else { "no" };
        writeln!(
            out,
            "{:<18}  {:<30}  {ok:<5}  {:>14}  {note}",
            d.uscc,
            d.policy.id,
            money_string(d.amount)
        )?;
    }
    Ok(())
}
