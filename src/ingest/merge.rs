//! Merging the partial profiles of all sources into one profile per firm, with the source,
//! as-of date and fetch time of every field (一数一源), and the derived size class.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value, json};

use crate::profiles::{derive_size, validate_value};

/// What one source says now about one firm (a row of `source_records`).
#[derive(Debug, Clone)]
pub struct SourceRecord {
    /// The source's name.
    pub source: String,
    /// Its normalised partial profile.
    pub doc: Value,
    /// Values before mapping, e.g. `{"region_code": "370282"}`.
    pub originals: Option<Value>,
    /// The date the source's data describes.
    pub as_of: NaiveDate,
    /// When we fetched it.
    pub fetched_at: DateTime<Utc>,
}

/// A merged profile: the document in the schema's shape and field path → provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The profile (`uscc` plus every field some source delivered).
    pub doc: Value,
    /// `{"name": {"source", "as_of", "fetched_at"}, "annual[2025].revenue": {…}, …}`.
    pub provenance: Value,
}

/// Merges `records` (in the configured source order) for the firm `uscc`. Sources own
/// disjoint fields, so order only decides ties a misconfiguration would create.
pub fn merge(uscc: &str, records: &[SourceRecord]) -> Merged {
    let mut doc = Map::new();
    let mut prov = Map::new();
    let mut annual: BTreeMap<i64, Map<String, Value>> = BTreeMap::new();
    doc.insert("uscc".into(), Value::String(uscc.to_owned()));
    for rec in records {
        let stamp = |original: Option<&Value>| {
            let mut p = json!({
                "source": rec.source,
                "as_of": rec.as_of.to_string(),
                "fetched_at": rec.fetched_at.to_rfc3339(),
            });
            if let Some(o) = original {
                p["original"] = o.clone();
            }
            p
        };
        let Some(obj) = rec.doc.as_object() else {
            continue;
        };
        for (key, value) in obj {
            match key.as_str() {
                "uscc" => {}
                "annual" => {
                    for item in value.as_array().into_iter().flatten() {
                        let Some(year) = item.get("year").and_then(Value::as_i64) else {
                            continue;
                        };
                        let slot = annual.entry(year).or_default();
                        slot.insert("year".into(), json!(year));
                        for (k, v) in item.as_object().into_iter().flatten() {
                            if k != "year" {
                                slot.insert(k.clone(), v.clone());
                                prov.insert(format!("annual[{year}].{k}"), stamp(None));
                            }
                        }
                    }
                }
                _ => {
                    let original = rec.originals.as_ref().and_then(|o| o.get(key));
                    doc.insert(key.clone(), value.clone());
                    prov.insert(key.clone(), stamp(original));
                }
            }
        }
    }
    if !annual.is_empty() {
        let list = annual.into_values().map(Value::Object).collect();
        doc.insert("annual".into(), Value::Array(list));
    }
    let mut doc = Value::Object(doc);
    derive_size_class(&mut doc, &mut prov);
    Merged {
        doc,
        provenance: Value::Object(prov),
    }
}

/// Adds the size class derived by the 2017 rules when no source delivered one.
fn derive_size_class(doc: &mut Value, prov: &mut Map<String, Value>) {
    if doc.get("size_class").is_some() {
        return;
    }
    let Ok(profile) = validate_value(doc) else {
        return;
    };
    if let Some(size) = derive_size(&profile, None) {
        doc["size_class"] = Value::String(size.as_str().to_owned());
        prov.insert(
            "size_class".into(),
            json!({"source": "derived", "rule": "统计上大中小微型企业划分办法(2017)"}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(source: &str, doc: Value) -> SourceRecord {
        SourceRecord {
            source: source.into(),
            doc,
            originals: None,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
            fetched_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn annual_records_merge_by_year_and_size_is_derived() {
        let u = "91350200776049653A";
        let merged = merge(
            u,
            &[
                rec("m", json!({"uscc": u, "industry_code": "C3484"})),
                rec(
                    "tax",
                    json!({"uscc": u, "annual": [{"year": 2025, "revenue": "50000000.00"}]}),
                ),
                rec(
                    "hrss",
                    json!({"uscc": u, "annual": [{"year": 2025, "employees_avg": 120}]}),
                ),
            ],
        );
        assert_eq!(
            merged.doc["annual"],
            json!([{"year": 2025, "revenue": "50000000.00", "employees_avg": 120}])
        );
        assert_eq!(merged.doc["size_class"], "small");
        assert_eq!(merged.provenance["annual[2025].revenue"]["source"], "tax");
        assert_eq!(merged.provenance["size_class"]["source"], "derived");
    }
}
