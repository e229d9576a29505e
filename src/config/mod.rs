//! Settings: one typed tree read from defaults, an optional `mianshen.toml`, then
//! environment variables (`DATABASE_URL`, `MIANSHEN_…`), in that order of precedence.

mod env;
mod secret;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use env::ConfigError;
pub use secret::Secret;

/// Everything the service can be told at start.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the data lives.
    pub database: DatabaseSettings,
    /// The HTTP server.
    pub http: HttpSettings,
    /// Logins, sessions and tokens.
    pub auth: AuthSettings,
    /// Logging.
    pub log: LogSettings,
    /// The nightly ingest's data sources (`[ingest]`, sources as `[[ingest.sources]]`).
    pub ingest: crate::ingest::IngestSettings,
    /// When scheduled jobs run (`[scheduler]`).
    pub scheduler: crate::scheduler::SchedulerSettings,
    /// Notice channels and the delivery worker (`[notices]`).
    pub notices: crate::notices::NoticesSettings,
    /// The treasury's payment API, callbacks and reconciliation (`[treasury]`).
    pub treasury: crate::treasury::TreasurySettings,
}

/// Where the data lives.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `DATABASE_URL`: a running PostgreSQL server. When absent, a private cluster is
    /// started from the local PostgreSQL binaries under `data_dir`.
    pub url: Option<Secret>,
    /// `MIANSHEN_PG_BIN`: the folder holding `initdb`, `pg_ctl` and `postgres`. When absent
    /// they are looked for on `PATH`, then under `/usr/lib/postgresql/*/bin`.
    pub pg_bin: Option<PathBuf>,
    /// `MIANSHEN_DATA_DIR`: the folder of the private cluster.
    pub data_dir: PathBuf,
    /// `MIANSHEN_DB_MAX_CONNECTIONS`: the size of the connection pool.
    pub max_connections: u32,
}

/// The HTTP server.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// `MIANSHEN_LISTEN`: the address to listen on.
    pub listen: SocketAddr,
    /// `MIANSHEN_COOKIE_SECURE`: mark cookies `Secure` (set when served over HTTPS).
    pub cookie_secure: bool,
    /// `MIANSHEN_REQUEST_TIMEOUT_SECS`: the longest a request may take, in seconds.
    pub request_timeout_secs: u64,
    /// `MIANSHEN_TRUST_FORWARDED_FOR`: take the client address from `X-Forwarded-For`
    /// (only behind a reverse proxy that sets it).
    pub trust_forwarded_for: bool,
}

/// Logins, sessions and tokens.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// `MIANSHEN_SESSION_TTL_MINUTES`: how long a browser session lasts.
    pub session_ttl_minutes: u32,
    /// `MIANSHEN_LOGIN_MAX_FAILURES`: consecutive failed logins that lock an account.
    pub max_failed_logins: u32,
    /// `MIANSHEN_LOGIN_LOCKOUT_MINUTES`: how long a locked account stays locked.
    pub lockout_minutes: u32,
    /// `MIANSHEN_LOGIN_ATTEMPTS_PER_MINUTE`: login attempts allowed per client address per minute.
    pub attempts_per_minute: u32,
}

/// Logging.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `MIANSHEN_LOG_FORMAT`: `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// `MIANSHEN_LOG`: a tracing filter such as `info` or `mianshen=debug,sqlx=warn`.
    pub filter: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            pg_bin: None,
            data_dir: PathBuf::from(".mianshen"),
            max_connections: 16,
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            cookie_secure: false,
            request_timeout_secs: 30,
            trust_forwarded_for: false,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_ttl_minutes: 8 * 60,
            max_failed_logins: 5,
            lockout_minutes: 15,
            attempts_per_minute: 30,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info,sqlx=warn".to_owned(),
        }
    }
}

impl Settings {
    /// Reads the settings of this process: defaults, then the TOML file named by
    /// `MIANSHEN_CONFIG` (or `./mianshen.toml` if present), then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(&env::ProcessEnv)
    }

    /// Reads settings from the given variables; tests pass a map.
    pub fn load_from(vars: &dyn env::Vars) -> Result<Self, ConfigError> {
        let file = match vars.get("MIANSHEN_CONFIG") {
            Some(path) => Some(PathBuf::from(path)),
            None => Some(PathBuf::from("mianshen.toml")).filter(|p| p.exists()),
        };
        let mut settings = match file {
            Some(path) => Self::from_file(&path)?,
            None => Self::default(),
        };
        env::apply(vars, &mut settings)?;
        Ok(settings)
    }

    fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.to_owned(),
            reason: e.message().to_owned(),
        })
    }
}

pub use env::Vars;
