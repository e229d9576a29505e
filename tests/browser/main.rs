//! The pages in a real browser: Debian's headless Chromium, driven through chromedriver
//! (the `chromium` and `chromium-driver` packages; `.ci/run` installs them) with the
//! fantoccini WebDriver client, against the real service on a loopback port over a fresh
//! database. The window is a phone's, 390 px wide. Every page a flow opens is checked for
//! sideways scrolling, unlabelled fields and serious or critical axe-core findings, and
//! saved as a screenshot under `target/screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod api_docs;
mod authoring;
mod cockpit;
#[path = "../cockpit_support/mod.rs"]
mod cockpit_support;
mod driver;
mod enterprise;
mod escaping;
mod finance;
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
mod keyboard;
#[path = "../matching_support/mod.rs"]
mod matching_support;
mod money_world;
mod policies;
mod review;
