//! The HTTP source adapter: paged JSON from the data-sharing platform,
//! `GET {base}/feeds/{source}?since={cursor}&limit={n}` with a bearer token, timeouts and
//! retries with doubling backoff on network errors and 5xx answers.

use std::time::Duration;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

/// One page of a feed.
#[derive(Debug, Deserialize)]
pub struct FeedPage {
    /// The records, each any JSON value (defective ones included).
    pub items: Vec<Value>,
    /// The position after the last item; equal to `since` when nothing is left.
    pub next_cursor: String,
    /// The date the data describes; today (UTC+8) when the platform gives none.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

/// A client for one platform; cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpFeed {
    client: reqwest::Client,
    token: Option<String>,
    retries: u32,
}

impl HttpFeed {
    /// A client with the given per-request timeout, token and retry count.
    pub fn new(timeout: Duration, token: Option<String>, retries: u32) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            client,
            token,
            retries,
        })
    }

    /// Fetches the page of `source` after `since` (`None` = from the start).
    pub async fn page(
        &self,
        base: &str,
        source: &str,
        since: Option<&str>,
        limit: u32,
    ) -> anyhow::Result<FeedPage> {
        let url = format!("{}/feeds/{source}", base.trim_end_matches('/'));
        let mut delay = Duration::from_millis(500);
        let mut attempt = 0;
        loop {
            match self.try_page(&url, since, limit).await {
                Ok(page) => return Ok(page),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry(e)) if attempt >= self.retries => {
                    return Err(e.context(format!("after {} attempts", attempt + 1)));
                }
                Err(Failure::Retry(e)) => {
                    tracing::warn!(source, attempt, error = %e, "feed request failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                    attempt += 1;
                }
            }
        }
    }

    async fn try_page(
        &self,
        url: &str,
        since: Option<&str>,
        limit: u32,
    ) -> Result<FeedPage, Failure> {
        let mut req = self.client.get(url).query(&[("limit", limit.to_string())]);
        if let Some(since) = since {
            req = req.query(&[("since", since)]);
        }
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Failure::Retry(anyhow::Error::new(e).context(format!("GET {url}"))))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Failure::Retry(anyhow::Error::new(e).context("reading the page")))?;
        if status.is_server_error() {
            return Err(Failure::Retry(anyhow::anyhow!("GET {url}: {status}")));
        }
        if !status.is_success() {
            let detail = serde_json::from_slice::<ErrorBody>(&body)
                .map(|b| format!("{}: {}", b.error.code, b.error.message))
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(Failure::Fatal(anyhow::anyhow!(
                "GET {url}: {status}: {detail}"
            )));
        }
        serde_json::from_slice(&body).map_err(|e| {
            Failure::Fatal(anyhow::Error::new(e).context(format!("GET {url}: not a feed page")))
        })
    }
}

enum Failure {
    Retry(anyhow::Error),
    Fatal(anyhow::Error),
}

/// Refuses a page whose cursor did not move although it carried items (a platform bug
/// that would otherwise loop forever).
pub fn check_progress(since: Option<&str>, page: &FeedPage) -> anyhow::Result<()> {
    if !page.items.is_empty() && since == Some(page.next_cursor.as_str()) {
        bail!("the feed returned items but did not advance its cursor");
    }
    Ok(())
}
