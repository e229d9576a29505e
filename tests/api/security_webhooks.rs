//! Finding 3 of the security probe: a firm could point its webhook inside our network
//! (loopback, the cloud metadata address, private ranges) and the delivery client followed
//! redirects. Targets inside are refused when set and again at delivery; http needs the
//! operator's allow-list; redirects are not followed. Every address here is loopback or
//! never contacted (refused before any connection).

use std::net::SocketAddr;

use axum::http::{StatusCode, header};
use mianshen::accounts::Role;
use mianshen::config::Settings;
use mianshen::db::{self, MIGRATOR};
use mianshen::sandbox::webhook_sink::SinkBehaviour;
use serde_json::json;

use crate::helpers::{FIRM_A, error_of, spawn_app_env};
use crate::notices_support::{USCC, count, drain, enqueue, set_webhook, start_sink};

#[tokio::test]
async fn webhook_targets_inside_our_network_are_refused_when_set() {
    let app = spawn_app_env(&[("MIANSHEN_WEBHOOK_ALLOW_HOSTS", "127.0.0.1:9999")]).await;
    app.create_firm(FIRM_A, "甲公司").await;
    let firm = app.session_as(Role::Enterprise).await;
    let secret = "a-long-enough-secret-123";
    // (url, status, message)
    let cases = [
        ("http://127.0.0.1:8090/admin/advance-day", 422, "https"),
        ("https://127.0.0.1:8090/admin/advance-day", 422, "内网"),
        ("http://169.254.169.254/latest/meta-data/", 422, "https"),
        ("https://169.254.169.254/latest/meta-data/", 422, "内网"),
        ("https://[::1]:0/", 422, "内网"),
        ("https://10.0.0.8/hook", 422, "内网"),
        ("https://192.168.1.20/hook", 422, "内网"),
        ("https://[fd00::1]/hook", 422, "内网"),
        ("https://224.0.0.1/hook", 422, "内网"),
        ("https://2130706433/hook", 422, "内网"),
        ("https://[::ffff:127.0.0.1]/hook", 422, "内网"),
        ("https://localhost/hook", 422, "内网"),
        ("http://hooks.example.cn/mianshen", 422, "https"),
        ("https://hooks.example.cn/mianshen", 200, ""),
        ("http://127.0.0.1:9999/hook", 200, ""),
    ];

    for (url, status, message) in cases {
        // Act
        let response = firm
            .client
            .put(app.url("/api/v1/enterprise/channels"))
            .headers(firm.csrf_headers())
            .json(&json!({ "webhook_url": url, "webhook_secret": secret }))
            .send()
            .await
            .unwrap();

        // Assert
        assert_eq!(response.status(), status, "{url}");
        if status != 200 {
            let (_, text) = error_of(response).await;
            assert!(text.contains(message), "{url}: {text}");
        }
    }
}

/// A loopback server that answers every request with a redirect to `to`.
async fn start_redirector(to: String) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = axum::Router::new().fallback(move || {
        let to = to.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, to)]) }
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

#[tokio::test]
async fn delivery_refuses_inside_targets_and_does_not_follow_redirects() {
    let (sink, log) = start_sink(SinkBehaviour::default()).await;
    let sink_host = sink
        .trim_start_matches("http://")
        .trim_end_matches("/hook")
        .to_owned();
    let redirector = start_redirector(sink.clone()).await;
    let redirect_url = format!("http://{redirector}/hook");
    // (stored URL, the operator's allow-list): the sink must never receive anything.
    let cases = [
        // Stored before the rules (or by hand): loopback, not on the list.
        (sink.clone(), String::new()),
        // Both on the list, but the redirect is not followed.
        (redirect_url.clone(), format!("{redirector},{sink_host}")),
    ];

    for (n, (url, allow)) in cases.into_iter().enumerate() {
        // Arrange
        let database = db::fresh_database(&MIGRATOR).await.unwrap();
        let pool = &database.pool;
        let vars =
            std::collections::HashMap::from([("MIANSHEN_WEBHOOK_ALLOW_HOSTS", allow.as_str())]);
        let mut policy = Settings::load_from(&vars).unwrap().notices.policy();
        policy.max_attempts = 2;
        policy.base_backoff = std::time::Duration::from_millis(10);
        policy.idle = std::time::Duration::from_millis(10);
        set_webhook(pool, USCC, &url).await;
        enqueue(pool, i64::try_from(n).unwrap(), USCC).await;

        // Act
        drain(pool, &policy).await;

        // Assert: nothing reached the sink; the delivery is dead with the reason.
        assert_eq!(log.stored(), 0, "{url} with allow-list {allow:?}");
        let dead = count(
            pool,
            "SELECT count(*) FROM notice_deliveries WHERE channel = 'webhook' AND status = 'dead'",
        )
        .await;
        assert_eq!(dead, 1, "{url}");
    }
}
