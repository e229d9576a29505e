//! The sandbox exchange over real HTTP on loopback: determinism, paging, days, auth.
#![allow(clippy::unwrap_used)]

mod sandbox_support;

use std::collections::{BTreeSet, HashSet};

use mianshen::sandbox::Source;
use sandbox_support::{TOKEN, faults, spawn, uscc};
use serde_json::Value;

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
