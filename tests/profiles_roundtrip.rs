//! A validated profile serialises back to the schema's shape and validates to the same value,
//! so ingest can store what it parsed and read it again unchanged.

use mianshen::profiles::{validate_line, validate_value};

#[test]
fn profiles_round_trip_through_json() {
    // Arrange: a full profile and a partial one (only the USCC), as sources deliver them.
    let table = [
        r#"{"uscc":"91370100MA00000010","name":"济南示例","status":"active","region_code":"370181","industry_code":"C3484","established_on":"2010-05-01","registered_capital":"1000000.00","size_class":"small","above_scale_since":"2025-06","tax_credit_grade":"A","serious_dishonesty":false,"abnormal_operation":false,"annual":[{"year":2025,"revenue":"50000000.5","employees_avg":200,"layoffs":3,"unemployment_premium_paid":"-12.30","ui_paid_months":12}],"certifications":[{"kind":"high_tech","level":"national","recognized_on":"2025-03-01","expires_on":"2028-02-28","first_time":true,"certificate_no":"GR202537000001"}],"hires":[{"person":"00000000000000000000000000000000000000000000000000000000000000aa","category":"youth_unemployed","age_at_hire":20,"hired_on":"2025-09-01","contract_signed":true,"insured_months":4}]}"#,
        r#"{"uscc":"91370100MA00000010"}"#,
        r#"{"uscc":"91370100MA00000010","above_scale_since":null}"#,
    ];
    for line in table {
        // Act
        let first = validate_line(line).expect("valid");
        let json = serde_json::to_value(&first).expect("serialise");
        let second = validate_value(&json).expect("re-validates");

        // Assert
        assert_eq!(first, second, "{json}");
    }
    let p = validate_line(table[0]).expect("valid");
    assert_eq!(
        p.region_code.map(|r| r.as_str().to_owned()).as_deref(),
        Some("370114"),
        "old code mapped"
    );
}
