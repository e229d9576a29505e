//! The profile as the rules see it: registered rhai types whose getters never return `()`.
//!
//! A field the profile lacks reads as a typed placeholder AND marks the current condition as
//! failed for missing data (see [`super::api::missing`]), so missing data never passes and
//! never compares silently as `false`. A field the schema lacks is an error ("property not found").

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, INT, ImmutableString};
use rust_decimal::Decimal;

use super::api::{Day, missing};
use crate::profiles::{Annual, Profile, derive_size};

/// The whole firm, built once per profile and shared by every policy's evaluation.
#[derive(Debug, Clone)]
pub struct FirmView(pub(crate) Arc<FirmData>);

#[derive(Debug)]
pub(crate) struct FirmData {
    pub(crate) profile: Profile,
    pub(crate) uscc: ImmutableString,
    /// The same USCC for decisions (`Decision.uscc`).
    pub(crate) uscc_shared: Arc<str>,
    pub(crate) status: Option<ImmutableString>,
    pub(crate) region: Option<ImmutableString>,
    pub(crate) industry: Option<ImmutableString>,
    pub(crate) above_scale_since: Option<ImmutableString>,
    pub(crate) grade: Option<ImmutableString>,
    pub(crate) certs: Array,
    hires: Array,
}

/// One year's record (`annual(2025)`); `rec` is `None` when the profile has no such year.
#[derive(Debug, Clone)]
pub struct YearView {
    year: INT,
    rec: Option<Annual>,
}

#[derive(Debug, Clone)]
pub struct CertView {
    pub(crate) kind: ImmutableString,
    pub(crate) level: Option<ImmutableString>,
    pub(crate) recognized_on: Day,
    pub(crate) expires_on: Option<Day>,
    pub(crate) first_time: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct HireView {
    pub(crate) person: ImmutableString,
    pub(crate) category: ImmutableString,
    pub(crate) age_at_hire: Option<INT>,
    pub(crate) hired_on: Day,
    pub(crate) contract_signed: Option<bool>,
    pub(crate) insured_months: Option<INT>,
}

fn name_of<T: serde::Serialize>(v: &T) -> ImmutableString {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(ImmutableString::from))
        .unwrap_or_default()
}

impl FirmView {
    pub fn new(profile: &Profile) -> Self {
        let certs = profile
            .certifications
            .iter()
            .flatten()
            .map(|c| CertView {
                kind: name_of(&c.kind),
                level: c.level.as_ref().map(name_of),
                recognized_on: Day(c.recognized_on),
                expires_on: c.expires_on.map(Day),
                first_time: c.first_time,
            })
            .map(Dynamic::from)
            .collect();
        let hires = profile
            .hires
            .iter()
            .flatten()
            .map(|h| HireView {
                person: h.person.as_str().into(),
                category: name_of(&h.category),
                age_at_hire: h.age_at_hire,
                hired_on: Day(h.hired_on),
                contract_signed: h.contract_signed,
                insured_months: h.insured_months,
            })
            .map(Dynamic::from)
            .collect();
        Self(Arc::new(FirmData {
            uscc: profile.uscc.as_str().into(),
            uscc_shared: profile.uscc.as_str().into(),
            status: profile.status.as_ref().map(name_of),
            region: profile.region_code.as_ref().map(|r| r.as_str().into()),
            industry: profile.industry_code.as_deref().map(Into::into),
            above_scale_since: profile
                .above_scale_since
                .map(|(y, m)| format!("{y:04}-{m:02}").into()),
            grade: profile.tax_credit_grade.as_deref().map(Into::into),
            certs,
            hires,
            profile: profile.clone(),
        }))
    }

    pub fn uscc(&self) -> &str {
        self.0.profile.uscc.as_str()
    }

    /// The USCC, shared (cloning it copies no text).
    pub fn uscc_shared(&self) -> Arc<str> {
        Arc::clone(&self.0.uscc_shared)
    }

    pub(crate) fn year(&self, year: INT) -> YearView {
        YearView {
            year,
            rec: self.0.profile.annual_of(year).cloned(),
        }
    }

    /// `sme_size(year)`: the delivered size class, else derived from that year's record.
    pub(crate) fn size(&self, year: INT) -> ImmutableString {
        match derive_size(&self.0.profile, Some(year)) {
            Some(s) => s.as_str().into(),
            None => missing(|| "无法确定企业规模".into(), ImmutableString::new()),
        }
    }
}

fn opt<T>(v: &Option<T>, label: &'static str, sentinel: T) -> T
where
    T: Clone + Send + Sync + 'static,
{
    match v {
        Some(x) => x.clone(),
        None => missing(|| format!("缺少{label}数据"), sentinel),
    }
}

/// Registers the view types and their getters (the only fields a rule can read).
pub(crate) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<FirmView>("Profile")
        .register_get("uscc", |f: &mut FirmView| f.0.uscc.clone())
        .register_get("status", |f: &mut FirmView| {
            opt(&f.0.status, "登记状态", "".into())
        })
        .register_get("region_code", |f: &mut FirmView| {
            opt(&f.0.region, "注册地行政区划", "".into())
        })
        .register_get("industry_code", |f: &mut FirmView| {
            opt(&f.0.industry, "行业代码", "".into())
        })
        .register_get("above_scale_since", |f: &mut FirmView| {
            opt(&f.0.above_scale_since, "纳入规上统计月份", "".into())
        })
        .register_get("tax_credit_grade", |f: &mut FirmView| {
            opt(&f.0.grade, "纳税信用等级", "".into())
        })
        .register_get("serious_dishonesty", |f: &mut FirmView| {
            opt(&f.0.profile.serious_dishonesty, "严重失信名单", false)
        })
        .register_get("abnormal_operation", |f: &mut FirmView| {
            opt(&f.0.profile.abnormal_operation, "经营异常名录", false)
        })
        .register_get("established_on", |f: &mut FirmView| {
            opt(&f.0.profile.established_on.map(Day), "成立日期", Day::MIN)
        })
        .register_get("certifications", |f: &mut FirmView| f.0.certs.clone())
        .register_get("hires", |f: &mut FirmView| f.0.hires.clone())
        .register_fn("annual", |f: &mut FirmView, y: INT| f.year(y));

    engine
        .register_type_with_name::<YearView>("Annual")
        .register_get("year", |y: &mut YearView| y.year)
        .register_get("revenue", |y: &mut YearView| {
            year_dec(y, |a| a.revenue, "营业收入")
        })
        .register_get("total_assets", |y: &mut YearView| {
            year_dec(y, |a| a.total_assets, "资产总额")
        })
        .register_get("rd_expense", |y: &mut YearView| {
            year_dec(y, |a| a.rd_expense, "研发费用")
        })
        .register_get("unemployment_premium_paid", |y: &mut YearView| {
            year_dec(y, |a| a.unemployment_premium_paid, "失业保险缴费")
        })
        .register_get("employees_avg", |y: &mut YearView| {
            year_int(y, |a| a.employees_avg, "参保职工人数")
        })
        .register_get("layoffs", |y: &mut YearView| {
            year_int(y, |a| a.layoffs, "裁员人数")
        })
        .register_get("ui_paid_months", |y: &mut YearView| {
            year_int(y, |a| a.ui_paid_months, "失业保险缴费月数")
        });

    engine
        .register_type_with_name::<CertView>("Certification")
        .register_get("kind", |c: &mut CertView| c.kind.clone())
        .register_get("level", |c: &mut CertView| {
            opt(&c.level, "认定级别", "".into())
        })
        .register_get("recognized_on", |c: &mut CertView| c.recognized_on)
        .register_get("expires_on", |c: &mut CertView| {
            opt(&c.expires_on, "证书有效期", Day::MIN)
        })
        .register_get("has_expiry", |c: &mut CertView| c.expires_on.is_some())
        .register_get("first_time", |c: &mut CertView| match c.first_time {
            Some(b) => b,
            None => missing(|| "缺少认定类型".into(), false),
        });

    engine
        .register_type_with_name::<HireView>("Hire")
        .register_get("person", |h: &mut HireView| h.person.clone())
        .register_get("category", |h: &mut HireView| h.category.clone())
        .register_get("age_at_hire", |h: &mut HireView| {
            opt(&h.age_at_hire, "入职年龄", 0)
        })
        .register_get("hired_on", |h: &mut HireView| h.hired_on)
        .register_get("contract_signed", |h: &mut HireView| {
            opt(&h.contract_signed, "劳动合同", false)
        })
        .register_get("insured_months", |h: &mut HireView| {
            opt(&h.insured_months, "参保月数", 0)
        });
}

fn year_dec(y: &YearView, f: fn(&Annual) -> Option<Decimal>, label: &'static str) -> Decimal {
    match y.rec.as_ref().and_then(f) {
        Some(d) => d,
        None => missing(|| format!("缺少{}年度{label}数据", y.year), Decimal::ZERO),
    }
}

fn year_int(y: &YearView, f: fn(&Annual) -> Option<INT>, label: &'static str) -> INT {
    match y.rec.as_ref().and_then(f) {
        Some(d) => d,
        None => missing(|| format!("缺少{}年度{label}数据", y.year), 0),
    }
}

/// Every property a rule may read, for the static check of field names.
pub const KNOWN_FIELDS: &[&str] = &[
    "uscc",
    "status",
    "region_code",
    "industry_code",
    "above_scale_since",
    "tax_credit_grade",
    "serious_dishonesty",
    "abnormal_operation",
    "established_on",
    "certifications",
    "hires",
    "year",
    "revenue",
    "total_assets",
    "rd_expense",
    "unemployment_premium_paid",
    "employees_avg",
    "layoffs",
    "ui_paid_months",
    "kind",
    "level",
    "recognized_on",
    "expires_on",
    "has_expiry",
    "first_time",
    "person",
    "category",
    "age_at_hire",
    "hired_on",
    "contract_signed",
    "insured_months",
    "month",
    "day",
    "len",
];
