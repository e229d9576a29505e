//! Liveness, readiness, metrics, request ids and the one error shape.

use crate::helpers::{error_of, spawn_app};

#[tokio::test]
async fn healthz_and_readyz_answer_ok_with_a_request_id() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();

    let health = client.get(app.url("/healthz")).send().await.unwrap();
    let ready = client.get(app.url("/readyz")).send().await.unwrap();

    assert_eq!(health.status(), 200);
    assert!(health.headers().get("x-request-id").is_some());
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn a_callers_request_id_is_echoed_and_a_bad_one_replaced() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();

    let kept = client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    let replaced = client
        .get(app.url("/healthz"))
        .header("x-request-id", "<script>")
        .send()
        .await
        .unwrap();

    assert_eq!(kept.headers()["x-request-id"], "abc-123");
    let new_id = replaced.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(new_id, "<script>");
    assert_eq!(new_id.len(), 36, "a UUID");
}

#[tokio::test]
async fn readyz_reports_a_database_that_does_not_answer() {
    let app = spawn_app().await;
    // Arrange: close the service's pool, as if the database went away.
    app.app_pool.close().await;

    let ready = reqwest::get(app.url("/readyz")).await.unwrap();

    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let token = "metrics-scraper-token-123";
    let app = crate::helpers::spawn_app_env(&[("MIANSHEN_METRICS_TOKEN", token)]).await;
    reqwest::get(app.url("/healthz")).await.unwrap();

    let metrics = reqwest::Client::new()
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();

    assert_eq!(metrics.status(), 200);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text().await.unwrap();
    assert!(text.contains("mianshen_http_requests_total{"), "{text}");
    assert!(text.contains(r#"route="/healthz""#), "{text}");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_json_error_shape() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();

    let missing = client.get(app.url("/no/such/page")).send().await.unwrap();
    let wrong_method = client.delete(app.url("/healthz")).send().await.unwrap();

    assert_eq!(missing.status(), 404);
    assert_eq!(error_of(missing).await.0, "not_found");
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(error_of(wrong_method).await.0, "method_not_allowed");
}

#[tokio::test]
async fn a_server_error_is_logged_not_leaked() {
    let app = spawn_app().await;
    let session = app.session_as(mianshen::accounts::Role::Admin).await;
    // Arrange: take a table away from under the service so the next query fails.
    sqlx::query("ALTER TABLE users RENAME TO users_gone")
        .execute(&app.db.pool)
        .await
        .unwrap();

    let response = session
        .client
        .get(app.url("/api/v1/admin/users"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 500);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let (code, message) = error_of(response).await;
    assert_eq!(code, "internal");
    assert!(
        message.contains(&request_id),
        "the message names the request id: {message}"
    );
    assert!(
        !message.contains("users"),
        "no SQL or table names leak: {message}"
    );
}
