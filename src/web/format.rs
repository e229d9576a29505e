//! How the pages print what people read: money as `1,000,000.00 元`, times in Beijing
//! time, and the platform's stored codes in Chinese.

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Shanghai;
use rust_decimal::Decimal;

/// Yuan with two decimals (half away from zero), thousands separators and the unit.
pub fn yuan(amount: Decimal) -> String {
    format!("{} 元", crate::notices::render::format_amount(amount))
}

/// A moment in Beijing time, to the minute: `2026-12-06 10:30`.
pub fn beijing(at: DateTime<Utc>) -> String {
    at.with_timezone(&Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A grant's status as the firm reads it.
pub fn grant_status(status: &str) -> &'static str {
    match status {
        "created" => "待确认",
        "confirmed" => "已确认，待审核",
        "declined" => "已放弃",
        "objected" => "已提出异议",
        "held" => "暂缓（待复核）",
        "paid" => "已拨付",
        // The later steps are named once, in the state machine.
        other => other
            .parse::<crate::grants::steps::GrantStatus>()
            .map_or("处理中", |s| s.label()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use rust_decimal_macros::dec;

    use super::{beijing, yuan};

    #[test]
    fn money_and_time_read_as_people_expect() {
        let cases = [
            (dec!(1000000), "1,000,000.00 元"),
            (dec!(0.005), "0.01 元"),
            (dec!(1234.5), "1,234.50 元"),
        ];
        for (amount, text) in cases {
            assert_eq!(yuan(amount), text);
        }
        let utc = chrono::Utc
            .with_ymd_and_hms(2026, 12, 5, 18, 30, 0)
            .unwrap();
        assert_eq!(beijing(utc), "2026-12-06 02:30");
    }
}
