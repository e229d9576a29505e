//! The sandbox treasury: a real HTTP server speaking the treasury protocol
//! (docs/TREASURY.md). It accepts instructions idempotently by id, pays most of them and
//! returns a seeded share as bad accounts after `settle_after`, counts every payment per
//! instruction, sends signed callbacks (some twice, some late), serves each day's
//! statement as CSV, and injects the faults a test orders through its admin endpoints.
//!
//! - [`TreasurySandbox`]: bind to a listener, serve until a shutdown future completes;
//! - [`TreasuryBehaviour`]: its settings and deterministic choices (`returns(id)`, …);
//! - [`AdminClient`]: the admin endpoints (faults, statement defects, payment counts).

mod admin;
mod api;
mod behaviour;
mod book;
mod callbacks;
mod faults;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};

pub use admin::{AdminClient, Payments};
pub use behaviour::TreasuryBehaviour;
pub use book::{DefectOrder, InstructionCount, today};
pub use callbacks::CallbackStats;
pub use faults::FaultOrder;

/// What the handlers, the settler and the callback senders share.
struct Shared {
    behaviour: TreasuryBehaviour,
    book: Mutex<book::Book>,
    faults: faults::Faults,
    callbacks: callbacks::CallbackCounters,
    callback_url: Mutex<Option<String>>,
    /// Accepted instructions to settle, each with the time it is due.
    to_settle: mpsc::UnboundedSender<(Instant, String)>,
    http: reqwest::Client,
    sending: Semaphore,
    shut_down: watch::Receiver<bool>,
}

impl Shared {
    /// Sleeps for `duration`; true if the server shut down meanwhile.
    async fn sleep_unless_shut_down(&self, duration: Duration) -> bool {
        let mut shut_down = self.shut_down.clone();
        tokio::select! {
            () = tokio::time::sleep(duration) => *self.shut_down.borrow(),
            _ = shut_down.wait_for(|down| *down) => true,
        }
    }
}

/// A bound sandbox treasury.
pub struct TreasurySandbox {
    listener: TcpListener,
    shared: Arc<Shared>,
    settle_queue: mpsc::UnboundedReceiver<(Instant, String)>,
    shut_down: watch::Sender<bool>,
}

impl TreasurySandbox {
    /// Binds the sandbox to `listener`.
    pub fn bind(behaviour: TreasuryBehaviour, listener: TcpListener) -> Self {
        let (to_settle, settle_queue) = mpsc::unbounded_channel();
        let (shut_down, shut_down_rx) = watch::channel(false);
        let shared = Shared {
            callback_url: Mutex::new(behaviour.callback_url.clone()),
            sending: Semaphore::new(behaviour.callback_concurrency.max(1)),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            behaviour,
            book: Mutex::default(),
            faults: faults::Faults::default(),
            callbacks: callbacks::CallbackCounters::default(),
            to_settle,
            shut_down: shut_down_rx,
        };
        Self {
            listener,
            shared: Arc::new(shared),
            settle_queue,
            shut_down,
        }
    }

    /// The address it listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes; held-back answers, late callbacks and pending
    /// settlements stop then.
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tokio::spawn(settle(self.shared.clone(), self.settle_queue));
        let app = api::router(self.shared.clone()).merge(admin::router(self.shared));
        let shut_down = self.shut_down;
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = shut_down.send(true);
            })
            .await
    }
}

/// Settles accepted instructions in the order they were accepted, each when due.
async fn settle(shared: Arc<Shared>, mut queue: mpsc::UnboundedReceiver<(Instant, String)>) {
    while let Some((due, id)) = queue.recv().await {
        let wait = due.saturating_duration_since(Instant::now());
        if !wait.is_zero() && shared.sleep_unless_shut_down(wait).await {
            return;
        }
        let callback = match shared.book.lock() {
            Ok(mut book) => book.settle(&id, &shared.behaviour),
            Err(_) => return,
        };
        if let Some(callback) = callback {
            callbacks::dispatch(&shared, &callback);
        }
    }
}
