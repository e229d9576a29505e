//! `mianshen sandbox data-exchange` and `sandbox smtp-sink` as real processes: each
//! announces its address and serves.
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

#[tokio::test]
async fn the_smtp_sink_command_stores_mail_and_lists_it_over_http() {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};

    // Arrange
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_mianshen"))
            .args(["sandbox", "smtp-sink", "--listen", "127.0.0.1:0"])
            .args(["--http", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let word = |prefix: &str| {
        line.split([' ', '(', ')'])
            .find_map(|w| w.strip_prefix(prefix))
            .unwrap()
            .to_owned()
    };
    let (smtp, listing) = (word("smtp://"), word("http://"));

    // Act: one message over a real SMTP dialogue.
    let stream = tokio::net::TcpStream::connect(&smtp).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut read = tokio::io::BufReader::new(read);
    let mut replies = Vec::new();
    let mut reply = String::new();
    read.read_line(&mut reply).await.unwrap();
    replies.push(reply.clone());
    for command in [
        "HELO t\r\n",
        "MAIL FROM:<a@b.cn>\r\n",
        "RCPT TO:<c@d.cn>\r\n",
        "DATA\r\n",
        "Message-ID: <cli@test>\r\nSubject: =?utf-8?b?5YWN55Sz5Y2z5Lqr?=\r\n\r\nhi\r\n.\r\n",
        "QUIT\r\n",
    ] {
        write.write_all(command.as_bytes()).await.unwrap();
        reply.clear();
        read.read_line(&mut reply).await.unwrap();
        replies.push(reply.clone());
    }
    let listed: Value = reqwest::get(format!("http://{listing}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Assert
    let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
    assert_eq!(codes, ["220", "250", "250", "250", "354", "250", "221"]);
    assert_eq!(listed["messages"][0]["message_id"], "<cli@test>");
    assert_eq!(listed["messages"][0]["subject"], "免申即享");
}
