//! mianshen (免申即享): enterprise subsidies delivered without an application.
//!
//! The library holds every domain module; `src/main.rs` only parses the command line.
//! See `docs/ARCHITECTURE.md` for where things live and how data flows.

pub mod accounts;
pub mod app;
pub mod audit;
pub mod cli;
pub mod cockpit;
pub mod config;
pub mod db;
pub mod disbursement;
pub mod edge;
pub mod firms;
pub mod grants;
pub mod http;
pub mod ingest;
pub mod matching;
pub mod notices;
pub mod policies;
pub mod profiles;
pub mod rules;
pub mod sandbox;
pub mod scheduler;
pub mod signature;
pub mod telemetry;
pub mod treasury;
pub mod web;
