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

/// A span of whole seconds as people say it: `3 天 4 小时`, `5 小时 12 分`, `42 秒`.
pub fn duration_secs(secs: i64) -> String {
    let secs = secs.max(0);
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    if days > 0 {
        format!("{days} 天 {hours} 小时")
    } else if hours > 0 {
        format!("{hours} 小时 {minutes} 分")
    } else if minutes > 0 {
        format!("{minutes} 分 {} 秒", secs % 60)
    } else {
        format!("{secs} 秒")
    }
}

/// Milliseconds as [`duration_secs`] says them, below a minute to the tenth of a second.
pub fn duration_ms(ms: i64) -> String {
    if ms < 60_000 {
        format!("{}.{} 秒", ms.max(0) / 1000, ms.max(0) % 1000 / 100)
    } else {
        duration_secs(ms / 1000)
    }
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

    use super::{beijing, duration_ms, duration_secs, yuan};

    #[test]
    fn durations_read_in_the_largest_units() {
        let cases = [
            (0, "0 秒"),
            (42, "42 秒"),
            (312, "5 分 12 秒"),
            (18_720, "5 小时 12 分"),
            (273_600, "3 天 4 小时"),
        ];
        for (secs, text) in cases {
            assert_eq!(duration_secs(secs), text);
        }
        assert_eq!(duration_ms(1_250), "1.2 秒");
        assert_eq!(duration_ms(125_000), "2 分 5 秒");
    }

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
