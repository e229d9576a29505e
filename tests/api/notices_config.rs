//! The `[notices]` settings: environment overrides and the worker policy built from them.

use std::collections::HashMap;
use std::time::Duration;

use mianshen::config::{ConfigError, Settings};

#[test]
fn notices_variables_override_defaults_and_feed_the_policy() {
    let vars = HashMap::from([
        ("MIANSHEN_NOTICES_MAX_ATTEMPTS", "4"),
        ("MIANSHEN_NOTICES_BASE_BACKOFF_MS", "250"),
        ("MIANSHEN_NOTICES_CONCURRENCY", "16"),
        ("MIANSHEN_NOTICES_ENABLED", "false"),
        ("MIANSHEN_SMS_GATEWAY_URL", "http://sms.local:8091"),
        ("MIANSHEN_SMS_GATEWAY_TOKEN", "sms-secret-token"),
        ("MIANSHEN_SMTP_PORT", "2526"),
    ]);
    let settings = Settings::load_from(&vars).unwrap();
    let notices = &settings.notices;
    assert!(!notices.enabled);
    assert_eq!(notices.smtp_port, 2526);
    let policy = notices.policy();
    assert_eq!(policy.max_attempts, 4);
    assert_eq!(policy.base_backoff, Duration::from_millis(250));
    assert_eq!(policy.concurrency, 16);
    assert_eq!(policy.sms.url, "http://sms.local:8091");
    assert!(!format!("{settings:?}").contains("sms-secret-token"));
}

#[test]
fn bad_notices_values_name_the_variable() {
    for (variable, value) in [
        ("MIANSHEN_NOTICES_MAX_ATTEMPTS", "0"),
        ("MIANSHEN_NOTICES_CONCURRENCY", "many"),
        ("MIANSHEN_SMTP_PORT", "0"),
    ] {
        let error = Settings::load_from(&HashMap::from([(variable, value)])).unwrap_err();
        assert!(
            matches!(&error, ConfigError::Invalid { variable: v, .. } if *v == variable),
            "{variable}: {error}"
        );
    }
}
