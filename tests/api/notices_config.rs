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
        ("MIANSHEN_SMTP_HOST", "mail.local"),
        ("MIANSHEN_SMTP_FROM", "免申即享 <noreply@mianshen.gov.cn>"),
        ("MIANSHEN_SMTP_USERNAME", "notices"),
        ("MIANSHEN_SMTP_PASSWORD", "smtp-secret-password"),
        ("MIANSHEN_SMTP_TIMEOUT_SECS", "7"),
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
    assert_eq!(policy.email.host, "mail.local");
    assert_eq!(policy.email.port, 2526);
    assert_eq!(policy.email.from, "免申即享 <noreply@mianshen.gov.cn>");
    assert_eq!(policy.email.username.as_deref(), Some("notices"));
    assert_eq!(
        policy.email.password.as_ref().map(|p| p.expose()),
        Some("smtp-secret-password")
    );
    assert_eq!(policy.smtp_timeout, Duration::from_secs(7));
    let shown = format!("{settings:?} {policy:?}");
    assert!(!shown.contains("sms-secret-token"));
    assert!(!shown.contains("smtp-secret-password"));
}

#[test]
fn bad_notices_values_name_the_variable() {
    for (variable, value) in [
        ("MIANSHEN_NOTICES_MAX_ATTEMPTS", "0"),
        ("MIANSHEN_NOTICES_CONCURRENCY", "many"),
        ("MIANSHEN_SMTP_PORT", "0"),
        ("MIANSHEN_SMTP_FROM", "not an address"),
        ("MIANSHEN_SMTP_TIMEOUT_SECS", "0"),
    ] {
        let error = Settings::load_from(&HashMap::from([(variable, value)])).unwrap_err();
        assert!(
            matches!(&error, ConfigError::Invalid { variable: v, .. } if *v == variable),
            "{variable}: {error}"
        );
    }
}
