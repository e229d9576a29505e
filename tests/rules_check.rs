//! `rules check`: a table of broken policy folders, each row with the message it must produce.

use std::path::Path;
use std::process::Command;

use mianshen::rules::RuleSet;

const GOOD_TOML: &str = "rules/sd-2026-stable-jobs-refund/policy.toml";

/// Writes a policy folder `name` with the good policy.toml (id adjusted) unless `toml` is given.
fn folder(dir: &Path, name: &str, rule: &str, toml: Option<&str>) {
    let f = dir.join(name);
    std::fs::create_dir_all(&f).expect("mkdir");
    let good = std::fs::read_to_string(GOOD_TOML)
        .expect("policy.toml")
        .replace(
            "id = \"sd-2026-stable-jobs-refund\"",
            &format!("id = \"{name}\""),
        );
    std::fs::write(f.join("policy.toml"), toml.unwrap_or(&good)).expect("write");
    std::fs::write(f.join("rule.rhai"), rule).expect("write");
}

/// (folder, rule.rhai, policy.toml override, expected message); the sandbox's refusals included.
const TABLE: &[(&str, &str, Option<&str>, &str)] = &[
    (
        "typo-field",
        "require(annual(2025).layofs == 0, \"未裁员\");\ngrant(1, \"x\");",
        None,
        "typo-field/rule.rhai:1:22: 未知的档案字段 'layofs'",
    ),
    (
        "typo-profile-field",
        "require(true, \"x\");\nrequire(profile.regoin_code == \"370102\", \"x\");",
        None,
        "typo-profile-field/rule.rhai:2:17: 未知的档案字段 'regoin_code'",
    ),
    (
        "typo-function",
        "requir(true, \"x\");",
        None,
        "typo-function/rule.rhai:1:1: 未知函数 'requir'",
    ),
    (
        "no-reason",
        "require(true);\ngrant(1, \"x\");",
        None,
        "no-reason/rule.rhai:1:1: require 缺少原因",
    ),
    (
        "unknown-param",
        "require(params.nope > 0, \"x\");",
        None,
        "unknown-param/rule.rhai:1:16: 未知参数 'nope'",
    ),
    (
        "compile-error",
        "let x = ;",
        None,
        "compile-error/rule.rhai:1:9: 编译错误",
    ),
    (
        "bad-mode",
        "grant(1, \"x\");",
        Some(
            "id = \"bad-mode\"\ntitle = \"t\"\nissuer = \"i\"\nsource = \"s\"\nmode = \"自动\"\nperiod = \"per_year\"\nnotice_days = 5\nnotice_template = \"n\"\nwindow = { from = \"2026-01-01\", to = \"2026-12-31\" }\n",
        ),
        "bad-mode/policy.toml:5:8: policy.toml 格式错误",
    ),
    (
        "missing-window",
        "grant(1, \"x\");",
        Some(
            "id = \"missing-window\"\ntitle = \"t\"\nissuer = \"i\"\nsource = \"s\"\nmode = \"免申即享\"\nperiod = \"per_year\"\nnotice_days = 5\nnotice_template = \"n\"\n",
        ),
        "missing-window/policy.toml:1:1: policy.toml 格式错误: missing field `window`",
    ),
    (
        "wrong-id",
        "grant(1, \"x\");",
        Some(
            "id = \"other\"\ntitle = \"t\"\nissuer = \"i\"\nsource = \"s\"\nmode = \"免申即享\"\nperiod = \"per_year\"\nnotice_days = 5\nnotice_template = \"n\"\nwindow = { from = \"2026-01-01\", to = \"2026-12-31\" }\n",
        ),
        "wrong-id/policy.toml: id 'other' 与目录名 'wrong-id' 不一致",
    ),
    (
        "pro-rata-without-budget",
        "grant(1, \"x\");",
        Some(
            "id = \"pro-rata-without-budget\"\ntitle = \"t\"\nissuer = \"i\"\nsource = \"s\"\nmode = \"免申即享\"\nperiod = \"per_year\"\nnotice_days = 5\nnotice_template = \"n\"\nwindow = { from = \"2026-01-01\", to = \"2026-12-31\" }\nallocation = \"pro_rata\"\n",
        ),
        "allocation = \"pro_rata\" 需要 budget",
    ),
    (
        "unknown-placeholder",
        "grant(1, \"x\");",
        Some(
            "id = \"unknown-placeholder\"\ntitle = \"t\"\nissuer = \"i\"\nsource = \"s\"\nmode = \"免申即享\"\nperiod = \"per_year\"\nnotice_days = 5\nnotice_template = \"{name}: 于{recognized_on}认定, 拟奖励 {amount} 元, 公示{notice_days}日\"\nwindow = { from = \"2026-01-01\", to = \"2026-12-31\" }\n",
        ),
        "unknown-placeholder/policy.toml: 政策 unknown-placeholder 的 notice_template 含未知占位符 {recognized_on}",
    ),
    (
        "unclosed-placeholder",
        "grant(1, \"x\");",
        Some(
            "id = \"unclosed-placeholder\"\ntitle = \"t\"\nissuer = \"i\"\nsource = \"s\"\nmode = \"免申即享\"\nperiod = \"per_year\"\nnotice_days = 5\nnotice_template = \"{name}: 拟奖励 {amount\"\nwindow = { from = \"2026-01-01\", to = \"2026-12-31\" }\n",
        ),
        "政策 unclosed-placeholder 的 notice_template 含未知占位符 {amount",
    ),
    (
        "near-miss-not-bool",
        "grant(1, \"x\");",
        Some(
            "id = \"near-miss-not-bool\"\ntitle = \"t\"\nissuer = \"i\"\nsource = \"s\"\nmode = \"免申即享\"\nperiod = \"per_year\"\nnotice_days = 5\nnotice_template = \"n\"\nnear_miss_notices = \"yes\"\nwindow = { from = \"2026-01-01\", to = \"2026-12-31\" }\n",
        ),
        "near-miss-not-bool/policy.toml:9:21: policy.toml 格式错误: invalid type: string \"yes\", expected a boolean",
    ),
    (
        "unclosed-item",
        "for h in profile.hires {\n    item(h.person, h.hired_on);\n    if h.contract_signed { grant_item(1, \"x\"); }\n}",
        None,
        "unclosed-item/rule.rhai:2:5: item(…) 未在同一代码块内以 grant_item(…) 结束",
    ),
    (
        "item-never-closed",
        "for h in profile.hires {\n    item(h.person, h.hired_on);\n    require(true, \"x\");\n}",
        None,
        "item-never-closed/rule.rhai:2:5: item(…) 未在同一代码块内",
    ),
    (
        "text-for-a-year",
        "let y = annual(\"2025\");\ngrant(1, \"x\");",
        None,
        "text-for-a-year/rule.rhai:1:16: annual 的第1个参数应为数值",
    ),
    (
        "number-for-a-reason",
        "require(true, 2025);\ngrant(1, \"x\");",
        None,
        "number-for-a-reason/rule.rhai:1:15: require 的第2个参数应为文字",
    ),
    (
        "text-for-a-ratio",
        "grant(ratio(\"1\", 2), \"x\");",
        None,
        "text-for-a-ratio/rule.rhai:1:13: ratio 的第1个参数应为数值",
    ),
    (
        "scope-without-reason",
        "scope(true);\ngrant(1, \"x\");",
        None,
        "scope-without-reason/rule.rhai:1:1: scope 缺少原因",
    ),
    (
        "cap-without-reason",
        "grant(1, \"x\");",
        Some(
            "id = \"cap-without-reason\"\ntitle = \"t\"\nissuer = \"i\"\nsource = \"s\"\nmode = \"免申即享\"\nperiod = \"per_person\"\nnotice_days = 5\nnotice_template = \"n\"\nwindow = { from = \"2026-01-01\", to = \"2026-12-31\" }\nper_person_once = true\n[item_cap]\nmax_per_firm = 0\nreason = \" \"\n",
        ),
        "item_cap.max_per_firm 应大于0",
    ),
];

const SANDBOX: &[(&str, &str, Option<&str>, &str)] = &[
    (
        "uses-eval",
        "eval(\"1\");",
        None,
        "uses-eval/rule.rhai:1:1: 编译错误: reserved keyword 'eval' is disabled",
    ),
    (
        "uses-import",
        "import \"x\" as y;",
        None,
        "uses-import/rule.rhai:1:1: 编译错误",
    ),
    (
        "uses-print",
        "print(\"x\");",
        None,
        "uses-print/rule.rhai:1:1: 编译错误: reserved keyword 'print' is disabled",
    ),
];

#[test]
fn every_broken_folder_is_reported_with_file_line_column() {
    // Arrange
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, rule, toml, _) in TABLE.iter().chain(SANDBOX) {
        folder(dir.path(), name, rule, *toml);
    }

    // Act
    let errors = RuleSet::load(dir.path()).expect_err("every folder is broken");
    let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();

    // Assert: every row's error is listed, in one run.
    for (name, _, _, expected) in TABLE.iter().chain(SANDBOX) {
        assert!(
            listed.iter().any(|e| e.contains(expected)),
            "{name}: '{expected}' not in {listed:#?}"
        );
    }
}

#[test]
fn an_unknown_policy_toml_key_is_one_clear_line() {
    // Arrange: a rule reading many parameters, and a policy.toml with one unknown key.
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = std::fs::read_to_string(GOOD_TOML)
        .expect("policy.toml")
        .replace(
            "id = \"sd-2026-stable-jobs-refund\"",
            "id = \"typo-key\"\nbudgte = \"1.00\"",
        );
    let rule = std::fs::read_to_string("rules/sd-2026-stable-jobs-refund/rule.rhai").expect("rule");
    folder(dir.path(), "typo-key", &rule, Some(&toml));

    // Act
    let errors = RuleSet::load(dir.path()).expect_err("broken");

    // Assert: the key named once; no spurious unknown-parameter lines.
    let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert!(
        listed[0].contains("typo-key/policy.toml:2:1") && listed[0].contains("budgte"),
        "{listed:#?}"
    );
}

#[test]
fn the_cli_fails_on_a_typo_and_passes_on_the_sample_rules() {
    // Arrange
    let dir = tempfile::tempdir().expect("tempdir");
    folder(dir.path(), "typo-field", TABLE[0].1, None);
    let bin = env!("CARGO_BIN_EXE_mianshen");

    // Act
    let bad = Command::new(bin)
        .args(["rules", "check"])
        .arg(dir.path())
        .output()
        .expect("run");
    let good = Command::new(bin)
        .args(["rules", "check", "rules"])
        .output()
        .expect("run");
    let tests = Command::new(bin)
        .args(["rules", "test", "rules"])
        .output()
        .expect("run");

    // Assert
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("rule.rhai:1:22") && stderr.contains("layofs"),
        "{stderr}"
    );
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(
        tests.status.success(),
        "{}",
        String::from_utf8_lossy(&tests.stdout)
    );
}
