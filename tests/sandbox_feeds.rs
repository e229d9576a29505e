//! The sandbox exchange over real HTTP on loopback: determinism, paging, days, bad records, auth.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use mianshen::profiles::validate_value;
use mianshen::sandbox::{DataExchange, Defect, ExchangeConfig, FeedConfig, Feeds, Source};
use serde_json::Value;
use tokio::sync::oneshot;

const TOKEN: &str = "test-token";

/// A running exchange on port 0.
struct Sandbox {
    base: String,
    feeds: Arc<Feeds>,
    client: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

async fn spawn(firms: u64, seed: u64, bad_permille: u32) -> Sandbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = ExchangeConfig {
        feeds: FeedConfig {
            firms,
            seed,
            day: 0,
            bad_permille,
        },
        token: TOKEN.into(),
    };
    let exchange = DataExchange::bind(config, listener);
    let base = format!("http://{}", exchange.local_addr().unwrap());
    let feeds = exchange.feeds();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(exchange.serve_until(async {
        let _ = stopped.await;
    }));
    Sandbox {
        base,
        feeds,
        client: reqwest::Client::new(),
        _stop: stop,
    }
}

impl Sandbox {
    async fn raw(&self, source: &str, query: &str) -> String {
        let url = format!("{}/feeds/{source}?{query}", self.base);
        let r = self
            .client
            .get(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    async fn page(&self, source: Source, since: Option<&str>, limit: usize) -> Value {
        let since = since.map(|c| format!("&since={c}")).unwrap_or_default();
        let body = self
            .raw(source.name(), &format!("limit={limit}{since}"))
            .await;
        serde_json::from_str(&body).unwrap()
    }

    /// Every item from `since` until caught up, and the final cursor.
    async fn drain(
        &self,
        source: Source,
        since: Option<String>,
        limit: usize,
    ) -> (Vec<Value>, String) {
        let (mut items, mut cursor) = (Vec::new(), since);
        loop {
            let page = self.page(source, cursor.as_deref(), limit).await;
            let next = page["next_cursor"].as_str().unwrap().to_owned();
            let got = page["items"].as_array().unwrap().clone();
            if got.is_empty() {
                if let Some(since) = &cursor {
                    assert_eq!(&next, since, "caught up keeps the cursor");
                }
                return (items, next);
            }
            items.extend(got);
            cursor = Some(next);
        }
    }

    async fn advance_day(&self) -> Value {
        let url = format!("{}/admin/advance-day", self.base);
        let r = self
            .client
            .post(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

fn uscc(item: &Value) -> String {
    item["uscc"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_same_seed_serves_the_same_bytes_and_another_seed_does_not() {
    let (a, b, c) = (
        spawn(300, 7, 50).await,
        spawn(300, 7, 50).await,
        spawn(300, 8, 50).await,
    );
    for source in Source::ALL {
        let q = "limit=300";
        let (x, y, z) = (
            a.raw(source.name(), q).await,
            b.raw(source.name(), q).await,
            c.raw(source.name(), q).await,
        );
        assert_eq!(x, y, "{source}");
        assert_ne!(x, z, "{source}");
    }
}

#[tokio::test]
async fn paging_walks_every_firm_once_per_source_and_cursors_resume_exactly() {
    let sandbox = spawn(2_500, 11, 0).await;
    for source in Source::ALL {
        let (items, _) = sandbox.drain(source, None, 700).await;
        let usccs: HashSet<String> = items.iter().map(uscc).collect();
        assert_eq!((items.len(), usccs.len()), (2_500, 2_500), "{source}");

        let first = sandbox.page(source, None, 700).await;
        let cursor = first["next_cursor"].as_str().unwrap();
        let again = sandbox.page(source, Some(cursor), 700).await;
        assert_eq!(
            again["items"],
            Value::Array(items[700..1400].to_vec()),
            "{source}"
        );
        assert_eq!(again["as_of"], "2026-11-23");
    }
}

#[tokio::test]
async fn a_cursor_saved_on_day_zero_returns_only_the_firms_changed_since() {
    // Arrange: a client that has read every feed to the end on day 0.
    let sandbox = spawn(20_000, 3, 0).await;
    let mut saved = Vec::new();
    for source in Source::ALL {
        saved.push(sandbox.drain(source, None, 10_000).await.1);
    }
    // Act
    let advanced = sandbox.advance_day().await;
    // Assert
    assert_eq!(advanced["day"], 1);
    let mut changed_existing = BTreeSet::new();
    for (source, cursor) in Source::ALL.into_iter().zip(saved) {
        let (items, next) = sandbox.drain(source, Some(cursor.clone()), 1_000).await;
        let expected = sandbox.feeds.changed(source, 1);
        assert_eq!(items.len(), expected.len(), "{source}");
        for item in &items {
            assert_eq!(
                faults(source, item),
                Vec::<String>::new(),
                "{source}: {item}"
            );
        }
        assert_ne!(next, cursor);
        changed_existing.extend(expected.into_iter().filter(|i| *i < 20_000));
        let page = sandbox.page(source, Some(&next), 10).await;
        assert_eq!(page["items"], Value::Array(vec![]), "{source}: caught up");
        assert_eq!(page["as_of"], "2026-11-24");
    }
    // About 1% change and 0.05% are deregistered; 0.1% (20) are born.
    assert!(
        (140..=280).contains(&changed_existing.len()),
        "{}",
        changed_existing.len()
    );
    assert_eq!(
        sandbox
            .feeds
            .changed(Source::Credit, 1)
            .iter()
            .filter(|i| **i >= 20_000)
            .count(),
        20
    );
}

/// Each defect kind and the field ingest must name (the contract of `Defect::field`).
const DEFECT_FIELDS: [(Defect, Option<&str>); 17] = [
    (Defect::MissingUscc, Some("uscc")),
    (Defect::UsccBadCheck, Some("uscc")),
    (Defect::UsccNeedsNormalising, None),
    (Defect::UsccWrongLength, Some("uscc")),
    (Defect::MoneyAsNumber, Some("annual[0].revenue")),
    (Defect::MoneyThreeDecimals, Some("annual[0].total_assets")),
    (Defect::NegativeEmployees, Some("annual[0].employees_avg")),
    (Defect::UnknownField, Some("website")),
    (Defect::BadEnum, Some("status")),
    (Defect::BadDate, Some("established_on")),
    (Defect::YearOutOfRange, Some("annual[0].year")),
    (Defect::DuplicateYear, Some("annual[1].year")),
    (Defect::BadPersonHash, Some("hires[0].person")),
    (Defect::BadRegion, Some("region_code")),
    (Defect::BadIndustry, Some("industry_code")),
    (Defect::NotAnObject, Some("")),
    (Defect::ForeignField, Some("name")),
];

/// The fields at fault in `item` as `source` sends it: the validator's, else the ownership rule's.
fn faults(source: Source, item: &Value) -> Vec<String> {
    match validate_value(item) {
        Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        Ok(_) => source.foreign_fields(item),
    }
}

#[tokio::test]
async fn every_defect_kind_appears_and_is_rejected_naming_its_field() {
    for (kind, field) in DEFECT_FIELDS {
        assert_eq!(kind.field(), field, "{kind:?}");
    }
    let (seed, permille) = (5, 400);
    let sandbox = spawn(1_500, seed, permille).await;
    let mut seen = HashSet::new();
    let mut clean = 0;
    for source in Source::ALL {
        let (items, _) = sandbox.drain(source, None, 5_000).await;
        assert_eq!(
            items.len(),
            1_500,
            "{source}: a bad record never stops the feed"
        );
        for (index, item) in items.iter().enumerate() {
            // On day 0 the item at position k is firm k.
            let defect = Defect::pick(seed, source, index as u64, 0, permille);
            let found = faults(source, item);
            match defect.and_then(Defect::field) {
                None => {
                    assert!(
                        found.is_empty(),
                        "{source} {index} {defect:?}: {found:?} in {item}"
                    );
                    clean += 1;
                }
                Some(field) => assert!(
                    found.iter().any(|f| f == field),
                    "{source} {index} {defect:?}: expected {field:?}, found {found:?} in {item}"
                ),
            }
            seen.extend(defect);
        }
    }
    let missing: Vec<Defect> = Defect::ALL
        .into_iter()
        .filter(|k| !seen.contains(k))
        .collect();
    assert!(missing.is_empty(), "never served: {missing:?}");
    assert!(clean > 3_000, "{clean}");
}

#[tokio::test]
async fn bad_requests_get_the_json_error_shape() {
    let sandbox = spawn(50, 1, 0).await;
    let table = [
        ("GET", "/feeds/tax", None, 401, "unauthorized"),
        ("GET", "/feeds/tax", Some("wrong"), 401, "unauthorized"),
        ("POST", "/admin/advance-day", None, 401, "unauthorized"),
        ("GET", "/feeds/police", Some(TOKEN), 404, "unknown_source"),
        ("GET", "/feeds/tax?limit=0", Some(TOKEN), 400, "bad_request"),
        (
            "GET",
            "/feeds/tax?limit=10001",
            Some(TOKEN),
            400,
            "bad_request",
        ),
        (
            "GET",
            "/feeds/tax?limit=ten",
            Some(TOKEN),
            400,
            "bad_request",
        ),
        (
            "GET",
            "/feeds/tax?since=yesterday",
            Some(TOKEN),
            400,
            "bad_request",
        ),
        (
            "GET",
            "/feeds/tax?since=d9i0",
            Some(TOKEN),
            400,
            "bad_request",
        ),
        ("GET", "/feeds/tax?page=2", Some(TOKEN), 400, "bad_request"),
    ];
    for (method, path, token, status, code) in table {
        let url = format!("{}{path}", sandbox.base);
        let mut request = match method {
            "GET" => sandbox.client.get(url),
            _ => sandbox.client.post(url),
        };
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{method} {path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
}
