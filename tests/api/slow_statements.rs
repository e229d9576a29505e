//! Issue 16: a slow statement is logged as one line — its first words, its time and its
//! rows — never with the whole multi-line SQL, in text and in JSON.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mianshen::config::{LogFormat, LogSettings};
use mianshen::db::{self, MIGRATOR};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, PgConnection};
use tracing_subscriber::fmt::MakeWriter;

/// The log output, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Three rows, each sleeping 50 ms: over the 40 ms threshold, written over three lines.
const SLOW_SQL: &str = "SELECT n,\n       pg_sleep(0.05) AS slept\nFROM generate_series(1, 3) AS n";

#[tokio::test]
async fn a_slow_statement_is_one_line_with_its_first_words_time_and_rows() {
    let database = db::fresh_database(&MIGRATOR).await.unwrap();
    for format in [LogFormat::Text, LogFormat::Json] {
        // Arrange: the service's subscriber at `warn`, writing into memory.
        let captured = Captured::default();
        let settings = LogSettings {
            format,
            filter: "warn".to_owned(),
        };
        let guard = tracing::subscriber::set_default(mianshen::telemetry::subscriber(
            &settings,
            captured.clone(),
        ));
        let options: PgConnectOptions = database.url().parse().unwrap();
        let options =
            options.log_slow_statements(log::LevelFilter::Warn, Duration::from_millis(40));
        let mut conn = PgConnection::connect_with(&options).await.unwrap();

        // Act
        let rows = sqlx::query(SLOW_SQL).fetch_all(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        drop(guard);

        // Assert
        assert_eq!(rows.len(), 3);
        let out = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(
            !out.contains("generate_series"),
            "{format:?}: the whole SQL leaked:\n{out}"
        );
        let slow: Vec<&str> = out.lines().filter(|l| l.contains("pg_sleep")).collect();
        assert_eq!(slow.len(), 1, "{format:?}: one line per statement:\n{out}");
        let line = slow[0];
        match format {
            LogFormat::Text => {
                assert!(line.contains("WARN"), "{line}");
                assert!(line.contains("slow statement"), "{line}");
                assert!(
                    line.contains("statement=SELECT n, pg_sleep(0.05) AS …"),
                    "{line}"
                );
                assert!(line.contains("rows=3"), "{line}");
                let ms: u64 = line
                    .split("elapsed_ms=")
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("elapsed_ms in {line}"));
                assert!(ms >= 150, "{line}");
            }
            LogFormat::Json => {
                let event: serde_json::Value = serde_json::from_str(line).unwrap();
                assert_eq!(event["level"], "WARN");
                assert_eq!(event["message"], "slow statement");
                assert_eq!(event["statement"], "SELECT n, pg_sleep(0.05) AS …");
                assert_eq!(event["rows"], 3);
                assert!(event["elapsed_ms"].as_u64().unwrap() >= 150, "{line}");
                assert!(event.get("db.statement").is_none());
            }
        }
    }
}
