//! sqlx's statement events (target `sqlx::query`) carry the whole SQL in `db.statement`,
//! pretty-printed over many lines. [`OneLine`] prints each as one line instead — the
//! statement's first words (sqlx's `summary`), its time in milliseconds and its rows — in
//! the log's format (text or JSON); every other event is printed as usual.

use std::fmt;
use std::time::Duration;

use chrono::Utc;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

const SQLX_TARGET: &str = "sqlx::query";

/// An event formatter that prints sqlx's statement events on one line and hands every
/// other event to `inner`.
#[derive(Debug, Clone)]
pub(super) struct OneLine<F> {
    inner: F,
    json: bool,
}

impl<F> OneLine<F> {
    /// Statements as `… WARN sqlx::query: slow statement statement=… elapsed_ms=… rows=…`.
    pub(super) fn text(inner: F) -> Self {
        Self { inner, json: false }
    }

    /// Statements as one JSON object with `statement`, `elapsed_ms` and `rows`.
    pub(super) fn json(inner: F) -> Self {
        Self { inner, json: true }
    }
}

/// The fields of a sqlx statement event that the line keeps.
#[derive(Debug, Default)]
struct Statement {
    summary: String,
    rows: u64,
    elapsed: Duration,
    slow: bool,
}

impl Visit for Statement {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            value.clone_into(&mut self.summary);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        // A SELECT reports its rows both as returned and as affected (the command tag):
        // the larger of the two is the statement's rows.
        if matches!(field.name(), "rows_affected" | "rows_returned") {
            self.rows = self.rows.max(value);
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed = Duration::try_from_secs_f64(value).unwrap_or_default();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // Only sqlx's slow-statement event has a message.
        if field.name() == "message" {
            self.slow = format!("{value:?}").contains("slow");
        }
    }
}

impl<S, N, F> FormatEvent<S, N> for OneLine<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if event.metadata().target() != SQLX_TARGET {
            return self.inner.format_event(ctx, writer, event);
        }
        let mut s = Statement::default();
        event.record(&mut s);
        let message = if s.slow {
            "slow statement"
        } else {
            "statement"
        };
        let ms = u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX);
        let level = event.metadata().level().as_str();
        let now = Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        if self.json {
            let line = serde_json::json!({
                "timestamp": now,
                "level": level,
                "target": SQLX_TARGET,
                "message": message,
                "statement": s.summary,
                "elapsed_ms": ms,
                "rows": s.rows,
            });
            writeln!(writer, "{line}")
        } else {
            writeln!(
                writer,
                "{now} {level:>5} {SQLX_TARGET}: {message} statement={} elapsed_ms={ms} rows={}",
                s.summary, s.rows
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{OneLine, SQLX_TARGET};

    #[test]
    fn only_sqlx_statements_are_reprinted() {
        // The target sqlx logs statements under is the one it is filtered by.
        assert_eq!(SQLX_TARGET, "sqlx::query");
        let _ = OneLine::text(());
    }
}
