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
    /// The audit chain's signed checkpoints (`[audit]`).
    pub audit: crate::audit::AuditSettings,
    /// The treasury's payment API, callbacks and reconciliation (`[treasury]`).
    pub treasury: crate::treasury::TreasurySettings,
    /// The demo's accounts, shown on `/demo` (set by `mianshen demo` only; never read
    /// from a file or the environment).
    #[serde(skip)]
    pub demo: Option<DemoGuide>,
}

/// What `/demo` shows: the demo's accounts per role and their shared password.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DemoGuide {
    /// The password of every demo account (a demo only).
    pub password: String,
    /// The accounts, in the order shown.
    pub accounts: Vec<DemoAccount>,
}

/// One demo account.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAccount {
    /// The login name.
    pub username: String,
    /// Who it is (for the enterprise: the firm's name).
    pub display_name: String,
    /// Its role.
    pub role: crate::accounts::Role,
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
    /// `MIANSHEN_PUBLIC_URL`: the address people reach the service at (`https://…` behind
    /// TLS), for absolute links; cookies are `Secure` when it is https. Unset: `http://` and
    /// the listen address.
    pub public_url: Option<String>,
    /// `MIANSHEN_COOKIE_SECURE`: mark cookies `Secure` even when the public URL is http.
    pub cookie_secure: bool,
    /// `MIANSHEN_METRICS_LISTEN`: serve `/metrics` (without a token) on this address of its
    /// own, e.g. `127.0.0.1:9464`, for Prometheus on the same host or network.
    pub metrics_listen: Option<SocketAddr>,
    /// `MIANSHEN_METRICS_TOKEN`: serve `/metrics` on the main address too, to callers that
    /// send `Authorization: Bearer <token>`. Neither set: `/metrics` is not served.
    pub metrics_token: Option<Secret>,
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
    /// `MIANSHEN_LOGIN_MAX_FAILURES`: failures of one name from one address after which
    /// every further attempt from there waits (30 s, doubling).
    pub max_failed_logins: u32,
    /// `MIANSHEN_LOGIN_MAX_BACKOFF_MINUTES`: the longest such wait.
    pub max_backoff_minutes: u32,
    /// `MIANSHEN_API_TOKEN_TTL_DAYS`: the lifetime of an API token (its owner may ask for less).
    pub api_token_ttl_days: u32,
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
            public_url: None,
            cookie_secure: false,
            metrics_listen: None,
            metrics_token: None,
            request_timeout_secs: 30,
            trust_forwarded_for: false,
        }
    }
}

impl HttpSettings {
    /// The public URL without a trailing slash: the configured one, else `http://<listen>`.
    pub fn public_url(&self) -> String {
        self.public_url.as_deref().map_or_else(
            || format!("http://{}", self.listen),
            |url| url.trim_end_matches('/').to_owned(),
        )
    }

    /// Whether cookies carry `Secure`: the public URL is https, or it is forced.
    pub fn secure_cookies(&self) -> bool {
        self.cookie_secure || self.public_url().starts_with("https://")
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_ttl_minutes: 8 * 60,
            max_failed_logins: 5,
            max_backoff_minutes: 15,
            api_token_ttl_days: 90,
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
    /// The notice worker's policy: the `[notices]` settings, with links made absolute on
    /// the public URL.
    pub fn delivery_policy(&self) -> crate::notices::DeliveryPolicy {
        crate::notices::DeliveryPolicy {
            public_url: self.http.public_url(),
            ..self.notices.policy()
        }
    }

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

/// The machine's cores (1 when unknown): the default of the night's in-process workers.
pub fn cores() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(1))
}
