//! The Grafana dashboards (`dashboards/*.json`) query only what the service exports: a
//! demo-like night (the sandbox data-sharing platform, the sample policies published, the
//! nightly job, the notices delivered) runs in this process, `/metrics` is scraped and
//! passes `promtool check metrics` (Debian's `prometheus` package), and every metric name
//! in every Prometheus query of every dashboard is in the scrape. The PostgreSQL panels'
//! SQL runs against the migrated database.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Stdio};

use chrono::{SubsecRound as _, Utc};
use mianshen::config::{Secret, Settings};
use mianshen::ingest::NoProgress;
use mianshen::notices::{DeliveryPolicy, Senders, deliver_due};
use mianshen::sandbox::{DataExchange, ExchangeConfig, FeedConfig};
use mianshen::scheduler::{Outcome, run_nightly};
use serde_json::Value;

use crate::helpers::spawn_app_with;

const METRICS_TOKEN: &str = "metrics-token-for-the-dashboards-test";

/// PromQL words that are not metric names (aggregations may put `by (…)` before their
/// parenthesis, so they are listed too).
const KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "and",
    "or",
    "unless",
    "sum",
    "min",
    "max",
    "avg",
    "count",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
];

/// The metric names a PromQL expression reads: identifiers outside label matchers, ranges
/// and strings that are neither functions, aggregations, keywords nor grouping labels.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let mut grouping = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '{' | '[' | '"' => {
                let close = match c {
                    '{' => '}',
                    '[' => ']',
                    _ => '"',
                };
                i += 1;
                while i < chars.len() && chars[i] != close {
                    i += 1;
                }
                i += 1;
            }
            '(' if grouping => {
                while i < chars.len() && chars[i] != ')' {
                    i += 1;
                }
                grouping = false;
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let next = chars[i..].iter().find(|c| !c.is_whitespace());
                if word == "by" || word == "without" || word == "on" || word == "ignoring" {
                    grouping = true;
                } else if next != Some(&'(') && !KEYWORDS.contains(&word.as_str()) {
                    names.insert(word);
                }
            }
            _ => i += 1,
        }
    }
    names
}

#[test]
fn metric_names_are_read_from_promql() {
    let cases = [
        (
            "sum by (route) (rate(mianshen_http_requests_total{status=~\"5..\"}[5m]))",
            vec!["mianshen_http_requests_total"],
        ),
        (
            "time() - mianshen_nightly_last_success_timestamp_seconds",
            vec!["mianshen_nightly_last_success_timestamp_seconds"],
        ),
        (
            "sum(rate(a_sum[5m])) / sum without (x) (rate(a_count[5m]))",
            vec!["a_count", "a_sum"],
        ),
    ];
    for (expr, names) in cases {
        let expected: BTreeSet<String> = names.into_iter().map(str::to_owned).collect();
        assert_eq!(metric_names(expr), expected, "{expr}");
    }
}

/// Every dashboard: (file name, its JSON).
fn dashboards() -> Vec<(String, Value)> {
    let mut all: Vec<(String, Value)> = std::fs::read_dir("dashboards")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, json)
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

/// (datasource type, query text) of every target of every panel.
fn queries(dashboard: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        let kind = panel["datasource"]["type"].as_str().unwrap_or_default();
        for target in panel["targets"].as_array().unwrap() {
            let text = target["expr"].as_str().or(target["rawSql"].as_str());
            out.push((kind.to_owned(), text.unwrap_or_default().to_owned()));
        }
    }
    out
}

/// The sample names of a Prometheus text exposition.
fn exported(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_metric_the_dashboards_query_is_exported_after_a_night() {
    // Arrange: the service with a metrics token, the sandbox platform, published policies.
    let app = spawn_app_with(|s| s.http.metrics_token = Some(Secret::new(METRICS_TOKEN))).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let exchange = DataExchange::bind(
        ExchangeConfig {
            feeds: FeedConfig {
                firms: 300,
                seed: 1,
                day: 0,
                bad_permille: 20,
            },
            token: "sandbox-token".into(),
        },
        listener,
    );
    let mut settings = Settings::default();
    settings.ingest.base_url = format!("http://{}", exchange.local_addr().unwrap());
    settings.ingest.token = Some(Secret::new("sandbox-token"));
    tokio::spawn(exchange.serve_until(std::future::pending()));
    let pool = &app.app_pool;
    let loaded = mianshen::policies::load_versions(pool, std::path::Path::new("rules"), "author")
        .await
        .unwrap();
    for (id, _, _) in loaded {
        mianshen::policies::publish(pool, id, "reviewer")
            .await
            .unwrap();
    }

    // Act: a night, its notices delivered, a request served; then the scrape.
    let night = run_nightly(pool, &settings, Utc::now().trunc_subsecs(0), &NoProgress)
        .await
        .unwrap();
    let Outcome::Ran(_, counts, matching) = night else {
        panic!("the night did not run: {night:?}");
    };
    assert!(
        counts.quarantined > 0 && matching.grants_created > 0,
        "{counts:?} {matching:?}"
    );
    let policy = DeliveryPolicy::default();
    let delivered = deliver_due(pool, &Senders::new(&policy).unwrap(), &policy)
        .await
        .unwrap();
    assert!(delivered > 0);
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let scrape = client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    let text = scrape.text().await.unwrap();

    // Assert: promtool accepts the exposition.
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package `prometheus`) is installed");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    // Assert: every metric name of every Prometheus query is exported; every SQL query runs.
    let names = exported(&text);
    let all = dashboards();
    let files: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        files,
        [
            "disbursement.json",
            "http.json",
            "nightly.json",
            "notices.json"
        ]
    );
    for (file, dashboard) in &all {
        let queries = queries(dashboard);
        assert!(!queries.is_empty(), "{file} has panels with queries");
        for (kind, query) in queries {
            match kind.as_str() {
                "prometheus" => {
                    let used = metric_names(&query);
                    assert!(!used.is_empty(), "{file}: no metric in {query}");
                    for name in used {
                        assert!(
                            names.contains(&name),
                            "{file}: {name} is not exported ({query})"
                        );
                    }
                }
                "grafana-postgresql-datasource" => {
                    // Grafana's time macro, as it would expand it for the last 7 days.
                    let sql = query.replace(
                        "$__timeFilter(settled_at)",
                        "settled_at > now() - interval '7 days'",
                    );
                    assert!(!sql.contains('$'), "{file}: an unexpanded macro in {sql}");
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(&app.db.pool)
                        .await
                        .unwrap_or_else(|e| panic!("{file}: {e}\n{sql}"));
                }
                other => panic!("{file}: unknown datasource {other}"),
            }
        }
    }
}
