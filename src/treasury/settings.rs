//! The `[treasury]` settings: where the 国库集中支付 side is and how we talk to it.

use std::time::Duration;

use serde::Deserialize;

use crate::config::Secret;

/// The `[treasury]` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TreasurySettings {
    /// `MIANSHEN_TREASURY_URL`: base URL of the treasury's API (`POST {url}/v1/batches`, …).
    pub url: String,
    /// `MIANSHEN_TREASURY_TOKEN`: the bearer token we send.
    pub token: Option<Secret>,
    /// `MIANSHEN_TREASURY_CALLBACK_SECRET`: the HMAC secret the treasury signs callbacks
    /// with. Without it every callback is refused (and instructions are followed by polling).
    pub callback_secret: Option<Secret>,
    /// `MIANSHEN_TREASURY_TIMEOUT_SECS`: the longest one request to the treasury may take.
    pub timeout_secs: u64,
    /// `MIANSHEN_RECONCILE_CRON`: when the statement is fetched and reconciled (cron with
    /// seconds, in the scheduler's time zone).
    pub reconcile_cron: String,
}

impl Default for TreasurySettings {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8093".to_owned(),
            token: None,
            callback_secret: None,
            timeout_secs: 30,
            reconcile_cron: "0 30 6 * * *".to_owned(),
        }
    }
}

impl TreasurySettings {
    /// The request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::config::Settings;

    #[test]
    fn treasury_variables_override_defaults_and_secrets_never_print() {
        let vars = HashMap::from([
            ("MIANSHEN_TREASURY_URL", "https://treasury.example.cn/api"),
            ("MIANSHEN_TREASURY_TOKEN", "tok-hunter2"),
            ("MIANSHEN_TREASURY_CALLBACK_SECRET", "cb-hunter3"),
            ("MIANSHEN_TREASURY_TIMEOUT_SECS", "7"),
            ("MIANSHEN_RECONCILE_CRON", "0 0 7 * * *"),
        ]);

        let settings = Settings::load_from(&vars).expect("valid settings");

        let t = &settings.treasury;
        assert_eq!(t.url, "https://treasury.example.cn/api");
        assert_eq!(t.token.as_ref().map(|s| s.expose()), Some("tok-hunter2"));
        assert_eq!(
            t.callback_secret.as_ref().map(|s| s.expose()),
            Some("cb-hunter3")
        );
        assert_eq!(t.timeout_secs, 7);
        assert_eq!(t.reconcile_cron, "0 0 7 * * *");
        let printed = format!("{settings:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains("hunter3"),
            "{printed}"
        );
        let defaults = Settings::load_from(&HashMap::new()).expect("defaults");
        assert_eq!(defaults.treasury.url, "http://127.0.0.1:8093");
    }

    #[test]
    fn bad_treasury_values_name_the_variable_and_what_it_expected() {
        let cases = [
            (
                "MIANSHEN_TREASURY_URL",
                "ftp://x",
                "an http:// or https:// URL",
            ),
            (
                "MIANSHEN_TREASURY_TIMEOUT_SECS",
                "0",
                "a whole number of seconds from 1 to 600",
            ),
            (
                "MIANSHEN_TREASURY_TIMEOUT_SECS",
                "soon",
                "a whole number of seconds from 1 to 600",
            ),
            (
                "MIANSHEN_RECONCILE_CRON",
                "daily",
                "a cron expression with seconds",
            ),
        ];
        for (variable, value, expected) in cases {
            let error = Settings::load_from(&HashMap::from([(variable, value)]))
                .expect_err(variable)
                .to_string();
            assert!(
                error.contains(variable) && error.contains(expected),
                "{error}"
            );
        }
    }
}
