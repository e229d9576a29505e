//! The change log behind each feed, and one page of it. No HTTP here.
//!
//! A source's feed is the sequence of (change day, firm index): day 0 lists every firm, each
//! later day the firms whose data in that source changed (or that were born) that day. An item
//! shows the firm as it stood on its change day, so a page's bytes never change once written.
//! Per day only the sorted changed indices are kept, never firms.

use std::sync::RwLock;

use super::Source;
use super::defects::Defect;
use super::json::write_profile;
use super::synth::{Population, as_of, event, firm};

/// What the exchange serves.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// Firms on day 0.
    pub firms: u64,
    /// The seed of every draw.
    pub seed: u64,
    /// The day to start at.
    pub day: u32,
    /// Defective items per thousand.
    pub bad_permille: u32,
}

/// A position in a feed: the next item is the first with (day, index) ≥ (`day`, `index`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cursor {
    pub day: u32,
    pub index: u64,
}

impl Cursor {
    /// The opaque form sent as `next_cursor`.
    pub fn encode(self) -> String {
        format!("d{}i{}", self.day, self.index)
    }

    /// Parses the opaque form; `None` when it is not one we wrote.
    pub fn decode(s: &str) -> Option<Self> {
        let (day, index) = s.strip_prefix('d')?.split_once('i')?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        (digits(day) && digits(index)).then_some(())?;
        Some(Self {
            day: day.parse().ok()?,
            index: index.parse().ok()?,
        })
    }
}

/// One page of a feed, already serialised.
#[derive(Debug)]
pub struct Page {
    /// The JSON items, comma-separated (without the brackets).
    pub items: String,
    pub count: usize,
    pub next: Cursor,
}

/// The feeds of one sandbox: its configuration and the changed indices of each day ≥ 1.
#[derive(Debug)]
pub struct Feeds {
    pub config: FeedConfig,
    pub population: Population,
    /// `changes[d - 1][source as usize]`: sorted indices changed on day `d`.
    changes: RwLock<Vec<[Vec<u64>; 5]>>,
}

impl Feeds {
    /// Builds the feeds and the change lists of days 1..=`config.day`.
    pub fn new(config: FeedConfig) -> Self {
        let population = Population {
            firms: config.firms,
        };
        let feeds = Self {
            config,
            population,
            changes: RwLock::new(Vec::new()),
        };
        for _ in 0..feeds.config.day {
            feeds.advance_day();
        }
        feeds
    }

    /// The current day.
    pub fn day(&self) -> u32 {
        let days = self.changes.read().unwrap_or_else(|e| e.into_inner());
        u32::try_from(days.len()).unwrap_or(u32::MAX)
    }

    /// Moves the data forward one day; returns the new day. The write lock is held while the
    /// day's lists are sampled so that two concurrent calls make two distinct days.
    pub fn advance_day(&self) -> u32 {
        let mut days = self.changes.write().unwrap_or_else(|e| e.into_inner());
        let day = u32::try_from(days.len() + 1).unwrap_or(u32::MAX);
        let (seed, pop) = (self.config.seed, self.population);
        let mut lists: [Vec<u64>; 5] = Default::default();
        for index in 0..pop.total(day - 1) {
            if let Some(e) = event(seed, index, day) {
                for s in Source::ALL.into_iter().filter(|s| e.touches(*s)) {
                    lists[s as usize].push(index);
                }
            }
        }
        for list in &mut lists {
            list.extend(pop.total(day - 1)..pop.total(day));
        }
        days.push(lists);
        day
    }

    /// Indices changed in `source` on `day` ≥ 1 (for tests and tools).
    pub fn changed(&self, source: Source, day: u32) -> Vec<u64> {
        let days = self.changes.read().unwrap_or_else(|e| e.into_inner());
        day.checked_sub(1)
            .and_then(|d| days.get(d as usize))
            .map(|l| l[source as usize].clone())
            .unwrap_or_default()
    }

    /// Up to `limit` items of `source` from `since`; `None` when the cursor is past today.
    pub fn page(&self, source: Source, since: Cursor, limit: usize) -> Option<Page> {
        let days = self.changes.read().unwrap_or_else(|e| e.into_inner());
        let today = u32::try_from(days.len()).unwrap_or(u32::MAX);
        if since.day > today {
            return None;
        }
        let mut page = Page {
            items: String::with_capacity(limit.min(10_000) * 600),
            count: 0,
            next: since,
        };
        for day in since.day..=today {
            let from = if day == since.day { since.index } else { 0 };
            let indices: Box<dyn Iterator<Item = u64>> = if day == 0 {
                Box::new(from..self.population.firms)
            } else {
                let list = &days[(day - 1) as usize][source as usize];
                Box::new(list[list.partition_point(|i| *i < from)..].iter().copied())
            };
            for index in indices {
                if page.count == limit {
                    return Some(page);
                }
                if page.count > 0 {
                    page.items.push(',');
                }
                self.write_item(&mut page.items, source, index, day);
                page.count += 1;
                page.next = Cursor {
                    day,
                    index: index + 1,
                };
            }
        }
        Some(page)
    }

    /// Appends the item of firm `index` as changed on `day`, defective when picked to be.
    pub fn write_item(&self, out: &mut String, source: Source, index: u64, day: u32) {
        let c = &self.config;
        let f = firm(c.seed, self.population, index, day);
        match Defect::pick(c.seed, source, index, day, c.bad_permille) {
            None => write_profile(out, &f, Some(source)),
            Some(defect) => {
                let mut s = String::new();
                write_profile(&mut s, &f, Some(source));
                let mut v: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
                defect.apply(&mut v);
                out.push_str(&v.to_string());
            }
        }
    }

    /// The data date of today.
    pub fn as_of(&self) -> chrono::NaiveDate {
        as_of(self.day())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = Cursor { day: 3, index: 17 };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in [
            "",
            "d",
            "d1",
            "di3",
            "d1i",
            "x1i2",
            "d-1i2",
            "d1i2x",
            "d99999999999i1",
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
