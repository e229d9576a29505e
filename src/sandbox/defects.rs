//! Bad records: the kinds of defect the exchange injects, and which field each one breaks.
//!
//! Whether an item is defective, and how, is a pure function of (seed, source, firm index,
//! change day): ingest's table tests can predict every one. A defect never stops a page; the
//! other items stay normal.

use serde_json::{Value, json};

use super::Source;
use super::rng::hash;

const DEFECT_SALT: u64 = 0xDEFE;

/// One kind of defective item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Defect {
    /// No `uscc` member.
    MissingUscc,
    /// A USCC whose 18th character is not its check character.
    UsccBadCheck,
    /// A lower-case USCC padded with spaces: VALID after normalisation (not a defect).
    UsccNeedsNormalising,
    /// A USCC of 17 characters.
    UsccWrongLength,
    /// `annual[0].revenue` as a JSON number instead of a string.
    MoneyAsNumber,
    /// `annual[0].total_assets` with 3 decimals.
    MoneyThreeDecimals,
    /// `annual[0].employees_avg` below zero.
    NegativeEmployees,
    /// A member the schema does not know (`website`).
    UnknownField,
    /// `status` of the wrong case (`Active`).
    BadEnum,
    /// `established_on` is `2025-02-30`.
    BadDate,
    /// `annual[0].year` is 1900.
    YearOutOfRange,
    /// `annual[1].year` repeats `annual[0].year`.
    DuplicateYear,
    /// `hires[0].person` is not 64 lowercase hex characters.
    BadPersonHash,
    /// `region_code` is `070102`.
    BadRegion,
    /// `industry_code` is `c3484`.
    BadIndustry,
    /// The item is a JSON array, not an object.
    NotAnObject,
    /// A field the source does not own (`name`, sent by a source other than market_regulation).
    ForeignField,
}

impl Defect {
    /// Every kind.
    pub const ALL: [Self; 17] = [
        Self::MissingUscc,
        Self::UsccBadCheck,
        Self::UsccNeedsNormalising,
        Self::UsccWrongLength,
        Self::MoneyAsNumber,
        Self::MoneyThreeDecimals,
        Self::NegativeEmployees,
        Self::UnknownField,
        Self::BadEnum,
        Self::BadDate,
        Self::YearOutOfRange,
        Self::DuplicateYear,
        Self::BadPersonHash,
        Self::BadRegion,
        Self::BadIndustry,
        Self::NotAnObject,
        Self::ForeignField,
    ];

    /// The field that ingest must name when it quarantines the item (as
    /// [`crate::profiles::validate_value`] names it, or as [`Source::foreign_fields`] does for
    /// [`Defect::ForeignField`]); `""` is the item itself; `None` when the item is valid.
    pub fn field(self) -> Option<&'static str> {
        Some(match self {
            Self::UsccNeedsNormalising => return None,
            Self::MissingUscc | Self::UsccBadCheck | Self::UsccWrongLength => "uscc",
            Self::MoneyAsNumber => "annual[0].revenue",
            Self::MoneyThreeDecimals => "annual[0].total_assets",
            Self::NegativeEmployees => "annual[0].employees_avg",
            Self::UnknownField => "website",
            Self::BadEnum => "status",
            Self::BadDate => "established_on",
            Self::YearOutOfRange => "annual[0].year",
            Self::DuplicateYear => "annual[1].year",
            Self::BadPersonHash => "hires[0].person",
            Self::BadRegion => "region_code",
            Self::BadIndustry => "industry_code",
            Self::NotAnObject => "",
            Self::ForeignField => "name",
        })
    }

    /// True when ingest must quarantine the item (every kind but the normalisation case).
    pub fn is_defect(self) -> bool {
        self.field().is_some()
    }

    /// True when `source` can send this kind (a kind breaks a field of the source's own data).
    pub fn applies_to(self, source: Source) -> bool {
        use Source::{Credit, Hrss, MarketRegulation as Mr, Science, Tax};
        match self {
            Self::MoneyAsNumber | Self::MoneyThreeDecimals => source == Tax,
            Self::NegativeEmployees | Self::BadPersonHash => source == Hrss,
            Self::YearOutOfRange | Self::DuplicateYear => matches!(source, Tax | Hrss),
            Self::BadEnum | Self::BadDate | Self::BadRegion | Self::BadIndustry => source == Mr,
            Self::ForeignField => matches!(source, Tax | Hrss | Science | Credit),
            _ => true,
        }
    }

    /// The defect of the item of firm `index` changed on `day` in `source`'s feed, if any:
    /// `permille` of items are picked, then a kind among those the source can send.
    pub fn pick(seed: u64, source: Source, index: u64, day: u32, permille: u32) -> Option<Self> {
        let h = hash(seed, &[DEFECT_SALT, source.bit().into(), index, day.into()]);
        if h % 1000 >= u64::from(permille) {
            return None;
        }
        let mut kinds = Self::ALL.into_iter().filter(|k| k.applies_to(source));
        let n = kinds.clone().count() as u64;
        kinds.nth(((h >> 16) % n) as usize)
    }

    /// Breaks a well-formed partial profile in this way.
    pub fn apply(self, item: &mut Value) {
        let uscc = item["uscc"].as_str().unwrap_or_default().to_owned();
        let Some(obj) = item.as_object_mut() else {
            return;
        };
        match self {
            Self::MissingUscc => drop(obj.remove("uscc")),
            Self::UsccBadCheck => {
                let mut s = uscc;
                let last = s.pop().unwrap_or('0');
                s.push(if last == '0' { '1' } else { '0' });
                obj.insert("uscc".into(), s.into());
            }
            Self::UsccNeedsNormalising => {
                obj.insert("uscc".into(), format!("  {} ", uscc.to_lowercase()).into());
            }
            Self::UsccWrongLength => {
                obj.insert("uscc".into(), uscc[..17.min(uscc.len())].into());
            }
            Self::UnknownField => drop(obj.insert("website".into(), "http://example.cn".into())),
            Self::BadEnum => drop(obj.insert("status".into(), "Active".into())),
            Self::BadDate => drop(obj.insert("established_on".into(), "2025-02-30".into())),
            Self::BadRegion => drop(obj.insert("region_code".into(), "070102".into())),
            Self::BadIndustry => drop(obj.insert("industry_code".into(), "c3484".into())),
            Self::ForeignField => drop(obj.insert("name".into(), "某某有限公司".into())),
            Self::NotAnObject => *item = json!([uscc]),
            Self::BadPersonHash => {
                let hires = obj.entry("hires").or_insert_with(|| json!([]));
                let bad =
                    json!({"person": "ABC123", "category": "other", "hired_on": "2026-01-05"});
                if let Some(v) = hires.as_array_mut() {
                    v.insert(0, bad);
                }
            }
            Self::MoneyAsNumber
            | Self::MoneyThreeDecimals
            | Self::NegativeEmployees
            | Self::YearOutOfRange
            | Self::DuplicateYear => break_annual(obj, self),
        }
    }
}

/// Breaks `annual[0]` (or adds `annual[1]`), creating the records when the firm has none.
fn break_annual(obj: &mut serde_json::Map<String, Value>, kind: Defect) {
    let annual = obj.entry("annual").or_insert_with(|| json!([]));
    let Some(records) = annual.as_array_mut() else {
        return;
    };
    if records.is_empty() {
        records.push(json!({"year": 2025}));
    }
    let first = &mut records[0];
    match kind {
        Defect::MoneyAsNumber => first["revenue"] = json!(1_234_567),
        Defect::MoneyThreeDecimals => first["total_assets"] = json!("1234567.125"),
        Defect::NegativeEmployees => first["employees_avg"] = json!(-3),
        Defect::YearOutOfRange => first["year"] = json!(1900),
        _ => {
            let dup = first.clone();
            if records.len() > 1 {
                records[1]["year"] = dup["year"].clone();
            } else {
                records.push(dup);
            }
        }
    }
}
