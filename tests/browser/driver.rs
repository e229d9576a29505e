//! A chromedriver of our own on a free loopback port, one headless Chromium session on
//! it, and the checks every page gets.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// axe-core, vendored for the tests (see `vendor/README.md`).
const AXE: &str = include_str!("vendor/axe.min.js");

/// The phone width every page must fit.
pub const PHONE_WIDTH: i64 = 390;

/// The chromedriver process this test started; ended when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A browser session against the service at `base`.
pub struct Browser {
    pub client: Client,
    base: String,
    _driver: Driver,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a phone-sized window.
    pub async fn open(base: &str) -> Self {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install chromium chromium-driver fonts-noto-cjk)");
        let driver = Driver(child);
        let url = format!("http://127.0.0.1:{port}");
        let status = reqwest::Client::new();
        for _ in 0..100 {
            if status.get(format!("{url}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--lang=zh-CN", "--window-size=390,844"],
                "mobileEmulation": {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0}}
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .expect("a Chromium session");
        Self {
            client,
            base: base.to_owned(),
            _driver: driver,
        }
    }

    /// Opens `path` of the service.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The path (and query) the browser is at.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Types `text` into the field with id `id`.
    pub async fn fill(&self, id: &str, text: &str) {
        let field = self.client.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Clicks the first element `css` finds.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks `css` and waits until the browser is at `path` (a form's answer arrived).
    pub async fn submit(&self, css: &str, path: &str) {
        self.click(css).await;
        for _ in 0..100 {
            if self.path().await == path
                && self.run("return document.readyState;").await == json!("complete")
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css}: still at {}, not {path}", self.path().await);
    }

    /// Waits until the browser is at a path starting with `prefix` (a form's answer
    /// redirected to a page whose id the test does not know yet); returns the path.
    pub async fn wait_for_path(&self, prefix: &str) -> String {
        for _ in 0..100 {
            let path = self.path().await;
            if path.starts_with(prefix)
                && self.run("return document.readyState;").await == json!("complete")
            {
                return path;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("still at {}, not under {prefix}", self.path().await);
    }

    /// Signs in on the sign-in page the browser is at, and waits to be at `then`.
    pub async fn sign_in_to(&self, username: &str, then: &str) {
        self.fill("username", username).await;
        self.fill("password", crate::helpers::PASSWORD).await;
        self.submit("form[action='/login'] button[type=submit]", then)
            .await;
    }

    async fn run(&self, script: &str) -> Value {
        self.client.execute(script, Vec::new()).await.unwrap()
    }

    /// The checks every page of a flow gets, then its screenshot as `name`.png: it fits a
    /// phone without sideways scrolling, every field has a label, and axe-core finds no
    /// serious or critical violation.
    pub async fn check_page(&self, name: &str) {
        let widths = self
            .run("return [document.documentElement.scrollWidth, window.innerWidth];")
            .await;
        assert_eq!(
            widths[1].as_i64(),
            Some(PHONE_WIDTH),
            "{name}: window {widths}"
        );
        assert!(
            widths[0].as_i64() <= widths[1].as_i64(),
            "{name}: scrolls sideways ({widths})"
        );
        let unlabelled = self
            .run(
                "return Array.from(document.querySelectorAll('input,select,textarea'))
                   .filter(e => e.type !== 'hidden' && e.labels.length === 0
                                && !e.getAttribute('aria-label'))
                   .map(e => e.name || e.id || e.outerHTML);",
            )
            .await;
        assert_eq!(unlabelled, json!([]), "{name}: fields without a label");
        let lang = self.run("return document.documentElement.lang;").await;
        assert_eq!(lang, json!("zh-CN"), "{name}");
        self.run(&format!("{AXE}\nreturn true;")).await;
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(' | '))));",
                Vec::new(),
            )
            .await
            .unwrap();
        assert_eq!(found, json!([]), "{name}: axe-core violations");
        self.screenshot(name).await;
    }

    /// Saves the page as `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/screenshots");
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }

    /// Ends the session (the driver ends when dropped).
    pub async fn close(self) {
        self.client.clone().close().await.unwrap();
    }
}
