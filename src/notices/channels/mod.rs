//! The channels a delivery goes through, and how a send's result is classified.

pub mod email;
pub mod sms;
pub mod webhook;
pub mod webhook_target;

/// The outcome of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted by the receiver.
    Delivered {
        /// HTTP status or reply code.
        status: Option<i32>,
    },
    /// Failed, worth trying again later.
    Retry {
        /// HTTP status or reply code.
        status: Option<i32>,
        /// What went wrong.
        error: String,
    },
    /// Failed for good (e.g. a 4xx other than 408/429).
    Permanent {
        /// HTTP status or reply code.
        status: Option<i32>,
        /// What went wrong.
        error: String,
    },
}

/// Classifies an HTTP status: 2xx delivered, 4xx except 408/429 permanent, else retry.
pub fn classify_http(status: u16) -> SendOutcome {
    let code = Some(i32::from(status));
    match status {
        200..=299 => SendOutcome::Delivered { status: code },
        408 | 429 => SendOutcome::Retry {
            status: code,
            error: format!("HTTP {status}"),
        },
        400..=499 => SendOutcome::Permanent {
            status: code,
            error: format!("HTTP {status}"),
        },
        _ => SendOutcome::Retry {
            status: code,
            error: format!("HTTP {status}"),
        },
    }
}
