//! The cockpit's filters (policy, district, date range), parsed once from what a person
//! typed; every aggregate takes the parsed [`Filter`].

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use chrono_tz::Asia::Shanghai;
use serde::Deserialize;

/// The filters as they arrive in a query string (empty fields mean "all").
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RawFilter {
    /// A policy id (`sd-2026-stable-jobs-refund`).
    pub policy: Option<String>,
    /// A 行政区划 code or its leading digits (`37`, `3702`, `370202`).
    pub district: Option<String>,
    /// First day, Beijing time (`2026-12-01`).
    pub from: Option<String>,
    /// Last day, Beijing time, included.
    pub to: Option<String>,
}

/// Parsed filters: every field checked, dates turned into a half-open UTC range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    policy: Option<String>,
    district: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// A filter a person can correct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("政策编号只能由小写字母、数字、点、下划线和连字符组成（至多 64 个字符）")]
    Policy,
    #[error("行政区划代码应为 2 至 6 位数字，例如 3702 或 370202")]
    District,
    #[error("日期“{0}”无效，应为 YYYY-MM-DD，例如 2026-12-01")]
    Date(String),
    #[error("开始日期不能晚于结束日期")]
    Range,
}

fn present(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn date(value: Option<&String>) -> Result<Option<NaiveDate>, FilterError> {
    present(value)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| FilterError::Date(v.to_owned()))
        })
        .transpose()
}

impl Filter {
    /// Checks each field; empty fields filter nothing.
    pub fn parse(raw: &RawFilter) -> Result<Self, FilterError> {
        let policy = present(raw.policy.as_ref())
            .map(|p| {
                let ok = p.len() <= 64
                    && p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
                if ok {
                    Ok(p.to_owned())
                } else {
                    Err(FilterError::Policy)
                }
            })
            .transpose()?;
        let district = present(raw.district.as_ref())
            .map(|d| {
                let ok = (2..=6).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit());
                if ok {
                    Ok(d.to_owned())
                } else {
                    Err(FilterError::District)
                }
            })
            .transpose()?;
        let (from, to) = (date(raw.from.as_ref())?, date(raw.to.as_ref())?);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(FilterError::Range);
        }
        Ok(Self {
            policy,
            district,
            from,
            to,
        })
    }

    /// Only this policy's figures.
    pub fn policy(&self) -> Option<&str> {
        self.policy.as_deref()
    }

    /// Only firms whose region code starts with these digits.
    pub fn district(&self) -> Option<&str> {
        self.district.as_deref()
    }

    /// The first day, as given.
    pub fn from_date(&self) -> Option<NaiveDate> {
        self.from
    }

    /// The last day, as given.
    pub fn to_date(&self) -> Option<NaiveDate> {
        self.to
    }

    /// The start of the first day in Beijing time.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.from.map(midnight)
    }

    /// The start of the day after the last day in Beijing time (excluded).
    pub fn until(&self) -> Option<DateTime<Utc>> {
        self.to.and_then(|d| d.succ_opt()).map(midnight)
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Shanghai
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::{Filter, FilterError, RawFilter};

    fn raw(policy: &str, district: &str, from: &str, to: &str) -> RawFilter {
        let some = |s: &str| Some(s.to_owned());
        RawFilter {
            policy: some(policy),
            district: some(district),
            from: some(from),
            to: some(to),
        }
    }

    #[test]
    fn bad_filters_say_what_to_type() {
        let cases = [
            (raw("SD 2026", "", "", ""), FilterError::Policy),
            (raw("", "3", "", ""), FilterError::District),
            (raw("", "37020x", "", ""), FilterError::District),
            (raw("", "3702021", "", ""), FilterError::District),
            (
                raw("", "", "2026-13-01", ""),
                FilterError::Date("2026-13-01".into()),
            ),
            (
                raw("", "", "", "12/01/2026"),
                FilterError::Date("12/01/2026".into()),
            ),
            (raw("", "", "2026-12-02", "2026-12-01"), FilterError::Range),
        ];
        for (input, expected) in cases {
            assert_eq!(Filter::parse(&input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn empty_fields_filter_nothing_and_days_are_beijing_days() {
        let none = Filter::parse(&raw(" ", "", "", "")).expect("blank fields are no filter");
        assert_eq!(none, Filter::default());
        let f = Filter::parse(&raw("sd-a", "3702", "2026-12-01", "2026-12-01"))
            .expect("a valid filter");
        assert_eq!(f.policy(), Some("sd-a"));
        assert_eq!(f.district(), Some("3702"));
        assert_eq!(
            f.since().map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-30T16:00:00+00:00")
        );
        assert_eq!(
            f.until().map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-12-01T16:00:00+00:00")
        );
    }
}
