//! 统一社会信用代码 (GB 32100-2015): the enterprise's identity, with its check character verified.

use std::fmt;

/// The 31 characters of the code, in value order (no I, O, S, V, Z).
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// W_i = 3^(i-1) mod 31 for the first 17 positions.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A valid USCC, normalised to trimmed upper case.
#[derive(
    utoipa::ToSchema, Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize,
)]
#[serde(transparent)]
pub struct Uscc(String);

/// Why a string is not a USCC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("统一社会信用代码应为18位, 实为{0}位")]
    Length(usize),
    #[error("第{position}位字符 '{ch}' 不在统一社会信用代码字符集内")]
    Charset { position: usize, ch: char },
    #[error("第3-8位应为数字行政区划代码")]
    Region,
    #[error("校验码应为 '{expected}', 实为 '{actual}'")]
    Check { expected: char, actual: char },
}

fn value_of(c: u8) -> Option<u32> {
    CHARSET
        .iter()
        .position(|&x| x == c)
        .and_then(|p| u32::try_from(p).ok())
}

impl Uscc {
    /// Trims, upper-cases, then checks charset, layout and the check character.
    pub fn parse(raw: &str) -> Result<Self, UsccError> {
        let s = raw.trim().to_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(UsccError::Length(n));
        }
        let bytes = s.as_bytes();
        let mut values = [0_u32; 18];
        for (i, ch) in s.chars().enumerate() {
            let v = u8::try_from(ch).ok().and_then(value_of);
            values[i] = v.ok_or(UsccError::Charset {
                position: i + 1,
                ch,
            })?;
        }
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(UsccError::Region);
        }
        let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
        let check = (31 - sum % 31) % 31;
        let expected = char::from(CHARSET[check as usize]);
        let actual = char::from(bytes[17]);
        if expected != actual {
            return Err(UsccError::Check { expected, actual });
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Completes the first 17 characters with their check character; `None` when `body` is
    /// not 17 characters of the charset with a numeric region (positions 3-8).
    pub fn from_body(body: &str) -> Option<Self> {
        let check = check_char(body)?;
        Self::parse(&format!("{body}{check}")).ok()
    }
}

/// The check character of a 17-character body, or `None` when a character is outside the set.
fn check_char(body: &str) -> Option<char> {
    let bytes = body.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0_u32;
    for (b, w) in bytes.iter().zip(WEIGHTS) {
        sum += value_of(*b)? * w;
    }
    Some(char::from(CHARSET[((31 - sum % 31) % 31) as usize]))
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_examples_of_the_data_rules_parse() {
        for s in [
            "91350200776049653A",
            "913502000728319549",
            "91350203MA31NDF85F",
            " 91350203ma31ndf85f ",
        ] {
            assert!(Uscc::parse(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn from_body_completes_the_check_character() {
        assert_eq!(
            Uscc::from_body("91350203M0001QAY9").map(|u| u.0),
            Some("91350203M0001QAY99".to_owned())
        );
        assert_eq!(
            Uscc::from_body("91350200776049653").map(|u| u.0),
            Some("91350200776049653A".to_owned())
        );
        for bad in [
            "9135020077604965",
            "9135020077604965I",
            "91A502007760496533",
        ] {
            assert_eq!(Uscc::from_body(bad), None, "{bad}");
        }
    }

    #[test]
    fn invalid_codes_are_rejected_with_the_reason() {
        let table = [
            (
                "91350203M0001QAY9B",
                UsccError::Check {
                    expected: '9',
                    actual: 'B',
                },
            ),
            ("9135020077604965", UsccError::Length(16)),
            (
                "91350200776049653I",
                UsccError::Charset {
                    position: 18,
                    ch: 'I',
                },
            ),
            ("91A50200776049653A", UsccError::Region),
        ];
        for (input, expected) in table {
            assert_eq!(Uscc::parse(input), Err(expected), "{input}");
        }
    }
}
