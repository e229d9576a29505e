//! A firm's record on its birth day, drawn so that each of the six policies has firms that
//! qualify and firms that miss by exactly one condition (wrong city, 2024 instead of 2025,
//! revenue just under the threshold, 11 months of insurance, 2 insured months on a hire…).

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::catalog::{self, Tier};
use super::{AnnualRecord, CertRecord, FirmRecord, HireRecord, as_of, uscc_of};
use crate::profiles::{Annual, Sector, SizeClass, size_from_record};
use crate::sandbox::rng::Draws;

const BASE_SALT: u64 = 0xBA5E;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// A day of `year` (Jan 1 + up to 330 days).
fn day_in(r: &mut Draws, year: i32) -> NaiveDate {
    ymd(year, 1, 1) + Days::new(r.below(331))
}

/// Keyed hash of synthetic person `(firm, slot)`: the same key gives the same person anywhere.
pub fn person(seed: u64, firm: u64, slot: u64) -> String {
    let mut h = Sha256::new();
    h.update(b"mianshen-sandbox-person/1");
    h.update(seed.to_le_bytes());
    h.update(firm.to_le_bytes());
    h.update(slot.to_le_bytes());
    hex::encode(h.finalize())
}

/// The size the statistical rules give to a record (data-rules §4).
fn derived_size(industry: &str, a: &AnnualRecord) -> &'static str {
    let record = Annual {
        year: a.year,
        revenue: Some(Decimal::new(a.revenue, 2)),
        total_assets: Some(Decimal::new(a.total_assets, 2)),
        employees_avg: Some(a.employees_avg),
        ..Annual::default()
    };
    size_from_record(Sector::of(industry), &record).map_or("micro", SizeClass::as_str)
}

/// The above-scale revenue threshold of the Jinan reward's groups, in yuan.
fn above_scale_threshold(industry: &str) -> Option<i64> {
    match (industry.as_bytes()[0], &industry[1..3]) {
        (b'B' | b'C' | b'D', _) | (_, "51") => Some(20_000_000),
        (_, "52") => Some(5_000_000),
        (b'I' | b'L' | b'M', _) => Some(10_000_000),
        _ => None,
    }
}

/// The firm `index` as born on day `born`.
pub(super) fn firm(seed: u64, index: u64, born: u32) -> FirmRecord {
    let mut r = Draws::new(seed, &[BASE_SALT, index]);
    let region = *r.weighted(catalog::REGIONS);
    let industry = *r.weighted(catalog::INDUSTRIES);
    let tier: &Tier = r.weighted(catalog::TIERS);
    let employees = r.range(tier.employees.0, tier.employees.1);
    let mut revenue = r.range(tier.revenue_yuan.0, tier.revenue_yuan.1) * 100 + r.range(0, 99);
    let roll = r.below(1000);
    let above_scale_since = if roll < 70 {
        // Newly above scale in 2025; one in eight just under its group's threshold.
        if let Some(t) = above_scale_threshold(industry) {
            revenue = if r.chance(875) {
                (t + r.range(0, 30_000_000)) * 100
            } else {
                (t - r.range(1, 500_000)) * 100
            };
        }
        Some((2025, u32::try_from(r.range(1, 12)).unwrap_or(1)))
    } else if roll < 600 && tier.employees.0 >= 100 {
        Some((i32::try_from(r.range(2012, 2024)).unwrap_or(2020), 12))
    } else {
        None
    };
    let established_on = if born == 0 {
        ymd(1995, 1, 1) + Days::new(r.below(10_900))
    } else {
        as_of(born)
    };
    let rd_intensive = matches!(industry.as_bytes()[0], b'C' | b'I' | b'M') || r.chance(200);
    let rd25 = if rd_intensive && r.chance(800) {
        revenue * r.range(1, 8) / 100
    } else {
        0
    };
    let layoffs = match r.below(1000) {
        0..650 => 0,
        650..900 => (employees * r.range(1, 5) / 100).max(1),
        _ => (employees * r.range(6, 25) / 100).max(1),
    };
    let ui25 = match r.below(1000) {
        0..850 => 12,
        850..950 => r.range(6, 11),
        _ => 0,
    };
    let y2025 = AnnualRecord {
        year: 2025,
        revenue,
        total_assets: revenue * r.range(40, 250) / 100,
        rd_expense: rd25,
        employees_avg: employees,
        layoffs,
        unemployment_premium_paid: employees * r.range(600, 1100) * 100,
        ui_paid_months: ui25,
    };
    let y2024 = AnnualRecord {
        year: 2024,
        revenue: revenue * r.range(75, 115) / 100,
        total_assets: y2025.total_assets * r.range(80, 105) / 100,
        rd_expense: rd25 * r.range(70, 110) / 100,
        employees_avg: employees * r.range(85, 115) / 100,
        layoffs: if r.chance(700) { 0 } else { r.range(1, 3) },
        unemployment_premium_paid: employees * r.range(600, 1000) * 100,
        ui_paid_months: if r.chance(900) { 12 } else { r.range(3, 11) },
    };
    // A delivered size is mostly what the 2017 rules derive from the 2025 record; one in ten
    // is the source's own (possibly different) class, which then wins over the derived one.
    let size_class = if r.chance(300) {
        let derived = derived_size(industry, &y2025);
        Some(if r.chance(900) { derived } else { tier.class })
    } else {
        None
    };
    let annual = match established_on.year() {
        ..2024 => vec![y2024, y2025],
        2024 => vec![y2025],
        _ => Vec::new(),
    };
    let status = *r.weighted(&[
        ("active", 940),
        ("suspended", 20),
        ("revoked", 20),
        ("cancelled", 20),
    ]);
    let name = format!(
        "{}{}{}有限公司",
        catalog::city_word(region),
        catalog::TRADE_NAMES[r.below(catalog::TRADE_NAMES.len() as u64) as usize],
        catalog::business_word(industry)
    );
    let grade = r.pick(&[("A", 300), ("B", 400), ("M", 150), ("C", 100), ("D", 50)]);
    FirmRecord {
        index,
        uscc: uscc_of(seed, index, region),
        name,
        status,
        region_code: region,
        industry_code: industry,
        established_on,
        registered_capital: r.range(1, 1000) * 10_000_000,
        size_class,
        above_scale_since,
        tax_credit_grade: grade,
        serious_dishonesty: r.chance(20),
        abnormal_operation: r.chance(30),
        annual,
        certifications: certifications(&mut r, index),
        hires: hires(&mut r, seed, index),
    }
}

fn certifications(r: &mut Draws, index: u64) -> Vec<CertRecord> {
    let mut out = Vec::new();
    let no = |prefix: &str, year: i32| format!("{prefix}{year}37{:07}", index % 10_000_000);
    if r.chance(140) {
        let year = *r.weighted(&[(2025, 45), (2024, 20), (2023, 20), (2022, 15)]);
        let on = day_in(r, year);
        out.push(CertRecord {
            kind: "high_tech",
            level: Some("national"),
            recognized_on: on,
            expires_on: on
                .checked_add_months(chrono::Months::new(36))
                .map(|d| d - Days::new(1)),
            first_time: match r.below(100) {
                0..60 => Some(true),
                60..98 => Some(false),
                _ => None,
            },
            certificate_no: no("GR", year),
        });
    }
    if r.chance(30) {
        let year = *r.weighted(&[(2025, 65), (2024, 20), (2023, 15)]);
        out.push(CertRecord {
            kind: "little_giant",
            level: Some(if r.chance(700) {
                "national"
            } else {
                "provincial"
            }),
            recognized_on: day_in(r, year),
            expires_on: Some(ymd(year + 3, 6, 30)),
            first_time: Some(true),
            certificate_no: no("XJR", year),
        });
    }
    if r.chance(80) {
        let year = i32::try_from(r.range(2022, 2025)).unwrap_or(2025);
        out.push(CertRecord {
            kind: "specialized_sme",
            level: Some("provincial"),
            recognized_on: day_in(r, year),
            expires_on: Some(ymd(year + 3, 12, 31)),
            first_time: Some(true),
            certificate_no: no("ZJTX", year),
        });
    }
    if r.chance(150) {
        let year = i32::try_from(r.range(2024, 2025)).unwrap_or(2025);
        out.push(CertRecord {
            kind: "tech_sme",
            level: None,
            recognized_on: day_in(r, year),
            expires_on: Some(ymd(year + 1, 12, 31)),
            first_time: None,
            certificate_no: no("KJ", year),
        });
    }
    out
}

fn hires(r: &mut Draws, seed: u64, index: u64) -> Vec<HireRecord> {
    let n = if r.chance(450) { 0 } else { r.range(1, 4) };
    (0..u64::try_from(n).unwrap_or(0))
        .map(|slot| {
            // Firms 2k and 2k+1 sometimes hired the same person (each person is paid once).
            let key = if r.chance(60) { index ^ 1 } else { index };
            let category = *r.weighted(&[
                ("graduate_current", 35),
                ("graduate_unemployed", 15),
                ("youth_unemployed", 15),
                ("other", 35),
            ]);
            let age = match category {
                "graduate_current" | "graduate_unemployed" => r.range(21, 26),
                "youth_unemployed" => r.range(16, 26),
                _ => r.range(25, 55),
            };
            let hired_on = ymd(2025, 5, 1) + Days::new(r.below(550));
            let months = (as_of(0) - hired_on).num_days() / 30;
            HireRecord {
                person: person(seed, key, slot),
                category,
                age_at_hire: age,
                hired_on,
                contract_signed: r.chance(920),
                insured_months: if r.chance(80) { 2 } else { months.max(0) },
            }
        })
        .collect()
}
