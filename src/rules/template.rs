//! A reason's text split once, when a rule is compiled, into its literal pieces and the
//! placeholders (`{}`, `{%}`, `{元}`) whose values are only known at run time, so that the
//! compiled path renders a reason by copying pieces and writing values, without scanning the
//! text for braces. A placeholder whose value is a constant (a literal, a folded parameter) is
//! rendered into the pieces then, as is the `?` of a placeholder without a value.
//!
//! The compiled evaluator hands a reason's text around as the `&str` of its string constant, so
//! the split is kept in that string itself ([`split`]), in this layout (numbers in ASCII bytes of
//! seven bits, high byte first):
//!
//! ```text
//! MARK  header length (2 bytes)  per run-time placeholder: piece length (2), value × 4 + spec (1)
//! pieces, one after the other
//! ```
//!
//! [`render`] gives byte for byte what `state::render_with` gives for the original text; a text
//! without the mark (never one of a compiled rule's reasons) is rendered by `render_with`.

use super::format::Spec;
use super::state::render_with;

/// What a split text starts with.
const MARK: char = '\0';

/// The longest piece before a placeholder, and the longest header (two bytes of seven bits).
const MAX_LEN: usize = (1 << 14) - 1;

/// The most values a reason has (the value's place fits in five bits).
const MAX_VALUES: usize = 32;

/// `text` split into its pieces and placeholders, as [`render`] reads it. `known(out, k, spec)`
/// writes the `k`-th value (from 0) into the pieces and says `true` when it is known now (a
/// constant, or `?` when there is no such value), or writes nothing and says `false`. `None`
/// when the text is too long for the header (a piece over 16,383 bytes before a placeholder).
pub(crate) fn split(
    text: &str,
    mut known: impl FnMut(&mut String, usize, Spec) -> bool,
) -> Option<String> {
    let mut header = Vec::new();
    let mut pieces = String::with_capacity(text.len());
    let (mut piece, mut value, mut fits) = (0, 0, true);
    // The placeholders exactly where `render_with` finds them.
    render_with(&mut pieces, text, |pieces, spec| {
        let k = value;
        value += 1;
        if !known(pieces, k, spec) {
            let len = pieces.len() - piece;
            fits &= len <= MAX_LEN && k < MAX_VALUES;
            header.extend([high(len), low(len), low(k * 4 + spec_code(spec))]);
            piece = pieces.len();
        }
        true
    });
    if !fits || header.len() > MAX_LEN {
        return None;
    }
    let mut out = String::with_capacity(3 + header.len() + pieces.len());
    out.push(MARK);
    let bytes = [high(header.len()), low(header.len())];
    out.extend(bytes.iter().chain(&header).map(|&b| char::from(b)));
    out.push_str(&pieces);
    Some(out)
}

/// Bits 7 to 13 of `n`, as an ASCII byte.
fn high(n: usize) -> u8 {
    low(n >> 7)
}

/// Bits 0 to 6 of `n`, as an ASCII byte.
fn low(n: usize) -> u8 {
    (n & 0x7f) as u8
}

fn spec_code(spec: Spec) -> usize {
    match spec {
        Spec::Plain => 0,
        Spec::Percent => 1,
        Spec::Money => 2,
    }
}

/// `text` rendered into `out`: `value(out, k, spec)` appends the `k`-th value (from 0) and says
/// `false` when there is none (`?` is shown). For a text [`split`] when its rule was compiled,
/// only the values known at run time are asked for; for any other text, every placeholder's.
#[inline]
pub(crate) fn render(
    out: &mut String,
    text: &str,
    mut value: impl FnMut(&mut String, usize, Spec) -> bool,
) {
    let Some(split) = text.strip_prefix(MARK) else {
        let mut k = 0;
        return render_with(out, text, |out, spec| {
            k += 1;
            value(out, k - 1, spec)
        });
    };
    let (len, rest) = number(split.as_bytes());
    // The header is ASCII: the pieces start on a character boundary.
    let header = rest.get(..len).unwrap_or_default();
    let mut pieces = split.get(2 + len..).unwrap_or_default();
    for entry in header.chunks_exact(3) {
        let (len, slot) = number(entry);
        let (piece, rest) = pieces.split_at_checked(len).unwrap_or((pieces, ""));
        // A placeholder at the start or right after another: no copy at all.
        if !piece.is_empty() {
            out.push_str(piece);
        }
        let slot = slot.first().map_or(0, |&b| usize::from(b));
        let spec = match slot % 4 {
            0 => Spec::Plain,
            1 => Spec::Percent,
            _ => Spec::Money,
        };
        if !value(out, slot / 4, spec) {
            out.push('?');
        }
        pieces = rest;
    }
    out.push_str(pieces);
}

/// The two-byte number `bytes` starts with, and the bytes after it.
#[inline]
fn number(bytes: &[u8]) -> (usize, &[u8]) {
    match bytes {
        [high, low, rest @ ..] => ((usize::from(*high) << 7) | usize::from(*low), rest),
        _ => (0, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every placeholder and near-placeholder, at every offset, in ASCII and Chinese text.
    fn texts() -> Vec<String> {
        let mut texts: Vec<String> = [
            "",
            "{",
            "}",
            "{{}",
            "{}}",
            "{}{}",
            "{元",
            "{%",
            "{元}{%}{}",
            "{ 元}{% }{x}",
            "{ 不是占位符 }",
            "注册地在济南市 (行政区划 {})",
            "{}年营业收入 {元} 元达到{}规上标准 {元} 元",
            "裁员率 {}/{} = {%} ≤ {%}",
            "元}{元}{元{",
            "\0",
            "\0{}\0",
        ]
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
        for p in ["{}", "{%}", "{元}", "{", "{元", "{%"] {
            for pad in 0..20 {
                texts.push(format!("{}{p}{}", "a".repeat(pad), "好".repeat(pad % 4)));
                texts.push(format!("{}{p}{p}", "好".repeat(pad)));
            }
        }
        // Pieces whose lengths need two- and three-byte header entries.
        texts.push(format!("{}{{}}{}", "好".repeat(20), "好".repeat(300)));
        texts.push(format!("{}{{%}}{}", "a".repeat(5000), "好".repeat(1000)));
        texts
    }

    #[test]
    fn a_split_text_renders_as_the_text_itself() {
        for text in texts() {
            for values in 0..5 {
                // Each subset of the first four values known when the rule is compiled.
                for known in 0..16_usize {
                    // Arrange
                    let is_known = |k: usize| k >= values || known & (1 << k) != 0;
                    let split = split(&text, |out, k, spec| {
                        if k >= values {
                            out.push('?');
                        }
                        is_known(k) && (k >= values || show(out, k, spec, values))
                    })
                    .unwrap_or_else(|| panic!("{text:?} not split"));
                    let (mut compiled, mut scanned) = (String::from("«"), String::from("«"));

                    // Act
                    render(&mut compiled, &split, |out, k, spec| {
                        assert!(!is_known(k), "{text:?}: value {k} asked again");
                        show(out, k, spec, values)
                    });
                    let mut k = 0;
                    render_with(&mut scanned, &text, |out, spec| {
                        k += 1;
                        show(out, k - 1, spec, values)
                    });

                    // Assert
                    assert_eq!(
                        compiled, scanned,
                        "{text:?}, {values} values, known {known:b}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_unsplit_text_renders_as_before() {
        let mut out = String::new();
        render(&mut out, "{} 与 {%}", |out, k, spec| show(out, k, spec, 1));
        assert_eq!(out, "<0> 与 ?");
    }

    #[test]
    fn a_piece_too_long_for_the_header_is_refused() {
        let none = |_: &mut String, _, _| false;
        assert!(split(&format!("{}{{}}", "a".repeat(MAX_LEN + 1)), none).is_none());
        assert!(split(&format!("{}{{元}}", "a".repeat(MAX_LEN)), none).is_some());
        // The last piece's length is not in the header.
        assert!(split(&format!("{{}}{}", "a".repeat(100_000)), none).is_some());
    }

    /// The `k`-th of `values` values as its place and spec; `false` when there is none.
    fn show(out: &mut String, k: usize, spec: Spec, values: usize) -> bool {
        if k >= values {
            return false;
        }
        out.push_str(&format!(
            "<{k}{}>",
            match spec {
                Spec::Plain => "",
                Spec::Percent => "%",
                Spec::Money => "元",
            }
        ));
        true
    }
}
