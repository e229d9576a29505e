//! Finding 6 of the security probe: signing out is a change like any other and needs the
//! session's CSRF token; only signing in is exempt.

use mianshen::accounts::Role;

use crate::helpers::spawn_app;

#[tokio::test]
async fn signing_out_without_the_session_token_is_refused() {
    let app = spawn_app().await;
    // (how, status): without a token, with a forged one, with the right one.
    let cases = [("none", 403), ("forged", 403), ("right", 204)];
    let session = app.session_as(Role::Reviewer).await;

    for (how, status) in cases {
        // Act
        let mut request = session.client.delete(app.url("/api/v1/session"));
        match how {
            "forged" => request = request.header("x-csrf-token", "forged"),
            "right" => request = request.headers(session.csrf_headers()),
            _ => {}
        }
        let response = request.send().await.unwrap();

        // Assert
        assert_eq!(response.status(), status, "{how}");
        let me = session
            .client
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap();
        let expected_me = if status == 204 { 401 } else { 200 };
        assert_eq!(me.status(), expected_me, "still signed in after {how}?");
    }

    // The page's sign-out form without its token, too.
    let other = app.login("u-reviewer").await;
    let page_logout = other.client.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(page_logout.status(), 403);
}
