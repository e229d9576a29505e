//! The service's own Prometheus metrics beyond HTTP (which `edge::observability` records):
//! the nightly job and its phases, and notice deliveries. Every name here is one a
//! dashboard in `dashboards/` may query; `tests/api/dashboards.rs` checks that each name
//! the dashboards use is exported. Labels never carry a firm or a person.

use std::time::Duration;

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

use crate::ingest::Counts;
use crate::matching::MatchSummary;

/// Gives every metric its help text and unit (the exposition's `# HELP` lines), once the
/// recorder is installed.
pub fn describe() {
    describe_counter!(
        "mianshen_http_requests_total",
        "HTTP requests by method, route template and status."
    );
    describe_histogram!(
        "mianshen_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request duration by method, route template and status."
    );
    describe_counter!(
        "mianshen_nightly_runs_total",
        "Nightly runs finished, by status."
    );
    describe_gauge!(
        "mianshen_nightly_duration_seconds",
        Unit::Seconds,
        "Duration of the last nightly run."
    );
    describe_gauge!(
        "mianshen_nightly_phase_duration_seconds",
        Unit::Seconds,
        "Duration of each phase of the last nightly run."
    );
    describe_gauge!(
        "mianshen_nightly_last_success_timestamp_seconds",
        Unit::Seconds,
        "When the last nightly run succeeded (Unix time)."
    );
    describe_gauge!(
        "mianshen_nightly_firms",
        "Firms the last nightly matching decided."
    );
    describe_counter!(
        "mianshen_ingest_records_total",
        "Source records ingested, by outcome."
    );
    describe_counter!(
        "mianshen_matching_decisions_total",
        "Rule evaluations (decisions) made by matching."
    );
    describe_counter!(
        "mianshen_matching_errors_total",
        "Rule evaluations that ended in an error."
    );
    describe_gauge!(
        "mianshen_matching_evaluations_per_second",
        "Decisions per second of the last nightly matching."
    );
    describe_counter!(
        "mianshen_grants_created_total",
        "Grants created by matching."
    );
    describe_counter!("mianshen_notices_queued_total", "Notices queued, by kind.");
    describe_counter!(
        "mianshen_notice_deliveries_total",
        "Notice delivery attempts, by channel and outcome (delivered, retry, dead)."
    );
    describe_histogram!(
        "mianshen_notice_delivery_duration_seconds",
        Unit::Seconds,
        "Duration of one delivery attempt, by channel."
    );
    describe_histogram!(
        "mianshen_notice_delivery_latency_seconds",
        Unit::Seconds,
        "Time from a notice's queueing to its delivery, by channel."
    );
}

/// How one phase of the nightly job went.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    /// `ingest`, `matching` or `publicity`.
    pub name: &'static str,
    pub took: Duration,
}

/// A finished nightly run: its status, phase times and the counts of its work.
pub fn nightly_finished(
    status: &'static str,
    total: Duration,
    phases: &[Phase],
    work: Option<(&Counts, &MatchSummary)>,
) {
    metrics::counter!("mianshen_nightly_runs_total", "status" => status).increment(1);
    metrics::gauge!("mianshen_nightly_duration_seconds").set(total.as_secs_f64());
    for phase in phases {
        metrics::gauge!("mianshen_nightly_phase_duration_seconds", "phase" => phase.name)
            .set(phase.took.as_secs_f64());
    }
    let Some((counts, matching)) = work else {
        return;
    };
    metrics::gauge!("mianshen_nightly_last_success_timestamp_seconds")
        .set(chrono::Utc::now().timestamp() as f64);
    for (outcome, n) in [
        ("fetched", counts.fetched),
        ("stored", counts.stored),
        ("unchanged", counts.unchanged),
        ("quarantined", counts.quarantined),
    ] {
        metrics::counter!("mianshen_ingest_records_total", "outcome" => outcome).increment(n);
    }
    metrics::gauge!("mianshen_nightly_firms").set(matching.firms as f64);
    metrics::counter!("mianshen_matching_decisions_total").increment(matching.decisions);
    metrics::counter!("mianshen_matching_errors_total")
        .increment(u64::try_from(matching.errors).unwrap_or(0));
    metrics::counter!("mianshen_grants_created_total").increment(matching.grants_created);
    metrics::counter!("mianshen_notices_queued_total", "kind" => "grant")
        .increment(matching.notices_queued);
    metrics::counter!("mianshen_notices_queued_total", "kind" => "reminder")
        .increment(matching.reminders_queued);
    if let Some(took) = phases.iter().find(|p| p.name == "matching").map(|p| p.took)
        && !took.is_zero()
    {
        // Integer arithmetic: decisions per second, rounded down.
        let per_second = u128::from(matching.decisions) * 1000 / took.as_millis().max(1);
        metrics::gauge!("mianshen_matching_evaluations_per_second").set(per_second as f64);
    }
}

/// One delivery attempt of a notice: `delivered`, `retry` (will be tried again) or `dead`.
pub fn delivery_attempted(channel: &str, outcome: &'static str, took: Duration) {
    let channel = known_channel(channel);
    metrics::counter!("mianshen_notice_deliveries_total", "channel" => channel, "outcome" => outcome)
        .increment(1);
    metrics::histogram!("mianshen_notice_delivery_duration_seconds", "channel" => channel)
        .record(took);
}

/// Time from a notice's queueing to its delivery.
pub fn delivery_latency(channel: &str, waited: Duration) {
    metrics::histogram!("mianshen_notice_delivery_latency_seconds", "channel" => known_channel(channel))
        .record(waited);
}

/// Only the four channels become label values (a bounded set whatever the database says).
fn known_channel(channel: &str) -> &'static str {
    match channel {
        "inbox" => "inbox",
        "webhook" => "webhook",
        "email" => "email",
        "sms" => "sms",
        _ => "other",
    }
}
