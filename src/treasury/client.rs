//! The adapter to the treasury: HTTP JSON with a bearer token and a timeout per request.
//!
//! It never retries on its own: every error says whether retrying is safe
//! ([`TreasuryError::is_retryable`]), and the caller, which records what it sent, decides.
//! Retrying a submission is always safe: the treasury keys instructions by our id.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::Context as _;
use chrono::NaiveDate;
use reqwest::{RequestBuilder, Response, StatusCode};

use super::TreasurySettings;
use super::protocol::{
    ErrorBody, InstructionError, InstructionState, MAX_INSTRUCTIONS_PER_REQUEST,
    PaymentInstruction, SubmitRequest, SubmitResponse, is_valid_id,
};
use super::statement::{self, Statement, StatementError};
use crate::config::Secret;

/// The header that says whether a statement's day is over (`true`) or still open.
pub const STATEMENT_COMPLETE_HEADER: &str = "X-Statement-Complete";

/// What went wrong talking to the treasury.
#[derive(Debug, thiserror::Error)]
pub enum TreasuryError {
    /// No answer in time. The treasury may have acted on the request: retry it (the same
    /// instruction ids make a retried submission harmless) or poll.
    #[error(
        "the treasury did not answer {operation} within {timeout:?}; it may have acted on it: retry or poll"
    )]
    Timeout {
        /// What was asked (`submit`, `status`, `statement`).
        operation: &'static str,
        /// The limit that ran out.
        timeout: Duration,
    },
    /// The connection failed before an answer (refused, reset, DNS). Retry later.
    #[error("the treasury could not be reached for {operation}: {reason}")]
    Unreachable {
        /// What was asked.
        operation: &'static str,
        /// The transport's reason.
        reason: String,
    },
    /// 5xx, 408 or 429: the treasury could not serve the request now. Retry later.
    #[error("the treasury answered {operation} with HTTP {status}: {message}; retry later")]
    Unavailable {
        /// What was asked.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The treasury's message, if any.
        message: String,
    },
    /// A 4xx refusal: retrying the same request will not help (e.g. `instruction_conflict`:
    /// an id we already used with another body; `unauthorized`: check the token).
    #[error("the treasury refused {operation} with HTTP {status} {code}: {message}")]
    Refused {
        /// What was asked.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The protocol's error code.
        code: String,
        /// The treasury's message.
        message: String,
        /// The instruction at fault, when the treasury names one.
        instruction_id: Option<String>,
    },
    /// The treasury has no instruction with this id (it never received it).
    #[error("the treasury does not know instruction {instruction_id}")]
    UnknownInstruction {
        /// Our id.
        instruction_id: String,
    },
    /// An instruction failed our own checks; nothing was sent.
    #[error("not sent: {0}")]
    InvalidInstruction(#[from] InstructionError),
    /// The answer does not follow the protocol.
    #[error("the treasury's answer to {operation} does not follow the protocol: {reason}")]
    Protocol {
        /// What was asked.
        operation: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The statement file cannot be read at all (its header is wrong).
    #[error("the treasury's statement cannot be read: {0}")]
    Statement(#[from] StatementError),
}

impl TreasuryError {
    /// True when trying the same request again later may succeed: timeouts, unreachable,
    /// 5xx/408/429.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TreasuryError::Timeout { .. }
                | TreasuryError::Unreachable { .. }
                | TreasuryError::Unavailable { .. }
        )
    }
}

/// The treasury's client; cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct TreasuryClient {
    base_url: String,
    token: Option<Secret>,
    http: reqwest::Client,
    timeout: Duration,
}

impl TreasuryClient {
    /// A client for the treasury of `settings`.
    pub fn new(settings: &TreasurySettings) -> anyhow::Result<Self> {
        let url = settings.url.trim_end_matches('/');
        anyhow::ensure!(
            url.starts_with("http://") || url.starts_with("https://"),
            "the treasury URL {url:?} must start with http:// or https://"
        );
        let http = reqwest::Client::builder()
            .timeout(settings.timeout())
            .build()
            .context("building the treasury's HTTP client")?;
        Ok(Self {
            base_url: url.to_owned(),
            token: settings.token.clone(),
            http,
            timeout: settings.timeout(),
        })
    }

    /// Submits a batch. Idempotent: instruction ids the treasury already holds with the
    /// same content change nothing there, and every instruction's current state comes
    /// back, in the order given. Batches longer than [`MAX_INSTRUCTIONS_PER_REQUEST`] go
    /// as several requests; if one fails, the earlier ones stand, and resubmitting the
    /// whole batch is safe.
    pub async fn submit(
        &self,
        batch_ref: &str,
        instructions: &[PaymentInstruction],
    ) -> Result<Vec<InstructionState>, TreasuryError> {
        check_batch(batch_ref, instructions)?;
        let mut states = Vec::with_capacity(instructions.len());
        for chunk in instructions.chunks(MAX_INSTRUCTIONS_PER_REQUEST) {
            let body = SubmitRequest {
                batch_ref: batch_ref.to_owned(),
                instructions: chunk.to_vec(),
            };
            let request = self.http.post(self.url("/v1/batches")).json(&body);
            let response = self.send("submit", request).await?;
            let answer: SubmitResponse = self.json("submit", response).await?;
            let answered: Vec<&str> = answer
                .instructions
                .iter()
                .map(|s| s.instruction_id.as_str())
                .collect();
            let sent: Vec<&str> = chunk.iter().map(|i| i.instruction_id.as_str()).collect();
            if answered != sent {
                return Err(TreasuryError::Protocol {
                    operation: "submit",
                    reason: "the answer does not list the instructions sent, in order".into(),
                });
            }
            states.extend(answer.instructions);
        }
        Ok(states)
    }

    /// The current state of one instruction; [`TreasuryError::UnknownInstruction`] when the
    /// treasury never received it.
    pub async fn status(&self, instruction_id: &str) -> Result<InstructionState, TreasuryError> {
        if !is_valid_id(instruction_id) {
            return Err(TreasuryError::UnknownInstruction {
                instruction_id: instruction_id.to_owned(),
            });
        }
        let url = self.url(&format!("/v1/instructions/{instruction_id}"));
        match self.send("status", self.http.get(url)).await {
            Err(TreasuryError::Refused { status: 404, .. }) => {
                Err(TreasuryError::UnknownInstruction {
                    instruction_id: instruction_id.to_owned(),
                })
            }
            Err(other) => Err(other),
            Ok(response) => self.json("status", response).await,
        }
    }

    /// The statement of `date` (complete once the day is over at the treasury), every
    /// line read or reported with its line number.
    pub async fn statement(&self, date: NaiveDate) -> Result<Statement, TreasuryError> {
        let url = self.url(&format!("/v1/statements/{date}"));
        let response = self.send("statement", self.http.get(url)).await?;
        let complete = response
            .headers()
            .get(STATEMENT_COMPLETE_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "true");
        let body = response
            .bytes()
            .await
            .map_err(|e| transport("statement", self.timeout, &e))?;
        Ok(statement::parse(date, complete, &body)?)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends with the token; a non-2xx answer becomes the matching error.
    async fn send(
        &self,
        operation: &'static str,
        request: RequestBuilder,
    ) -> Result<Response, TreasuryError> {
        let request = match &self.token {
            Some(token) => request.bearer_auth(token.expose()),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| transport(operation, self.timeout, &e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        let detail = serde_json::from_slice::<ErrorBody>(&body)
            .ok()
            .map(|b| b.error);
        let message = detail.as_ref().map_or_else(
            || String::from_utf8_lossy(&body).chars().take(200).collect(),
            |d| d.message.clone(),
        );
        if status.is_server_error()
            || status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
        {
            return Err(TreasuryError::Unavailable {
                operation,
                status: status.as_u16(),
                message,
            });
        }
        Err(TreasuryError::Refused {
            operation,
            status: status.as_u16(),
            code: detail.as_ref().map_or_else(String::new, |d| d.code.clone()),
            message,
            instruction_id: detail.and_then(|d| d.instruction_id),
        })
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
        response: Response,
    ) -> Result<T, TreasuryError> {
        let body = response
            .bytes()
            .await
            .map_err(|e| transport(operation, self.timeout, &e))?;
        serde_json::from_slice(&body).map_err(|e| TreasuryError::Protocol {
            operation,
            reason: e.to_string(),
        })
    }
}

/// Our own checks before anything is sent: a valid reference, valid instructions, no id
/// twice.
fn check_batch(batch_ref: &str, instructions: &[PaymentInstruction]) -> Result<(), TreasuryError> {
    if !is_valid_id(batch_ref) {
        return Err(TreasuryError::InvalidInstruction(InstructionError {
            instruction_id: String::new(),
            field: "batch_ref",
            reason: "must be 1 to 64 characters of A-Z a-z 0-9 - _ . :".into(),
        }));
    }
    let mut seen = HashSet::with_capacity(instructions.len());
    for instruction in instructions {
        instruction.validate()?;
        if !seen.insert(instruction.instruction_id.as_str()) {
            return Err(TreasuryError::InvalidInstruction(InstructionError {
                instruction_id: instruction.instruction_id.clone(),
                field: "instruction_id",
                reason: "appears twice in the batch".into(),
            }));
        }
    }
    Ok(())
}

fn transport(operation: &'static str, timeout: Duration, error: &reqwest::Error) -> TreasuryError {
    if error.is_timeout() {
        TreasuryError::Timeout { operation, timeout }
    } else {
        TreasuryError::Unreachable {
            operation,
            reason: error.to_string(),
        }
    }
}
