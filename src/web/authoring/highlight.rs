//! Syntax highlighting of a rule's source for the pages, with the project's own tokenizer
//! (`rules::lexer`, the one the rules' static checks use): comments, strings, numbers, rhai's
//! keywords and identifiers are classed by their byte spans, every character kept. The output
//! is plain data (lines of classed text); the template escapes it.

use crate::rules::lexer::{Tok, is_keyword, tokens};

/// A run of source text of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpan {
    /// `kw`, `str`, `num`, `com`, `id`, or empty for punctuation and blanks.
    pub class: &'static str,
    pub text: String,
}

/// One numbered line of highlighted source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    pub number: usize,
    pub spans: Vec<SourceSpan>,
}

fn class(tok: &Tok) -> &'static str {
    match tok {
        Tok::Comment => "com",
        Tok::Str => "str",
        Tok::Num => "num",
        Tok::Ident(word) if is_keyword(word) => "kw",
        Tok::Ident(_) => "id",
        Tok::Punct(_) => "",
    }
}

/// `src` as numbered lines of classed spans. Every character of `src` is kept.
pub fn highlight_rhai(src: &str) -> Vec<SourceLine> {
    let mut spans: Vec<SourceSpan> = Vec::new();
    let mut at = 0;
    for token in tokens(src) {
        push(&mut spans, "", &src[at..token.span.start]);
        push(&mut spans, class(&token.tok), &src[token.span.clone()]);
        at = token.span.end;
    }
    push(&mut spans, "", &src[at..]);
    into_lines(spans)
}

/// Appends a span; blanks and punctuation next to each other make one span.
fn push(spans: &mut Vec<SourceSpan>, class: &'static str, text: &str) {
    if text.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some(last) if class.is_empty() && last.class.is_empty() => last.text.push_str(text),
        _ => spans.push(SourceSpan {
            class,
            text: text.to_owned(),
        }),
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
    fn backtick_strings_and_decimals_are_single_spans() {
        let found = classes("const rate = 0.055; let s = `率 ${rate * 2}`; // 说明\n");
        assert_eq!(
            found,
            vec![
                ("kw", "const".to_owned()),
                ("id", "rate".to_owned()),
                ("num", "0.055".to_owned()),
                ("kw", "let".to_owned()),
                ("id", "s".to_owned()),
                ("str", "`率 ${rate * 2}`".to_owned()),
                ("com", "// 说明".to_owned()),
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
