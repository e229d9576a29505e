//! One SMTP session of the sink (RFC 5321 subset): commands read line by line, replies
//! written in order, the message read until the lone dot and dot-unstuffed.

use std::sync::atomic::Ordering;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use super::mail::Parsed;
use super::{MailLog, ReceivedMail, SmtpBehaviour};

/// The largest message accepted (advertised as `SIZE`).
const MAX_MESSAGE: usize = 10 * 1024 * 1024;
/// The longest command line read.
const MAX_LINE: usize = 4096;
const NAME: &str = "mianshen-smtp-sink";

/// Where a session is in its dialogue.
#[derive(Default)]
struct Transaction {
    greeted: bool,
    authenticated: bool,
    from: Option<String>,
    to: Vec<String>,
}

/// Serves one connection until QUIT, EOF or an I/O error.
pub async fn serve(
    stream: TcpStream,
    behaviour: &SmtpBehaviour,
    log: &MailLog,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write
        .write_all(format!("220 {NAME} ESMTP ready\r\n").as_bytes())
        .await?;
    let mut t = Transaction::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut read)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                t = Transaction {
                    greeted: true,
                    authenticated: t.authenticated,
                    ..Transaction::default()
                };
                ehlo(behaviour)
            }
            "HELO" => {
                t.greeted = true;
                format!("250 {NAME}\r\n")
            }
            "AUTH" => auth(behaviour, &mut t, arg, &mut read, &mut write).await?,
            "MAIL" => mail_from(behaviour, &mut t, arg),
            "RCPT" => rcpt_to(behaviour, &mut t, arg),
            "DATA" if t.to.is_empty() => "503 5.5.1 RCPT TO first\r\n".to_owned(),
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(raw) = read_data(&mut read).await? else {
                    return Ok(());
                };
                let reply = finish(behaviour, log, &t, &raw).await;
                t.from = None;
                t.to.clear();
                reply
            }
            "RSET" => {
                t.from = None;
                t.to.clear();
                "250 2.0.0 OK\r\n".to_owned()
            }
            "NOOP" => "250 2.0.0 OK\r\n".to_owned(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not recognised\r\n".to_owned(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

fn ehlo(behaviour: &SmtpBehaviour) -> String {
    let mut lines = vec![
        format!("{NAME} greets you"),
        "8BITMIME".to_owned(),
        "SMTPUTF8".to_owned(),
        format!("SIZE {MAX_MESSAGE}"),
    ];
    if behaviour.credentials.is_some() {
        lines.push("AUTH PLAIN".to_owned());
    }
    let last = lines.len() - 1;
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
        .collect()
}

async fn auth(
    behaviour: &SmtpBehaviour,
    t: &mut Transaction,
    arg: &str,
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    write: &mut tokio::net::tcp::OwnedWriteHalf,
) -> std::io::Result<String> {
    let Some((user, password)) = &behaviour.credentials else {
        return Ok("503 5.5.1 AUTH not offered\r\n".to_owned());
    };
    let (mechanism, initial) = arg.split_once(' ').unwrap_or((arg, ""));
    if !mechanism.eq_ignore_ascii_case("PLAIN") {
        return Ok("504 5.5.4 Only AUTH PLAIN\r\n".to_owned());
    }
    let response = if initial.is_empty() {
        write.write_all(b"334 \r\n").await?;
        let mut line = String::new();
        read.read_line(&mut line).await?;
        line.trim().to_owned()
    } else {
        initial.trim().to_owned()
    };
    let expected = format!("\0{user}\0{password}");
    let given = STANDARD.decode(response).unwrap_or_default();
    if given == expected.as_bytes() {
        t.authenticated = true;
        Ok("235 2.7.0 Authentication successful\r\n".to_owned())
    } else {
        Ok("535 5.7.8 Authentication credentials invalid\r\n".to_owned())
    }
}

/// The address inside `FROM:<…>` / `TO:<…>`, parameters after it ignored.
fn path(arg: &str, prefix: &str) -> Option<String> {
    let rest = arg.get(..prefix.len())?;
    if !rest.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

fn mail_from(behaviour: &SmtpBehaviour, t: &mut Transaction, arg: &str) -> String {
    if !t.greeted {
        return "503 5.5.1 EHLO or HELO first\r\n".to_owned();
    }
    if behaviour.credentials.is_some() && !t.authenticated {
        return "530 5.7.0 Authentication required\r\n".to_owned();
    }
    match path(arg, "FROM:") {
        Some(from) => {
            t.from = Some(from);
            t.to.clear();
            "250 2.1.0 OK\r\n".to_owned()
        }
        None => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".to_owned(),
    }
}

fn rcpt_to(behaviour: &SmtpBehaviour, t: &mut Transaction, arg: &str) -> String {
    if t.from.is_none() {
        return "503 5.5.1 MAIL FROM first\r\n".to_owned();
    }
    let Some(to) = path(arg, "TO:") else {
        return "501 5.5.4 Syntax: RCPT TO:<address>\r\n".to_owned();
    };
    if let Some(code) = behaviour.reject_rcpt {
        let class = if code >= 500 { 5 } else { 4 };
        // As real servers do, the reply quotes the recipient: the client must not store it.
        return format!("{code} {class}.1.1 <{to}> rejected\r\n");
    }
    t.to.push(to);
    "250 2.1.5 OK\r\n".to_owned()
}

/// The message up to the lone dot, dot-unstuffed; `None` when the client went away first
/// or sent more than [`MAX_MESSAGE`].
async fn read_data(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut raw = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 || raw.len() > MAX_MESSAGE {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(raw));
        }
        let unstuffed = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        raw.extend_from_slice(unstuffed);
    }
}

async fn finish(behaviour: &SmtpBehaviour, log: &MailLog, t: &Transaction, raw: &[u8]) -> String {
    // The first `fail_first` messages are deferred, whatever they are.
    if log.deferred.fetch_add(1, Ordering::SeqCst) < behaviour.fail_first {
        return "451 4.3.0 Try again later\r\n".to_owned();
    }
    log.deferred.fetch_sub(1, Ordering::SeqCst);
    if !behaviour.delay.is_zero() {
        tokio::time::sleep(behaviour.delay).await;
    }
    let parsed = Parsed::parse(raw);
    let Some(message_id) = parsed.header("Message-ID").map(str::to_owned) else {
        return "554 5.6.0 Message-ID required\r\n".to_owned();
    };
    let text = |name: &str| parsed.decoded_header(name).unwrap_or_default();
    let mail = ReceivedMail {
        message_id,
        envelope_from: t.from.clone().unwrap_or_default(),
        envelope_to: t.to.clone(),
        from: text("From"),
        to: text("To"),
        subject: text("Subject"),
        content_type: text("Content-Type"),
        body: parsed.text_body(),
    };
    if log.store(mail) {
        "250 2.0.0 OK: stored\r\n".to_owned()
    } else {
        "250 2.0.0 OK: duplicate Message-ID, not stored again\r\n".to_owned()
    }
}
