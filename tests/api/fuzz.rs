//! The API fuzz pass: random requests to every route (random path segments, query
//! parameters and bodies made of strings, numbers, unicode and control characters), as
//! every role and as nobody, must never get a 5xx. The routes come from one table, and a
//! second test fails when the source declares a route the table lacks, so a new route is
//! fuzzed from the day it is added.
//!
//! `cargo test --test api fuzz` runs 300 requests; set `MIANSHEN_FUZZ_CASES` for more, e.g.
//! `MIANSHEN_FUZZ_CASES=20000 cargo test --release --test api fuzz -- --nocapture`.

use std::collections::BTreeSet;

use mianshen::accounts::Role;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::{Map, Value};

use crate::helpers::{FIRM_A, insert_token, spawn_app};

/// Every route: method, path template, and the JSON (or form) fields its body is read for.
const ROUTES: &[(&str, &str, &[&str])] = &[
    ("GET", "/healthz", &[]),
    ("GET", "/readyz", &[]),
    ("GET", "/metrics", &[]),
    ("GET", "/openapi.json", &[]),
    ("POST", "/api/v1/session", &["username", "password"]),
    ("DELETE", "/api/v1/session", &[]),
    ("GET", "/api/v1/me", &[]),
    ("GET", "/api/v1/me/tokens", &[]),
    ("POST", "/api/v1/me/tokens", &["label", "expires_in_days"]),
    ("POST", "/api/v1/me/tokens/{id}/revoke", &[]),
    (
        "PUT",
        "/api/v1/me/password",
        &["current_password", "new_password"],
    ),
    ("GET", "/api/v1/me/security-events", &[]),
    ("GET", "/api/v1/firms", &[]),
    ("GET", "/api/v1/firms/{uscc}", &[]),
    ("GET", "/api/v1/admin/users", &[]),
    (
        "POST",
        "/api/v1/admin/users",
        &["username", "display_name", "role", "uscc", "password"],
    ),
    ("POST", "/api/v1/admin/users/{id}/unlock", &[]),
    ("POST", "/api/v1/admin/users/{id}/disable", &[]),
    ("POST", "/api/v1/admin/users/{id}/enable", &[]),
    ("PUT", "/api/v1/admin/users/{id}/role", &["role", "uscc"]),
    ("GET", "/api/v1/admin/users/{id}/tokens", &[]),
    (
        "POST",
        "/api/v1/admin/users/{id}/tokens/{token_id}/revoke",
        &[],
    ),
    ("GET", "/api/v1/audit/events", &[]),
    ("GET", "/api/v1/audit/verify", &[]),
    ("GET", "/api/v1/profiles/{uscc}", &[]),
    ("GET", "/api/v1/profiles/{uscc}/snapshots", &[]),
    (
        "POST",
        "/api/v1/profiles/{uscc}/objections",
        &["field", "message"],
    ),
    ("GET", "/api/v1/quarantine", &[]),
    ("POST", "/api/v1/quarantine/{id}/close", &["status", "note"]),
    ("GET", "/api/v1/objections", &[]),
    ("POST", "/api/v1/objections/{id}/answer", &["answer"]),
    ("GET", "/api/v1/enterprise/notices", &[]),
    ("POST", "/api/v1/enterprise/notices/{id}/read", &[]),
    ("GET", "/api/v1/enterprise/channels", &[]),
    (
        "PUT",
        "/api/v1/enterprise/channels",
        &["webhook_url", "webhook_secret", "email", "phone"],
    ),
    ("GET", "/api/v1/grants", &[]),
    (
        "POST",
        "/api/v1/grants/{id}/answer",
        &[
            "kind",
            "bank_account_name",
            "bank_account_no",
            "commitment",
            "bank",
            "message",
        ],
    ),
    ("GET", "/api/v1/near-misses", &[]),
    ("GET", "/api/v1/review/grants", &[]),
    ("POST", "/api/v1/review/grants/approve", &["ids", "reason"]),
    ("POST", "/api/v1/review/grants/reject", &["ids", "reason"]),
    ("GET", "/api/v1/review/publicity-objections", &[]),
    (
        "POST",
        "/api/v1/review/publicity-objections/{id}/answer",
        &["uphold", "answer"],
    ),
    ("POST", "/api/v1/review/publicity/close", &[]),
    ("GET", "/api/v1/public/policies/{policy_id}/publicity", &[]),
    (
        "POST",
        "/api/v1/grants/{id}/publicity-objection",
        &["message"],
    ),
    ("GET", "/api/v1/enterprise/payee-account", &[]),
    (
        "PUT",
        "/api/v1/enterprise/payee-account",
        &["account_name", "account_number", "bank"],
    ),
    ("GET", "/api/v1/policy-versions", &[]),
    ("POST", "/api/v1/policy-versions", &["policy_id", "files"]),
    ("GET", "/api/v1/policy-versions/{id}/dry-run", &[]),
    ("POST", "/api/v1/policy-versions/{id}/publish", &[]),
    ("POST", "/api/v1/policy-versions/{id}/retire", &[]),
    ("GET", "/api/v1/finance/budgets", &[]),
    (
        "POST",
        "/api/v1/finance/budgets/raise",
        &["policy_id", "budget_year", "amount", "note"],
    ),
    ("GET", "/api/v1/finance/batches", &[]),
    (
        "POST",
        "/api/v1/finance/batches",
        &[
            "policy_id",
            "budget_year",
            "grant_ids",
            "min_amount",
            "max_amount",
        ],
    ),
    ("GET", "/api/v1/finance/batches/{id}", &[]),
    ("POST", "/api/v1/finance/batches/{id}/approve", &["note"]),
    ("POST", "/api/v1/finance/batches/{id}/reject", &["note"]),
    ("POST", "/api/v1/finance/batches/{id}/void", &["note"]),
    ("GET", "/api/v1/finance/batches/{id}/export", &[]),
    ("GET", "/api/v1/finance/payments", &[]),
    ("GET", "/api/v1/finance/exceptions", &[]),
    ("POST", "/api/v1/finance/exceptions/{id}/resolve", &["note"]),
    ("POST", "/api/v1/finance/reconcile", &["date"]),
    ("GET", "/api/v1/finance/ledger/verify", &[]),
    (
        "POST",
        "/api/v1/treasury/callbacks",
        &["event_id", "instruction_id", "status", "amount"],
    ),
    ("GET", "/", &[]),
    ("GET", "/login", &[]),
    ("POST", "/login", &["username", "password", "_csrf", "next"]),
    ("POST", "/logout", &["_csrf"]),
    ("GET", "/profiles", &[]),
    ("GET", "/profiles/{uscc}", &[]),
    ("GET", "/my/profile", &[]),
    ("POST", "/my/profile/objections", &["field", "message"]),
    ("GET", "/my/notices", &[]),
    (
        "POST",
        "/my/password",
        &["current_password", "new_password"],
    ),
    ("GET", "/quarantine", &[]),
    ("GET", "/cockpit", &[]),
    ("GET", "/cockpit/export/{file}", &[]),
    ("GET", "/api/v1/cockpit/policies", &[]),
    ("GET", "/api/v1/cockpit/funnel", &[]),
    ("GET", "/api/v1/cockpit/time-to-cash", &[]),
    ("GET", "/api/v1/cockpit/notices", &[]),
    ("GET", "/api/v1/cockpit/quarantine", &[]),
    ("GET", "/api/v1/cockpit/nightly", &[]),
    ("GET", "/api/v1/cockpit/districts", &[]),
    ("GET", "/api/v1/cockpit/sizes", &[]),
    ("POST", "/quarantine/{id}/close", &["status", "note"]),
    ("GET", "/assets/{name}", &[]),
    ("GET", "/my/notices/{id}", &[]),
    ("GET", "/my/grants", &[]),
    ("GET", "/my/grants/{id}", &[]),
    (
        "POST",
        "/my/grants/{id}/confirm",
        &["bank_account_name", "bank_account_no", "commitment"],
    ),
    ("POST", "/my/grants/{id}/decline", &[]),
    ("POST", "/my/grants/{id}/object", &["message"]),
    ("GET", "/grants/{id}", &[]),
    ("GET", "/my/channels", &[]),
    (
        "POST",
        "/my/channels",
        &["email", "phone", "webhook_url", "webhook_secret"],
    ),
    ("POST", "/my/channels/test", &[]),
    ("GET", "/policies", &[]),
    ("GET", "/policies/{id}", &[]),
    ("GET", "/policies/{id}/dry-run", &[]),
    ("POST", "/policies/{id}/dry-runs", &[]),
    ("GET", "/policies/dry-runs/{id}", &[]),
    ("GET", "/policies/dry-runs/{id}/progress", &[]),
    ("GET", "/policies/{id}/diff", &[]),
    ("GET", "/policies/drafts/new", &[]),
    (
        "POST",
        "/policies/drafts/edit",
        &[
            "policy_id",
            "rule_rhai",
            "policy_toml",
            "cases_toml",
            "action",
        ],
    ),
    ("POST", "/policies/drafts/upload", &["policy_id", "files"]),
    ("POST", "/policies/{id}/publish", &[]),
    ("GET", "/review", &[]),
    ("GET", "/review/versions", &[]),
    ("GET", "/audit", &[]),
    ("GET", "/audit/verify", &[]),
    ("GET", "/zhengce", &[]),
    ("GET", "/admin", &[]),
    ("POST", "/admin/users/{id}/unlock", &[]),
    ("POST", "/admin/users/{id}/disable", &[]),
    ("POST", "/admin/users/{id}/enable", &[]),
    ("GET", "/admin/users/{id}", &[]),
    ("POST", "/admin/users/{id}/role", &["role", "uscc"]),
    ("POST", "/admin/users/{id}/tokens/{token_id}/revoke", &[]),
    // The reviewer's, finance's, 公示 and demo pages (their forms are read as fields).
    ("GET", "/review/versions", &[]),
    ("GET", "/review/grants", &[]),
    (
        "POST",
        "/review/grants",
        &["grant", "reason", "decision", "status"],
    ),
    ("GET", "/review/objections", &[]),
    (
        "POST",
        "/review/objections/{id}/answer",
        &["outcome", "answer"],
    ),
    ("POST", "/review/data-objections/{id}/answer", &["answer"]),
    ("GET", "/gongshi", &[]),
    ("GET", "/demo", &[]),
    ("GET", "/finance", &[]),
    ("GET", "/finance/ready", &[]),
    ("GET", "/finance/batches", &[]),
    (
        "POST",
        "/finance/batches",
        &[
            "idempotency_key",
            "policy",
            "min",
            "max",
            "from",
            "to",
            "grant",
            "note",
            "budget_year",
        ],
    ),
    ("GET", "/finance/batches/{id}", &[]),
    (
        "POST",
        "/finance/batches/{id}/approve",
        &["idempotency_key", "note"],
    ),
    (
        "POST",
        "/finance/batches/{id}/reject",
        &["idempotency_key", "note"],
    ),
    (
        "POST",
        "/finance/batches/{id}/void",
        &["idempotency_key", "note"],
    ),
    ("GET", "/finance/batches/{id}/export", &[]),
    ("GET", "/finance/payments", &[]),
    ("GET", "/finance/exceptions", &[]),
    ("POST", "/finance/exceptions/{id}/resolve", &["note"]),
];

/// Query parameters any route may be given.
const QUERY_KEYS: &[&str] = &[
    "after",
    "after_seq",
    "limit",
    "policy",
    "status",
    "all",
    "source",
    "uscc",
    "x",
    "actor",
    "action",
    "from",
    "to",
    "before",
    "next",
    "saved",
    "q",
    "mode",
    "against",
];

/// `.route("…", get(…).post(…))` declarations and `#[utoipa::path(get, path = "…")]`
/// descriptions (the API's routes are registered from them) in `dir`'s files:
/// (METHOD, path).
fn declared_routes(dir: &str) -> BTreeSet<(String, String)> {
    let mut found = described_routes(dir);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // Modules with their own sub-router live in folders of their own.
        if path.is_dir() {
            found.extend(declared_routes(path.to_str().unwrap()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (start, _) in text.match_indices(".route(") {
            let rest = &text[start + ".route(".len()..];
            let Some(open) = rest.find('"') else { continue };
            let Some(len) = rest[open + 1..].find('"') else {
                continue;
            };
            let route = &rest[open + 1..open + 1 + len];
            // The call's own text, up to its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            for method in ["get", "post", "put", "delete", "patch"] {
                let call = format!("{method}(");
                let named = rest[..end].match_indices(&call).any(|(i, _)| {
                    i == 0
                        || !rest.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && rest.as_bytes()[i - 1] != b'_'
                });
                if named {
                    found.insert((method.to_uppercase(), route.to_owned()));
                }
            }
        }
    }
    found
}

/// `#[utoipa::path(method, path = "…", …)]` attributes in `dir`'s files.
fn described_routes(dir: &str) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (start, _) in text.match_indices("#[utoipa::path(") {
            let rest = &text[start + "#[utoipa::path(".len()..];
            let method = rest.split(',').next().unwrap_or_default().trim();
            let Some(at) = rest.find("path = \"") else {
                continue;
            };
            let route = &rest[at + "path = \"".len()..];
            let route = &route[..route.find('"').unwrap_or(0)];
            found.insert((method.to_uppercase(), route.to_owned()));
        }
    }
    found
}

#[test]
fn every_route_in_the_source_is_in_the_fuzz_table() {
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let mut declared = declared_routes(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http"));
    declared.extend(declared_routes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/web"
    )));
    let missing: Vec<_> = declared.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the fuzz table: {missing:?}"
    );
    assert!(
        declared.len() > 40,
        "the scan found the routes: {declared:?}"
    );
}

/// Text of any characters, often with control characters in it.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\\x7f-\\u{9f}a-z]{0,8}",
        "[a-z0-9]{0,6}\\x00[a-z0-9]{0,6}",
        "[0-9A-Z]{17}[\\x00\\x01]",
    ]
}

/// A JSON value of any shape, strings of any characters.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
        text().prop_map(Value::String),
        Just(Value::String(FIRM_A.to_owned())),
        Just(Value::String("reviewer".to_owned())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A path segment: ids, USCCs, numbers out of range, any text.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        (1i64..4).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just(FIRM_A.to_owned()),
        Just("99999999999999999999999".to_owned()),
        text(),
    ]
}

/// One random request: route, caller (0..7 a role, 7 nobody), path segments, query
/// (key index, value), body, and the body's shape.
type Request = (
    usize,
    usize,
    Vec<String>,
    Vec<(usize, String)>,
    Option<Value>,
    u8,
);

/// A random [`Request`].
fn request() -> impl Strategy<Value = Request> {
    (
        0..ROUTES.len(),
        0..=Role::ALL.len(),
        prop::collection::vec(segment(), 2),
        prop::collection::vec((0..QUERY_KEYS.len(), text()), 0..3),
        prop::option::of(json_value()),
        any::<u8>(),
    )
}

/// Percent-encodes every byte but unreserved ones.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn no_random_request_to_any_route_gets_a_5xx() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (app, tokens) = runtime.block_on(async {
        let app = spawn_app().await;
        app.create_firm(FIRM_A, "甲公司").await;
        // Real policy versions (drafts) to dry-run, publish and retire.
        mianshen::policies::load_versions(
            &app.app_pool,
            std::path::Path::new("rules"),
            "fuzz-policy-author",
        )
        .await
        .unwrap();
        let mut tokens = Vec::new();
        for role in Role::ALL {
            let name = format!("fuzz-{}", role.as_str().replace('_', "-"));
            let uscc = (role == Role::Enterprise).then_some(FIRM_A);
            let user = app.create_user(&name, role, uscc).await;
            tokens.push((user.id, insert_token(&app, user.id).await));
        }
        (app, tokens)
    });
    let own_ids: Vec<i64> = tokens.iter().map(|(id, _)| *id).collect();
    let cases = std::env::var("MIANSHEN_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let client = reqwest::Client::new();

    let outcome = runner.run(
        &request(),
        |(route, caller, segments, query, body, shape)| {
            let (method, template, fields) = ROUTES[route];
            // Never disable or demote the fuzzing accounts themselves.
            let safe = |s: &String| match s.parse::<i64>() {
                Ok(n) if own_ids.contains(&n) && template.contains("/admin/") => {
                    (n + 1000).to_string()
                }
                _ => s.clone(),
            };
            let mut path = template
                .replacen("{id}", &encode(&safe(&segments[0])), 1)
                .replacen("{uscc}", &encode(&segments[0]), 1)
                .replacen("{token_id}", &encode(&segments[1]), 1);
            if !query.is_empty() {
                let pairs: Vec<String> = query
                    .iter()
                    .map(|(k, v)| format!("{}={}", QUERY_KEYS[*k], encode(v)))
                    .collect();
                path = format!("{path}?{}", pairs.join("&"));
            }
            let mut request = client.request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", app.address),
            );
            if let Some((_, token)) = tokens.get(caller) {
                request = request.bearer_auth(token);
            }
            // The body: the route's own fields with random values, any JSON, a form, or bytes.
            let with_fields = |body: &Option<Value>| {
                let mut object = Map::new();
                for (i, field) in fields.iter().enumerate() {
                    let value = match body {
                        Some(Value::Object(m)) => m.values().nth(i).cloned().unwrap_or(Value::Null),
                        Some(other) => other.clone(),
                        None => Value::Null,
                    };
                    object.insert((*field).to_owned(), value);
                }
                Value::Object(object)
            };
            request = match shape % 4 {
                0 => request.json(&with_fields(&body)),
                1 => request.json(&body),
                2 => {
                    let pairs: Vec<(String, String)> = fields
                        .iter()
                        .zip(segments.iter().cycle())
                        .map(|(f, v)| ((*f).to_owned(), v.clone()))
                        .collect();
                    request.form(&pairs)
                }
                _ => request
                    .header("content-type", "application/json")
                    .body(segments.concat().into_bytes()),
            };
            let status = runtime
                .block_on(request.send())
                .map_err(|e| TestCaseError::fail(format!("{method} {path}: {e}")))?
                .status();
            prop_assert!(
                !status.is_server_error(),
                "{method} {path} as caller {caller} got {status}"
            );
            Ok(())
        },
    );
    drop(app);
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
