//! A firm's profile as people read it: every field with its Chinese label, its value in
//! words (存续, 微型企业, money in 元), and the source and date it came from; the yearly
//! figures, certificates and hires as tables.

use serde_json::Value;

use super::format;
use crate::ingest::StoredProfile;

/// How a field's value is shown.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Money,
    Count,
    YesNo,
    Status,
    Size,
    Grade,
}

/// The top-level fields, in the order a person reads them.
const FIELDS: &[(&str, &str, Kind)] = &[
    ("uscc", "统一社会信用代码", Kind::Text),
    ("name", "企业名称", Kind::Text),
    ("status", "登记状态", Kind::Status),
    ("region_code", "注册地行政区划代码", Kind::Text),
    ("industry_code", "国民经济行业分类", Kind::Text),
    ("established_on", "成立日期", Kind::Text),
    ("registered_capital", "注册资本", Kind::Money),
    ("size_class", "企业规模", Kind::Size),
    ("above_scale_since", "纳入规模以上统计的月份", Kind::Text),
    ("tax_credit_grade", "纳税信用等级", Kind::Grade),
    ("serious_dishonesty", "列入严重失信主体名单", Kind::YesNo),
    ("abnormal_operation", "列入经营异常名录", Kind::YesNo),
];

/// The yearly figures, one column each.
const ANNUAL: &[(&str, &str, Kind)] = &[
    ("revenue", "营业收入", Kind::Money),
    ("total_assets", "资产总额", Kind::Money),
    ("rd_expense", "研发费用", Kind::Money),
    ("employees_avg", "月均参保人数", Kind::Count),
    ("layoffs", "裁员人数", Kind::Count),
    ("unemployment_premium_paid", "实缴失业保险费", Kind::Money),
    ("ui_paid_months", "连续缴纳失业保险月数", Kind::Count),
];

/// One labelled field with where it came from.
#[derive(Debug, Clone)]
pub struct FieldRow {
    /// The field's path (the value a data objection names).
    pub path: String,
    /// Its label.
    pub label: String,
    /// Its value in words.
    pub value: String,
    /// The source system, in Chinese where known.
    pub source: String,
    /// The date the source's data describes.
    pub as_of: String,
    /// The value the source sent before it was normalised, if different.
    pub original: Option<String>,
}

/// One certificate.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub kind: String,
    pub level: String,
    pub recognized_on: String,
    pub expires_on: String,
    pub first_time: String,
    pub number: String,
}

/// One hire (the person only as the start of their keyed hash).
#[derive(Debug, Clone)]
pub struct Hire {
    pub person: String,
    pub category: String,
    pub age: String,
    pub hired_on: String,
    pub contract: String,
    pub insured_months: String,
}

/// One year's figures.
#[derive(Debug, Clone)]
pub struct Year {
    pub year: String,
    pub cells: Vec<FieldRow>,
}

/// The whole profile, ready for `profile_fields.html`.
#[derive(Debug, Clone)]
pub struct ProfileView {
    pub uscc: String,
    pub name: String,
    pub fields: Vec<FieldRow>,
    pub years: Vec<Year>,
    pub certificates: Vec<Certificate>,
    pub certificates_source: String,
    pub hires: Vec<Hire>,
    pub hires_source: String,
    pub updated_at: String,
}

impl ProfileView {
    /// The view of `profile`.
    pub fn of(profile: &StoredProfile) -> Self {
        let doc = &profile.doc;
        let prov = &profile.provenance;
        let fields = FIELDS
            .iter()
            .filter(|(key, ..)| *key == "uscc" || doc.get(key).is_some())
            .map(|&(key, label, kind)| row(key, label, show(doc.get(key), kind), prov))
            .collect();
        let mut years: Vec<Year> = doc["annual"]
            .as_array()
            .map(|years| {
                years
                    .iter()
                    .map(|y| {
                        let year = y["year"].as_i64().unwrap_or_default();
                        let cells = ANNUAL
                            .iter()
                            .map(|&(key, label, kind)| {
                                let path = format!("annual[{year}].{key}");
                                row(&path, label, show(y.get(key), kind), prov)
                            })
                            .collect();
                        Year {
                            year: format!("{year}年"),
                            cells,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        years.sort_by(|a, b| b.year.cmp(&a.year));
        let certificates = list(doc, "certifications")
            .map(|c| Certificate {
                kind: certificate_kind(text(c, "kind")).to_owned(),
                level: level(text(c, "level")).to_owned(),
                recognized_on: text(c, "recognized_on").to_owned(),
                expires_on: c["expires_on"].as_str().unwrap_or("长期有效").to_owned(),
                first_time: yes_no(c["first_time"].as_bool()).to_owned(),
                number: text(c, "certificate_no").to_owned(),
            })
            .collect();
        let hires = list(doc, "hires")
            .map(|h| Hire {
                person: text(h, "person").chars().take(8).collect(),
                category: hire_category(text(h, "category")).to_owned(),
                age: h["age_at_hire"]
                    .as_i64()
                    .map_or_else(String::new, |a| format!("{a} 岁")),
                hired_on: text(h, "hired_on").to_owned(),
                contract: yes_no(h["contract_signed"].as_bool()).to_owned(),
                insured_months: h["insured_months"]
                    .as_i64()
                    .map_or_else(String::new, |m| format!("{m} 个月")),
            })
            .collect();
        Self {
            uscc: profile.uscc.clone(),
            name: text(doc, "name").to_owned(),
            fields,
            years,
            certificates,
            certificates_source: source_line(prov, "certifications"),
            hires,
            hires_source: source_line(prov, "hires"),
            updated_at: format::beijing(profile.updated_at),
        }
    }

    /// Every field a data objection may name: (path, label).
    pub fn objectable(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .fields
            .iter()
            .filter(|f| f.path != "uscc")
            .map(|f| (f.path.clone(), f.label.clone()))
            .collect();
        for year in &self.years {
            for cell in &year.cells {
                out.push((cell.path.clone(), format!("{} {}", year.year, cell.label)));
            }
        }
        out.push(("certifications".to_owned(), "资质认定".to_owned()));
        out.push(("hires".to_owned(), "新招用人员".to_owned()));
        out
    }

    /// The label of a field path, or the path itself.
    pub fn label_of(&self, path: &str) -> String {
        self.objectable()
            .into_iter()
            .find(|(p, _)| p == path)
            .map_or_else(|| path.to_owned(), |(_, label)| label)
    }
}

fn list<'a>(doc: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    doc[key].as_array().into_iter().flatten()
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

fn row(path: &str, label: &str, value: String, prov: &Value) -> FieldRow {
    let p = &prov[path];
    FieldRow {
        path: path.to_owned(),
        label: label.to_owned(),
        value,
        source: source_name(p["source"].as_str().unwrap_or("—")).to_owned(),
        as_of: p["as_of"].as_str().unwrap_or("—").to_owned(),
        original: p["original"].as_str().map(str::to_owned),
    }
}

fn source_line(prov: &Value, path: &str) -> String {
    let p = &prov[path];
    match (p["source"].as_str(), p["as_of"].as_str()) {
        (Some(source), Some(as_of)) => format!("来源：{}，数据日期：{as_of}", source_name(source)),
        _ => String::new(),
    }
}

/// A value in words.
fn show(value: Option<&Value>, kind: Kind) -> String {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return "—".to_owned();
    };
    let raw = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned);
    match kind {
        Kind::Text => raw,
        Kind::Money => raw.parse().map_or(raw, format::yuan),
        Kind::Count => raw,
        Kind::YesNo => yes_no(value.as_bool()).to_owned(),
        Kind::Status => status(&raw).to_owned(),
        Kind::Size => size(&raw).to_owned(),
        Kind::Grade => format!("{raw} 级"),
    }
}

fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "是",
        Some(false) => "否",
        None => "—",
    }
}

/// 登记状态.
pub fn status(code: &str) -> &'static str {
    match code {
        "active" => "存续（在业）",
        "suspended" => "停业、歇业",
        "revoked" => "吊销",
        "cancelled" => "注销",
        _ => "未知",
    }
}

/// 企业规模.
pub fn size(code: &str) -> &'static str {
    match code {
        "large" => "大型企业",
        "medium" => "中型企业",
        "small" => "小型企业",
        "micro" => "微型企业",
        _ => "未知",
    }
}

fn certificate_kind(code: &str) -> &'static str {
    match code {
        "high_tech" => "高新技术企业",
        "little_giant" => "专精特新“小巨人”企业",
        "specialized_sme" => "专精特新中小企业",
        "tech_sme" => "科技型中小企业",
        _ => "其他认定",
    }
}

fn level(code: &str) -> &'static str {
    match code {
        "national" => "国家级",
        "provincial" => "省级",
        "municipal" => "市级",
        _ => "—",
    }
}

fn hire_category(code: &str) -> &'static str {
    match code {
        "graduate_current" => "当年高校毕业生",
        "graduate_unemployed" => "离校2年内未就业高校毕业生",
        "youth_unemployed" => "登记失业的16–24岁青年",
        _ => "其他人员",
    }
}

/// A source system's name in Chinese.
pub fn source_name(code: &str) -> &str {
    match code {
        "market_regulation" | "market" => "市场监管部门",
        "tax" => "税务部门",
        "hrss" => "人力资源社会保障部门",
        "science" => "科技、工信等认定部门",
        "credit" => "信用部门",
        "derived" => "平台按统计口径推算",
        other => other,
    }
}
