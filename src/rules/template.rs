//! A reason's text split once, when a rule is compiled, into its literal pieces and its
//! placeholders (`{}`, `{%}`, `{元}`), so that the compiled path renders a reason by copying
//! pieces and writing values, without scanning the text for braces.
//!
//! The compiled evaluator hands a reason's text around as the `&str` of its string constant, so
//! the split is kept in that string itself ([`split`]), in this layout (each number a `char`):
//!
//! ```text
//! MARK  header length  (piece length × 4 + spec) per placeholder  pieces, one after the other
//! ```
//!
//! [`render`] gives byte for byte what `state::render_with` gives for the original text; a text
//! without the mark (never one of a compiled rule's reasons) is rendered by `render_with`.

use super::format::Spec;
use super::state::render_with;

/// What a split text starts with.
const MARK: char = '\0';

/// `text` split into its pieces and placeholders, as [`render`] reads it; `None` when a piece
/// before a placeholder is too long for the header (over 13,823 bytes).
pub(crate) fn split(text: &str) -> Option<String> {
    let mut entries = Vec::new();
    let mut pieces = String::with_capacity(text.len());
    let mut piece = 0;
    // The placeholders exactly where `render_with` finds them.
    render_with(&mut pieces, text, |pieces, spec| {
        entries.push((pieces.len() - piece) * 4 + spec_code(spec));
        piece = pieces.len();
        true
    });
    let mut header = String::new();
    for entry in entries {
        header.push(as_char(entry)?);
    }
    let mut out = String::with_capacity(8 + header.len() + pieces.len());
    out.push(MARK);
    out.push(as_char(header.len())?);
    out.push_str(&header);
    out.push_str(&pieces);
    Some(out)
}

/// A number of the header as a `char` (below the surrogates).
fn as_char(n: usize) -> Option<char> {
    u32::try_from(n)
        .ok()
        .filter(|n| *n < 0xD800)
        .and_then(char::from_u32)
}

fn spec_code(spec: Spec) -> usize {
    match spec {
        Spec::Plain => 0,
        Spec::Percent => 1,
        Spec::Money => 2,
    }
}

/// `text` rendered into `out`, each value appended by `next(out, spec)` (false: none left, `?`):
/// the contract of `state::render_with`, for a text [`split`] when its rule was compiled.
#[inline]
pub(crate) fn render(
    out: &mut String,
    text: &str,
    mut next: impl FnMut(&mut String, Spec) -> bool,
) {
    let Some(split) = text.strip_prefix(MARK) else {
        return render_with(out, text, next);
    };
    let mut chars = split.chars();
    let header_len = chars.next().map_or(0, |c| c as usize);
    let (header, mut pieces) = chars
        .as_str()
        .split_at_checked(header_len)
        .unwrap_or_default();
    for entry in header.chars() {
        let entry = entry as usize;
        let (piece, rest) = pieces.split_at_checked(entry / 4).unwrap_or((pieces, ""));
        out.push_str(piece);
        let spec = match entry % 4 {
            0 => Spec::Plain,
            1 => Spec::Percent,
            _ => Spec::Money,
        };
        if !next(out, spec) {
            out.push('?');
        }
        pieces = rest;
    }
    out.push_str(pieces);
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
            // Arrange
            let split = split(&text).unwrap_or_else(|| panic!("{text:?} not split"));
            for values in 0..5 {
                let (mut compiled, mut scanned) = (String::from("«"), String::from("«"));
                let (mut left_compiled, mut left_scanned) = (values, values);

                // Act
                render(&mut compiled, &split, |out, spec| {
                    show(out, spec, &mut left_compiled)
                });
                render_with(&mut scanned, &text, |out, spec| {
                    show(out, spec, &mut left_scanned)
                });

                // Assert
                assert_eq!(compiled, scanned, "{text:?} with {values} values");
            }
        }
    }

    #[test]
    fn an_unsplit_text_renders_as_before() {
        let mut left = 1;
        let mut out = String::new();
        render(&mut out, "{} 与 {%}", |out, spec| {
            show(out, spec, &mut left)
        });
        assert_eq!(out, "<> 与 ?");
    }

    #[test]
    fn a_piece_too_long_for_the_header_is_refused() {
        // A piece before a placeholder is a header entry (length × 4 + spec, below 0xD800).
        let too_long = 0xD800 / 4;
        assert!(split(&format!("{}{{}}", "a".repeat(too_long))).is_none());
        assert!(split(&format!("{}{{元}}", "a".repeat(too_long - 1))).is_some());
        // The last piece's length is not in the header.
        assert!(split(&format!("{{}}{}", "a".repeat(100_000))).is_some());
    }

    fn show(out: &mut String, spec: Spec, left: &mut usize) -> bool {
        let some = *left > 0;
        if some {
            *left -= 1;
            out.push_str(match spec {
                Spec::Plain => "<>",
                Spec::Percent => "<%>",
                Spec::Money => "<元>",
            });
        }
        some
    }
}
