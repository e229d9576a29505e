//! The sandbox's admin endpoints (same bearer token), for tests, the demo and the
//! benchmark, and a typed client for them:
//! - `POST /admin/faults` [`FaultOrder`] → the faults left to inject;
//! - `POST /admin/statement-defects` [`DefectOrder`] → `{"date"}`; `DELETE` forgets them all;
//! - `PUT /admin/callback-url` `{"url": "…" | null}`;
//! - `GET /admin/payments` → [`Payments`]: per instruction, how often it was submitted,
//!   paid and returned, and what happened to the callbacks.

use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Shared;
use super::api::{ApiError, authorize};
use super::book::{DefectOrder, InstructionCount};
use super::callbacks::CallbackStats;
use super::faults::FaultOrder;

/// What the sandbox paid, per instruction, and its callbacks' counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payments {
    /// Every instruction received, by id.
    pub instructions: Vec<InstructionCount>,
    /// The callbacks so far.
    pub callbacks: CallbackStats,
}

impl Payments {
    /// The counts of one instruction.
    pub fn of(&self, instruction_id: &str) -> Option<&InstructionCount> {
        self.instructions
            .iter()
            .find(|c| c.instruction_id == instruction_id)
    }

    /// Instructions paid more than once (a double payment: always empty, or a bug).
    pub fn paid_more_than_once(&self) -> Vec<&InstructionCount> {
        self.instructions.iter().filter(|c| c.paid > 1).collect()
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackUrl {
    url: Option<String>,
}

/// The admin routes.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/admin/faults", post(faults))
        .route(
            "/admin/statement-defects",
            post(add_defects).delete(clear_defects),
        )
        .route("/admin/callback-url", put(callback_url))
        .route("/admin/payments", get(payments))
        .layer(middleware::from_fn_with_state(shared.clone(), authorize))
        .with_state(shared)
}

fn lock_failed() -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "内部错误")
}

async fn faults(
    State(shared): State<Arc<Shared>>,
    Json(order): Json<FaultOrder>,
) -> Json<FaultOrder> {
    shared.faults.add(order);
    Json(shared.faults.left())
}

async fn add_defects(
    State(shared): State<Arc<Shared>>,
    Json(order): Json<DefectOrder>,
) -> Result<Response, ApiError> {
    let added = shared
        .book
        .lock()
        .map_err(|_| lock_failed())?
        .add_defects(order);
    match added {
        Ok(date) => Ok(Json(json!({"date": date})).into_response()),
        Err(message) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_request",
            message,
        )),
    }
}

async fn clear_defects(State(shared): State<Arc<Shared>>) -> Result<StatusCode, ApiError> {
    shared
        .book
        .lock()
        .map_err(|_| lock_failed())?
        .clear_defects();
    Ok(StatusCode::NO_CONTENT)
}

async fn callback_url(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<CallbackUrl>,
) -> Result<StatusCode, ApiError> {
    if let Some(url) = &body.url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_request",
            format!("回调地址应以 http:// 或 https:// 开头: {url}"),
        ));
    }
    *shared.callback_url.lock().map_err(|_| lock_failed())? = body.url;
    Ok(StatusCode::NO_CONTENT)
}

async fn payments(State(shared): State<Arc<Shared>>) -> Result<Json<Payments>, ApiError> {
    let instructions = shared.book.lock().map_err(|_| lock_failed())?.counts();
    Ok(Json(Payments {
        instructions,
        callbacks: shared.callbacks.snapshot(),
    }))
}

/// A client of the admin endpoints.
#[derive(Debug, Clone)]
pub struct AdminClient {
    base_url: String,
    token: String,
    http: reqwest::Client,
}

impl AdminClient {
    /// A client of the sandbox at `base_url` (e.g. `http://127.0.0.1:8093`).
    pub fn new(base_url: &str, token: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> anyhow::Result<reqwest::Response> {
        let response = request.bearer_auth(&self.token).send().await?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            anyhow::bail!("the sandbox treasury answered {status}: {body}");
        }
        Ok(response)
    }

    /// Orders faults; answers the faults left to inject.
    pub async fn faults(&self, order: FaultOrder) -> anyhow::Result<FaultOrder> {
        let url = format!("{}/admin/faults", self.base_url);
        let response = self.call(self.http.post(url).json(&order)).await?;
        response.json().await.context("reading the faults left")
    }

    /// Orders statement defects.
    pub async fn statement_defects(&self, order: &DefectOrder) -> anyhow::Result<()> {
        let url = format!("{}/admin/statement-defects", self.base_url);
        self.call(self.http.post(url).json(order)).await.map(drop)
    }

    /// Forgets every statement defect ordered.
    pub async fn clear_statement_defects(&self) -> anyhow::Result<()> {
        let url = format!("{}/admin/statement-defects", self.base_url);
        self.call(self.http.delete(url)).await.map(drop)
    }

    /// Sends callbacks to `url` from now on (`None`: to nobody).
    pub async fn set_callback_url(&self, url: Option<&str>) -> anyhow::Result<()> {
        let endpoint = format!("{}/admin/callback-url", self.base_url);
        let body = CallbackUrl {
            url: url.map(str::to_owned),
        };
        self.call(self.http.put(endpoint).json(&body))
            .await
            .map(drop)
    }

    /// Every instruction's counts and the callbacks' counts.
    pub async fn payments(&self) -> anyhow::Result<Payments> {
        let url = format!("{}/admin/payments", self.base_url);
        let response = self.call(self.http.get(url)).await?;
        response.json().await.context("reading the payment counts")
    }
}
