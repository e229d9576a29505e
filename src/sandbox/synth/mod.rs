//! Synthetic enterprises: `firm(seed, index, day)` builds one full record from nothing stored.
//!
//! A firm is a pure function of (seed, index, day): its base record is drawn from a counter-based
//! stream keyed by (seed, index), then the change events of days 1..=day are applied in order.
//! Money is held in fen (`i64`) and printed as a decimal string; no float is involved.

mod base;
mod catalog;
mod events;

use chrono::NaiveDate;

pub use events::{DAY0, Event, Population, as_of, event};

/// An amount in fen (0.01 yuan).
pub type Fen = i64;

/// One statistical year of a firm, every field present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnualRecord {
    pub year: i64,
    pub revenue: Fen,
    pub total_assets: Fen,
    pub rd_expense: Fen,
    pub employees_avg: i64,
    pub layoffs: i64,
    pub unemployment_premium_paid: Fen,
    pub ui_paid_months: i64,
}

/// A certification as the science source reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRecord {
    pub kind: &'static str,
    pub level: Option<&'static str>,
    pub recognized_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub first_time: Option<bool>,
    pub certificate_no: String,
}

/// A new hire as the social-insurance source reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HireRecord {
    /// Keyed SHA-256 of a synthetic person, 64 lowercase hex characters.
    pub person: String,
    pub category: &'static str,
    pub age_at_hire: i64,
    pub hired_on: NaiveDate,
    pub contract_signed: bool,
    pub insured_months: i64,
}

/// One firm's full, valid profile. `region_code` may be an OLD code, as sources send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmRecord {
    pub index: u64,
    pub uscc: String,
    pub name: String,
    pub status: &'static str,
    pub region_code: &'static str,
    pub industry_code: &'static str,
    pub established_on: NaiveDate,
    pub registered_capital: Fen,
    pub size_class: Option<&'static str>,
    pub above_scale_since: Option<(i32, u32)>,
    pub tax_credit_grade: &'static str,
    pub serious_dishonesty: bool,
    pub abnormal_operation: bool,
    pub annual: Vec<AnnualRecord>,
    pub certifications: Vec<CertRecord>,
    pub hires: Vec<HireRecord>,
}

/// The firm `index` of the population of `seed`, as it stands on `day` (its birth day's record
/// plus every change event up to `day`). Pure and cheap: call it as often as needed.
pub fn firm(seed: u64, population: Population, index: u64, day: u32) -> FirmRecord {
    let born = population.born_on(index);
    let mut f = base::firm(seed, index, born);
    for d in born.saturating_add(1)..=day {
        if let Some(e) = event(seed, index, d) {
            events::apply(seed, &mut f, e, d);
        }
    }
    f
}

/// The USCC of firm `index`: `91` + region + an organisation code that is a bijection of the
/// index (so USCCs never collide) + the check character.
pub fn uscc_of(seed: u64, index: u64, region: &str) -> String {
    const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const SPACE: u128 = 26_439_622_160_671; // 31^9
    // (a·i + b) mod 31^9 is a bijection because a is prime to 31.
    let offset = u128::from(crate::sandbox::rng::hash(seed, &[0x05CC])) % SPACE;
    let mut n = (u128::from(index) * 1_000_003 + offset) % SPACE;
    let mut org = [b'0'; 9];
    for c in org.iter_mut().rev() {
        *c = CHARSET[(n % 31) as usize];
        n /= 31;
    }
    let body = format!("91{region}{}", String::from_utf8_lossy(&org));
    crate::profiles::Uscc::from_body(&body)
        .map(|u| u.as_str().to_owned())
        .unwrap_or(body)
}

/// Formats fen as the schema's money string, e.g. `123456` → `"1234.56"`.
pub fn money(fen: Fen) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::Uscc;

    #[test]
    fn usccs_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..5000 {
            let u = uscc_of(42, i, "370212");
            assert!(Uscc::parse(&u).is_ok(), "{u}");
            assert!(seen.insert(u));
        }
    }

    #[test]
    fn merged_profiles_stay_valid_as_days_pass() {
        let population = Population { firms: 400 };
        for day in [0, 1, 5, 30] {
            for index in 0..population.total(day) {
                let f = firm(9, population, index, day);
                let mut line = String::new();
                crate::sandbox::write_profile(&mut line, &f, None);
                let parsed = crate::profiles::validate_line(&line);
                assert!(parsed.is_ok(), "day {day} firm {index}: {parsed:?}\n{line}");
            }
        }
    }

    #[test]
    fn the_same_person_is_hired_by_two_firms_sometimes() {
        let population = Population { firms: 2000 };
        let mut seen = std::collections::HashMap::new();
        for index in 0..2000 {
            for h in firm(1, population, index, 0).hires {
                seen.entry(h.person)
                    .or_insert_with(std::collections::HashSet::new)
                    .insert(index);
            }
        }
        assert!(seen.values().any(|firms| firms.len() > 1));
    }

    #[test]
    fn money_has_two_decimals() {
        for (fen, s) in [
            (0, "0.00"),
            (5, "0.05"),
            (123_456, "1234.56"),
            (-101, "-1.01"),
        ] {
            assert_eq!(money(fen), s);
        }
    }
}
