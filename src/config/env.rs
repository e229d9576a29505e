//! Environment overrides for [`Settings`](super::Settings) and the errors that name
//! the variable at fault.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;

use super::{LogFormat, Secret, Settings};

/// A bad setting, naming where it came from and what was expected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// An environment variable holds a value of the wrong form.
    #[error("environment variable {variable} is {value:?}, but it must be {expected}")]
    Invalid {
        /// The variable's name.
        variable: &'static str,
        /// What it held (never for secrets).
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// The configuration file cannot be read or parsed.
    #[error("configuration file {}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
}

/// A source of variables: the process environment, or a map in tests.
pub trait Vars {
    /// The value of `name`, if set and not empty.
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub(super) struct ProcessEnv;

impl Vars for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Vars for HashMap<&str, &str> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name)
            .map(|v| (*v).to_owned())
            .filter(|v| !v.is_empty())
    }
}

/// Overlays every variable that is set onto `settings`.
pub(super) fn apply(vars: &dyn Vars, settings: &mut Settings) -> Result<(), ConfigError> {
    if let Some(url) = vars.get("DATABASE_URL") {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError::Invalid {
                variable: "DATABASE_URL",
                value: "(hidden: it may hold a password)".to_owned(),
                expected: "a PostgreSQL URL starting with postgres:// or postgresql://",
            });
        }
        settings.database.url = Some(Secret::new(url));
    }
    if let Some(dir) = vars.get("MIANSHEN_PG_BIN") {
        settings.database.pg_bin = Some(PathBuf::from(dir));
    }
    if let Some(dir) = vars.get("MIANSHEN_DATA_DIR") {
        settings.database.data_dir = PathBuf::from(dir);
    }
    parse_into(
        vars,
        "MIANSHEN_DB_MAX_CONNECTIONS",
        "a whole number from 1 to 1000",
        &mut settings.database.max_connections,
        |n| (1..=1000).contains(n),
    )?;
    parse_into(
        vars,
        "MIANSHEN_LISTEN",
        "an address such as 127.0.0.1:8080",
        &mut settings.http.listen,
        |_| true,
    )?;
    parse_bool(
        vars,
        "MIANSHEN_COOKIE_SECURE",
        &mut settings.http.cookie_secure,
    )?;
    if let Some(url) = vars.get("MIANSHEN_PUBLIC_URL") {
        let parsed = reqwest::Url::parse(&url).ok().filter(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some()
                && u.query().is_none()
                && u.fragment().is_none()
        });
        if parsed.is_none() {
            return Err(invalid(
                "MIANSHEN_PUBLIC_URL",
                url,
                "an http:// or https:// URL without query, such as https://mianshen.example.gov.cn",
            ));
        }
        settings.http.public_url = Some(url);
    }
    if let Some(listen) = vars.get("MIANSHEN_METRICS_LISTEN") {
        match listen.trim().parse() {
            Ok(address) => settings.http.metrics_listen = Some(address),
            Err(_) => {
                return Err(invalid(
                    "MIANSHEN_METRICS_LISTEN",
                    listen,
                    "an address such as 127.0.0.1:9464",
                ));
            }
        }
    }
    if let Some(token) = vars.get("MIANSHEN_METRICS_TOKEN") {
        if token.len() < 16 {
            return Err(ConfigError::Invalid {
                variable: "MIANSHEN_METRICS_TOKEN",
                value: "(hidden: a secret)".to_owned(),
                expected: "a secret of at least 16 characters",
            });
        }
        settings.http.metrics_token = Some(Secret::new(token));
    }
    parse_into(
        vars,
        "MIANSHEN_REQUEST_TIMEOUT_SECS",
        "a whole number of seconds from 1 to 3600",
        &mut settings.http.request_timeout_secs,
        |n| (1..=3600).contains(n),
    )?;
    parse_bool(
        vars,
        "MIANSHEN_TRUST_FORWARDED_FOR",
        &mut settings.http.trust_forwarded_for,
    )?;
    parse_into(
        vars,
        "MIANSHEN_SESSION_TTL_MINUTES",
        "a whole number of minutes from 1 to 43200",
        &mut settings.auth.session_ttl_minutes,
        |n| (1..=43_200).contains(n),
    )?;
    parse_into(
        vars,
        "MIANSHEN_LOGIN_MAX_FAILURES",
        "a whole number from 1 to 100",
        &mut settings.auth.max_failed_logins,
        |n| (1..=100).contains(n),
    )?;
    parse_into(
        vars,
        "MIANSHEN_LOGIN_MAX_BACKOFF_MINUTES",
        "a whole number of minutes from 1 to 10080",
        &mut settings.auth.max_backoff_minutes,
        |n| (1..=10_080).contains(n),
    )?;
    parse_into(
        vars,
        "MIANSHEN_API_TOKEN_TTL_DAYS",
        "a whole number of days from 1 to 3650",
        &mut settings.auth.api_token_ttl_days,
        |n| (1..=3650).contains(n),
    )?;
    parse_into(
        vars,
        "MIANSHEN_LOGIN_ATTEMPTS_PER_MINUTE",
        "a whole number from 1 to 10000",
        &mut settings.auth.attempts_per_minute,
        |n| (1..=10_000).contains(n),
    )?;
    apply_ingest(vars, settings)?;
    crate::audit::apply_env(vars, &mut settings.audit)?;
    apply_treasury(vars, &mut settings.treasury)?;
    if let Some(format) = vars.get("MIANSHEN_LOG_FORMAT") {
        settings.log.format = match format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => return Err(invalid("MIANSHEN_LOG_FORMAT", format, "`text` or `json`")),
        };
    }
    if let Some(filter) = vars.get("MIANSHEN_LOG") {
        if tracing_subscriber::EnvFilter::try_new(&filter).is_err() {
            return Err(invalid(
                "MIANSHEN_LOG",
                filter,
                "a tracing filter such as `info` or `mianshen=debug`",
            ));
        }
        settings.log.filter = filter;
    }
    Ok(())
}

/// The `[ingest]` and `[scheduler]` overrides.
fn apply_ingest(vars: &dyn Vars, settings: &mut Settings) -> Result<(), ConfigError> {
    if let Some(url) = vars.get("MIANSHEN_INGEST_BASE_URL") {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(invalid(
                "MIANSHEN_INGEST_BASE_URL",
                url,
                "an http:// or https:// URL",
            ));
        }
        settings.ingest.base_url = url;
    }
    if let Some(token) = vars.get("MIANSHEN_INGEST_TOKEN") {
        settings.ingest.token = Some(Secret::new(token));
    }
    let ingest = &mut settings.ingest;
    parse_into(
        vars,
        "MIANSHEN_INGEST_PAGE_SIZE",
        "a whole number from 1 to 100000",
        &mut ingest.page_size,
        |n| (1..=100_000).contains(n),
    )?;
    parse_into(
        vars,
        "MIANSHEN_INGEST_TIMEOUT_SECS",
        "a whole number of seconds from 1 to 3600",
        &mut ingest.timeout_secs,
        |n| (1..=3600).contains(n),
    )?;
    parse_into(
        vars,
        "MIANSHEN_INGEST_RETRIES",
        "a whole number from 0 to 20",
        &mut ingest.retries,
        |n| *n <= 20,
    )?;
    parse_into(
        vars,
        "MIANSHEN_INGEST_MERGE_BATCH",
        "a whole number from 1 to 100000",
        &mut ingest.merge_batch,
        |n| (1..=100_000).contains(n),
    )?;
    parse_into(
        vars,
        "MIANSHEN_INGEST_WORKERS",
        "a whole number from 1 to 64",
        &mut ingest.workers,
        |n| (1..=64).contains(n),
    )?;
    let scheduler = &mut settings.scheduler;
    if let Some(cron) = vars.get("MIANSHEN_NIGHTLY_CRON") {
        if crate::scheduler::parse_cron(&cron).is_err() {
            return Err(invalid(
                "MIANSHEN_NIGHTLY_CRON",
                cron,
                "a cron expression with seconds, such as `0 0 2 * * *`",
            ));
        }
        scheduler.nightly_cron = cron;
    }
    if let Some(tz) = vars.get("MIANSHEN_NIGHTLY_TIMEZONE") {
        if tz.parse::<chrono_tz::Tz>().is_err() {
            return Err(invalid(
                "MIANSHEN_NIGHTLY_TIMEZONE",
                tz,
                "an IANA time zone such as Asia/Shanghai",
            ));
        }
        scheduler.timezone = tz;
    }
    parse_bool(vars, "MIANSHEN_SCHEDULER_ENABLED", &mut scheduler.enabled)?;
    parse_into(
        vars,
        "MIANSHEN_NIGHTLY_WORKERS",
        "a whole number from 1 to 64",
        &mut scheduler.workers,
        |n| (1..=64).contains(n),
    )?;
    apply_notices(vars, &mut settings.notices)
}

/// The `[notices]` overrides.
fn apply_notices(
    vars: &dyn Vars,
    notices: &mut crate::notices::NoticesSettings,
) -> Result<(), ConfigError> {
    parse_bool(vars, "MIANSHEN_NOTICES_ENABLED", &mut notices.enabled)?;
    if let Some(hosts) = vars.get("MIANSHEN_WEBHOOK_ALLOW_HOSTS") {
        notices.webhook_allow_hosts = hosts
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
    }
    for (variable, target) in [
        ("MIANSHEN_SMTP_HOST", &mut notices.smtp_host),
        ("MIANSHEN_SMTP_FROM", &mut notices.smtp_from),
        ("MIANSHEN_SMS_GATEWAY_URL", &mut notices.sms_gateway_url),
    ] {
        if let Some(value) = vars.get(variable) {
            *target = value;
        }
    }
    if let Some(token) = vars.get("MIANSHEN_SMS_GATEWAY_TOKEN") {
        notices.sms_gateway_token = Some(Secret::new(token));
    }
    if let Some(from) = &vars.get("MIANSHEN_SMTP_FROM")
        && from.parse::<lettre::message::Mailbox>().is_err()
    {
        return Err(invalid(
            "MIANSHEN_SMTP_FROM",
            from.clone(),
            "an email address, optionally with a name: `免申即享 <noreply@example.cn>`",
        ));
    }
    if let Some(user) = vars.get("MIANSHEN_SMTP_USERNAME") {
        notices.smtp_username = Some(user);
    }
    if let Some(password) = vars.get("MIANSHEN_SMTP_PASSWORD") {
        notices.smtp_password = Some(Secret::new(password));
    }
    parse_into(
        vars,
        "MIANSHEN_SMTP_TIMEOUT_SECS",
        "a whole number of seconds from 1 to 600",
        &mut notices.smtp_timeout_secs,
        |n| (1..=600).contains(n),
    )?;
    let port = "a port number from 1 to 65535";
    parse_into(
        vars,
        "MIANSHEN_SMTP_PORT",
        port,
        &mut notices.smtp_port,
        |n| *n > 0,
    )?;
    let secs = "a whole number of seconds from 1 to 3600";
    let t = &mut notices.webhook_timeout_secs;
    parse_into(
        vars,
        "MIANSHEN_NOTICES_WEBHOOK_TIMEOUT_SECS",
        secs,
        t,
        |n| (1..=3600).contains(n),
    )?;
    let attempts = "a whole number from 1 to 100";
    let a = &mut notices.max_attempts;
    parse_into(vars, "MIANSHEN_NOTICES_MAX_ATTEMPTS", attempts, a, |n| {
        (1..=100).contains(n)
    })?;
    let ms = "a whole number of milliseconds from 1 to 3600000";
    let b = &mut notices.base_backoff_ms;
    parse_into(vars, "MIANSHEN_NOTICES_BASE_BACKOFF_MS", ms, b, |n| {
        (1..=3_600_000).contains(n)
    })?;
    let m = &mut notices.max_backoff_secs;
    parse_into(
        vars,
        "MIANSHEN_NOTICES_MAX_BACKOFF_SECS",
        "a whole number of seconds from 1 to 86400",
        m,
        |n| (1..=86_400).contains(n),
    )?;
    let c = &mut notices.concurrency;
    parse_into(
        vars,
        "MIANSHEN_NOTICES_CONCURRENCY",
        "a whole number from 1 to 1024",
        c,
        |n| (1..=1024).contains(n),
    )?;
    Ok(())
}

/// The `[treasury]` overrides.
fn apply_treasury(
    vars: &dyn Vars,
    treasury: &mut crate::treasury::TreasurySettings,
) -> Result<(), ConfigError> {
    if let Some(url) = vars.get("MIANSHEN_TREASURY_URL") {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(invalid(
                "MIANSHEN_TREASURY_URL",
                url,
                "an http:// or https:// URL",
            ));
        }
        treasury.url = url;
    }
    if let Some(token) = vars.get("MIANSHEN_TREASURY_TOKEN") {
        treasury.token = Some(Secret::new(token));
    }
    if let Some(secret) = vars.get("MIANSHEN_TREASURY_CALLBACK_SECRET") {
        treasury.callback_secret = Some(Secret::new(secret));
    }
    parse_into(
        vars,
        "MIANSHEN_TREASURY_TIMEOUT_SECS",
        "a whole number of seconds from 1 to 600",
        &mut treasury.timeout_secs,
        |n| (1..=600).contains(n),
    )?;
    if let Some(cron) = vars.get("MIANSHEN_RECONCILE_CRON") {
        if crate::scheduler::parse_cron(&cron).is_err() {
            return Err(invalid(
                "MIANSHEN_RECONCILE_CRON",
                cron,
                "a cron expression with seconds, such as `0 30 6 * * *`",
            ));
        }
        treasury.reconcile_cron = cron;
    }
    Ok(())
}

fn invalid(variable: &'static str, value: String, expected: &'static str) -> ConfigError {
    ConfigError::Invalid {
        variable,
        value,
        expected,
    }
}

fn parse_into<T: FromStr>(
    vars: &dyn Vars,
    variable: &'static str,
    expected: &'static str,
    target: &mut T,
    accept: impl Fn(&T) -> bool,
) -> Result<(), ConfigError> {
    let Some(raw) = vars.get(variable) else {
        return Ok(());
    };
    match raw.trim().parse::<T>() {
        Ok(value) if accept(&value) => {
            *target = value;
            Ok(())
        }
        _ => Err(invalid(variable, raw, expected)),
    }
}

fn parse_bool(
    vars: &dyn Vars,
    variable: &'static str,
    target: &mut bool,
) -> Result<(), ConfigError> {
    let Some(raw) = vars.get(variable) else {
        return Ok(());
    };
    *target = match raw.trim() {
        "true" | "1" | "yes" | "on" => true,
        "false" | "0" | "no" | "off" => false,
        _ => return Err(invalid(variable, raw, "true or false")),
    };
    Ok(())
}
