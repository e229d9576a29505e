//! Profile validation: every bad field named with its path, and partial profiles accepted.

use mianshen::profiles::validate_line;
use rust_decimal::Decimal;

#[test]
fn bad_fields_are_each_named_with_their_path() {
    let table = [
        (
            r#"{"uscc":"91350200776049653A","annual":[{"year":2025,"revenue":12.5}]}"#,
            "annual[0].revenue",
        ),
        (
            r#"{"uscc":"91350200776049653A","status":"Active"}"#,
            "status",
        ),
        (r#"{"uscc":"91350200776049653A","colour":"red"}"#, "colour"),
        (r#"{"uscc":"91350203M0001QAY9B"}"#, "uscc"),
        (r#"{"name":"x"}"#, "uscc"),
        (
            r#"{"uscc":"91350200776049653A","hires":[{"person":"ab","category":"other","hired_on":"2025-13-01"}]}"#,
            "hires[0].person",
        ),
        (
            r#"{"uscc":"91350200776049653A","annual":[{"year":2025},{"year":2025}]}"#,
            "annual[1].year",
        ),
    ];
    for (line, field) in table {
        let errors = validate_line(line).expect_err(line);
        assert!(
            errors.iter().any(|e| e.field == field),
            "{line}: {errors:?}"
        );
    }
}

#[test]
fn a_partial_profile_with_lower_case_uscc_parses() {
    let p = validate_line(
        r#"{"uscc":" 91350203ma31ndf85f ","annual":[{"year":2025,"revenue":"10.05"}]}"#,
    )
    .expect("valid");
    assert_eq!(p.uscc.as_str(), "91350203MA31NDF85F");
    assert_eq!(
        p.annual_of(2025).and_then(|a| a.revenue),
        Some(Decimal::new(1005, 2))
    );
}
