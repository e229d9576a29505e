//! Shared by the treasury tests: a sandbox treasury on a loopback port, our client and
//! the admin client for it, a callback receiver that verifies signatures with
//! `verify_callback`, and instructions to send.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use mianshen::config::Secret;
use mianshen::sandbox::treasury::{AdminClient, CallbackStats, TreasuryBehaviour, TreasurySandbox};
use mianshen::treasury::{
    Callback, CallbackError, InstructionState, InstructionStatus, PaymentInstruction,
    SIGNATURE_HEADER, TreasuryClient, TreasuryError, TreasurySettings, verify_callback,
};
use rust_decimal::Decimal;
use tokio::sync::oneshot;

pub const TOKEN: &str = "test-treasury-token";
pub const SECRET: &str = "test-callback-secret";

/// A running sandbox treasury and its clients; stops when dropped.
pub struct Treasury {
    pub base: String,
    pub behaviour: TreasuryBehaviour,
    pub client: TreasuryClient,
    pub admin: AdminClient,
    _stop: oneshot::Sender<()>,
}

/// The behaviour tests start from: quick settlement, no duplicate or late callbacks, a
/// tenth returned.
pub fn behaviour() -> TreasuryBehaviour {
    TreasuryBehaviour {
        token: TOKEN.into(),
        seed: 7,
        return_permille: 100,
        settle_after: Duration::from_millis(50),
        callback_secret: SECRET.into(),
        duplicate_permille: 0,
        late_permille: 0,
        ..TreasuryBehaviour::default()
    }
}

/// Our client's settings for a treasury at `base`.
pub fn settings(base: &str, timeout_secs: u64) -> TreasurySettings {
    TreasurySettings {
        url: base.to_owned(),
        token: Some(Secret::new(TOKEN)),
        callback_secret: Some(Secret::new(SECRET)),
        timeout_secs,
        ..TreasurySettings::default()
    }
}

pub async fn spawn(behaviour: TreasuryBehaviour) -> Treasury {
    spawn_with_timeout(behaviour, 2).await
}

/// [`spawn`] with our client's timeout in seconds.
pub async fn spawn_with_timeout(behaviour: TreasuryBehaviour, timeout_secs: u64) -> Treasury {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sandbox = TreasurySandbox::bind(behaviour.clone(), listener);
    let base = format!("http://{}", sandbox.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(sandbox.serve_until(async {
        let _ = stopped.await;
    }));
    Treasury {
        client: TreasuryClient::new(&settings(&base, timeout_secs)).unwrap(),
        admin: AdminClient::new(&base, TOKEN),
        base,
        behaviour,
        _stop: stop,
    }
}

/// A valid instruction numbered `n`.
pub fn instruction(n: u32) -> PaymentInstruction {
    PaymentInstruction {
        instruction_id: format!("PAY-2026-{n:06}"),
        payee_name: format!("青岛测试{n}科技有限公司"),
        payee_account: format!("62220202{n:08}"),
        payee_bank: "中国工商银行青岛分行".into(),
        amount: Decimal::new(i64::from(n) * 10_001 + 17, 2),
        uscc: "91370212MA00000013".into(),
        purpose: "高新技术企业认定奖励 (青科规〔2026〕1号)".into(),
        budget_year: 2026,
    }
}

/// Polls until every instruction is paid or returned (at most 20 s).
pub async fn wait_settled(client: &TreasuryClient, ids: &[String]) -> Vec<InstructionState> {
    let mut states = Vec::new();
    for id in ids {
        let mut waited = 0;
        loop {
            let state = client.status(id).await.unwrap();
            if state.status != InstructionStatus::Accepted {
                states.push(state);
                break;
            }
            assert!(waited < 2000, "{id} not settled after 20 s");
            waited += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    states
}

/// What a callback receiver got.
#[derive(Debug, Default)]
pub struct Received {
    /// Callbacks whose signature verified, in arrival order.
    pub callbacks: Vec<Callback>,
    /// Requests refused for their signature.
    pub bad_signatures: u32,
}

/// A callback endpoint of the kind our service has: verifies, records, answers 200 (401
/// for a bad signature, 400 for a bad body).
pub async fn spawn_receiver(secret: &str) -> (String, Arc<Mutex<Received>>) {
    type Shared = (Arc<str>, Arc<Mutex<Received>>);
    async fn receive(
        State((secret, log)): State<Shared>,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
        match verify_callback(&secret, signature, &body) {
            Ok(callback) => {
                log.lock().unwrap().callbacks.push(callback);
                StatusCode::OK
            }
            Err(CallbackError::Signature(_)) => {
                log.lock().unwrap().bad_signatures += 1;
                StatusCode::UNAUTHORIZED
            }
            Err(CallbackError::Malformed(_)) => StatusCode::BAD_REQUEST,
        }
    }
    let log = Arc::new(Mutex::new(Received::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/treasury/callbacks",
        listener.local_addr().unwrap()
    );
    let app = Router::new()
        .route("/treasury/callbacks", post(receive))
        .with_state((Arc::from(secret), log.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, log)
}

/// Waits until `check` holds of what the receiver got (at most 20 s).
pub async fn wait_for(log: &Mutex<Received>, what: &str, check: impl Fn(&Received) -> bool) {
    for _ in 0..2000 {
        if check(&log.lock().unwrap()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("gave up waiting for {what}: {:?}", log.lock().unwrap());
}

/// The ids of instructions.
pub fn ids(instructions: &[PaymentInstruction]) -> Vec<String> {
    instructions
        .iter()
        .map(|i| i.instruction_id.clone())
        .collect()
}

/// Asserts an error is the retryable kind expected.
pub fn assert_retryable(error: &TreasuryError) {
    assert!(error.is_retryable(), "{error}");
}

/// Waits until the sandbox's callback counts satisfy `check` (at most 20 s); returns them.
pub async fn wait_stats(
    admin: &AdminClient,
    check: impl Fn(&CallbackStats) -> bool,
) -> CallbackStats {
    for _ in 0..400 {
        let stats = admin.payments().await.unwrap().callbacks;
        if check(&stats) {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "gave up waiting: {:?}",
        admin.payments().await.unwrap().callbacks
    );
}
