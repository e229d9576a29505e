//! Days: which firms exist on a day, which change, and what each change does.
//!
//! On each day ≥ 1 about 1% of existing firms change in one or more sources, 0.05% are
//! deregistered, and 0.1% of the day-0 count are born. All of it is hash-sampled per
//! (seed, index, day), so a firm's history is recomputed instead of stored.

use chrono::{Days, NaiveDate};

use super::{CertRecord, FirmRecord, HireRecord};
use crate::sandbox::Source;
use crate::sandbox::rng::{Draws, hash};

/// The data date of day 0.
pub const DAY0: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 23) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// Changes per 100,000 firms per day.
const CHANGE_PER_100K: u64 = 1_000;
/// Deregistrations per 100,000 firms per day.
const DEREGISTER_PER_100K: u64 = 50;
const EVENT_SALT: u64 = 0xE7E7;
const APPLY_SALT: u64 = 0xA991;

/// The data date of `day`.
pub fn as_of(day: u32) -> NaiveDate {
    DAY0 + Days::new(u64::from(day))
}

/// The size of the population over the days: `firms` on day 0, plus 0.1% born per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Population {
    /// Firms on day 0.
    pub firms: u64,
}

impl Population {
    /// Firms born each day ≥ 1 (at least one when the population is not empty).
    pub fn born_per_day(self) -> u64 {
        self.firms.div_ceil(1000)
    }

    /// Firms that exist on `day` (indices `0..total(day)`).
    pub fn total(self, day: u32) -> u64 {
        self.firms + u64::from(day) * self.born_per_day()
    }

    /// The day firm `index` is born (0 for the day-0 population).
    pub fn born_on(self, index: u64) -> u32 {
        match index.checked_sub(self.firms) {
            None => 0,
            Some(k) => u32::try_from(k / self.born_per_day().max(1) + 1).unwrap_or(u32::MAX),
        }
    }
}

/// What happens to one existing firm on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Status becomes `cancelled` (reported by market_regulation).
    Deregister,
    /// Something changes in each source of the bit mask (see [`Source::bit`]).
    Change(u8),
}

impl Event {
    /// True when `source` reports this event.
    pub fn touches(self, source: Source) -> bool {
        match self {
            Self::Deregister => source == Source::MarketRegulation,
            Self::Change(mask) => mask & source.bit() != 0,
        }
    }
}

/// The event of firm `index` on `day` ≥ 1, if any (the caller checks the firm existed the day before).
pub fn event(seed: u64, index: u64, day: u32) -> Option<Event> {
    let h = hash(seed, &[EVENT_SALT, index, u64::from(day)]);
    let r = h % 100_000;
    if r < DEREGISTER_PER_100K {
        return Some(Event::Deregister);
    }
    if r >= DEREGISTER_PER_100K + CHANGE_PER_100K {
        return None;
    }
    let all = Source::ALL;
    let primary = all[((h >> 20) % 5) as usize].bit();
    let extra = if (h >> 32).is_multiple_of(4) {
        all[((h >> 40) % 5) as usize].bit()
    } else {
        0
    };
    Some(Event::Change(primary | extra))
}

/// Applies the event of `day` to the firm.
pub(super) fn apply(seed: u64, f: &mut FirmRecord, e: Event, day: u32) {
    let Event::Change(_) = e else {
        f.status = "cancelled";
        return;
    };
    let date = as_of(day);
    for source in Source::ALL.into_iter().filter(|s| e.touches(*s)) {
        let mut r = Draws::new(
            seed,
            &[APPLY_SALT, f.index, u64::from(day), source.bit().into()],
        );
        match source {
            Source::MarketRegulation => {
                f.registered_capital += r.range(1, 50) * 10_000_000;
                if r.chance(300) {
                    f.abnormal_operation = !f.abnormal_operation;
                }
            }
            Source::Tax => {
                if let Some(a) = f.annual.iter_mut().find(|a| a.year == 2025) {
                    // A corrected 2025 return.
                    a.revenue += r.range(1, 500_000) * 100;
                    a.rd_expense += r.range(0, 50_000) * 100;
                }
                if r.chance(300) {
                    f.tax_credit_grade = ["A", "B", "M", "C"][r.below(4) as usize];
                }
            }
            Source::Hrss => {
                let n = u64::try_from(f.hires.len()).unwrap_or(0);
                f.hires.push(HireRecord {
                    person: super::base::person(seed, f.index, 100 + n),
                    category: ["graduate_current", "youth_unemployed", "other"]
                        [r.below(3) as usize],
                    age_at_hire: r.range(18, 30),
                    hired_on: date - Days::new(r.below(60)),
                    contract_signed: true,
                    insured_months: r.range(0, 2),
                });
            }
            Source::Science => f.certifications.push(CertRecord {
                kind: "tech_sme",
                level: None,
                recognized_on: date,
                expires_on: Some(date + Days::new(364)),
                first_time: Some(true),
                certificate_no: format!("TS{}{:06}", date.format("%Y%m%d"), f.index % 1_000_000),
            }),
            Source::Credit => f.serious_dishonesty = !f.serious_dishonesty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn births_follow_the_day_zero_population() {
        let p = Population { firms: 10_000 };
        assert_eq!(p.total(0), 10_000);
        assert_eq!(p.total(2), 10_020);
        assert_eq!(
            (p.born_on(9_999), p.born_on(10_000), p.born_on(10_010)),
            (0, 1, 2)
        );
    }

    #[test]
    fn about_one_percent_change_per_day() {
        let n = (0..100_000).filter(|i| event(3, *i, 1).is_some()).count();
        assert!((900..1200).contains(&n), "{n}");
    }
}
