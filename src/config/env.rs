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
        "MIANSHEN_LOGIN_LOCKOUT_MINUTES",
        "a whole number of minutes from 1 to 10080",
        &mut settings.auth.lockout_minutes,
        |n| (1..=10_080).contains(n),
    )?;
    parse_into(
        vars,
        "MIANSHEN_LOGIN_ATTEMPTS_PER_MINUTE",
        "a whole number from 1 to 10000",
        &mut settings.auth.attempts_per_minute,
        |n| (1..=10_000).contains(n),
    )?;
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
