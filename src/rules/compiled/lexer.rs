//! Tokens of the rule subset: identifiers, integer and string literals, the subset's punctuation.
//! Anything else (decimal literals, backticks, `+=`, `%`, `::`, …) is "not in the subset".

use super::NotInSubset;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    Ident(String),
    Int(i64),
    Str(String),
    /// One of `( ) { } [ ] , ; . = == != < <= > >= + - * / ! && ||`.
    Punct(&'static str),
}

const PUNCTS: [&str; 23] = [
    "==", "!=", "<=", ">=", "&&", "||", "(", ")", "{", "}", "[", "]", ",", ";", ".", "=", "<", ">",
    "+", "-", "*", "/", "!",
];

/// rhai operators that begin with one of ours but are not in the subset.
const REJECTED_PAIRS: [&str; 11] = [
    "+=", "-=", "*=", "/=", "=>", "..", "**", "<<", ">>", "->", "?.",
];

/// The tokens of `src`, comments skipped; an error names the first construct outside the subset.
pub(crate) fn tokens(src: &str) -> Result<Vec<Tok>, NotInSubset> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i)?;
        } else if c == '"' {
            let (s, end) = string(&chars, i)?;
            out.push(Tok::Str(s));
            i = end;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '_') {
                i += 1;
            }
            let after = chars.get(i).copied();
            let decimal = after == Some('.') && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if decimal || after.is_some_and(|a| a.is_alphanumeric() || a == '_') {
                return Err(NotInSubset::new("只支持整数字面量"));
            }
            let digits: String = chars[start..i].iter().filter(|c| **c != '_').collect();
            let n = digits
                .parse()
                .map_err(|_| NotInSubset::new("整数字面量超出范围"))?;
            out.push(Tok::Int(n));
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            if REJECTED_PAIRS.contains(&two.as_str()) {
                return Err(NotInSubset::new(format!("不支持的运算符 '{two}'")));
            }
            let one = c.to_string();
            let p = PUNCTS
                .iter()
                .find(|p| **p == two)
                .or_else(|| PUNCTS.iter().find(|p| **p == one))
                .ok_or_else(|| NotInSubset::new(format!("不支持的符号 '{c}'")))?;
            out.push(Tok::Punct(p));
            i += p.len();
        }
    }
    Ok(out)
}

/// Skips a (nestable, as in rhai) block comment starting at `i`; returns the index after it.
fn skip_block_comment(chars: &[char], mut i: usize) -> Result<usize, NotInSubset> {
    let mut depth = 0;
    while i < chars.len() {
        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Ok(i);
            }
        } else {
            i += 1;
        }
    }
    Err(NotInSubset::new("注释未结束"))
}

/// A `"…"` literal starting at `i`: its text and the index after the closing quote.
fn string(chars: &[char], mut i: usize) -> Result<(String, usize), NotInSubset> {
    let mut s = String::new();
    i += 1;
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok((s, i + 1)),
            '\\' => {
                let escaped = match chars.get(i + 1) {
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    _ => return Err(NotInSubset::new("不支持的字符串转义")),
                };
                s.push(escaped);
                i += 2;
            }
            '\n' => return Err(NotInSubset::new("字符串内换行")),
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err(NotInSubset::new("字符串未结束"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_the_subset_and_rejects_the_rest() {
        let toks = tokens("let a = b[0].c(\"x\\\"y\") >= -12; // c\n/* a /* b */ */ !x && y")
            .expect("subset");
        assert_eq!(toks.len(), 20, "{toks:?}");
        assert_eq!(toks[10], Tok::Str("x\"y".into()));
        assert!(toks.contains(&Tok::Punct(">=")) && toks.contains(&Tok::Int(12)));
        for outside in [
            "a += 1", "0.5", "`x`", "a % 2", "a..b", "x::y", "a | b", "'c'", "#{}",
        ] {
            assert!(tokens(outside).is_err(), "{outside}");
        }
    }
}
