//! `spawn_app()`: the real service on port 0 over a fresh database, and clients for it.

use std::net::SocketAddr;

use mianshen::accounts::{self, NewUser, Role, User};
use mianshen::app::Application;
use mianshen::audit::Actor;
use mianshen::config::{Secret, Settings};
use mianshen::db::{self, MIGRATOR, TestDatabase};
use mianshen::firms;
use mianshen::profiles::Uscc;
use reqwest::header::HeaderMap;
use sqlx::PgPool;
use tokio::sync::oneshot;

/// The password of every account the tests create.
pub const PASSWORD: &str = "test-password-123";

/// Two valid Shandong USCCs for two different firms.
pub const FIRM_A: &str = "91370102MA3C4RQX2B";
pub const FIRM_B: &str = "91370212MA3M8FKL6L";

/// A running service and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Its database (the owner's pool: tests may do what the service may not).
    pub db: TestDatabase,
    /// The service's own pool (working as the application role).
    pub app_pool: PgPool,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the service with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the service after `adjust` has changed its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let db = db::fresh_database(&MIGRATOR).await.expect("fresh database");
    let mut settings = Settings::default();
    settings.database.url = Some(Secret::new(db.url().to_owned()));
    settings.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    adjust(&mut settings);
    let app_pool = db::app_pool(db.url(), 5).await.expect("app pool");
    let app = Application::build(settings, app_pool.clone())
        .await
        .expect("build");
    let address = format!("http://{}", app.local_addr().expect("address"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        db,
        app_pool,
        stop: Some(stop),
    }
}

/// Starts the service with the settings these environment variables give (over its own
/// fresh database, on port 0), as an operator would configure it.
pub async fn spawn_app_env(vars: &[(&str, &str)]) -> TestApp {
    let map: std::collections::HashMap<&str, &str> = vars.iter().copied().collect();
    let loaded = Settings::load_from(&map).expect("settings from the variables");
    spawn_app_with(move |settings| {
        let (url, listen) = (settings.database.url.clone(), settings.http.listen);
        *settings = loaded;
        settings.database.url = url;
        settings.http.listen = listen;
    })
    .await
}

/// An API token of `user_id`, written straight into the table (as only the owner could
/// otherwise get one); returns the bearer value.
pub async fn insert_token(app: &TestApp, user_id: i64) -> String {
    use sha2::Digest as _;
    let token = format!("msk_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query("INSERT INTO api_tokens (user_id, label, token_hash) VALUES ($1, 'test', $2)")
        .bind(user_id)
        .bind(sha2::Sha256::digest(token.as_bytes()).to_vec())
        .execute(&app.db.pool)
        .await
        .unwrap();
    token
}

/// A client that keeps cookies, like a browser.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A signed-in browser session.
pub struct Session {
    /// The client holding the session cookie.
    pub client: reqwest::Client,
    /// The session's CSRF token.
    pub csrf: String,
}

impl TestApp {
    /// `address` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Creates an account with [`PASSWORD`].
    pub async fn create_user(&self, username: &str, role: Role, uscc: Option<&str>) -> User {
        let new = NewUser::parse(username, username, role, uscc, PASSWORD).unwrap();
        accounts::create_user_audited(&self.app_pool, &new, Actor::System("test"))
            .await
            .unwrap()
    }

    /// Registers a firm.
    pub async fn create_firm(&self, uscc: &str, name: &str) {
        let uscc = Uscc::parse(uscc).unwrap();
        firms::upsert_firm(&self.app_pool, &uscc, name, Some("370102"))
            .await
            .unwrap();
    }

    /// Posts a login through the JSON API with a fresh browser.
    pub async fn try_login(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        client
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Signs in and returns the session.
    pub async fn login(&self, username: &str) -> Session {
        let client = browser();
        let response = self.try_login(&client, username, PASSWORD).await;
        assert_eq!(response.status(), 200, "login of {username}");
        let body: serde_json::Value = response.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        Session { client, csrf }
    }

    /// Creates an account of `role` and signs it in.
    pub async fn session_as(&self, role: Role) -> Session {
        let username = format!("u-{}", role.as_str().replace('_', "-"));
        let uscc = (role == Role::Enterprise).then_some(FIRM_A);
        self.create_user(&username, role, uscc).await;
        self.login(&username).await
    }
}

impl Session {
    /// Headers that carry the session's CSRF token.
    pub fn csrf_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-csrf-token", self.csrf.parse().unwrap());
        headers
    }
}

/// Reads an error body and returns `(code, message)`, checking the one error shape.
pub async fn error_of(response: reqwest::Response) -> (String, String) {
    let body: serde_json::Value = response.json().await.expect("error body is JSON");
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned();
    let message = body["error"]["message"]
        .as_str()
        .expect("error.message")
        .to_owned();
    assert!(!message.is_empty());
    (code, message)
}
