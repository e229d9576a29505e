//! Logging: human-readable text or JSON lines, filtered by `MIANSHEN_LOG`; the service's
//! own metrics are in [`metrics`].
//!
//! sqlx reports a slow statement with its whole SQL, over many lines; the log prints it as
//! one line instead ([`statements`]): the statement's first words, its time and its rows.

pub mod metrics;
mod statements;

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Format;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::{LogFormat, LogSettings};

/// Installs the process-wide subscriber, writing to stderr (once; later calls are ignored).
pub fn init(settings: &LogSettings) {
    let _ = subscriber(settings, std::io::stderr).try_init();
}

/// The subscriber [`init`] installs, writing to `writer` (tests capture it).
pub fn subscriber<W>(settings: &LogSettings, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match settings.format {
        LogFormat::Json => {
            let inner = Format::default().json().flatten_event(true);
            Box::new(
                builder
                    .json()
                    .event_format(statements::OneLine::json(inner))
                    .finish(),
            )
        }
        LogFormat::Text => Box::new(
            builder
                .event_format(statements::OneLine::text(Format::default()))
                .finish(),
        ),
    }
}
