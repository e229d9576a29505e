//! Finding 1 of the security probe: a NUL or other control character in any text input
//! (path, query, JSON body, form) is refused at the edge with a 400 that says so, before
//! sign-in too, and never reaches PostgreSQL (which answered 500).

use mianshen::accounts::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{FIRM_A, PASSWORD, Session, error_of, spawn_app};

#[tokio::test]
async fn control_characters_in_any_input_get_400_naming_the_problem() {
    // Arrange: a firm, a grant to answer, a quarantined record and an objection to close.
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    let grant = crate::notices_support::grant(&app.db.pool, 1, FIRM_A).await;
    sqlx::query("UPDATE grants SET mode = '确认即享' WHERE id = $1")
        .bind(grant)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let firm = app.session_as(Role::Enterprise).await;
    let reviewer = app.session_as(Role::Reviewer).await;
    let admin = app.session_as(Role::Admin).await;
    let anonymous = Session {
        client: reqwest::Client::new(),
        csrf: String::new(),
    };
    let nul = "a\u{0}b";
    let cases: Vec<(&str, &Session, Method, String, Option<Value>)> = vec![
        (
            "login username",
            &anonymous,
            Method::POST,
            "/api/v1/session".into(),
            Some(json!({"username": nul, "password": PASSWORD})),
        ),
        (
            "profile path",
            &reviewer,
            Method::GET,
            format!("/api/v1/profiles/{FIRM_A}%00"),
            None,
        ),
        (
            "firms after",
            &reviewer,
            Method::GET,
            "/api/v1/firms?after=%00".into(),
            None,
        ),
        (
            "near-miss policy",
            &reviewer,
            Method::GET,
            "/api/v1/near-misses?policy=%00".into(),
            None,
        ),
        (
            "quarantine source",
            &reviewer,
            Method::GET,
            "/api/v1/quarantine?source=%00".into(),
            None,
        ),
        (
            "objection text",
            &firm,
            Method::POST,
            format!("/api/v1/profiles/{FIRM_A}/objections"),
            Some(json!({"field": "name", "message": nul})),
        ),
        (
            "grant answer message",
            &firm,
            Method::POST,
            format!("/api/v1/grants/{grant}/answer"),
            Some(json!({"kind": "object", "message": nul})),
        ),
        (
            "channel email",
            &firm,
            Method::PUT,
            "/api/v1/enterprise/channels".into(),
            Some(json!({"email": "a\u{0}@example.cn"})),
        ),
        (
            "quarantine note",
            &reviewer,
            Method::POST,
            "/api/v1/quarantine/1/close".into(),
            Some(json!({"status": "resolved", "note": nul})),
        ),
        (
            "objection answer",
            &reviewer,
            Method::POST,
            "/api/v1/objections/1/answer".into(),
            Some(json!({"answer": nul})),
        ),
        (
            "admin display name",
            &admin,
            Method::POST,
            "/api/v1/admin/users".into(),
            Some(
                json!({"username": "newbie", "display_name": nul, "role": "reviewer", "password": PASSWORD}),
            ),
        ),
        (
            "escape control",
            &admin,
            Method::POST,
            "/api/v1/admin/users".into(),
            Some(
                json!({"username": "newbie", "display_name": "bell\u{7}", "role": "reviewer", "password": PASSWORD}),
            ),
        ),
        (
            "token label",
            &reviewer,
            Method::POST,
            "/api/v1/me/tokens".into(),
            Some(json!({"label": nul})),
        ),
    ];

    for (what, session, method, path, body) in cases {
        // Act
        let mut request = session
            .client
            .request(method, app.url(&path))
            .headers(session.csrf_headers());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();

        // Assert
        assert_eq!(response.status(), 400, "{what}");
        let (code, message) = error_of(response).await;
        assert_eq!(code, "bad_request", "{what}");
        assert!(message.contains("控制字符"), "{what}: {message}");
    }

    // A page's form field is refused the same way.
    let form = firm
        .client
        .post(app.url("/my/profile/objections"))
        .form(&[
            ("_csrf", firm.csrf.as_str()),
            ("field", "name"),
            ("message", nul),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 400, "form field");

    // A header (an idempotency key, a cookie) cannot carry one either: the HTTP parser
    // refuses the request before any handler runs.
    for header in ["Idempotency-Key: a\0b", "Cookie: ms_session=a\0b"] {
        let address = app.address.trim_start_matches("http://").to_owned();
        let answer = tokio::task::spawn_blocking(move || {
            use std::io::{Read as _, Write as _};
            let mut stream = std::net::TcpStream::connect(address).unwrap();
            let request = format!(
                "GET /api/v1/me HTTP/1.1\r\nHost: x\r\n{header}\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer
        })
        .await
        .unwrap();
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
}
