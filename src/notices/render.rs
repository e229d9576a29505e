//! The Chinese text of a notice: the policy's template (or a default one) with the amount,
//! the reasons as a list and the link.

use rust_decimal::{Decimal, RoundingStrategy};

use super::{GrantNotice, NoticeKind};

/// A rendered notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub title: String,
    /// The full text.
    pub body: String,
}

/// The template used when the policy has none.
pub const DEFAULT_TEMPLATE: &str = "{name}: 根据《{title}》, 贵单位符合条件, 拟享受 {amount} 元。";

/// Yuan with two decimals and thousands separators: `74,074.07 元` without the unit.
pub fn format_amount(amount: Decimal) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{rounded:.2}");
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}

/// Renders `notice` for the firm called `name`.
pub fn render(notice: &GrantNotice<'_>, name: &str) -> Rendered {
    let amount = format_amount(notice.amount);
    let template = notice.template.unwrap_or(DEFAULT_TEMPLATE);
    let lead = template
        .replace("{name}", name)
        .replace("{title}", notice.policy_title)
        .replace("{amount}", &amount)
        .replace("{mode}", notice.mode);
    let title = match notice.kind {
        NoticeKind::Grant => format!("【{}】{} {amount} 元", notice.mode, notice.policy_title),
        NoticeKind::Reminder => format!("【待确认提醒】{} {amount} 元", notice.policy_title),
        NoticeKind::NearMiss => format!("【政策提示】{}", notice.policy_title),
    };
    let mut body = String::new();
    if notice.kind == NoticeKind::Reminder {
        body.push_str("提醒: 以下资金尚未确认, 请尽快确认。\n");
    }
    body.push_str(&lead);
    body.push_str(&format!("\n\n金额: {amount} 元\n"));
    if !notice.reasons.is_empty() {
        body.push_str("依据:\n");
        for reason in notice.reasons {
            body.push_str(&format!("- {reason}\n"));
        }
    }
    body.push_str(&format!("详情: {}\n", notice.link));
    Rendered { title, body }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::format_amount;

    #[test]
    fn amounts_have_two_decimals_and_separators() {
        assert_eq!(format_amount(dec!(74074.0741)), "74,074.07");
        assert_eq!(format_amount(dec!(500)), "500.00");
        assert_eq!(format_amount(dec!(1234567.005)), "1,234,567.01");
        assert_eq!(format_amount(dec!(100000)), "100,000.00");
    }
}
