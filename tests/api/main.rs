//! End-to-end tests of the service over real HTTP against a real PostgreSQL, one fresh
//! database per test (see `mianshen::db::testdb`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod audit;
mod authoring;
mod cli;
mod config;
mod firms;
mod fuzz;
mod grants_review;
mod health;
mod helpers;
#[path = "../matching_support/mod.rs"]
mod matching_support;
mod near_misses;
mod notices;
mod notices_config;
#[path = "../notices_support/mod.rs"]
mod notices_support;
mod policies;
mod roles;
mod security_audit;
mod security_headers;
mod security_input;
mod security_login;
mod security_session;
mod security_smaller;
mod security_tokens;
mod security_webhooks;
mod web_pages;
