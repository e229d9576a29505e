//! A webhook receiver of ours for tests, the demo and the benchmark: it checks the
//! `X-Mianshen-Signature` of each body, stores each notice once per `Idempotency-Key`
//! (a repeated key is answered 200 and counted as a duplicate) and can be told to fail
//! the first requests or to answer slowly.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::net::TcpListener;

use crate::signature;

/// How the sink behaves.
#[derive(Debug, Clone, Default)]
pub struct SinkBehaviour {
    /// The shared secret the signatures are checked with.
    pub secret: String,
    /// Answer 503 to this many requests first.
    pub fail_first: u64,
    /// Answer every request with this status instead (e.g. 400 for a permanent failure).
    pub always_status: Option<u16>,
    /// Wait this long before storing and answering.
    pub delay: Duration,
}

/// What the sink has received.
#[derive(Debug, Default)]
pub struct SinkLog {
    /// Bodies by idempotency key, first arrival only.
    pub by_key: Mutex<HashMap<String, serde_json::Value>>,
    /// Requests with a key already stored.
    pub duplicates: AtomicU64,
    /// Requests whose signature did not verify (answered 401).
    pub bad_signatures: AtomicU64,
    /// Every request.
    pub requests: AtomicU64,
}

impl SinkLog {
    /// Distinct notices stored.
    pub fn stored(&self) -> usize {
        self.by_key.lock().map(|m| m.len()).unwrap_or_default()
    }
}

#[derive(Clone)]
struct Sink {
    behaviour: Arc<SinkBehaviour>,
    log: Arc<SinkLog>,
}

async fn receive(State(sink): State<Sink>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = sink.log.requests.fetch_add(1, Ordering::SeqCst);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if signature::verify(&sink.behaviour.secret, header(signature::HEADER), &body).is_err() {
        sink.log.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return StatusCode::UNAUTHORIZED;
    }
    if n < sink.behaviour.fail_first {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    if let Some(code) = sink.behaviour.always_status {
        return StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    }
    let Some(key) = header("Idempotency-Key").map(str::to_owned) else {
        return StatusCode::BAD_REQUEST;
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if !sink.behaviour.delay.is_zero() {
        tokio::time::sleep(sink.behaviour.delay).await;
    }
    let Ok(mut stored) = sink.log.by_key.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    match stored.entry(key) {
        Entry::Occupied(_) => {
            sink.log.duplicates.fetch_add(1, Ordering::SeqCst);
        }
        Entry::Vacant(slot) => {
            slot.insert(value);
        }
    }
    StatusCode::OK
}

/// A bound webhook sink (`POST /hook`).
pub struct WebhookSink {
    listener: TcpListener,
    sink: Sink,
}

impl WebhookSink {
    /// Binds the sink to `listener`.
    pub fn bind(behaviour: SinkBehaviour, listener: TcpListener) -> Self {
        let sink = Sink {
            behaviour: Arc::new(behaviour),
            log: Arc::new(SinkLog::default()),
        };
        Self { listener, sink }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// What it received so far (shared, live).
    pub fn log(&self) -> Arc<SinkLog> {
        self.sink.log.clone()
    }

    /// Serves until `shutdown` completes.
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(self.sink);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
