//! `mianshen bench`: synthetic firms × the six policies on three paths (decision only, full
//! explanations, native Rust), timed on one thread, with a check that all three decide alike.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::native::native_rule;
use super::{Explain, FirmView, RuleEngine, RuleSet};
use crate::profiles::{
    Annual, CertKind, CertLevel, Certification, Hire, HireCategory, Profile, RegionCode, Status,
    Uscc,
};

/// Deterministic xorshift, so every run measures the same firms.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> i64 {
        i64::try_from(self.next() % n).unwrap_or(0)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[usize::try_from(self.next() % xs.len() as u64).unwrap_or(0)]
    }
}

const CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const REGIONS: [&str; 6] = ["370102", "370112", "370212", "370211", "370602", "110105"];

fn uscc(n: u64) -> Uscc {
    let body = format!("91370100MA{n:07}");
    let weights = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: usize = body
        .bytes()
        .zip(weights)
        .map(|(c, w)| CHARSET.iter().position(|&x| x == c).unwrap_or(0) * w)
        .sum();
    let full = format!("{body}{}", char::from(CHARSET[(31 - sum % 31) % 31]));
    Uscc::parse(&full).unwrap_or_else(|e| unreachable!("generated USCC is valid: {e}"))
}

fn day(rng: &mut Rng, year: i32) -> NaiveDate {
    let base = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    base + chrono::Days::new(rng.next() % 365)
}

/// `n` synthetic firms spread over the boundaries of the six policies.
pub fn synthetic_profiles(n: u64) -> Vec<Profile> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let mut p = Profile::new(uscc(i));
            p.status = Some(*rng.pick(&[
                Status::Active,
                Status::Active,
                Status::Active,
                Status::Suspended,
            ]));
            p.region_code = RegionCode::parse(rng.pick::<&str>(&REGIONS)).ok();
            p.industry_code = Some(
                (*rng.pick(&["C3484", "F5121", "F5211", "I6510", "E4710", "M7310"])).to_owned(),
            );
            p.serious_dishonesty = Some(rng.below(20) == 0);
            p.abnormal_operation = Some(rng.below(20) == 0);
            p.tax_credit_grade = Some((*rng.pick(&["A", "B", "M", "C"])).to_owned());
            p.above_scale_since = Some((
                *rng.pick(&[2024, 2025, 2025]),
                1 + u32::try_from(rng.below(12)).unwrap_or(0),
            ));
            let staff = 5 + rng.below(600);
            p.annual = Some(vec![
                Annual {
                    year: 2024,
                    rd_expense: Some(Decimal::new(rng.below(900_000_000), 2)),
                    ..Annual::default()
                },
                Annual {
                    year: 2025,
                    revenue: Some(Decimal::new(rng.below(6_000_000_000), 2)),
                    rd_expense: Some(Decimal::new(rng.below(900_000_000), 2)),
                    employees_avg: Some(staff),
                    layoffs: Some(rng.below(u64::try_from(staff / 10 + 2).unwrap_or(1))),
                    unemployment_premium_paid: Some(Decimal::new(rng.below(50_000_000), 2)),
                    ui_paid_months: Some(10 + rng.below(3)),
                    ..Annual::default()
                },
            ]);
            let kinds = [CertKind::HighTech, CertKind::LittleGiant, CertKind::TechSme];
            p.certifications = Some(
                (0..rng.below(3))
                    .map(|_| Certification {
                        kind: *rng.pick(&kinds),
                        level: Some(*rng.pick(&[CertLevel::National, CertLevel::Provincial])),
                        recognized_on: {
                            let year = 2023 + i32::try_from(rng.below(3)).unwrap_or(0);
                            day(&mut rng, year)
                        },
                        expires_on: None,
                        first_time: Some(rng.below(2) == 0),
                        certificate_no: None,
                    })
                    .collect(),
            );
            let categories = [
                HireCategory::GraduateCurrent,
                HireCategory::YouthUnemployed,
                HireCategory::Other,
            ];
            p.hires = Some(
                (0..rng.below(4))
                    .map(|_| Hire {
                        person: format!("{:064x}", rng.next()),
                        category: *rng.pick(&categories),
                        age_at_hire: Some(16 + rng.below(12)),
                        hired_on: day(&mut rng, 2025),
                        contract_signed: Some(rng.below(5) != 0),
                        insured_months: Some(rng.below(8)),
                    })
                    .collect(),
            );
            p
        })
        .collect()
}

/// Which synthetic firms to measure on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Population {
    /// Firms spread over the six policies' boundaries: most pass most conditions (worst case).
    Boundary,
    /// Firms drawn like a real province's register: most are in neither 济南 nor 青岛, few hold
    /// certificates, report hires or R&D, few are above scale. Proportions are round guesses,
    /// not fitted to any figure.
    Province,
}

impl Population {
    pub fn profiles(self, n: u64) -> Vec<Profile> {
        match self {
            Self::Boundary => synthetic_profiles(n),
            Self::Province => province_profiles(n),
        }
    }
}

/// `n` firms shaped like a province: 10% 济南, 12% 青岛, 75% other 山东 cities, 3% elsewhere.
pub fn province_profiles(n: u64) -> Vec<Profile> {
    const OTHER: [&str; 8] = [
        "370302", "370602", "370703", "370883", "371302", "370402", "370502", "371102",
    ];
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    (0..n)
        .map(|i| {
            let mut p = Profile::new(uscc(i));
            let r = rng.below(100);
            let region = match r {
                0..10 => *rng.pick(&["370102", "370112"]),
                10..22 => *rng.pick(&["370212", "370211"]),
                22..97 => *rng.pick(&OTHER),
                _ => "110105",
            };
            p.region_code = RegionCode::parse(region).ok();
            p.status = Some(if rng.below(10) == 0 {
                Status::Suspended
            } else {
                Status::Active
            });
            p.industry_code = Some(
                (*rng.pick(&[
                    "C3484", "F5121", "F5211", "I6510", "E4710", "M7310", "A0111",
                ]))
                .to_owned(),
            );
            p.serious_dishonesty = Some(rng.below(100) == 0);
            p.abnormal_operation = Some(rng.below(30) == 0);
            p.tax_credit_grade = Some((*rng.pick(&["A", "B", "B", "M", "C", "D"])).to_owned());
            // About 5% of firms are above scale, a fifth of them since the data year.
            p.above_scale_since = (rng.below(20) == 0).then(|| {
                (
                    *rng.pick(&[2018, 2021, 2023, 2024, 2025]),
                    1 + u32::try_from(rng.below(12)).unwrap_or(0),
                )
            });
            // Mostly small firms: 1–50 staff, one in ten larger.
            let staff = if rng.below(10) == 0 {
                50 + rng.below(800)
            } else {
                1 + rng.below(50)
            };
            let rd = |rng: &mut Rng| {
                (rng.below(10) == 0).then(|| Decimal::new(rng.below(200_000_000), 2))
            };
            p.annual = Some(vec![
                Annual {
                    year: 2024,
                    rd_expense: rd(&mut rng),
                    ..Annual::default()
                },
                Annual {
                    year: 2025,
                    revenue: Some(Decimal::new(rng.below(2_000_000_000), 2)),
                    rd_expense: rd(&mut rng),
                    employees_avg: Some(staff),
                    layoffs: Some(if rng.below(5) == 0 {
                        rng.below(u64::try_from(staff / 5 + 1).unwrap_or(1))
                    } else {
                        0
                    }),
                    unemployment_premium_paid: Some(Decimal::new(
                        staff * 30_000 + rng.below(10_000),
                        2,
                    )),
                    ui_paid_months: Some(if rng.below(10) == 0 {
                        rng.below(12)
                    } else {
                        12
                    }),
                    ..Annual::default()
                },
            ]);
            let cert = |rng: &mut Rng, kind| Certification {
                kind,
                level: Some(*rng.pick(&[
                    CertLevel::National,
                    CertLevel::Provincial,
                    CertLevel::Provincial,
                ])),
                recognized_on: {
                    let year = 2020 + i32::try_from(rng.below(6)).unwrap_or(0);
                    day(rng, year)
                },
                expires_on: None,
                first_time: Some(rng.below(2) == 0),
                certificate_no: None,
            };
            let mut certs = Vec::new();
            if rng.below(100) < 4 {
                certs.push(cert(&mut rng, CertKind::HighTech));
            }
            if rng.below(1000) < 5 {
                certs.push(cert(&mut rng, CertKind::LittleGiant));
            }
            if rng.below(100) < 6 {
                certs.push(cert(&mut rng, CertKind::TechSme));
            }
            p.certifications = Some(certs);
            let categories = [
                HireCategory::GraduateCurrent,
                HireCategory::YouthUnemployed,
                HireCategory::Other,
                HireCategory::Other,
            ];
            let hires = if rng.below(5) == 0 {
                1 + rng.below(3)
            } else {
                0
            };
            p.hires = Some(
                (0..hires)
                    .map(|_| Hire {
                        person: format!("{:064x}", rng.next()),
                        category: *rng.pick(&categories),
                        age_at_hire: Some(18 + rng.below(30)),
                        hired_on: day(&mut rng, 2025),
                        contract_signed: Some(rng.below(10) != 0),
                        insured_months: Some(rng.below(12)),
                    })
                    .collect(),
            );
            p
        })
        .collect()
}

/// Evaluations per second on one thread for each path, and how many outcomes disagreed.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub firms: usize,
    pub policies: usize,
    /// The decision path as callers get it (`RuleEngine::evaluate`, compiled), stopping at the
    /// first failed firm-level condition.
    pub decision_per_sec: f64,
    /// Decision only but every condition evaluated (compiled).
    pub every_condition_per_sec: f64,
    /// Full explanations written (compiled: every reason's text written as its condition is
    /// met, but no `Decision` settled and built).
    pub captured_per_sec: f64,
    /// Full explanations rendered to text: the `Decision` callers get (compiled).
    pub full_per_sec: f64,
    /// The rhai path (the reference), decision only and full.
    pub rhai_decision_per_sec: f64,
    pub rhai_full_per_sec: f64,
    pub native_per_sec: f64,
    /// Conditions (`require`, `grant`, `grant_item`) reached over all evaluations by the
    /// early-stopping decision path, and by a run of every condition (what a full explanation
    /// must evaluate).
    pub conditions_decision: u64,
    pub conditions_every: u64,
    /// Evaluations that disagree: compiled vs rhai (whole decisions, three modes), decision
    /// vs full outcome, native vs rules, or any rule error.
    pub mismatches: usize,
    /// (firm, policy, mode) evaluations the compiled path handed over to rhai.
    pub handed_over: usize,
    pub eligible: usize,
    /// The first few mismatches, for the report.
    pub examples: Vec<String>,
}

fn rate(evals: usize, took: Duration) -> f64 {
    #[allow(clippy::cast_precision_loss, clippy::float_arithmetic)] // a timing figure, never money
    let r = evals as f64 / took.as_secs_f64().max(1e-9);
    r
}

/// Runs every path over `firms` boundary firms, `rounds` times each, on this thread.
pub fn run(set: &RuleSet, firms: u64, rounds: usize, as_of: NaiveDate) -> BenchReport {
    run_population(set, Population::Boundary, firms, rounds, as_of)
}

type Pass = fn(&[FirmView], &[&super::Policy], &[super::Params], NaiveDate);

/// One timed pass of `RuleEngine::evaluate` (not inlined, so that `valgrind --tool=callgrind`
/// shows each path's instructions as this function's inclusive cost).
#[inline(never)]
fn served_pass(
    views: &[FirmView],
    policies: &[&super::Policy],
    params: &[super::Params],
    as_of: NaiveDate,
    explain: Explain,
) {
    let engine = RuleEngine::shared();
    for v in views {
        for (p, params) in policies.iter().zip(params) {
            black_box(engine.evaluate(p, params, v, as_of, explain));
        }
    }
}

#[inline(never)]
fn decision_pass(v: &[FirmView], p: &[&super::Policy], ps: &[super::Params], d: NaiveDate) {
    served_pass(v, p, ps, d, Explain::DecisionOnly);
}

#[inline(never)]
fn every_condition_pass(v: &[FirmView], p: &[&super::Policy], ps: &[super::Params], d: NaiveDate) {
    served_pass(v, p, ps, d, Explain::DecisionEveryCondition);
}

#[inline(never)]
fn full_pass(v: &[FirmView], p: &[&super::Policy], ps: &[super::Params], d: NaiveDate) {
    served_pass(v, p, ps, d, Explain::Full);
}

/// The compiled full path up to its written reasons (no `Decision` settled and built).
#[inline(never)]
fn captured_pass(views: &[FirmView], _: &[&super::Policy], params: &[super::Params], d: NaiveDate) {
    let engine = RuleEngine::shared();
    for v in views {
        for params in params {
            black_box(engine.capture_compiled(params, v, d));
        }
    }
}

#[inline(never)]
fn rhai_pass(
    views: &[FirmView],
    policies: &[&super::Policy],
    params: &[super::Params],
    as_of: NaiveDate,
    explain: Explain,
) {
    let engine = RuleEngine::shared();
    for v in views {
        for (p, params) in policies.iter().zip(params) {
            black_box(engine.evaluate_interpreted(p, params, v, as_of, explain));
        }
    }
}

#[inline(never)]
fn rhai_decision_pass(v: &[FirmView], p: &[&super::Policy], ps: &[super::Params], d: NaiveDate) {
    rhai_pass(v, p, ps, d, Explain::DecisionOnly);
}

#[inline(never)]
fn rhai_full_pass(v: &[FirmView], p: &[&super::Policy], ps: &[super::Params], d: NaiveDate) {
    rhai_pass(v, p, ps, d, Explain::Full);
}

#[inline(never)]
fn native_pass(profiles: &[Profile], natives: &[Option<super::native::NativeRule>]) {
    for prof in profiles {
        for f in natives.iter().flatten() {
            black_box(f(black_box(prof)));
        }
    }
}

/// Runs every path over `firms` firms of `population`, `rounds` times each, on this thread;
/// each rate is that of the fastest round (the least disturbed by the rest of the machine).
pub fn run_population(
    set: &RuleSet,
    population: Population,
    firms: u64,
    rounds: usize,
    as_of: NaiveDate,
) -> BenchReport {
    let engine = RuleEngine::shared();
    let profiles = population.profiles(firms);
    let views: Vec<FirmView> = profiles.iter().map(FirmView::new).collect();
    let policies: Vec<_> = set.in_force(as_of).collect();
    let params: Vec<_> = policies.iter().map(|p| p.params_at(as_of)).collect();
    let natives: Vec<_> = policies.iter().map(|p| native_rule(&p.id)).collect();
    let evals = views.len() * policies.len();
    let best = |mut round: Box<dyn FnMut() + '_>| {
        let fastest = (0..rounds.max(1))
            .map(|_| {
                let started = Instant::now();
                round();
                started.elapsed()
            })
            .min()
            .unwrap_or_default();
        rate(evals, fastest)
    };
    let (v, p, ps) = (&views, &policies, &params);
    let timed = |pass: Pass| best(Box::new(move || pass(v, p, ps, as_of)));
    let decision = timed(decision_pass);
    let every = timed(every_condition_pass);
    let captured = timed(captured_pass);
    let full = timed(full_pass);
    let rhai_decision = timed(rhai_decision_pass);
    let rhai_full = timed(rhai_full_pass);
    let native = best(Box::new(|| native_pass(&profiles, &natives)));

    let (mut mismatches, mut handed_over, mut eligible) = (0, 0, 0);
    let (mut conditions_decision, mut conditions_every) = (0, 0);
    let mut examples = Vec::new();
    for (v, prof) in views.iter().zip(&profiles) {
        for ((p, params), f) in policies.iter().zip(&params).zip(&natives) {
            let check = super::differential::check_paths(engine, p, params, v, as_of);
            handed_over += check.handed_over.len();
            let d = engine.evaluate(p, params, v, as_of, Explain::DecisionOnly);
            let every = engine.evaluate(p, params, v, as_of, Explain::DecisionEveryCondition);
            let full = engine.evaluate(p, params, v, as_of, Explain::Full);
            let outcome = |d: &super::Decision| (d.eligible, d.amount, d.error.clone());
            let same_paths = outcome(&d) == outcome(&full) && outcome(&every) == outcome(&full);
            let same_native = f.is_none_or(|f| f(prof) == (d.eligible, d.amount));
            let bad =
                !(same_paths && same_native && d.error.is_none() && check.mismatches.is_empty());
            mismatches += usize::from(bad);
            if bad && examples.len() < 3 {
                examples.extend(check.mismatches);
                examples.push(format!(
                    "{} × {}: {d:?} / native {:?}",
                    v.uscc(),
                    p.id,
                    f.map(|f| f(prof))
                ));
            }
            eligible += usize::from(d.eligible);
            let reached = |explain| {
                engine
                    .conditions_compiled(params, v, as_of, explain)
                    .map_or(0, u64::from)
            };
            conditions_decision += reached(Explain::DecisionOnly);
            conditions_every += reached(Explain::DecisionEveryCondition);
        }
    }
    BenchReport {
        firms: views.len(),
        policies: policies.len(),
        decision_per_sec: decision,
        every_condition_per_sec: every,
        captured_per_sec: captured,
        full_per_sec: full,
        rhai_decision_per_sec: rhai_decision,
        rhai_full_per_sec: rhai_full,
        native_per_sec: native,
        conditions_decision,
        conditions_every,
        mismatches,
        handed_over,
        eligible,
        examples,
    }
}
