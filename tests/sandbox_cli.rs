//! `mianshen sandbox data-exchange` as a real process: it announces its address and serves.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Kills the child when the test ends, pass or fail.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_command_serves_feeds_with_the_default_token() {
    // Arrange
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_mianshen"))
            .args(["sandbox", "data-exchange", "--firms", "100", "--seed", "9"])
            .args(["--listen", "127.0.0.1:0", "--day", "2"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();

    // Act
    let client = reqwest::Client::new();
    let page: Value = client
        .get(format!("{base}/feeds/credit?limit=3"))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let unauthorised = client
        .get(format!("{base}/feeds/credit"))
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(page["items"].as_array().unwrap().len(), 3, "{page}");
    assert_eq!(
        page["as_of"], "2026-11-25",
        "day 2 starts two days after day 0"
    );
    assert_eq!(unauthorised.status(), 401);
}
