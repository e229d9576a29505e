//! The profile contract of `shared/profile-schema.json` as Rust types (version 1).
//!
//! Every field but `uscc` is optional: data sources deliver partial profiles of this same shape
//! and ingest merges them. Money is `Decimal` (from the decimal string), dates are `NaiveDate`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{RegionCode, Uscc};

/// One enterprise's profile (一企一档), whole or partial.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub uscc: Uscc,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_code: Option<RegionCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industry_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub established_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_capital: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_class: Option<SizeClass>,
    /// `(year, month)` first counted as 规模以上; `None` when absent or null.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "year_month")]
    pub above_scale_since: Option<(i32, u32)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_credit_grade: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serious_dishonesty: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abnormal_operation: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annual: Option<Vec<Annual>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certifications: Option<Vec<Certification>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hires: Option<Vec<Hire>>,
}

/// 登记状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Suspended,
    Revoked,
    Cancelled,
}

impl Status {
    /// The schema's name (`active`, …), as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Revoked => "revoked",
            Self::Cancelled => "cancelled",
        }
    }
}

/// 企业规模.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    Large,
    Medium,
    Small,
    Micro,
}

impl SizeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Large => "large",
            Self::Medium => "medium",
            Self::Small => "small",
            Self::Micro => "micro",
        }
    }
}

/// One statistical year.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Annual {
    pub year: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_assets: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rd_expense: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employees_avg: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layoffs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unemployment_premium_paid: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ui_paid_months: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertKind {
    HighTech,
    LittleGiant,
    SpecializedSme,
    TechSme,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertLevel {
    National,
    Provincial,
    Municipal,
}

/// A certification (认定).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Certification {
    pub kind: CertKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<CertLevel>,
    pub recognized_on: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_time: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_no: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HireCategory {
    GraduateCurrent,
    GraduateUnemployed,
    YouthUnemployed,
    Other,
}

/// A new hire, as reported by social insurance; `person` is a keyed hash, never an ID number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hire {
    pub person: String,
    pub category: HireCategory,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_at_hire: Option<i64>,
    pub hired_on: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_signed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insured_months: Option<i64>,
}

/// `(2025, 6)` as the schema's `"2025-06"`.
fn year_month<S: serde::Serializer>(v: &Option<(i32, u32)>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some((y, m)) => s.serialize_str(&format!("{y:04}-{m:02}")),
        None => s.serialize_none(),
    }
}

impl Profile {
    /// A partial profile holding only its identity.
    pub fn new(uscc: Uscc) -> Self {
        Self {
            uscc,
            name: None,
            status: None,
            region_code: None,
            industry_code: None,
            established_on: None,
            registered_capital: None,
            size_class: None,
            above_scale_since: None,
            tax_credit_grade: None,
            serious_dishonesty: None,
            abnormal_operation: None,
            annual: None,
            certifications: None,
            hires: None,
        }
    }

    /// The annual record of `year`, if any.
    pub fn annual_of(&self, year: i64) -> Option<&Annual> {
        self.annual.as_deref()?.iter().find(|a| a.year == year)
    }
}
