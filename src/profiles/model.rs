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
    pub name: Option<String>,
    pub status: Option<Status>,
    pub region_code: Option<RegionCode>,
    pub industry_code: Option<String>,
    pub established_on: Option<NaiveDate>,
    pub registered_capital: Option<Decimal>,
    pub size_class: Option<SizeClass>,
    /// `(year, month)` first counted as 规模以上; `None` when absent or null.
    pub above_scale_since: Option<(i32, u32)>,
    pub tax_credit_grade: Option<String>,
    pub serious_dishonesty: Option<bool>,
    pub abnormal_operation: Option<bool>,
    pub annual: Option<Vec<Annual>>,
    pub certifications: Option<Vec<Certification>>,
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
    pub revenue: Option<Decimal>,
    pub total_assets: Option<Decimal>,
    pub rd_expense: Option<Decimal>,
    pub employees_avg: Option<i64>,
    pub layoffs: Option<i64>,
    pub unemployment_premium_paid: Option<Decimal>,
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
    pub level: Option<CertLevel>,
    pub recognized_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub first_time: Option<bool>,
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
    pub age_at_hire: Option<i64>,
    pub hired_on: NaiveDate,
    pub contract_signed: Option<bool>,
    pub insured_months: Option<i64>,
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
