//! What changed between two contents of a profile, for the history views.

use std::collections::BTreeSet;

use serde_json::Value;

/// The top-level fields whose value differs between `older` and `newer` (added, removed or
/// changed), in name order; for `annual`, the years that differ as `annual[YYYY]`.
pub fn changed_fields(older: Option<&Value>, newer: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let old = older.and_then(Value::as_object).unwrap_or(&empty);
    let new = newer.as_object().unwrap_or(&empty);
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        if old.get(key) == new.get(key) {
            continue;
        }
        if key == "annual" {
            let years = |v: Option<&Value>| -> Vec<(i64, Value)> {
                v.and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|a| (a["year"].as_i64().unwrap_or_default(), a.clone()))
                    .collect()
            };
            let (a, b) = (years(old.get(key)), years(new.get(key)));
            let all: BTreeSet<i64> = a.iter().chain(&b).map(|(y, _)| *y).collect();
            for y in all {
                let find =
                    |l: &[(i64, Value)]| l.iter().find(|(x, _)| *x == y).map(|(_, v)| v.clone());
                if find(&a) != find(&b) {
                    out.push(format!("annual[{y}]"));
                }
            }
        } else {
            out.push(key.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_are_named_by_field_and_year() {
        let a = json!({"uscc": "x", "name": "甲", "annual": [{"year": 2024}, {"year": 2025, "revenue": "1.00"}]});
        let b = json!({"uscc": "x", "name": "乙", "annual": [{"year": 2024}, {"year": 2025, "revenue": "2.00"}], "status": "active"});
        assert_eq!(
            changed_fields(Some(&a), &b),
            ["annual[2025]", "name", "status"]
        );
        assert_eq!(changed_fields(None, &json!({"uscc": "x"})), ["uscc"]);
    }
}
