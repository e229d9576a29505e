//! The sandbox SMTP sink spoken to by hand over TCP: what it advertises, the replies to
//! commands out of order or malformed, dot-unstuffing, RSET, and its HTTP listing.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use mianshen::sandbox::smtp_sink::{MailLog, SmtpBehaviour, SmtpSink, http_router};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

async fn start() -> (String, Arc<MailLog>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sink = SmtpSink::bind(SmtpBehaviour::default(), listener);
    let address = sink.local_addr().unwrap().to_string();
    let log = sink.log();
    tokio::spawn(sink.serve_until(std::future::pending()));
    (address, log)
}

struct Client {
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
}

impl Client {
    async fn connect(address: &str) -> (Self, String) {
        let (read, write) = TcpStream::connect(address).await.unwrap().into_split();
        let mut client = Self {
            read: BufReader::new(read),
            write,
        };
        let greeting = client.reply().await;
        (client, greeting)
    }

    /// One whole reply (all its lines).
    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            self.read.read_line(&mut line).await.unwrap();
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] == b' ' {
                return all;
            }
        }
    }

    async fn send(&mut self, line: &str) -> String {
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
        self.reply().await
    }
}

#[tokio::test]
async fn a_hand_written_session_is_answered_by_the_rfc() {
    let (address, log) = start().await;
    let (mut c, greeting) = Client::connect(&address).await;
    assert!(greeting.starts_with("220 "), "{greeting}");

    // (command, reply code it must get)
    let table = [
        ("MAIL FROM:<a@b.cn>", "503"),
        ("EHLO client.test", "250"),
        ("RCPT TO:<x@y.cn>", "503"),
        ("DATA", "503"),
        ("MAIL FROM:a@b.cn", "501"),
        ("MAIL FROM:<a@b.cn>", "250"),
        ("RCPT TO x@y.cn", "501"),
        ("RCPT TO:<x@y.cn>", "250"),
        ("RSET", "250"),
        ("DATA", "503"),
        ("NOOP", "250"),
        ("VRFY x", "502"),
        ("HELO client.test", "250"),
    ];
    for (command, code) in table {
        let reply = c.send(command).await;
        assert!(reply.starts_with(code), "{command}: {reply}");
    }
    let ehlo = c.send("EHLO client.test").await;
    for extension in ["8BITMIME", "SMTPUTF8", "SIZE"] {
        assert!(ehlo.contains(extension), "{ehlo}");
    }
    assert!(!ehlo.contains("AUTH"), "no credential, no AUTH: {ehlo}");

    assert!(
        c.send("MAIL FROM:<a@b.cn> BODY=8BITMIME")
            .await
            .starts_with("250")
    );
    assert!(c.send("RCPT TO:<x@y.cn>").await.starts_with("250"));
    assert!(c.send("DATA").await.starts_with("354"));
    let message = "Message-ID: <one@test>\r\nSubject: 你好\r\n\r\n第一行\r\n..hidden dot\r\n.\r\n";
    c.write.write_all(message.as_bytes()).await.unwrap();
    assert!(c.reply().await.starts_with("250"));
    // The same Message-ID again: accepted, not stored twice.
    c.send("MAIL FROM:<a@b.cn>").await;
    c.send("RCPT TO:<x@y.cn>").await;
    c.send("DATA").await;
    c.write.write_all(message.as_bytes()).await.unwrap();
    assert!(c.reply().await.starts_with("250"));
    // No Message-ID: refused, it is what duplicates are recognised by.
    c.send("MAIL FROM:<a@b.cn>").await;
    c.send("RCPT TO:<x@y.cn>").await;
    c.send("DATA").await;
    c.write
        .write_all(b"Subject: x\r\n\r\nbody\r\n.\r\n")
        .await
        .unwrap();
    assert!(c.reply().await.starts_with("554"));
    assert!(c.send("QUIT").await.starts_with("221"));

    let mails = log.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "你好");
    assert_eq!(mails[0].body, "第一行\n.hidden dot\n");
    assert_eq!(mails[0].envelope_to, ["x@y.cn"]);
    assert_eq!(log.duplicates.load(std::sync::atomic::Ordering::SeqCst), 1);

    // The HTTP listing shows the same.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, http_router(log)).await });
    let listed: serde_json::Value = reqwest::get(format!("http://{http}/messages"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["messages"][0]["message_id"], "<one@test>");
    assert_eq!(listed["duplicates"], 1);
}
