//! Shared by the `ingest_*` tests: a stand-in data-sharing platform (a real axum server
//! speaking the feed protocol), USCC generation, and settings pointing at both.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use mianshen::config::{Secret, Settings};
use serde_json::{Value, json};
use sqlx::PgPool;

/// The bearer token the stand-in platform wants.
pub const TOKEN: &str = "feed-token";
const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A valid USCC: `913702` + region-ish digits + a counter, with its check character.
pub fn uscc(n: u32) -> String {
    let base = format!("91370212MA{n:07}");
    let weights = [
        1u32, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: u32 = base
        .bytes()
        .zip(weights)
        .map(|(b, w)| CHARS.iter().position(|c| *c == b).unwrap() as u32 * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    format!("{base}{}", CHARS[check as usize] as char)
}

/// The feeds served: source → records; shared so a test can change them between runs.
pub type Feeds = Arc<Mutex<HashMap<String, Vec<Value>>>>;

#[derive(Clone)]
struct Platform {
    feeds: Feeds,
    delay: Duration,
}

/// Starts the stand-in platform; each page waits `delay` (to give a kill time to land).
pub async fn start_platform(feeds: Feeds, delay: Duration) -> String {
    let app = Router::new()
        .route("/feeds/{source}", get(page))
        .with_state(Platform { feeds, delay });
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

async fn page(
    State(p): State<Platform>,
    Path(source): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let error = |status: StatusCode, code: &str| {
        (
            status,
            Json(json!({"error": {"code": code, "message": code}})),
        )
            .into_response()
    };
    if headers.get("authorization").and_then(|h| h.to_str().ok())
        != Some(&format!("Bearer {TOKEN}"))
    {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    tokio::time::sleep(p.delay).await;
    let feeds = p.feeds.lock().unwrap();
    let Some(items) = feeds.get(&source) else {
        return error(StatusCode::NOT_FOUND, "unknown_source");
    };
    let since: usize = q.get("since").map_or(0, |s| s.parse().unwrap());
    let limit: usize = q.get("limit").map_or(100, |s| s.parse().unwrap());
    let end = (since + limit).min(items.len());
    let start = since.min(end);
    Json(json!({
        "items": &items[start..end],
        "next_cursor": end.to_string(),
        "as_of": "2026-11-23",
    }))
    .into_response()
}

/// Settings that read every default source from `base` and write to `database_url`.
pub fn settings_for(base: &str, database_url: &str, page_size: u32) -> Settings {
    let mut s = Settings::default();
    s.database.url = Some(Secret::new(database_url.to_owned()));
    s.ingest.base_url = base.to_owned();
    s.ingest.token = Some(Secret::new(TOKEN));
    s.ingest.page_size = page_size;
    s.ingest.merge_batch = 7;
    s.ingest.retries = 0;
    s
}

/// Everything an ingest leaves behind that must not depend on timing, as text rows.
pub async fn state_of(pool: &PgPool) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar::<_, String>(
        "SELECT 'profile ' || p.uscc || ' ' || s.doc::text
         FROM profiles p JOIN profile_snapshots s ON s.id = p.snapshot_id
         UNION ALL SELECT 'snapshot ' || uscc || ' ' || encode(content_hash, 'hex') FROM profile_snapshots
         UNION ALL SELECT 'quarantine ' || source || ' ' || field || ' ' || reason || ' ' || raw FROM quarantine
         UNION ALL SELECT 'cursor ' || source || ' ' || cursor FROM source_cursors
         UNION ALL SELECT 'record ' || uscc || ' ' || source || ' ' || doc::text FROM source_records
         UNION ALL SELECT 'firm ' || uscc || ' ' || name FROM firms
         UNION ALL SELECT 'dirty ' || uscc FROM profile_dirty",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.sort();
    rows
}

/// A feed of `n` firms: market regulation, tax and hrss records for each.
pub fn population(n: u32) -> HashMap<String, Vec<Value>> {
    let mut feeds: HashMap<String, Vec<Value>> = HashMap::new();
    for i in 0..n {
        let u = uscc(i);
        feeds
            .entry("market_regulation".into())
            .or_default()
            .push(json!({
                "uscc": u, "name": format!("测试企业{i}"), "status": "active",
                "region_code": if i % 5 == 0 { "370282" } else { "370212" },
                "industry_code": "C3484", "established_on": "2015-06-01"
            }));
        feeds.entry("tax".into()).or_default().push(json!({
            "uscc": u, "tax_credit_grade": "A",
            "annual": [{"year": 2025, "revenue": format!("{}.00", 1_000_000 + i), "total_assets": "5000000.00"}]
        }));
        feeds.entry("hrss".into()).or_default().push(json!({
            "uscc": u, "annual": [{"year": 2025, "employees_avg": 20 + i % 300}]
        }));
    }
    for s in ["science", "credit"] {
        feeds.entry(s.into()).or_default();
    }
    feeds
}
