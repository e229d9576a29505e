//! The OpenAPI description covers the API exactly: every route `http::router()` serves
//! (path and method) has an operation in the description, and every operation is a route
//! the router really answers. A route added without its `#[utoipa::path]` description
//! fails here. The description is also served, as JSON, at `/openapi.json`.
//!
//! No database is needed: requests are sent in-process to the router with a pool that
//! never connects; what matters is only whether the router answers a method on a path
//! with 405 (no such method there) or with anything else (a handler ran).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use mianshen::config::Settings;
use mianshen::edge::AppState;
use sqlx::postgres::PgPoolOptions;
use tower::ServiceExt as _;

/// Routes that are not part of the description, each with the reason.
const UNDESCRIBED: &[(&str, &str)] = &[(
    "/api/docs",
    "the reference page's own HTML and script files (Swagger UI), not JSON endpoints",
)];

/// Methods an operation may use.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
];

fn state() -> AppState {
    // Port 1 on loopback: nothing listens, so a handler that reaches for the database
    // fails at once (with a 5xx), which still tells that the route exists.
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(200))
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .expect("a lazy pool");
    AppState {
        pool,
        settings: Arc::new(Settings::default()),
    }
}

/// Every path the router holds. axum has no public list of its routes, but its `Debug`
/// output names each one (`RouteId(n): "/path"`) in its `path_router`, before the
/// `fallback_router`; the count is checked below so that a change of that format fails
/// loudly instead of finding nothing.
fn router_paths(router: &axum::Router<AppState>) -> BTreeSet<String> {
    let dump = format!("{router:?}");
    let routes = dump
        .split_once("fallback_router")
        .map_or(dump.as_str(), |(routes, _)| routes);
    routes
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with('/'))
        .filter(|s| !UNDESCRIBED.iter().any(|(prefix, _)| s.starts_with(prefix)))
        .map(str::to_owned)
        .collect()
}

/// A concrete request path for a route path: each `{param}` becomes `1`.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// (method, path) of every route the router answers.
async fn served_operations() -> BTreeSet<(String, String)> {
    let router = mianshen::http::router();
    let paths = router_paths(&router);
    let app = router.with_state(state());
    let mut served = BTreeSet::new();
    for path in &paths {
        for method in METHODS {
            let request = Request::builder()
                .method(method.clone())
                .uri(concrete(path))
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .expect("a request");
            let response = app.clone().oneshot(request).await.expect("an answer");
            if response.status() != StatusCode::METHOD_NOT_ALLOWED {
                served.insert((method.to_string(), path.clone()));
            }
        }
    }
    served
}

/// (method, path) of every operation in the description.
fn described_operations() -> BTreeSet<(String, String)> {
    let description = serde_json::to_value(mianshen::http::openapi()).expect("JSON");
    let mut described = BTreeSet::new();
    let paths = description["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for method in METHODS {
            if item.get(method.as_str().to_lowercase()).is_some() {
                described.insert((method.to_string(), path.clone()));
            }
        }
    }
    described
}

#[tokio::test]
async fn every_route_is_described_and_every_operation_is_a_route() {
    // Arrange / Act
    let served = served_operations().await;
    let described = described_operations();

    // Assert
    assert!(
        served.len() >= 60,
        "found only {} routes in the router: has axum's Debug output changed?",
        served.len()
    );
    let undescribed: Vec<_> = served.difference(&described).collect();
    assert!(
        undescribed.is_empty(),
        "routes without a description (add #[utoipa::path] and register the handler with \
         routes!): {undescribed:#?}"
    );
    let phantom: Vec<_> = described.difference(&served).collect();
    assert!(
        phantom.is_empty(),
        "operations in the description that no route answers: {phantom:#?}"
    );
}

#[tokio::test]
async fn the_description_is_served_as_openapi_3_1_json() {
    // Arrange
    let app = mianshen::edge::layers(mianshen::http::router(), state());
    let request = Request::get("/openapi.json")
        .body(Body::empty())
        .expect("a request");

    // Act
    let response = app.oneshot(request).await.expect("an answer");

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the body");
    let served: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let built = serde_json::to_value(mianshen::http::openapi()).expect("JSON");
    assert_eq!(served, built);
    assert!(
        served["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "not OpenAPI 3.1: {}",
        served["openapi"]
    );
}

#[test]
fn money_is_described_as_it_serializes_a_decimal_string() {
    // rust_decimal serializes as a string here (`serde-with-str`, no `serde-float`).
    let serialized = serde_json::to_value(rust_decimal::Decimal::new(123_450, 2)).expect("JSON");
    assert_eq!(serialized, serde_json::json!("1234.50"));
    let description = serde_json::to_value(mianshen::http::openapi()).expect("JSON");
    for (schema, field) in [("Grant", "amount"), ("Budget", "total"), ("Batch", "total")] {
        let property = &description["components"]["schemas"][schema]["properties"][field];
        assert_eq!(
            property["type"], "string",
            "{schema}.{field} is described as {property}, not as a string"
        );
    }
}

#[test]
fn security_schemes_are_the_ones_the_service_checks() {
    let description = serde_json::to_value(mianshen::http::openapi()).expect("JSON");
    let schemes = &description["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "ms_session");
    assert_eq!(schemes["csrf"]["in"], "header");
    assert_eq!(schemes["csrf"]["name"], "x-csrf-token");
    // Every money-moving POST asks for an Idempotency-Key.
    for path in [
        "/api/v1/finance/budgets/raise",
        "/api/v1/finance/batches",
        "/api/v1/finance/batches/{id}/approve",
        "/api/v1/finance/batches/{id}/reject",
        "/api/v1/finance/batches/{id}/void",
    ] {
        let parameters = description["paths"][path]["post"]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            parameters.iter().any(|p| p["name"] == "Idempotency-Key"
                && p["in"] == "header"
                && p["required"] == true),
            "{path} does not ask for an Idempotency-Key header"
        );
    }
}
