//! The six sample policies hand-written in Rust, decision only (before cross-firm steps).
//!
//! An independent reading of the worksheets: the rhai rules must decide exactly as it does
//! (`tests/rules_native.rs`), and `cargo bench --bench rules` prints its rate beside rhai's.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use mianshen::profiles::{
    CertKind, CertLevel, HireCategory, Profile, Sector, SizeClass, Status, derive_size,
};

/// A native policy: `(eligible, amount)`.
pub type NativeRule = fn(&Profile) -> (bool, Decimal);

/// 四舍五入 to the fen.
fn half_up(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

const NO: (bool, Decimal) = (false, Decimal::ZERO);

/// The native version of a sample policy, by id.
pub fn native_rule(policy_id: &str) -> Option<NativeRule> {
    Some(match policy_id {
        "sd-2026-stable-jobs-refund" => stable_jobs,
        "sd-2026-job-expansion-grant" => job_expansion,
        "qd-2026-high-tech-reward" => high_tech,
        "qd-2026-little-giant-reward" => little_giant,
        "jn-2026-above-scale-reward" => above_scale,
        "jn-2026-rd-growth-reward" => rd_growth,
        _ => return None,
    })
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// Region, status and the dishonesty list: the conditions every sample policy shares.
fn basics(p: &Profile, prefix: &str) -> bool {
    p.region_code.as_ref().is_some_and(|r| r.within(prefix))
        && p.status == Some(Status::Active)
        && p.serious_dishonesty == Some(false)
}

fn grant(ok: bool, amount: Decimal) -> (bool, Decimal) {
    if ok && amount > Decimal::ZERO {
        (true, amount)
    } else {
        NO
    }
}

fn stable_jobs(p: &Profile) -> (bool, Decimal) {
    let Some(y) = p.annual_of(2025) else {
        return NO;
    };
    let months = y.ui_paid_months.is_some_and(|m| m >= 12);
    let (Some(n), Some(l)) = (y.employees_avg, y.layoffs) else {
        return NO;
    };
    let rate_ok = n > 0 && {
        let rate = Decimal::from(l) / Decimal::from(n);
        l == 0
            || if n <= 30 {
                rate <= dec!(0.20)
            } else {
                rate <= dec!(0.055)
            }
    };
    let (Some(premium), Some(size)) = (y.unemployment_premium_paid, derive_size(p, Some(2025)))
    else {
        return NO;
    };
    let rate = if size == SizeClass::Large {
        dec!(0.30)
    } else {
        dec!(0.60)
    };
    grant(
        basics(p, "37") && months && rate_ok,
        half_up(premium * rate),
    )
}

fn job_expansion(p: &Profile) -> (bool, Decimal) {
    let (from, to) = (day(2025, 7, 1), day(2026, 6, 30));
    let counted = p
        .hires
        .iter()
        .flatten()
        .filter(|h| {
            let category = match h.category {
                HireCategory::GraduateCurrent | HireCategory::GraduateUnemployed => true,
                HireCategory::YouthUnemployed => {
                    h.age_at_hire.is_some_and(|a| (16..=24).contains(&a))
                }
                HireCategory::Other => false,
            };
            (from..=to).contains(&h.hired_on)
                && category
                && h.contract_signed == Some(true)
                && h.insured_months.is_some_and(|m| m >= 3)
        })
        .count();
    grant(basics(p, "37"), dec!(1500.00) * Decimal::from(counted))
}

fn high_tech(p: &Profile) -> (bool, Decimal) {
    let (from, to) = (day(2025, 1, 1), day(2025, 12, 31));
    let latest = p
        .certifications
        .iter()
        .flatten()
        .filter(|c| c.kind == CertKind::HighTech && (from..=to).contains(&c.recognized_on))
        .reduce(|a, b| {
            if b.recognized_on > a.recognized_on {
                b
            } else {
                a
            }
        });
    match latest.and_then(|c| c.first_time) {
        Some(true) => grant(basics(p, "3702"), dec!(100000.00)),
        Some(false) => grant(basics(p, "3702"), dec!(50000.00)),
        None => NO,
    }
}

fn little_giant(p: &Profile) -> (bool, Decimal) {
    let (from, to) = (day(2025, 1, 1), day(2025, 12, 31));
    let in_year: Vec<_> = p
        .certifications
        .iter()
        .flatten()
        .filter(|c| c.kind == CertKind::LittleGiant && (from..=to).contains(&c.recognized_on))
        .collect();
    // A certificate of the year without a level is missing data: it fails, as in the rule.
    let national = in_year.iter().any(|c| c.level == Some(CertLevel::National))
        && in_year.iter().all(|c| c.level.is_some());
    grant(
        basics(p, "3702") && p.abnormal_operation == Some(false) && national,
        dec!(1000000.00),
    )
}

fn above_scale(p: &Profile) -> (bool, Decimal) {
    let since = p.above_scale_since.is_some_and(|(y, _)| y == 2025);
    let Some(code) = p.industry_code.as_deref() else {
        return NO;
    };
    let (threshold, reward) = match (Sector::of(code), code.get(..1).unwrap_or_default()) {
        (Sector::Industry, _) => (dec!(20000000.00), dec!(200000.00)),
        (Sector::Wholesale, _) => (dec!(20000000.00), dec!(100000.00)),
        (Sector::Retail, _) => (dec!(5000000.00), dec!(100000.00)),
        (_, "I" | "L" | "M") => (dec!(10000000.00), dec!(100000.00)),
        _ => return NO,
    };
    let revenue = p
        .annual_of(2025)
        .and_then(|a| a.revenue)
        .is_some_and(|r| r >= threshold);
    grant(basics(p, "3701") && since && revenue, reward)
}

fn rd_growth(p: &Profile) -> (bool, Decimal) {
    let end = day(2025, 12, 31);
    let grade = p
        .tax_credit_grade
        .as_deref()
        .is_some_and(|g| matches!(g, "A" | "B" | "M"));
    let cert = p.certifications.iter().flatten().any(|c| {
        c.kind == CertKind::HighTech
            && c.recognized_on <= end
            && c.expires_on.is_none_or(|e| e >= end)
    });
    let rd = |y| p.annual_of(y).and_then(|a| a.rd_expense);
    let (Some(this), Some(last)) = (rd(2025), rd(2024)) else {
        return NO;
    };
    let growth = this - last;
    let ok = basics(p, "3701") && grade && cert && growth > Decimal::ZERO;
    grant(ok, half_up(growth * dec!(0.30)).min(dec!(2000000.00)))
}
