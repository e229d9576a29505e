//! The five data sources and which profile fields each one owns.
//!
//! This table is the default ownership map: a source's partial profile carries `uscc` plus only
//! the fields it owns, and `annual` records carry `year` plus only its annual fields.
//!
//! | source | top-level fields | annual fields |
//! |---|---|---|
//! | `market_regulation` | name, status, region_code, industry_code, established_on, registered_capital, size_class, above_scale_since, abnormal_operation | — |
//! | `tax` | tax_credit_grade | revenue, total_assets, rd_expense |
//! | `hrss` | hires | employees_avg, layoffs, unemployment_premium_paid, ui_paid_months |
//! | `science` | certifications | — |
//! | `credit` | serious_dishonesty | — |

use serde_json::Value;

/// A data source of the sandbox exchange (and of ingest); serialised as its URL name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 市场监管 (enterprise registry).
    MarketRegulation,
    /// 税务.
    Tax,
    /// 人社 (social insurance).
    Hrss,
    /// 科技 (certifications).
    Science,
    /// 信用 (credit lists).
    Credit,
}

/// Who owns what: (source, top-level fields, annual fields). `uscc` and `annual[].year` belong to all.
pub const OWNERSHIP: [(Source, &[&str], &[&str]); 5] = [
    (
        Source::MarketRegulation,
        &[
            "name",
            "status",
            "region_code",
            "industry_code",
            "established_on",
            "registered_capital",
            "size_class",
            "above_scale_since",
            "abnormal_operation",
        ],
        &[],
    ),
    (
        Source::Tax,
        &["tax_credit_grade", "annual"],
        &["revenue", "total_assets", "rd_expense"],
    ),
    (
        Source::Hrss,
        &["hires", "annual"],
        &[
            "employees_avg",
            "layoffs",
            "unemployment_premium_paid",
            "ui_paid_months",
        ],
    ),
    (Source::Science, &["certifications"], &[]),
    (Source::Credit, &["serious_dishonesty"], &[]),
];

impl Source {
    /// Every source, in feed order.
    pub const ALL: [Self; 5] = [
        Self::MarketRegulation,
        Self::Tax,
        Self::Hrss,
        Self::Science,
        Self::Credit,
    ];

    /// The name used in URLs (`/feeds/{name}`) and in provenance.
    pub fn name(self) -> &'static str {
        match self {
            Self::MarketRegulation => "market_regulation",
            Self::Tax => "tax",
            Self::Hrss => "hrss",
            Self::Science => "science",
            Self::Credit => "credit",
        }
    }

    /// The source of a URL name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// This source's bit in an event mask.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// Top-level fields this source owns (besides `uscc`); `annual` when it owns annual fields.
    pub fn fields(self) -> &'static [&'static str] {
        OWNERSHIP[self as usize].1
    }

    /// Fields of an `annual` record this source owns (besides `year`).
    pub fn annual_fields(self) -> &'static [&'static str] {
        OWNERSHIP[self as usize].2
    }

    /// Paths of `item` that this source does not own (e.g. `name` sent by `tax`, or
    /// `annual[0].layoffs` sent by `tax`). Unknown fields count too; non-objects are left to
    /// the schema validator.
    pub fn foreign_fields(self, item: &Value) -> Vec<String> {
        let Some(obj) = item.as_object() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in obj {
            if k == "uscc" {
                continue;
            }
            if !self.fields().contains(&k.as_str()) {
                out.push(k.clone());
            } else if k == "annual" {
                let records = v.as_array().map(Vec::as_slice).unwrap_or_default();
                for (i, rec) in records.iter().enumerate() {
                    let keys = rec.as_object().into_iter().flat_map(|o| o.keys());
                    for key in keys.filter(|key| *key != "year") {
                        if !self.annual_fields().contains(&key.as_str()) {
                            out.push(format!("annual[{i}].{key}"));
                        }
                    }
                }
            }
        }
        out
    }
}

impl std::str::FromStr for Source {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| format!("未知数据源: {s}"))
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_fields_are_named_with_their_path() {
        let table = [
            (Source::Tax, r#"{"uscc":"x","name":"a"}"#, vec!["name"]),
            (
                Source::Tax,
                r#"{"uscc":"x","annual":[{"year":2025,"revenue":"1.00","layoffs":1}]}"#,
                vec!["annual[0].layoffs"],
            ),
            (
                Source::Credit,
                r#"{"uscc":"x","serious_dishonesty":true}"#,
                vec![],
            ),
            (
                Source::Science,
                r#"{"uscc":"x","annual":[]}"#,
                vec!["annual"],
            ),
        ];
        for (source, item, expected) in table {
            let value: Value = serde_json::from_str(item).expect("json");
            assert_eq!(source.foreign_fields(&value), expected, "{source} {item}");
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Source::ALL {
            assert_eq!(Source::from_name(s.name()), Some(s));
            assert_eq!(serde_json::to_value(s).ok(), Some(s.name().into()));
            assert_eq!(s.name().parse::<Source>(), Ok(s));
        }
        assert_eq!(Source::from_name("police"), None);
    }
}
