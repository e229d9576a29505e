//! The rules engine's benchmark: decisions per second per core for the six sample policies on
//! the one (rhai) path, decision only and with full explanations, over deterministic synthetic
//! firms, beside the same policies hand-written in Rust (`tests/rules_support/native.rs`).
//!
//! `cargo bench --bench rules [-- --firms N --rounds R]`, best round of each path on one thread.

#![allow(
    clippy::print_stdout,
    clippy::float_arithmetic,
    clippy::cast_precision_loss
)]

#[path = "../tests/rules_support/native.rs"]
mod native;
#[path = "../tests/rules_support/population.rs"]
mod population;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use mianshen::rules::{Explain, FirmView, Params, Policy, RuleEngine, RuleSet};
use population::Population;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The best of `rounds` timings of `pass`.
fn best(rounds: usize, mut pass: impl FnMut()) -> Duration {
    (0..rounds.max(1))
        .map(|_| {
            let started = Instant::now();
            pass();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let firms = arg("--firms", 20_000) as u64;
    let rounds = arg("--rounds", 5);
    let set = RuleSet::load(Path::new("rules")).unwrap_or_else(|e| panic!("rules check: {e:?}"));
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
    let policies: Vec<&Policy> = set.in_force(as_of).collect();
    let params: Vec<Params> = policies.iter().map(|p| p.params_at(as_of)).collect();
    let natives: Vec<_> = policies
        .iter()
        .map(|p| native::native_rule(&p.id))
        .collect();
    let engine = RuleEngine::shared();
    println!(
        "rules: {} firms × {} policies, best of {rounds} rounds, one thread",
        firms,
        policies.len()
    );
    for population in [Population::Boundary, Population::Province] {
        let profiles = population.profiles(firms);
        let views: Vec<FirmView> = profiles.iter().map(FirmView::new).collect();
        let evaluations = views.len() * policies.len();
        let pass = |explain: Explain| {
            for v in &views {
                for (p, ps) in policies.iter().zip(&params) {
                    black_box(engine.evaluate(p, ps, v, as_of, explain).ok());
                }
            }
        };
        let decision = best(rounds, || pass(Explain::DecisionOnly));
        let full = best(rounds, || pass(Explain::Full));
        let native = best(rounds, || {
            for p in &profiles {
                for n in natives.iter().flatten() {
                    black_box(n(p));
                }
            }
        });
        let mut mismatches = 0;
        for (v, p) in views.iter().zip(&profiles) {
            for ((policy, ps), n) in policies.iter().zip(&params).zip(&natives) {
                let d = engine.evaluate(policy, ps, v, as_of, Explain::DecisionOnly);
                let ok = d.is_ok_and(|d| n.is_none_or(|n| n(p) == (d.eligible, d.amount)));
                mismatches += usize::from(!ok);
            }
        }
        let rate = |t: Duration| evaluations as f64 / t.as_secs_f64();
        println!("{population:?}:");
        println!(
            "  decision path      {:>12.0} decisions/s/core",
            rate(decision)
        );
        println!(
            "  full explanations  {:>12.0} decisions/s/core  ({:.2}× the decision path's time)",
            rate(full),
            full.as_secs_f64() / decision.as_secs_f64()
        );
        println!(
            "  native Rust        {:>12.0} decisions/s/core  (rhai decision path {:.0}× its time)",
            rate(native),
            decision.as_secs_f64() / native.as_secs_f64()
        );
        println!("  mismatches with native Rust {mismatches}");
        if mismatches > 0 {
            std::process::exit(1);
        }
    }
}
