//! Finding 10 of the security probe: the bearer scheme is case-insensitive; every list
//! endpoint pages (`?after=&limit=`, a default and a maximum, a `Link` to the next page);
//! `/metrics` is not served to anyone; admin errors speak the API's language (see
//! `accounts::bad_account_requests_get_a_4xx_naming_the_problem`).

use mianshen::accounts::Role;
use serde_json::Value;

use crate::helpers::{FIRM_A, FIRM_B, TestApp, insert_token, spawn_app, spawn_app_env};

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    let robot = app.create_user("robot", Role::Auditor, None).await;
    let token = insert_token(&app, robot.id).await;
    let cases = [
        (format!("Bearer {token}"), 200),
        (format!("bearer {token}"), 200),
        (format!("BEARER {token}"), 200),
        (format!("BeArEr  {token}"), 200),
        (format!("Basic {token}"), 401),
        ("Bearer ".to_owned(), 401),
        (format!("Bearer {token}x"), 401),
    ];

    for (authorization, status) in cases {
        // Act
        let response = reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .header("authorization", &authorization)
            .send()
            .await
            .unwrap();

        // Assert
        assert_eq!(response.status(), status, "{authorization}");
    }
}

/// Two of everything a list endpoint lists.
async fn two_of_each(app: &TestApp) {
    app.create_firm(FIRM_A, "甲公司").await;
    app.create_firm(FIRM_B, "乙公司").await;
    for n in 1..=2 {
        crate::notices_support::enqueue(&app.db.pool, n, FIRM_A).await;
        sqlx::query(
            "INSERT INTO quarantine (source, raw, field, reason, errors) VALUES ('tax', '{}', 'f', 'r', '[]')",
        )
        .execute(&app.db.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO data_objections (uscc, field, message, raised_by) VALUES ($1, 'name', '名称有误', 'x')",
        )
        .bind(FIRM_A)
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn every_list_endpoint_pages() {
    let app = spawn_app().await;
    two_of_each(&app).await;
    let staff = app.session_as(Role::Admin).await;
    let firm = app.session_as(Role::Enterprise).await;
    let author = app.session_as(Role::PolicyAuthor).await;
    mianshen::policies::load_versions(
        &app.app_pool,
        std::path::Path::new("rules"),
        "u-policy-author",
    )
    .await
    .unwrap();
    // (list, who asks)
    let cases = [
        ("/api/v1/grants", &staff),
        ("/api/v1/firms", &staff),
        ("/api/v1/quarantine", &staff),
        ("/api/v1/objections", &staff),
        ("/api/v1/audit/events", &staff),
        ("/api/v1/admin/users", &staff),
        ("/api/v1/enterprise/notices", &firm),
        ("/api/v1/policy-versions", &author),
    ];

    for (path, who) in cases {
        // Act: one item per page, following the links.
        let mut seen = Vec::new();
        let mut next = Some(format!("{path}?limit=1"));
        while let Some(url) = next.take() {
            let response = who.client.get(app.url(&url)).send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            next = response
                .headers()
                .get("link")
                .and_then(|l| l.to_str().ok())
                .and_then(|l| l.strip_prefix('<'))
                .and_then(|l| l.split_once('>'))
                .map(|(target, _)| target.to_owned());
            let page: Vec<Value> = response.json().await.unwrap();
            assert!(
                page.len() <= 1,
                "{url}: {} items on a page of 1",
                page.len()
            );
            seen.extend(page);
            assert!(seen.len() < 500, "{path}: paging never ends");
        }

        // Assert: at least two pages, no item twice; a limit over the maximum is refused.
        assert!(seen.len() >= 2, "{path}: {seen:?}");
        let distinct: std::collections::BTreeSet<String> =
            seen.iter().map(ToString::to_string).collect();
        assert_eq!(distinct.len(), seen.len(), "{path}");
        let too_many = who
            .client
            .get(app.url(&format!("{path}?limit=100000")))
            .send()
            .await
            .unwrap();
        assert_eq!(too_many.status(), 400, "{path}");
    }
}

#[tokio::test]
async fn metrics_are_not_served_to_anyone() {
    let token = "metrics-scraper-token-123";
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let default = spawn_app().await;
    let configured = spawn_app_env(&[
        ("MIANSHEN_METRICS_TOKEN", token),
        ("MIANSHEN_METRICS_LISTEN", listen.as_str()),
    ])
    .await;
    // (URL, token sent, status)
    let cases = [
        (default.url("/metrics"), None, 404),
        (configured.url("/metrics"), None, 404),
        (
            configured.url("/metrics"),
            Some("wrong-token-wrong-token"),
            404,
        ),
        (configured.url("/metrics"), Some(token), 200),
        (format!("http://{listen}/metrics"), None, 200),
    ];

    for (url, bearer, status) in cases {
        let mut request = reqwest::Client::new().get(&url);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{url} with {bearer:?}");
    }
}
