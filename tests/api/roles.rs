//! Role checks on the server for every route family: each role against each family,
//! and no credentials at all.

use mianshen::accounts::Role;
use reqwest::Method;

use crate::helpers::{FIRM_A, Session, spawn_app};

/// One route per family, and the roles allowed on it.
fn families() -> Vec<(Method, String, &'static [Role])> {
    use Role::*;
    let all: &'static [Role] = &Role::ALL;
    vec![
        (Method::GET, "/api/v1/me".to_owned(), all),
        (
            Method::GET,
            "/api/v1/firms".to_owned(),
            &[
                Enterprise,
                Reviewer,
                FinanceMaker,
                FinanceChecker,
                Auditor,
                Admin,
            ],
        ),
        (
            Method::GET,
            format!("/api/v1/firms/{FIRM_A}"),
            &[
                Enterprise,
                Reviewer,
                FinanceMaker,
                FinanceChecker,
                Auditor,
                Admin,
            ],
        ),
        (Method::GET, "/api/v1/admin/users".to_owned(), &[Admin]),
        (
            Method::POST,
            "/api/v1/admin/users/1/unlock".to_owned(),
            &[Admin],
        ),
        (
            Method::GET,
            "/api/v1/audit/events".to_owned(),
            &[Auditor, Admin],
        ),
        (
            Method::GET,
            "/api/v1/audit/verify".to_owned(),
            &[Auditor, Admin],
        ),
    ]
}

async fn call(
    app: &crate::helpers::TestApp,
    session: Option<&Session>,
    method: &Method,
    path: &str,
) -> u16 {
    let client = session.map_or_else(reqwest::Client::new, |s| s.client.clone());
    let mut request = client.request(method.clone(), app.url(path));
    if let Some(session) = session {
        request = request.headers(session.csrf_headers());
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn every_route_family_admits_exactly_its_roles() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    let mut sessions = Vec::new();
    for role in Role::ALL {
        sessions.push((role, app.session_as(role).await));
    }

    for (method, path, allowed) in families() {
        assert_eq!(
            call(&app, None, &method, &path).await,
            401,
            "{method} {path} without credentials"
        );
        for (role, session) in &sessions {
            let status = call(&app, Some(session), &method, &path).await;
            if allowed.contains(role) {
                assert!(
                    status != 401 && status != 403,
                    "{method} {path} as {role}: {status}"
                );
            } else {
                assert_eq!(status, 403, "{method} {path} as {role}");
            }
        }
    }
}

#[tokio::test]
async fn the_home_page_links_each_role_to_its_own_workspace() {
    let app = spawn_app().await;
    let cases = [
        (Role::Enterprise, "/my/profile", "/quarantine"),
        (Role::Reviewer, "/quarantine", "/my/profile"),
        (Role::Auditor, "/quarantine", "/my/profile"),
    ];
    for (role, present, absent) in cases {
        let session = app.session_as(role).await;

        let home = session
            .client
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();

        assert!(
            home.contains(&format!(r#"href="{present}""#)),
            "{role}: {home}"
        );
        assert!(
            !home.contains(&format!(r#"href="{absent}""#)),
            "{role}: {home}"
        );
    }
}
