//! Settings: defaults, the TOML file, environment overrides, and errors that name the
//! variable and what it expected.

use std::collections::HashMap;
use std::io::Write;

use mianshen::config::{ConfigError, LogFormat, Settings};

#[test]
fn defaults_hold_without_any_variable() {
    let settings = Settings::load_from(&HashMap::new()).unwrap();

    assert_eq!(settings, Settings::default());
    assert_eq!(settings.http.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(settings.database.data_dir.to_str(), Some(".mianshen"));
    assert!(settings.database.url.is_none());
}

#[test]
fn environment_variables_override_defaults() {
    let vars = HashMap::from([
        ("DATABASE_URL", "postgres://u:hunter2@db:5432/x"),
        ("MIANSHEN_LISTEN", "0.0.0.0:9000"),
        ("MIANSHEN_LOG_FORMAT", "json"),
        ("MIANSHEN_LOGIN_MAX_FAILURES", "7"),
        ("MIANSHEN_DATA_DIR", "/var/lib/mianshen"),
    ]);

    let settings = Settings::load_from(&vars).unwrap();

    assert_eq!(
        settings.database.url.as_ref().unwrap().expose(),
        "postgres://u:hunter2@db:5432/x"
    );
    assert_eq!(settings.http.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(settings.log.format, LogFormat::Json);
    assert_eq!(settings.auth.max_failed_logins, 7);
    assert!(
        !format!("{settings:?}").contains("hunter2"),
        "the URL's password never prints"
    );
}

#[test]
fn bad_values_fail_naming_the_variable_and_what_it_expected() {
    let cases = [
        (
            "MIANSHEN_LISTEN",
            "localhost",
            "an address such as 127.0.0.1:8080",
        ),
        (
            "MIANSHEN_DB_MAX_CONNECTIONS",
            "0",
            "a whole number from 1 to 1000",
        ),
        (
            "MIANSHEN_DB_MAX_CONNECTIONS",
            "many",
            "a whole number from 1 to 1000",
        ),
        ("MIANSHEN_COOKIE_SECURE", "maybe", "true or false"),
        ("MIANSHEN_LOG_FORMAT", "xml", "`text` or `json`"),
        (
            "MIANSHEN_LOGIN_MAX_FAILURES",
            "-1",
            "a whole number from 1 to 100",
        ),
        (
            "MIANSHEN_SESSION_TTL_MINUTES",
            "forever",
            "a whole number of minutes",
        ),
        ("DATABASE_URL", "mysql://root@db/x", "a PostgreSQL URL"),
    ];
    for (variable, value, expected) in cases {
        let error = Settings::load_from(&HashMap::from([(variable, value)])).expect_err(variable);

        let message = error.to_string();
        assert!(message.contains(variable), "{variable}: {message}");
        assert!(message.contains(expected), "{variable}: {message}");
        if variable == "DATABASE_URL" {
            assert!(
                !message.contains("root@db"),
                "a URL is never echoed: {message}"
            );
        }
    }
}

#[test]
fn the_toml_file_is_read_and_the_environment_wins_over_it() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "[http]\nlisten = \"127.0.0.1:7000\"\ncookie_secure = true\n[auth]\nmax_backoff_minutes = 60"
    )
    .unwrap();
    let path = file.path().to_str().unwrap();

    let from_file = Settings::load_from(&HashMap::from([("MIANSHEN_CONFIG", path)])).unwrap();
    let overridden = Settings::load_from(&HashMap::from([
        ("MIANSHEN_CONFIG", path),
        ("MIANSHEN_LISTEN", "127.0.0.1:7001"),
    ]))
    .unwrap();

    assert_eq!(from_file.http.listen.to_string(), "127.0.0.1:7000");
    assert!(from_file.http.cookie_secure);
    assert_eq!(from_file.auth.max_backoff_minutes, 60);
    assert_eq!(overridden.http.listen.to_string(), "127.0.0.1:7001");
}

#[test]
fn a_bad_toml_file_names_the_file_and_the_key() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "[http]\nlisen = \"127.0.0.1:7000\"").unwrap();
    let path = file.path().to_str().unwrap();

    let error = Settings::load_from(&HashMap::from([("MIANSHEN_CONFIG", path)])).unwrap_err();

    assert!(matches!(error, ConfigError::File { .. }));
    let message = error.to_string();
    assert!(
        message.contains(path) && message.contains("lisen"),
        "{message}"
    );
}
