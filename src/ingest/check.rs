//! Validation of one delivered record: the profile schema, the data rules and the source's
//! field ownership. A good record comes out normalised (trimmed upper-case USCC, current
//! region code, annual records in year order); a bad one with every field at fault.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::profiles::{FieldError, RegionCode, validate_value};

/// A record that passed: ready to store as the source's word on this firm.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The normalised USCC.
    pub uscc: String,
    /// The normalised partial profile.
    pub doc: Value,
    /// Values as delivered before mapping (`{"region_code": "370282"}`), if any were mapped.
    pub originals: Option<Value>,
    /// [`content_hash`] of `doc`.
    pub hash: Vec<u8>,
}

/// A record that failed, with the USCC as delivered when there was a string one.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The `uscc` member as delivered, if it was a string.
    pub uscc: Option<String>,
    /// Every fault, the first being the one shown in lists.
    pub errors: Vec<FieldError>,
}

/// Checks one JSON value delivered by `source`, which owns `owned` fields.
pub fn check_record(source: &str, owned: &[String], value: &Value) -> Result<Accepted, Rejected> {
    let delivered_uscc = value.get("uscc").and_then(Value::as_str).map(str::to_owned);
    let mut errors = match validate_value(value) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    };
    if let Some(obj) = value.as_object() {
        errors.extend(ownership_errors(source, owned, obj));
    }
    if !errors.is_empty() {
        return Err(Rejected {
            uscc: delivered_uscc,
            errors,
        });
    }
    let mut doc = value.clone();
    let mut originals = Map::new();
    if let Some(obj) = doc.as_object_mut() {
        normalise(obj, &mut originals);
    }
    let uscc = doc["uscc"].as_str().unwrap_or_default().to_owned();
    let hash = content_hash(&doc);
    Ok(Accepted {
        uscc,
        doc,
        originals: (!originals.is_empty()).then_some(Value::Object(originals)),
        hash,
    })
}

/// The error of a line that is not JSON at all.
pub fn not_json(error: &serde_json::Error) -> Rejected {
    Rejected {
        uscc: None,
        errors: vec![FieldError {
            field: String::new(),
            reason: format!("不是合法的JSON: {error}"),
        }],
    }
}

/// SHA-256 of the canonical JSON of `doc` (object keys sorted: `serde_json` keeps maps in a
/// `BTreeMap`, and the crate does not enable `preserve_order`).
pub fn content_hash(doc: &Value) -> Vec<u8> {
    let bytes = serde_json::to_vec(doc).unwrap_or_default();
    Sha256::digest(&bytes).to_vec()
}

fn ownership_errors(source: &str, owned: &[String], obj: &Map<String, Value>) -> Vec<FieldError> {
    let not_owned = |field: String| FieldError {
        field,
        reason: format!("该字段不属于数据源 {source}"),
    };
    let owns = |f: &str| owned.iter().any(|o| o == f);
    let mut errors = Vec::new();
    for (key, x) in obj {
        match key.as_str() {
            "uscc" => {}
            "annual" => {
                for (i, rec) in x.as_array().into_iter().flatten().enumerate() {
                    for k in rec.as_object().into_iter().flat_map(Map::keys) {
                        if k != "year" && !owns(&format!("annual[].{k}")) {
                            errors.push(not_owned(format!("annual[{i}].{k}")));
                        }
                    }
                }
            }
            k if !owns(k) => errors.push(not_owned(k.to_owned())),
            _ => {}
        }
    }
    errors
}

/// Puts a record that passed validation into its stored form.
fn normalise(obj: &mut Map<String, Value>, originals: &mut Map<String, Value>) {
    if let Some(Value::String(u)) = obj.get_mut("uscc") {
        *u = u.trim().to_uppercase();
    }
    if let Some(Value::String(code)) = obj.get_mut("region_code")
        && let Ok(current) = RegionCode::parse(code)
        && current.as_str() != code
    {
        originals.insert("region_code".into(), Value::String(code.clone()));
        *code = current.as_str().to_owned();
    }
    if let Some(Value::Array(annual)) = obj.get_mut("annual") {
        annual.sort_by_key(|a| a.get("year").and_then(Value::as_i64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn old_region_codes_are_mapped_and_kept_as_originals() {
        let owned = vec!["region_code".to_owned()];
        let rec = json!({"uscc": " 91350203ma31ndf85f ", "region_code": "370282"});
        let ok = check_record("m", &owned, &rec).expect("valid");
        assert_eq!(ok.uscc, "91350203MA31NDF85F");
        assert_eq!(ok.doc["region_code"], "370215");
        assert_eq!(ok.originals, Some(json!({"region_code": "370282"})));
    }

    #[test]
    fn the_hash_does_not_depend_on_key_order() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":{"c":2,"d":3}}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"b":{"d":3,"c":2},"a":1}"#).expect("json");
        assert_eq!(content_hash(&a), content_hash(&b));
    }
}
