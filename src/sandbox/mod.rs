//! The sandbox data-sharing platform: synthetic enterprises served as five source feeds.
//!
//! - [`synth`]: `firm(seed, index, day)`, a deterministic full profile, nothing stored;
//! - [`Source`] and [`OWNERSHIP`]: which source owns which field (ingest's default map);
//! - [`Defect`]: the kinds of bad record the feeds inject, each with the field it breaks;
//! - [`Feeds`]: the change log and its pages; [`DataExchange`]: the HTTP server;
//! - [`treasury`]: the sandbox 国库集中支付 side (payments, callbacks, statements, faults).

mod defects;
mod export;
mod feed;
mod json;
pub mod rng;
mod server;
pub mod sms_gateway;
pub mod smtp_sink;
mod sources;
pub mod synth;
pub mod treasury;
pub mod webhook_sink;

pub use defects::Defect;
pub use export::write_jsonl;
pub use feed::{Cursor, FeedConfig, Feeds, Page};
pub use json::write_profile;
pub use server::{DataExchange, ExchangeConfig, router};
pub use sources::{OWNERSHIP, Source};
