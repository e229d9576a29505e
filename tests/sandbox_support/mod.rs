//! Shared by the sandbox tests: a running exchange on port 0 and a client for it.
#![allow(dead_code)]

use std::sync::Arc;

use mianshen::profiles::validate_value;
use mianshen::sandbox::{DataExchange, ExchangeConfig, FeedConfig, Feeds, Source};
use serde_json::Value;
use tokio::sync::oneshot;

pub const TOKEN: &str = "test-token";

/// A running exchange on port 0.
pub struct Sandbox {
    pub base: String,
    pub feeds: Arc<Feeds>,
    pub client: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

pub async fn spawn(firms: u64, seed: u64, bad_permille: u32) -> Sandbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = ExchangeConfig {
        feeds: FeedConfig {
            firms,
            seed,
            day: 0,
            bad_permille,
        },
        token: TOKEN.into(),
    };
    let exchange = DataExchange::bind(config, listener);
    let base = format!("http://{}", exchange.local_addr().unwrap());
    let feeds = exchange.feeds();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(exchange.serve_until(async {
        let _ = stopped.await;
    }));
    Sandbox {
        base,
        feeds,
        client: reqwest::Client::new(),
        _stop: stop,
    }
}

impl Sandbox {
    pub async fn raw(&self, source: &str, query: &str) -> String {
        let url = format!("{}/feeds/{source}?{query}", self.base);
        let r = self
            .client
            .get(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    pub async fn page(&self, source: Source, since: Option<&str>, limit: usize) -> Value {
        let since = since.map(|c| format!("&since={c}")).unwrap_or_default();
        let body = self
            .raw(source.name(), &format!("limit={limit}{since}"))
            .await;
        serde_json::from_str(&body).unwrap()
    }

    /// Every item from `since` until caught up, and the final cursor.
    pub async fn drain(
        &self,
        source: Source,
        since: Option<String>,
        limit: usize,
    ) -> (Vec<Value>, String) {
        let (mut items, mut cursor) = (Vec::new(), since);
        loop {
            let page = self.page(source, cursor.as_deref(), limit).await;
            let next = page["next_cursor"].as_str().unwrap().to_owned();
            let got = page["items"].as_array().unwrap().clone();
            if got.is_empty() {
                if let Some(since) = &cursor {
                    assert_eq!(&next, since, "caught up keeps the cursor");
                }
                return (items, next);
            }
            items.extend(got);
            cursor = Some(next);
        }
    }

    pub async fn advance_day(&self) -> Value {
        let url = format!("{}/admin/advance-day", self.base);
        let r = self
            .client
            .post(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

pub fn uscc(item: &Value) -> String {
    item["uscc"].as_str().unwrap().to_owned()
}

/// The fields at fault in `item` as `source` sends it: the validator's, else the ownership rule's.
pub fn faults(source: Source, item: &Value) -> Vec<String> {
    match validate_value(item) {
        Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        Ok(_) => source.foreign_fields(item),
    }
}
