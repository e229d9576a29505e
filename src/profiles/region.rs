//! 行政区划代码 (GB/T 2260): six digits, with the old codes still seen in source data mapped to current ones.

use std::fmt;

/// Old codes and the current code each maps to (data-rules §2).
const OLD_CODES: [(&str, &str); 5] = [
    ("370282", "370215"),
    ("370181", "370114"),
    ("370125", "370115"),
    ("371202", "370116"),
    ("371203", "370117"),
];

/// The areas the platform's policies name (data-rules §2), by code prefix.
const AREA_NAMES: [(&str, &str); 3] = [("37", "山东省"), ("3701", "济南市"), ("3702", "青岛市")];

/// The Chinese name of the area whose codes start with `prefix` (`3702` → 青岛市), when known.
pub fn area_name(prefix: &str) -> Option<&'static str> {
    AREA_NAMES
        .iter()
        .find(|(code, _)| *code == prefix)
        .map(|(_, name)| *name)
}

/// A current six-digit region code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct RegionCode(String);

impl RegionCode {
    /// Accepts `^[1-9][0-9]{5}$` and maps an old code to its current one.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let b = raw.as_bytes();
        let ok = b.len() == 6 && (b'1'..=b'9').contains(&b[0]) && b.iter().all(u8::is_ascii_digit);
        if !ok {
            return Err(format!("行政区划代码应为6位数字且首位非0: '{raw}'"));
        }
        let current = OLD_CODES
            .iter()
            .find(|(old, _)| *old == raw)
            .map_or(raw, |(_, new)| new);
        Ok(Self(current.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the code lies in the area whose code starts with `prefix` (e.g. `3701` 济南市).
    pub fn within(&self, prefix: &str) -> bool {
        self.0.starts_with(prefix)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_codes_map_to_current_ones_and_bad_codes_fail() {
        assert_eq!(
            RegionCode::parse("370282").map(|r| r.0),
            Ok("370215".to_owned())
        );
        assert_eq!(
            RegionCode::parse("370212").map(|r| r.0),
            Ok("370212".to_owned())
        );
        for bad in ["070212", "37021", "37021a", "3702120"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad}");
        }
    }
}
