//! Turns one JSON profile into a [`Profile`], or the list of every field that breaks the schema.

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{Profile, RegionCode, Uscc};

/// One field that breaks the contract, e.g. `annual[1].revenue`: `金额应为字符串`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// Parses a money string of the schema's pattern `^-?[0-9]{1,16}(\.[0-9]{1,2})?$`, never via f64.
pub fn parse_money(s: &str) -> Option<Decimal> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int_ok = (1..=16).contains(&int.len()) && int.bytes().all(|b| b.is_ascii_digit());
    let frac_ok = !digits.contains('.')
        || ((1..=2).contains(&frac.len()) && frac.bytes().all(|b| b.is_ascii_digit()));
    if !(int_ok && frac_ok) {
        return None;
    }
    s.parse().ok()
}

/// Parses and validates one JSON line.
pub fn validate_line(line: &str) -> Result<Profile, Vec<FieldError>> {
    let value: Value = serde_json::from_str(line).map_err(|e| {
        vec![FieldError {
            field: String::new(),
            reason: format!("不是合法的JSON: {e}"),
        }]
    })?;
    validate_value(&value)
}

/// Validates a JSON value against profile schema version 1 (partial profiles allowed).
pub fn validate_value(value: &Value) -> Result<Profile, Vec<FieldError>> {
    let Some(obj) = value.as_object() else {
        return Err(vec![FieldError {
            field: String::new(),
            reason: "档案应为JSON对象".into(),
        }]);
    };
    let mut v = V { errors: Vec::new() };
    let uscc = match obj.get("uscc") {
        None => v.err("uscc", "缺少必填字段"),
        Some(x) => v.string("uscc", x).and_then(|s| {
            Uscc::parse(&s)
                .map_err(|e| v.push("uscc", e.to_string()))
                .ok()
        }),
    };
    let mut p = Profile::new(uscc.unwrap_or_else(Uscc::placeholder));
    for (key, x) in obj {
        let k = key.as_str();
        match k {
            "uscc" => {}
            "name" => {
                p.name = v
                    .string(k, x)
                    .filter(|s| v.check(k, (1..=200).contains(&s.chars().count()), "长度应为1-200"))
            }
            "status" => p.status = v.enumeration(k, x),
            "region_code" => {
                p.region_code = v
                    .string(k, x)
                    .and_then(|s| RegionCode::parse(&s).map_err(|e| v.push(k, e)).ok())
            }
            "industry_code" => {
                p.industry_code = v.string(k, x).filter(|s| {
                    let b = s.as_bytes();
                    let ok = b.len() == 5
                        && (b'A'..=b'T').contains(&b[0])
                        && b[1..].iter().all(u8::is_ascii_digit);
                    v.check(k, ok, "行业代码应为门类字母加4位数字, 如C3484")
                });
            }
            "established_on" => p.established_on = v.date(k, x),
            "registered_capital" => p.registered_capital = v.money(k, x),
            "size_class" => p.size_class = v.enumeration(k, x),
            "above_scale_since" if x.is_null() => {}
            "above_scale_since" => {
                p.above_scale_since = v.string(k, x).and_then(|s| v.month(k, &s))
            }
            "tax_credit_grade" => {
                p.tax_credit_grade = v.string(k, x).filter(|s| {
                    v.check(
                        k,
                        ["A", "B", "M", "C", "D"].contains(&s.as_str()),
                        "应为A、B、M、C、D之一",
                    )
                });
            }
            "serious_dishonesty" => p.serious_dishonesty = v.boolean(k, x),
            "abnormal_operation" => p.abnormal_operation = v.boolean(k, x),
            "annual" => p.annual = v.array(k, x, V::annual),
            "certifications" => p.certifications = v.array(k, x, V::certification),
            "hires" => p.hires = v.array(k, x, V::hire),
            _ => v.push(k, "未知字段".into()),
        }
    }
    if let Some(annual) = &p.annual {
        let mut seen = HashSet::new();
        for (i, a) in annual.iter().enumerate() {
            if !seen.insert(a.year) {
                v.push(
                    &format!("annual[{i}].year"),
                    format!("{}年度记录重复", a.year),
                );
            }
        }
    }
    if v.errors.is_empty() {
        Ok(p)
    } else {
        Err(v.errors)
    }
}

impl Uscc {
    /// Only used to finish building a profile that is already known to be rejected.
    fn placeholder() -> Self {
        Self::parse("91350200776049653A").unwrap_or_else(|_| unreachable!("a valid example"))
    }
}

/// The error collector.
pub(super) struct V {
    pub(super) errors: Vec<FieldError>,
}

impl V {
    pub(super) fn push(&mut self, field: &str, reason: String) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            reason,
        });
    }
    pub(super) fn err<T>(&mut self, field: &str, reason: &str) -> Option<T> {
        self.push(field, reason.to_owned());
        None
    }
    pub(super) fn check(&mut self, field: &str, ok: bool, reason: &str) -> bool {
        if !ok {
            self.push(field, reason.to_owned());
        }
        ok
    }
    pub(super) fn string(&mut self, f: &str, x: &Value) -> Option<String> {
        match x.as_str() {
            Some(s) => Some(s.to_owned()),
            None => self.err(f, "应为字符串"),
        }
    }
    pub(super) fn boolean(&mut self, f: &str, x: &Value) -> Option<bool> {
        x.as_bool().or_else(|| self.err(f, "应为true或false"))
    }
    pub(super) fn int(&mut self, f: &str, x: &Value, min: i64, max: i64) -> Option<i64> {
        let Some(n) = x.as_i64() else {
            return self.err(f, "应为整数");
        };
        if (min..=max).contains(&n) {
            Some(n)
        } else {
            self.err(f, &format!("应在{min}到{max}之间"))
        }
    }
    pub(super) fn money(&mut self, f: &str, x: &Value) -> Option<Decimal> {
        let Some(s) = x.as_str() else {
            return self.err(f, "金额应为字符串(如\"1234.50\"), 不能是JSON数字");
        };
        parse_money(s).or_else(|| self.err(f, &format!("金额格式不合法: '{s}'")))
    }
    pub(super) fn date(&mut self, f: &str, x: &Value) -> Option<NaiveDate> {
        let s = self.string(f, x)?;
        let ok = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
        let d = if ok {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()
        } else {
            None
        };
        d.or_else(|| self.err(f, &format!("日期应为YYYY-MM-DD: '{s}'")))
    }
    pub(super) fn month(&mut self, f: &str, s: &str) -> Option<(i32, u32)> {
        let parsed = (s.len() == 7 && s.as_bytes()[4] == b'-')
            .then(|| Some((s[..4].parse::<i32>().ok()?, s[5..].parse::<u32>().ok()?)))
            .flatten()
            .filter(|(_, m)| (1..=12).contains(m));
        parsed.or_else(|| self.err(f, &format!("月份应为YYYY-MM: '{s}'")))
    }
    /// Enum values are case-sensitive: serde's exact names.
    pub(super) fn enumeration<T: DeserializeOwned>(&mut self, f: &str, x: &Value) -> Option<T> {
        match serde_json::from_value(x.clone()) {
            Ok(t) => Some(t),
            Err(_) => self.err(f, &format!("取值不合法: {x}")),
        }
    }
    pub(super) fn array<T>(
        &mut self,
        f: &str,
        x: &Value,
        item: fn(&mut Self, &str, &Map<String, Value>) -> Option<T>,
    ) -> Option<Vec<T>> {
        let Some(items) = x.as_array() else {
            return self.err(f, "应为数组");
        };
        let before = self.errors.len();
        let mut out = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            let path = format!("{f}[{i}]");
            match it.as_object() {
                Some(o) => out.extend(item(self, &path, o)),
                None => self.push(&path, "应为JSON对象".into()),
            }
        }
        (self.errors.len() == before).then_some(out)
    }
    pub(super) fn required(
        &mut self,
        path: &str,
        o: &Map<String, Value>,
        keys: &[&str],
        allowed: &[&str],
    ) -> Option<()> {
        for k in o.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.push(&format!("{path}.{k}"), "未知字段".into());
        }
        let missing: Vec<&&str> = keys.iter().filter(|k| !o.contains_key(**k)).collect();
        for k in &missing {
            self.push(&format!("{path}.{k}"), "缺少必填字段".into());
        }
        missing.is_empty().then_some(())
    }
}
