//! Sending callbacks: signed with the shared secret, retried with doubling waits, some sent
//! twice and some late (as the behaviour's seed decides), some dropped on order.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Shared;
use crate::signature;
use crate::treasury::Callback;

/// What happened to the callbacks so far.
#[derive(Debug, Default)]
pub struct CallbackCounters {
    events: AtomicU64,
    delivered: AtomicU64,
    duplicates: AtomicU64,
    late: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    unsent: AtomicU64,
}

/// A snapshot of [`CallbackCounters`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackStats {
    /// Settlements that made a callback.
    pub events: u64,
    /// Sends answered 2xx (a callback sent twice counts twice).
    pub delivered: u64,
    /// Callbacks chosen to be sent twice.
    pub duplicates: u64,
    /// Callbacks chosen to be sent late.
    pub late: u64,
    /// Callbacks dropped on order (`drop_callbacks`).
    pub dropped: u64,
    /// Callbacks given up after every attempt failed.
    pub failed: u64,
    /// Callbacks not sent because no callback URL is set.
    pub unsent: u64,
}

impl CallbackCounters {
    /// The counts now.
    pub fn snapshot(&self) -> CallbackStats {
        let get = |c: &AtomicU64| c.load(Ordering::SeqCst);
        CallbackStats {
            events: get(&self.events),
            delivered: get(&self.delivered),
            duplicates: get(&self.duplicates),
            late: get(&self.late),
            dropped: get(&self.dropped),
            failed: get(&self.failed),
            unsent: get(&self.unsent),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::SeqCst);
}

/// Sends `callback` in the background, as the behaviour and the faults decide.
pub fn dispatch(shared: &Arc<Shared>, callback: &Callback) {
    let counters = &shared.callbacks;
    bump(&counters.events);
    if shared.faults.drop_callbacks.take() {
        bump(&counters.dropped);
        return;
    }
    let Ok(body) = serde_json::to_vec(callback) else {
        return;
    };
    let late = shared.behaviour.sends_late(&callback.event_id);
    let twice = shared.behaviour.sends_twice(&callback.event_id);
    if late {
        bump(&counters.late);
    }
    if twice {
        bump(&counters.duplicates);
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        if late
            && shared
                .sleep_unless_shut_down(shared.behaviour.late_by)
                .await
        {
            return;
        }
        for _ in 0..if twice { 2 } else { 1 } {
            deliver(&shared, &body).await;
        }
    });
}

/// One callback to the configured URL, retried until 2xx or out of attempts.
async fn deliver(shared: &Shared, body: &[u8]) {
    let Ok(_permit) = shared.sending.acquire().await else {
        return;
    };
    let url = shared.callback_url.lock().ok().and_then(|u| u.clone());
    let Some(url) = url else {
        bump(&shared.callbacks.unsent);
        return;
    };
    let signature = signature::sign(&shared.behaviour.callback_secret, body);
    let mut wait = Duration::from_millis(100);
    for attempt in 1..=shared.behaviour.callback_attempts.max(1) {
        let sent = shared
            .http
            .post(&url)
            .header("Content-Type", "application/json")
            .header(signature::HEADER, &signature)
            .body(body.to_vec())
            .send()
            .await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            bump(&shared.callbacks.delivered);
            return;
        }
        if attempt < shared.behaviour.callback_attempts && shared.sleep_unless_shut_down(wait).await
        {
            return;
        }
        wait = wait.saturating_mul(2);
    }
    bump(&shared.callbacks.failed);
}
