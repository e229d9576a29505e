//! Finding 5 of the security probe: pages and answers with personal data sent no security
//! headers, and the session cookie was not `Secure` behind https. One layer now sets them.

use mianshen::accounts::Role;

use crate::helpers::{PASSWORD, browser, spawn_app, spawn_app_env};

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let session = app.session_as(Role::Reviewer).await;
    // (path, signed in, personal: must not be stored)
    let cases = [
        ("/login", false, true),
        ("/", true, true),
        ("/api/v1/me", true, true),
        ("/api/v1/firms", true, true),
        ("/no/such/page", false, true),
    ];

    for (path, signed_in, personal) in cases {
        // Act
        let client = if signed_in {
            session.client.clone()
        } else {
            browser()
        };
        let response = client.get(app.url(path)).send().await.unwrap();

        // Assert
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        if personal {
            assert_eq!(header("cache-control"), "no-store", "{path}");
        }
    }

    // The pages need no inline style or script: their style sheet is served from /assets.
    let page = browser()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("<style") && !page.contains("<script"),
        "{page}"
    );
    let css = browser()
        .get(app.url("/assets/site.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_public_url_is_https() {
    let cases = [
        (None, false),
        (Some("http://127.0.0.1:8080"), false),
        (Some("https://mianshen.example.gov.cn"), true),
    ];
    for (public_url, secure) in cases {
        let vars: Vec<(&str, &str)> = public_url
            .map(|url| ("MIANSHEN_PUBLIC_URL", url))
            .into_iter()
            .collect();
        let app = spawn_app_env(&vars).await;
        app.create_user("alice", Role::Reviewer, None).await;

        // Act
        let response = app.try_login(&browser(), "alice", PASSWORD).await;

        // Assert
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            cookie.contains("Secure"),
            secure,
            "{public_url:?}: {cookie}"
        );
        let hsts = response
            .headers()
            .get("strict-transport-security")
            .is_some();
        assert_eq!(hsts, secure, "{public_url:?}");
    }
}
