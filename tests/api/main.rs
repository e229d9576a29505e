//! End-to-end tests of the service over real HTTP against a real PostgreSQL, one fresh
//! database per test (see `mianshen::db::testdb`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod audit;
mod authoring;
mod cli;
mod cockpit;
mod cockpit_rollup;
#[path = "../cockpit_support/mod.rs"]
mod cockpit_support;
mod config;
mod dashboards;
mod firms;
mod fuzz;
mod grants_review;
mod health;
mod helpers;
mod library;
#[path = "../matching_support/mod.rs"]
mod matching_support;
#[allow(dead_code)] // the browser tests use the rest
#[path = "../browser/money_world.rs"]
mod money_world;
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
mod slow_statements;
mod web_finance;
mod web_pages;
