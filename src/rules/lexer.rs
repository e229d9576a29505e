//! The project's own small tokenizer for rule source, shared by the static checks
//! ([`super::check`]) and the pages' syntax highlighting ([`super::highlight`]): identifiers,
//! literals, comments and punctuation, each with its line, column and byte span.

use std::ops::Range;

/// What a token is. Keywords are identifiers here; [`is_keyword`] tells them apart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    /// A string literal (or a character, or a backtick string).
    Str,
    /// A number literal.
    Num,
    /// A line comment (`// …`, without its line end) or a block comment (`/* … */`, nested as
    /// rhai nests them).
    Comment,
    Punct(char),
}

/// One token of the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Where the token lies in the source, in bytes; blanks are never inside a token's span
    /// except within strings and comments.
    pub span: Range<usize>,
}

/// rhai's keywords (rhai book, "Keywords"): the words the engine reads as syntax.
const KEYWORDS: &[&str] = &[
    "let", "const", "if", "else", "switch", "do", "while", "until", "loop", "for", "in", "fn",
    "return", "throw", "try", "catch", "break", "continue", "true", "false", "import", "export",
    "as", "private", "global",
];

/// True when `word` is one of rhai's keywords.
pub(crate) fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// A cursor over the source that keeps the line and column of where it stands.
struct Cursor<'a> {
    chars: Vec<(usize, char)>,
    src: &'a str,
    i: usize,
    line: usize,
    column: usize,
}

impl Cursor<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).map(|&(_, c)| c)
    }

    /// Byte offset of where the cursor stands.
    fn offset(&self) -> usize {
        self.chars.get(self.i).map_or(self.src.len(), |&(at, _)| at)
    }

    fn advance(&mut self) {
        if let Some(c) = self.peek(0) {
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
            self.i += 1;
        }
    }

    fn advance_while(&mut self, keep: impl Fn(char) -> bool) {
        while self.peek(0).is_some_and(&keep) {
            self.advance();
        }
    }

    /// Past a block comment whose `/*` the cursor stands on; an unclosed one runs to the end.
    fn block_comment(&mut self) {
        let mut depth = 0_usize;
        while let Some(c) = self.peek(0) {
            if c == '/' && self.peek(1) == Some('*') {
                depth += 1;
                self.advance();
            } else if c == '*' && self.peek(1) == Some('/') {
                depth -= 1;
                self.advance();
                self.advance();
                if depth == 0 {
                    return;
                }
                continue;
            }
            self.advance();
        }
    }

    /// Past a quoted literal whose opening `quote` the cursor stands on; `\` escapes the next
    /// character; an unclosed one runs to the end.
    fn quoted(&mut self, quote: char) {
        self.advance();
        while let Some(c) = self.peek(0) {
            if c == quote {
                self.advance();
                return;
            }
            if c == '\\' {
                self.advance();
            }
            self.advance();
        }
    }
}

/// Every token of `src` in order, comments included; blanks are left out (they lie between the
/// tokens' spans). Strings and comments are single tokens.
pub(crate) fn tokens(src: &str) -> Vec<Token> {
    let mut cur = Cursor {
        chars: src.char_indices().collect(),
        src,
        i: 0,
        line: 1,
        column: 1,
    };
    let mut out = Vec::new();
    while let Some(c) = cur.peek(0) {
        let (line, column, start) = (cur.line, cur.column, cur.offset());
        let tok = if c == '/' && cur.peek(1) == Some('/') {
            cur.advance_while(|c| c != '\n');
            Tok::Comment
        } else if c == '/' && cur.peek(1) == Some('*') {
            cur.block_comment();
            Tok::Comment
        } else if matches!(c, '"' | '`' | '\'') {
            cur.quoted(c);
            Tok::Str
        } else if c.is_alphabetic() || c == '_' {
            cur.advance_while(|c| c.is_alphanumeric() || c == '_');
            Tok::Ident(src[start..cur.offset()].to_owned())
        } else if c.is_ascii_digit() {
            // Numbers, including decimals such as 0.055, are one token.
            cur.advance_while(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
            Tok::Num
        } else {
            cur.advance();
            if c.is_whitespace() {
                continue;
            }
            Tok::Punct(c)
        };
        let span = start..cur.offset();
        // A line comment ends before a `\r` of its line end.
        let span = if tok == Tok::Comment && src[span.clone()].ends_with('\r') {
            span.start..span.end - 1
        } else {
            span
        };
        out.push(Token {
            tok,
            line,
            column,
            span,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Tok, usize, usize, &str)> {
        tokens(src)
            .into_iter()
            .map(|t| (t.tok, t.line, t.column, &src[t.span]))
            .collect()
    }

    #[test]
    fn tokens_carry_lines_columns_and_byte_spans() {
        let src = "let 金额 = 0.055; // 注\n/* a /* b */ c */ x(`y${1}`, '\\'')\r\n";
        assert_eq!(
            kinds(src),
            vec![
                (Tok::Ident("let".into()), 1, 1, "let"),
                (Tok::Ident("金额".into()), 1, 5, "金额"),
                (Tok::Punct('='), 1, 8, "="),
                (Tok::Num, 1, 10, "0.055"),
                (Tok::Punct(';'), 1, 15, ";"),
                (Tok::Comment, 1, 17, "// 注"),
                (Tok::Comment, 2, 1, "/* a /* b */ c */"),
                (Tok::Ident("x".into()), 2, 19, "x"),
                (Tok::Punct('('), 2, 20, "("),
                (Tok::Str, 2, 21, "`y${1}`"),
                (Tok::Punct(','), 2, 28, ","),
                (Tok::Str, 2, 30, "'\\''"),
                (Tok::Punct(')'), 2, 34, ")"),
            ]
        );
    }

    #[test]
    fn unclosed_strings_and_comments_run_to_the_end() {
        for src in ["\"abc", "/* abc", "`a\\"] {
            let toks = tokens(src);
            assert_eq!(toks.len(), 1, "{src}");
            assert_eq!(toks[0].span, 0..src.len(), "{src}");
        }
    }

    #[test]
    fn keywords_are_rhai_syntax_only() {
        for word in ["let", "if", "fn", "true", "private", "global"] {
            assert!(is_keyword(word), "{word}");
        }
        for word in ["firm", "require", "Let", "grant"] {
            assert!(!is_keyword(word), "{word}");
        }
    }
}
