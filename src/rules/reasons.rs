//! The reasons of a decision or an item: every text in one buffer, so explaining a decision
//! costs a couple of allocations instead of one per condition.

use std::fmt;

use serde::{Serialize, Serializer};

/// One condition, passed or failed, with the values it read (Chinese): a view into [`Reasons`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reason<'a> {
    pub text: &'a str,
    pub passed: bool,
}

/// The conditions of a decision (or an item), in the order they were met.
///
/// Serialises exactly as a list of [`Reason`]s: `[{"text": …, "passed": …}, …]`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Reasons {
    /// Every reason's text, one after the other.
    texts: String,
    /// Each reason's end in `texts` and whether it passed.
    ends: Vec<(usize, bool)>,
}

impl Reasons {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `reasons` reasons of `bytes` bytes of text in all.
    pub fn with_capacity(bytes: usize, reasons: usize) -> Self {
        Self {
            texts: String::with_capacity(bytes),
            ends: Vec::with_capacity(reasons),
        }
    }

    pub fn push(&mut self, text: &str, passed: bool) {
        self.push_with(passed, |out| out.push_str(text));
    }

    /// Adds a reason whose text `write` appends to the buffer (it must only append).
    #[inline]
    pub(crate) fn push_with(&mut self, passed: bool, write: impl FnOnce(&mut String)) {
        write(&mut self.texts);
        self.ends.push((self.texts.len(), passed));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            texts: &self.texts,
            start: 0,
            ends: self.ends.iter(),
        }
    }
}

/// The reasons in order (see [`Reasons::iter`]).
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    texts: &'a str,
    start: usize,
    ends: std::slice::Iter<'a, (usize, bool)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Reason<'a>;

    fn next(&mut self) -> Option<Reason<'a>> {
        let &(end, passed) = self.ends.next()?;
        let text = self.texts.get(self.start..end).unwrap_or_default();
        self.start = end;
        Some(Reason { text, passed })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Reasons {
    type Item = Reason<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> Extend<Reason<'a>> for Reasons {
    fn extend<I: IntoIterator<Item = Reason<'a>>>(&mut self, reasons: I) {
        for r in reasons {
            self.push(r.text, r.passed);
        }
    }
}

impl<'a> FromIterator<Reason<'a>> for Reasons {
    fn from_iter<I: IntoIterator<Item = Reason<'a>>>(reasons: I) -> Self {
        let mut all = Self::new();
        all.extend(reasons);
        all
    }
}

impl fmt::Debug for Reasons {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Reasons {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_back_in_order_and_serialise_as_a_list() {
        // Arrange
        let mut reasons = Reasons::new();
        reasons.push("注册地在济南市 (行政区划 370102)", true);
        reasons.push("", false);
        reasons.push_with(false, |out| out.push_str("金额 0.00 元"));

        // Act
        let read: Vec<Reason> = reasons.iter().collect();
        let json = serde_json::to_string(&reasons).unwrap_or_default();

        // Assert
        assert_eq!(
            read,
            [
                Reason {
                    text: "注册地在济南市 (行政区划 370102)",
                    passed: true
                },
                Reason {
                    text: "",
                    passed: false
                },
                Reason {
                    text: "金额 0.00 元",
                    passed: false
                },
            ]
        );
        assert_eq!(reasons.len(), 3);
        assert_eq!(
            json,
            r#"[{"text":"注册地在济南市 (行政区划 370102)","passed":true},{"text":"","passed":false},{"text":"金额 0.00 元","passed":false}]"#
        );
        assert_eq!(reasons.iter().collect::<Reasons>(), reasons);
        assert_eq!(
            serde_json::to_string(&Reasons::new()).unwrap_or_default(),
            "[]"
        );
    }
}
