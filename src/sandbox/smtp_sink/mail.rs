//! Reading a received message the way a mail client would: headers unfolded, RFC 2047
//! encoded words decoded (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`), and a single-part body decoded
//! from its `Content-Transfer-Encoding` (base64, quoted-printable, 7bit or 8bit).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A message split into unfolded headers and its raw body.
#[derive(Debug, Clone)]
pub struct Parsed {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Parsed {
    /// Splits `raw` (CRLF or LF line ends) at the first empty line.
    pub fn parse(raw: &[u8]) -> Self {
        let (head, body) = split_head(raw);
        let text = String::from_utf8_lossy(head);
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = headers.last_mut() {
                    value.push_str(line);
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        Self {
            headers,
            body: body.to_vec(),
        }
    }

    /// The first header called `name` (case-insensitive), as sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first header called `name` with its encoded words decoded.
    pub fn decoded_header(&self, name: &str) -> Option<String> {
        self.header(name).map(decode_words)
    }

    /// The body decoded from its transfer encoding, as text.
    pub fn text_body(&self) -> String {
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => {
                let compact: Vec<u8> = self
                    .body
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                STANDARD.decode(compact).unwrap_or_default()
            }
            "quoted-printable" => {
                quoted_printable::decode(&self.body, quoted_printable::ParseMode::Robust)
                    .unwrap_or_default()
            }
            _ => self.body.clone(),
        };
        String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
    }
}

fn split_head(raw: &[u8]) -> (&[u8], &[u8]) {
    for (i, window) in raw.windows(2).enumerate() {
        if window == b"\n\n" {
            return (&raw[..i + 1], &raw[i + 2..]);
        }
        if window == b"\n\r" && raw.get(i + 2) == Some(&b'\n') {
            return (&raw[..i + 1], &raw[i + 3..]);
        }
    }
    (raw, &[])
}

/// Decodes the RFC 2047 encoded words of a header value; whitespace between two adjacent
/// encoded words is dropped, as the RFC says.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        match encoded_word(candidate) {
            Some((text, len)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = &candidate[len..];
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &candidate[2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `=?charset?enc?text?=` at the start of `s`: its text and length.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (_charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let text = &inner[..end];
    let bytes = match encoding {
        "b" | "B" => STANDARD.decode(text).ok()?,
        "q" | "Q" => {
            let spaced = text.replace('_', " ");
            quoted_printable::decode(spaced, quoted_printable::ParseMode::Robust).ok()?
        }
        _ => return None,
    };
    // `inner` is a suffix of `s`: the word ends with the "?=" after its text.
    let len = s.len() - inner.len() + end + 2;
    Some((String::from_utf8_lossy(&bytes).into_owned(), len))
}

#[cfg(test)]
mod tests {
    use super::{Parsed, decode_words};

    #[test]
    fn encoded_words_are_decoded_and_joined() {
        let table = [
            ("plain", "plain"),
            ("=?utf-8?b?5YWN55Sz5Y2z5Lqr?=", "免申即享"),
            ("=?utf-8?b?5YWN55Sz?= =?utf-8?b?5Y2z5Lqr?=", "免申即享"),
            ("=?UTF-8?Q?=E5=85=8D_A?=", "免 A"),
            ("a =?utf-8?b?5YWN?= b", "a 免 b"),
            ("=?broken", "=?broken"),
        ];
        for (value, expected) in table {
            assert_eq!(decode_words(value), expected, "{value}");
        }
    }

    #[test]
    fn headers_unfold_and_bodies_decode() {
        let raw = b"Subject: =?utf-8?b?5YWN55Sz?=\r\n =?utf-8?b?5Y2z5Lqr?=\r\n\
Message-ID: <k@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n5YWN55Sz\r\n5Y2z5Lqr\r\n";
        let parsed = Parsed::parse(raw);
        assert_eq!(
            parsed.decoded_header("subject").as_deref(),
            Some("免申即享")
        );
        assert_eq!(parsed.header("MESSAGE-ID"), Some("<k@x>"));
        assert_eq!(parsed.text_body(), "免申即享");
        let qp = Parsed::parse(b"Content-Transfer-Encoding: quoted-printable\n\n=E5=85=8D=\nA\n");
        assert_eq!(qp.text_body(), "免A\n");
    }
}
