//! Faults a test orders: the next N requests time out or answer 503, the next N
//! submissions are refused (422, naming an instruction), the next N callbacks are dropped.

use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};

/// A number of faults still to inject.
#[derive(Debug, Default)]
pub struct Countdown(AtomicU32);

impl Countdown {
    /// Injects `n` more.
    pub fn add(&self, n: u32) {
        self.0.fetch_add(n, Ordering::SeqCst);
    }

    /// True (and one fewer left) when a fault is due now.
    pub fn take(&self) -> bool {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// How many are left.
    pub fn left(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The faults still to inject.
#[derive(Debug, Default)]
pub struct Faults {
    /// API requests carried out whose answer is then held back past the client's timeout.
    pub timeouts: Countdown,
    /// API requests answered 503 without being carried out.
    pub errors: Countdown,
    /// Submissions refused `422 invalid_instruction`, naming their first instruction.
    pub refusals: Countdown,
    /// Callbacks never sent.
    pub drop_callbacks: Countdown,
}

/// `POST /admin/faults`: faults to add (the answer: the faults left to inject).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultOrder {
    /// The next N API requests are carried out, then their answer is held back.
    pub timeouts: u32,
    /// The next N API requests are answered 503 and not carried out.
    pub errors: u32,
    /// The next N submissions are refused `422 invalid_instruction` naming their first
    /// instruction (as a treasury refuses a payee bank it cannot clear to), and not
    /// carried out.
    pub refusals: u32,
    /// The next N callbacks are never sent.
    pub drop_callbacks: u32,
}

impl Faults {
    /// Adds an order.
    pub fn add(&self, order: FaultOrder) {
        self.timeouts.add(order.timeouts);
        self.errors.add(order.errors);
        self.refusals.add(order.refusals);
        self.drop_callbacks.add(order.drop_callbacks);
    }

    /// The faults left.
    pub fn left(&self) -> FaultOrder {
        FaultOrder {
            timeouts: self.timeouts.left(),
            errors: self.errors.left(),
            refusals: self.refusals.left(),
            drop_callbacks: self.drop_callbacks.left(),
        }
    }
}
