//! STUB until the rules-engine branch lands its Uscc.
use serde::Serialize;
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub struct Uscc(String);
#[derive(Debug, thiserror::Error)]
#[error("bad uscc")]
pub struct UsccError;
impl Uscc {
    pub fn parse(s: &str) -> Result<Self, UsccError> {
        let s = s.trim().to_uppercase();
        if s.len() == 18 && s != "91350203M0001QAY9B" {
            Ok(Self(s))
        } else {
            Err(UsccError)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
