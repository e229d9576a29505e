//! Turns one JSON profile into a [`Profile`], or the list of every field that breaks the schema.

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{Annual, Certification, Hire, Profile, RegionCode, Uscc};

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
struct V {
    errors: Vec<FieldError>,
}

impl V {
    fn push(&mut self, field: &str, reason: String) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            reason,
        });
    }
    fn err<T>(&mut self, field: &str, reason: &str) -> Option<T> {
        self.push(field, reason.to_owned());
        None
    }
    fn check(&mut self, field: &str, ok: bool, reason: &str) -> bool {
        if !ok {
            self.push(field, reason.to_owned());
        }
        ok
    }
    fn string(&mut self, f: &str, x: &Value) -> Option<String> {
        match x.as_str() {
            Some(s) => Some(s.to_owned()),
            None => self.err(f, "应为字符串"),
        }
    }
    fn boolean(&mut self, f: &str, x: &Value) -> Option<bool> {
        x.as_bool().or_else(|| self.err(f, "应为true或false"))
    }
    fn int(&mut self, f: &str, x: &Value, min: i64, max: i64) -> Option<i64> {
        let Some(n) = x.as_i64() else {
            return self.err(f, "应为整数");
        };
        if (min..=max).contains(&n) {
            Some(n)
        } else {
            self.err(f, &format!("应在{min}到{max}之间"))
        }
    }
    fn money(&mut self, f: &str, x: &Value) -> Option<Decimal> {
        let Some(s) = x.as_str() else {
            return self.err(f, "金额应为字符串(如\"1234.50\"), 不能是JSON数字");
        };
        parse_money(s).or_else(|| self.err(f, &format!("金额格式不合法: '{s}'")))
    }
    fn date(&mut self, f: &str, x: &Value) -> Option<NaiveDate> {
        let s = self.string(f, x)?;
        let ok = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
        let d = if ok {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()
        } else {
            None
        };
        d.or_else(|| self.err(f, &format!("日期应为YYYY-MM-DD: '{s}'")))
    }
    fn month(&mut self, f: &str, s: &str) -> Option<(i32, u32)> {
        let parsed = (s.len() == 7 && s.as_bytes()[4] == b'-')
            .then(|| Some((s[..4].parse::<i32>().ok()?, s[5..].parse::<u32>().ok()?)))
            .flatten()
            .filter(|(_, m)| (1..=12).contains(m));
        parsed.or_else(|| self.err(f, &format!("月份应为YYYY-MM: '{s}'")))
    }
    /// Enum values are case-sensitive: serde's exact names.
    fn enumeration<T: DeserializeOwned>(&mut self, f: &str, x: &Value) -> Option<T> {
        match serde_json::from_value(x.clone()) {
            Ok(t) => Some(t),
            Err(_) => self.err(f, &format!("取值不合法: {x}")),
        }
    }
    fn array<T>(
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
    fn required(
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
    fn annual(&mut self, path: &str, o: &Map<String, Value>) -> Option<Annual> {
        const KEYS: [&str; 8] = [
            "year",
            "revenue",
            "total_assets",
            "rd_expense",
            "employees_avg",
            "layoffs",
            "unemployment_premium_paid",
            "ui_paid_months",
        ];
        self.required(path, o, &["year"], &KEYS)?;
        let mut a = Annual::default();
        for (k, x) in o {
            let f = format!("{path}.{k}");
            match k.as_str() {
                "year" => a.year = self.int(&f, x, 1949, 2100)?,
                "revenue" => a.revenue = self.money(&f, x),
                "total_assets" => a.total_assets = self.money(&f, x),
                "rd_expense" => a.rd_expense = self.money(&f, x),
                "unemployment_premium_paid" => a.unemployment_premium_paid = self.money(&f, x),
                "employees_avg" => a.employees_avg = self.int(&f, x, 0, i64::MAX),
                "layoffs" => a.layoffs = self.int(&f, x, 0, i64::MAX),
                "ui_paid_months" => a.ui_paid_months = self.int(&f, x, 0, i64::MAX),
                _ => {}
            }
        }
        Some(a)
    }
    fn certification(&mut self, path: &str, o: &Map<String, Value>) -> Option<Certification> {
        const KEYS: [&str; 6] = [
            "kind",
            "level",
            "recognized_on",
            "expires_on",
            "first_time",
            "certificate_no",
        ];
        self.required(path, o, &["kind", "recognized_on"], &KEYS)?;
        let f = |k: &str| format!("{path}.{k}");
        let kind = self.enumeration(&f("kind"), &o["kind"]);
        let recognized_on = self.date(&f("recognized_on"), &o["recognized_on"]);
        let level = o
            .get("level")
            .and_then(|x| self.enumeration(&f("level"), x));
        let expires_on = o
            .get("expires_on")
            .and_then(|x| self.date(&f("expires_on"), x));
        let first_time = o
            .get("first_time")
            .and_then(|x| self.boolean(&f("first_time"), x));
        let certificate_no = o.get("certificate_no").and_then(|x| {
            self.string(&f("certificate_no"), x).filter(|s| {
                self.check(
                    &f("certificate_no"),
                    s.chars().count() <= 64,
                    "长度不超过64",
                )
            })
        });
        Some(Certification {
            kind: kind?,
            level,
            recognized_on: recognized_on?,
            expires_on,
            first_time,
            certificate_no,
        })
    }
    fn hire(&mut self, path: &str, o: &Map<String, Value>) -> Option<Hire> {
        const KEYS: [&str; 6] = [
            "person",
            "category",
            "age_at_hire",
            "hired_on",
            "contract_signed",
            "insured_months",
        ];
        self.required(path, o, &["person", "category", "hired_on"], &KEYS)?;
        let f = |k: &str| format!("{path}.{k}");
        let person = self.string(&f("person"), &o["person"]).filter(|s| {
            let ok = s.len() == 64
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            self.check(&f("person"), ok, "应为64位小写十六进制")
        });
        let category = self.enumeration(&f("category"), &o["category"]);
        let hired_on = self.date(&f("hired_on"), &o["hired_on"]);
        let age_at_hire = o
            .get("age_at_hire")
            .and_then(|x| self.int(&f("age_at_hire"), x, 14, 80));
        let contract_signed = o
            .get("contract_signed")
            .and_then(|x| self.boolean(&f("contract_signed"), x));
        let insured_months = o
            .get("insured_months")
            .and_then(|x| self.int(&f("insured_months"), x, 0, i64::MAX));
        Some(Hire {
            person: person?,
            category: category?,
            age_at_hire,
            hired_on: hired_on?,
            contract_signed,
            insured_months,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_fields_are_each_named_with_their_path() {
        let table = [
            (
                r#"{"uscc":"91350200776049653A","annual":[{"year":2025,"revenue":12.5}]}"#,
                "annual[0].revenue",
            ),
            (
                r#"{"uscc":"91350200776049653A","status":"Active"}"#,
                "status",
            ),
            (r#"{"uscc":"91350200776049653A","colour":"red"}"#, "colour"),
            (r#"{"uscc":"91350203M0001QAY9B"}"#, "uscc"),
            (r#"{"name":"x"}"#, "uscc"),
            (
                r#"{"uscc":"91350200776049653A","hires":[{"person":"ab","category":"other","hired_on":"2025-13-01"}]}"#,
                "hires[0].person",
            ),
            (
                r#"{"uscc":"91350200776049653A","annual":[{"year":2025},{"year":2025}]}"#,
                "annual[1].year",
            ),
        ];
        for (line, field) in table {
            let errors = validate_line(line).expect_err(line);
            assert!(
                errors.iter().any(|e| e.field == field),
                "{line}: {errors:?}"
            );
        }
    }

    #[test]
    fn a_partial_profile_with_lower_case_uscc_parses() {
        let p = validate_line(
            r#"{"uscc":" 91350203ma31ndf85f ","annual":[{"year":2025,"revenue":"10.05"}]}"#,
        )
        .expect("valid");
        assert_eq!(p.uscc.as_str(), "91350203MA31NDF85F");
        assert_eq!(
            p.annual_of(2025).and_then(|a| a.revenue),
            Some(Decimal::new(1005, 2))
        );
    }
}
