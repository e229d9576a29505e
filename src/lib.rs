//! mianshen (免申即享): enterprise subsidies delivered without an application.
//!
//! The library holds every domain module; `src/main.rs` only parses the command line.
//! See `docs/ARCHITECTURE.md` for where things live and how data flows.

pub mod cli;
pub mod config;
pub mod db;
pub mod profiles;
pub mod rules;
