//! Writes a firm as JSON straight into a buffer: a source's partial profile or the merged one.
//!
//! Serialising by hand keeps paging a million firms cheap (no intermediate `Value`); the
//! feed tests check every line against the schema validator.

use std::fmt::Write;

use super::Source;
use super::synth::{FirmRecord, money};

/// Appends `"key":` preceded by a comma unless it is the first member.
fn key(out: &mut String, first: &mut bool, k: &str) {
    if !std::mem::take(first) {
        out.push(',');
    }
    out.push('"');
    out.push_str(k);
    out.push_str("\":");
}

/// Appends a JSON string (escaped; our values are plain but names are UTF-8).
fn string(out: &mut String, s: &str) {
    if s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(&serde_json::Value::from(s).to_string());
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

/// Appends the profile of `f` as `source` reports it, or the merged profile when `source` is `None`.
pub fn write_profile(out: &mut String, f: &FirmRecord, source: Option<Source>) {
    let has = |s: Source| source.is_none_or(|x| x == s);
    let mut first = true;
    out.push('{');
    key(out, &mut first, "uscc");
    string(out, &f.uscc);
    if has(Source::MarketRegulation) {
        key(out, &mut first, "name");
        string(out, &f.name);
        let _ = write!(
            out,
            r#","status":"{}","region_code":"{}","industry_code":"{}","established_on":"{}","registered_capital":"{}""#,
            f.status,
            f.region_code,
            f.industry_code,
            f.established_on,
            money(f.registered_capital)
        );
        if let Some(size) = f.size_class {
            let _ = write!(out, r#","size_class":"{size}""#);
        }
        match f.above_scale_since {
            Some((y, m)) => {
                let _ = write!(out, r#","above_scale_since":"{y:04}-{m:02}""#);
            }
            None => out.push_str(r#","above_scale_since":null"#),
        }
        let _ = write!(out, r#","abnormal_operation":{}"#, f.abnormal_operation);
    }
    if has(Source::Tax) {
        key(out, &mut first, "tax_credit_grade");
        string(out, f.tax_credit_grade);
    }
    if has(Source::Credit) {
        key(out, &mut first, "serious_dishonesty");
        out.push_str(if f.serious_dishonesty {
            "true"
        } else {
            "false"
        });
    }
    let tax = has(Source::Tax);
    let hrss = has(Source::Hrss);
    if (tax || hrss) && !f.annual.is_empty() {
        key(out, &mut first, "annual");
        out.push('[');
        for (i, a) in f.annual.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, r#"{{"year":{}"#, a.year);
            if tax {
                let _ = write!(
                    out,
                    r#","revenue":"{}","total_assets":"{}","rd_expense":"{}""#,
                    money(a.revenue),
                    money(a.total_assets),
                    money(a.rd_expense)
                );
            }
            if hrss {
                let _ = write!(
                    out,
                    r#","employees_avg":{},"layoffs":{},"unemployment_premium_paid":"{}","ui_paid_months":{}"#,
                    a.employees_avg,
                    a.layoffs,
                    money(a.unemployment_premium_paid),
                    a.ui_paid_months
                );
            }
            out.push('}');
        }
        out.push(']');
    }
    if has(Source::Science) {
        key(out, &mut first, "certifications");
        out.push('[');
        for (i, c) in f.certifications.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, r#"{{"kind":"{}""#, c.kind);
            if let Some(level) = c.level {
                let _ = write!(out, r#","level":"{level}""#);
            }
            let _ = write!(out, r#","recognized_on":"{}""#, c.recognized_on);
            if let Some(e) = c.expires_on {
                let _ = write!(out, r#","expires_on":"{e}""#);
            }
            if let Some(ft) = c.first_time {
                let _ = write!(out, r#","first_time":{ft}"#);
            }
            out.push_str(r#","certificate_no":"#);
            string(out, &c.certificate_no);
            out.push('}');
        }
        out.push(']');
    }
    if hrss {
        key(out, &mut first, "hires");
        out.push('[');
        for (i, h) in f.hires.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                r#"{{"person":"{}","category":"{}","age_at_hire":{},"hired_on":"{}","contract_signed":{},"insured_months":{}}}"#,
                h.person,
                h.category,
                h.age_at_hire,
                h.hired_on,
                h.contract_signed,
                h.insured_months
            );
        }
        out.push(']');
    }
    out.push('}');
}
