//! Syntax highlighting of a rule's source for the pages, with rhai's own tokenizer
//! (`Engine::lex`, exposed by rhai's `internals` feature): the source is split where rhai
//! starts each token, so the colours follow exactly what the engine reads. The output is
//! plain data (lines of classed text); the template escapes it.

use rhai::{Engine, Token};

/// A run of source text of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpan {
    /// `kw`, `str`, `num`, `com`, `id`, `err`, or empty for punctuation and blanks.
    pub class: &'static str,
    pub text: String,
}

/// One numbered line of highlighted source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    pub number: usize,
    pub spans: Vec<SourceSpan>,
}

fn class(token: &Token) -> &'static str {
    match token {
        Token::Comment(_) => "com",
        Token::StringConstant(_) | Token::InterpolatedString(_) | Token::CharConstant(_) => "str",
        Token::IntegerConstant(_) | Token::DecimalConstant(_) => "num",
        Token::Identifier(_) => "id",
        Token::LexError(_) | Token::Reserved(_) => "err",
        t if t.is_literal() && t.literal_syntax().starts_with(|c: char| c.is_alphabetic()) => "kw",
        _ => "",
    }
}

/// Byte offset of the start of each line of `src`.
fn line_starts(src: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(src.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// Byte offset of 1-based (`line`, `column` in characters) in `src`.
fn offset(src: &str, starts: &[usize], line: usize, column: usize) -> Option<usize> {
    let start = *starts.get(line.checked_sub(1)?)?;
    let rest = &src[start..];
    let skip = column.saturating_sub(1);
    Some(start + rest.char_indices().nth(skip).map_or(rest.len(), |(i, _)| i))
}

/// `src` as numbered lines of classed spans. Every character of `src` is kept.
pub fn highlight_rhai(src: &str) -> Vec<SourceLine> {
    let engine = Engine::new_raw();
    let inputs = [src];
    let (mut tokens, _control) = engine.lex(&inputs);
    tokens.state.include_comments = true;
    let starts = line_starts(src);
    // Where each token starts, and its class; the text up to the next start is its own
    // (less the blanks after it).
    let mut marks: Vec<(usize, &'static str)> = Vec::new();
    for (token, pos) in tokens {
        if matches!(token, Token::EOF) {
            break;
        }
        let (Some(line), Some(column)) = (pos.line(), pos.position()) else {
            continue;
        };
        if let Some(at) = offset(src, &starts, line, column)
            && marks.last().is_none_or(|(last, _)| at > *last)
        {
            marks.push((at, class(&token)));
        }
    }
    let mut spans: Vec<SourceSpan> = Vec::new();
    let first = marks.first().map_or(src.len(), |m| m.0);
    push(&mut spans, "", &src[..first]);
    for (i, &(at, class)) in marks.iter().enumerate() {
        let end = marks.get(i + 1).map_or(src.len(), |m| m.0);
        let text = &src[at..end];
        let body = text.trim_end();
        push(&mut spans, class, body);
        push(&mut spans, "", &text[body.len()..]);
    }
    into_lines(spans)
}

fn push(spans: &mut Vec<SourceSpan>, class: &'static str, text: &str) {
    if !text.is_empty() {
        spans.push(SourceSpan {
            class,
            text: text.to_owned(),
        });
    }
}

/// Splits spans at line ends (a block comment or a string may cross lines).
fn into_lines(spans: Vec<SourceSpan>) -> Vec<SourceLine> {
    let mut lines = vec![SourceLine {
        number: 1,
        spans: Vec::new(),
    }];
    for span in spans {
        let mut parts = span.text.split('\n').peekable();
        while let Some(part) = parts.next() {
            let current = lines.last_mut().map(|l| &mut l.spans);
            if let Some(current) = current {
                push(current, span.class, part.trim_end_matches('\r'));
            }
            if parts.peek().is_some() {
                let number = lines.len() + 1;
                lines.push(SourceLine {
                    number,
                    spans: Vec::new(),
                });
            }
        }
    }
    if lines.len() > 1 && lines.last().is_some_and(|l| l.spans.is_empty()) {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(src: &str) -> Vec<(&'static str, String)> {
        highlight_rhai(src)
            .into_iter()
            .flat_map(|l| l.spans)
            .filter(|s| !s.class.is_empty())
            .map(|s| (s.class, s.text))
            .collect()
    }

    #[test]
    fn keywords_strings_numbers_and_comments_are_told_apart() {
        let found = classes("// 规模\nlet x = 10;\nif firm.name == \"甲\" { x }\n");
        assert_eq!(
            found,
            vec![
                ("com", "// 规模".to_owned()),
                ("kw", "let".to_owned()),
                ("id", "x".to_owned()),
                ("num", "10".to_owned()),
                ("kw", "if".to_owned()),
                ("id", "firm".to_owned()),
                ("id", "name".to_owned()),
                ("str", "\"甲\"".to_owned()),
                ("id", "x".to_owned()),
            ]
        );
    }

    #[test]
    fn every_character_is_kept_and_lines_are_numbered() {
        let src = "let a = 1;\n/* two\nlines */ a + 2\n";
        let lines = highlight_rhai(src);
        assert_eq!(
            lines.iter().map(|l| l.number).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let text: Vec<String> = lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.text.as_str()).collect())
            .collect();
        assert_eq!(text, ["let a = 1;", "/* two", "lines */ a + 2"]);
        assert_eq!(lines[1].spans[0].class, "com");
    }
}
