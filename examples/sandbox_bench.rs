//! Benchmark of the sandbox exchange: prints the time to generate 1,000,000 merged profiles and
//! to page all five feeds of 1,000,000 firms with limit 5,000 over loopback HTTP.
//!
//! `cargo run --release --example sandbox_bench -- [FIRMS]` (default 1,000,000).
#![allow(clippy::unwrap_used)]

use std::io::BufWriter;
use std::time::Instant;

use mianshen::sandbox::{DataExchange, ExchangeConfig, FeedConfig, Source, write_jsonl};

/// User + system CPU seconds of this process so far (Linux `/proc`, 100 ticks per second).
fn cpu_seconds() -> String {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i)?.parse::<u64>().ok())
        .sum();
    format!("{}.{:02}", ticks / 100, ticks % 100)
}

/// The firm index of a day-0 cursor `d0i{n}` (0 for the start).
fn position(cursor: &str) -> u64 {
    cursor
        .rsplit('i')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let firms: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed = 1;

    let file = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let mut out = BufWriter::with_capacity(1 << 20, file.reopen().unwrap());
    write_jsonl(&mut out, firms, seed, 0, |_| {}).unwrap();
    drop(out);
    let bytes = std::fs::metadata(file.path()).unwrap().len();
    println!(
        "gen profiles --count {firms}: {:.2?} wall, {} MB (process CPU so far {} s)",
        started.elapsed(),
        bytes / 1_000_000,
        cpu_seconds()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = ExchangeConfig {
        feeds: FeedConfig {
            firms,
            seed,
            day: 0,
            bad_permille: 5,
        },
        token: "bench".into(),
    };
    let exchange = DataExchange::bind(config, listener);
    let base = format!("http://{}", exchange.local_addr().unwrap());
    tokio::spawn(exchange.serve_until(std::future::pending()));
    let client = reqwest::Client::new();
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let (mut items, mut bytes) = (0_usize, 0_usize);
    for source in Source::ALL {
        let mut since = String::new();
        loop {
            let mut url = format!("{base}/feeds/{}?limit=5000", source.name());
            if !since.is_empty() {
                url.push_str(&format!("&since={since}"));
            }
            let body = client
                .get(url)
                .bearer_auth("bench")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            bytes += body.len();
            // Read only the tail: the bench measures the server, not a JSON parser.
            let tail = &body[body.rfind("\"next_cursor\":\"").unwrap() + 15..];
            let next = &tail[..tail.find('"').unwrap()];
            if next == since {
                break;
            }
            let (from, to) = (position(&since), position(next));
            items += usize::try_from(to - from).unwrap();
            since = next.to_owned();
        }
    }
    println!(
        "paging 5 feeds x {firms} firms, limit 5000: {:.2?} wall, {items} items, {} MB (process CPU {} s -> {} s, client included, reading only each page's cursor)",
        started.elapsed(),
        bytes / 1_000_000,
        cpu_before,
        cpu_seconds()
    );
}
