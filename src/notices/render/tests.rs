//! The renderer's tables: placeholders filled, unknown ones found, amounts formatted.

use rust_decimal_macros::dec;

use super::{Context, NearMissText, format_amount, render, render_near_miss, unknown_placeholders};
use crate::notices::{GrantNotice, NoticeKind};

fn notice<'a>(template: Option<&'a str>, kind: NoticeKind) -> GrantNotice<'a> {
    GrantNotice {
        grant_id: 1,
        uscc: "91370212MA00000013",
        policy_id: "sd-2026-stable-jobs-refund",
        policy_title: "2026年失业保险稳岗返还",
        mode: "免申即享",
        amount: dec!(74074.0741),
        reasons: &[],
        template,
        link: "/grants/1".into(),
        kind,
        returned: None,
    }
}

#[test]
fn amounts_have_two_decimals_and_separators() {
    for (amount, text) in [
        (dec!(74074.0741), "74,074.07"),
        (dec!(500), "500.00"),
        (dec!(1234567.005), "1,234,567.01"),
        (dec!(100000), "100,000.00"),
        (dec!(0), "0.00"),
        (dec!(999.995), "1,000.00"),
    ] {
        assert_eq!(format_amount(amount), text, "{amount}");
    }
}

#[test]
fn every_known_placeholder_is_filled() {
    // (template, firm name, expected first line of the body)
    let table = [
        ("{name}", "甲公司", "甲公司"),
        ("{title}", "甲公司", "2026年失业保险稳岗返还"),
        ("{amount} 元", "甲公司", "74,074.07 元"),
        ("{mode}", "甲公司", "免申即享"),
        ("公示{notice_days}日", "甲公司", "公示5日"),
        (
            "{name}: 拟返还 {amount} 元, 公示{notice_days}日后拨付。",
            "甲公司",
            "甲公司: 拟返还 74,074.07 元, 公示5日后拨付。",
        ),
        ("{name}{name}", "乙", "乙乙"),
        ("没有占位符", "甲公司", "没有占位符"),
        // A value is never substituted again.
        ("{name} 得 {amount}", "{amount}", "{amount} 得 74,074.07"),
        ("", "甲公司", ""),
    ];
    for (template, name, expected) in table {
        let context = Context {
            name,
            notice_days: 5,
        };
        let rendered = render(&notice(Some(template), NoticeKind::Grant), &context);
        let first = rendered.body.lines().next().unwrap_or_default();
        assert_eq!(first, expected, "template {template:?}");
    }
}

#[test]
fn the_default_template_names_firm_policy_and_amount() {
    let context = Context {
        name: "甲公司",
        notice_days: 5,
    };
    let rendered = render(&notice(None, NoticeKind::Grant), &context);
    assert_eq!(
        rendered.title,
        "【免申即享】2026年失业保险稳岗返还 74,074.07 元"
    );
    assert!(
        rendered
            .body
            .starts_with("甲公司: 根据《2026年失业保险稳岗返还》")
    );
    assert!(rendered.body.contains("金额: 74,074.07 元"));
    assert!(rendered.body.ends_with("详情: /grants/1\n"));
    let reminder = render(&notice(None, NoticeKind::Reminder), &context);
    assert!(reminder.title.starts_with("【待确认提醒】"));
    assert!(reminder.body.starts_with("提醒: "));
}

#[test]
fn unknown_placeholders_are_found_once_each_in_order() {
    // (template, what `rules check` must name)
    let table: [(&str, &[&str]); 8] = [
        ("{name}: 拟奖励 {amount} 元", &[]),
        ("公示{notice_days}日 ({mode}, {title})", &[]),
        ("于{recognized_on}认定", &["{recognized_on}"]),
        ("{items} 名, {items} 人, {amount}", &["{items}"]),
        ("{Name}", &["{Name}"]),
        ("{ name }", &["{ name }"]),
        ("{}", &["{}"]),
        ("{amount} 元 {name", &["{name"]),
    ];
    for (template, expected) in table {
        assert_eq!(unknown_placeholders(template), expected, "{template:?}");
    }
}

#[test]
fn a_near_miss_says_what_is_lacking_and_that_nothing_is_granted() {
    let rendered = render_near_miss(&NearMissText {
        name: "甲公司",
        policy_title: "2026年失业保险稳岗返还",
        issuer: "山东省人力资源和社会保障厅",
        lacks: "裁员率 12/200 = 6.00% ≤ 5.50%",
        link: "/my/profile",
    });
    assert!(rendered.title.contains("2026年失业保险稳岗返还"));
    assert!(rendered.body.starts_with("甲公司: "));
    assert!(rendered.body.contains("- 裁员率 12/200 = 6.00% ≤ 5.50%\n"));
    assert!(rendered.body.contains("不予拨付"));
    assert!(rendered.body.contains("山东省人力资源和社会保障厅"));
    assert!(!rendered.body.contains("金额"));
}
