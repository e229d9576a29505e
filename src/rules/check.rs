//! Static checks of a rule's source before anything runs: unknown fields, unknown parameters,
//! `require` without a reason, an `item` not closed by `grant_item`, literal arguments of the
//! wrong type. Compile errors come from rhai itself (see [`super::RuleSet::load`]).

use std::fmt;
use std::path::PathBuf;

use super::lexer::{Tok, tokens};
use super::view::KNOWN_FIELDS;

/// One problem in a policy folder, located as precisely as it can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// Tokens with their 1-based line and column; comments are left out, strings are units.
fn lex(src: &str) -> Vec<(Tok, usize, usize)> {
    tokens(src)
        .into_iter()
        .filter(|t| t.tok != Tok::Comment)
        .map(|t| (t.tok, t.line, t.column))
        .collect()
}

/// True when every use of `params` in `src` is a plain read `params.name` (optionally followed by
/// getters such as `.year`) that is neither assigned to, indexed, nor the receiver of a method
/// call. Only then may the parameters be folded into the AST as constants (see
/// [`super::Policy::params_at`]); anything else (and any backtick string, whose `${}` holds code)
/// runs the generic AST, where `params` is a run-time constant and writes are errors.
pub(crate) fn params_read_only(src: &str) -> bool {
    if src.contains('`') {
        return false;
    }
    let toks = lex(src);
    let tok = |j: usize| toks.get(j).map(|t| &t.0);
    let punct = |j: usize, c: char| tok(j) == Some(&Tok::Punct(c));
    toks.iter().enumerate().all(|(k, (t, ..))| {
        if *t != Tok::Ident("params".into()) {
            return true;
        }
        if !(punct(k + 1, '.') && matches!(tok(k + 2), Some(Tok::Ident(_))) && !punct(k + 3, '(')) {
            return false;
        }
        let mut j = k + 3;
        // Getters on the value (`params.recognized_from.year`), not method calls.
        while punct(j, '.') && matches!(tok(j + 1), Some(Tok::Ident(_))) && !punct(j + 2, '(') {
            j += 2;
        }
        let assigns = (punct(j, '=') && !punct(j + 1, '='))
            || (['+', '-', '*', '/', '%', '&', '|', '^']
                .iter()
                .any(|&c| punct(j, c))
                && punct(j + 1, '='))
            || (['<', '>', '*']
                .iter()
                .any(|&c| punct(j, c) && punct(j + 1, c))
                && punct(j + 2, '='));
        !(assigns || punct(j, '[') || punct(j, '.') || punct(j, '?'))
    })
}

/// `(line, column, message)` for every problem found in `src`. `params` is `None` when
/// `policy.toml` could not be read: then parameter names are not checked (its own error says
/// why, once).
pub(crate) fn lint(src: &str, params: Option<&[&str]>) -> Vec<(usize, usize, String)> {
    let toks = lex(src);
    let mut errors = unclosed_items(&toks);
    errors.extend(literal_types(&toks));
    for (k, (tok, line, col)) in toks.iter().enumerate() {
        let next = toks.get(k + 1).map(|t| &t.0);
        let prev = k.checked_sub(1).and_then(|p| toks.get(p)).map(|t| &t.0);
        match tok {
            // `.name` not followed by `(`: a property read.
            Tok::Punct('.') => {
                let Some(Tok::Ident(name)) = next else {
                    continue;
                };
                if toks.get(k + 2).map(|t| &t.0) == Some(&Tok::Punct('(')) {
                    continue;
                }
                let (l, c) = (toks[k + 1].1, toks[k + 1].2);
                if prev == Some(&Tok::Ident("params".into())) {
                    if params.is_some_and(|p| !p.contains(&name.as_str())) {
                        errors.push((l, c, format!("未知参数 '{name}' (policy.toml 未声明)")));
                    }
                } else if !KNOWN_FIELDS.contains(&name.as_str()) {
                    errors.push((l, c, format!("未知的档案字段 '{name}'")));
                }
            }
            Tok::Ident(name)
                if (name == "require" || name == "scope")
                    && next == Some(&Tok::Punct('('))
                    && prev != Some(&Tok::Punct('.'))
                    && top_level_args(&toks[k + 1..]) < 2 =>
            {
                errors.push((
                    *line,
                    *col,
                    format!("{name} 缺少原因: 应为 {name}(条件, \"原因\")"),
                ));
            }
            _ => {}
        }
    }
    errors
}

/// True when token `k` calls the function `name` (not a method: no `.` before it).
fn calls(toks: &[(Tok, usize, usize)], k: usize, name: &str) -> bool {
    toks.get(k).map(|t| &t.0) == Some(&Tok::Ident(name.into()))
        && toks.get(k + 1).map(|t| &t.0) == Some(&Tok::Punct('('))
        && (k == 0 || toks.get(k - 1).map(|t| &t.0) != Some(&Tok::Punct('.')))
}

/// Every `item(…)` must be closed by a `grant_item(…)` in the same block, before the block ends
/// or the next `item(…)`: one inside an `if` only would leave the item open on the other path
/// (a run-time error).
fn unclosed_items(toks: &[(Tok, usize, usize)]) -> Vec<(usize, usize, String)> {
    let mut errors = Vec::new();
    for (k, (_, line, col)) in toks.iter().enumerate() {
        if !calls(toks, k, "item") {
            continue;
        }
        let mut depth = 0_i32;
        let mut closed = false;
        for j in k + 1..toks.len() {
            match &toks[j].0 {
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => {
                    depth -= 1;
                    if depth < 0 {
                        break;
                    }
                }
                _ if depth == 0 && calls(toks, j, "grant_item") => {
                    closed = true;
                    break;
                }
                _ if depth == 0 && calls(toks, j, "item") => break,
                _ => {}
            }
        }
        if !closed {
            errors.push((
                *line,
                *col,
                "item(…) 未在同一代码块内以 grant_item(…) 结束 (放在 if 分支内的 grant_item 不算)"
                    .into(),
            ));
        }
    }
    errors
}

/// What a function's argument must be, where a literal can show it is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Any,
}

/// The functions whose arguments' types are known, by position.
const SIGNATURES: &[(&str, &[Kind])] = &[
    ("date", &[Kind::Text]),
    ("in_region", &[Kind::Text]),
    ("certs", &[Kind::Text]),
    ("annual", &[Kind::Number]),
    ("sme_size", &[Kind::Number]),
    ("ratio", &[Kind::Number, Kind::Number]),
    ("round_half_up", &[Kind::Number, Kind::Number]),
    ("round_down", &[Kind::Number]),
    ("min", &[Kind::Number, Kind::Number]),
    ("max", &[Kind::Number, Kind::Number]),
    ("require", &[Kind::Any, Kind::Text]),
    ("scope", &[Kind::Any, Kind::Text]),
    ("grant", &[Kind::Number, Kind::Text]),
    ("grant_item", &[Kind::Number, Kind::Text]),
    ("item", &[Kind::Any, Kind::Any]),
];

/// A literal argument of the wrong type (`ratio("1", 2)`, `annual("2025")`, a reason that is a
/// number): the call would fail at run time.
fn literal_types(toks: &[(Tok, usize, usize)]) -> Vec<(usize, usize, String)> {
    let mut errors = Vec::new();
    for k in 0..toks.len() {
        let Some((name, kinds)) = SIGNATURES.iter().find(|(n, _)| calls(toks, k, n)) else {
            continue;
        };
        for (position, (tok, line, col)) in arguments(&toks[k + 1..]).into_iter().enumerate() {
            let expected = kinds.get(position).copied().unwrap_or(Kind::Any);
            let wrong = match (expected, tok) {
                (Kind::Text, Tok::Num) => Some("文字 (\"…\")"),
                (Kind::Number, Tok::Str) => Some("数值"),
                _ => None,
            };
            if let Some(wanted) = wrong {
                errors.push((
                    line,
                    col,
                    format!("{name} 的第{}个参数应为{wanted}", position + 1),
                ));
            }
        }
    }
    errors
}

/// The top-level arguments of the call whose `(` starts `toks` that are a single literal, with
/// their positions: `(Tok::Ident, …)` stands for any other argument.
fn arguments(toks: &[(Tok, usize, usize)]) -> Vec<(Tok, usize, usize)> {
    let mut args = Vec::new();
    let mut depth = 0_i32;
    let mut current: Vec<&(Tok, usize, usize)> = Vec::new();
    let mut finish = |current: &mut Vec<&(Tok, usize, usize)>| {
        let arg = match current.as_slice() {
            [(t @ (Tok::Str | Tok::Num), l, c)] => (t.clone(), *l, *c),
            _ => (Tok::Ident(String::new()), 0, 0),
        };
        args.push(arg);
        current.clear();
    };
    for t in toks {
        match t.0 {
            Tok::Punct('(' | '[' | '{') => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            Tok::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    if !current.is_empty() {
                        finish(&mut current);
                    }
                    break;
                }
            }
            Tok::Punct(',') if depth == 1 => {
                finish(&mut current);
                continue;
            }
            _ => {}
        }
        if depth >= 1 {
            current.push(t);
        }
    }
    args
}

/// Words followed by `(` that are syntax or rhai built-ins rather than registered functions.
const NOT_FUNCTIONS: &[&str] = &[
    "has",
    "if",
    "while",
    "for",
    "switch",
    "return",
    "throw",
    "loop",
    "do",
    "until",
    "in",
    "catch",
    "try",
    "fn",
    "let",
    "const",
    "Fn",
    "call",
    "curry",
    "type_of",
    "is_def_var",
    "is_def_fn",
    "is_shared",
    "print",
    "debug",
    "eval",
    "import",
    "export",
    "private",
    "this",
    "global",
];

/// `(line, column, message)` for every call of a function that neither the engine nor the
/// script defines: a typo such as `requir(...)` is found before anything runs.
pub(crate) fn lint_calls(src: &str, known: &dyn Fn(&str) -> bool) -> Vec<(usize, usize, String)> {
    let toks = lex(src);
    let mut errors = Vec::new();
    for (k, (tok, line, col)) in toks.iter().enumerate() {
        let Tok::Ident(name) = tok else { continue };
        let called = toks.get(k + 1).map(|t| &t.0) == Some(&Tok::Punct('('));
        let prev_fn = k.checked_sub(1).and_then(|p| toks.get(p)).map(|t| &t.0)
            == Some(&Tok::Ident("fn".into()));
        if called && !prev_fn && !NOT_FUNCTIONS.contains(&name.as_str()) && !known(name) {
            errors.push((*line, *col, format!("未知函数 '{name}'")));
        }
    }
    errors
}

/// The number of top-level arguments of the call whose `(` starts `toks`.
fn top_level_args(toks: &[(Tok, usize, usize)]) -> usize {
    let (mut depth, mut commas, mut any) = (0_i32, 0, false);
    for (t, ..) in toks {
        match t {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Tok::Punct(',') if depth == 1 => commas += 1,
            _ if depth >= 1 => any = true,
            _ => {}
        }
    }
    if any { commas + 1 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_fold_only_when_read_only() {
        let read = "require(a >= params.x && b.starts_with(params.p), \"{}\", params.d.year);";
        assert!(params_read_only(read));
        assert!(params_read_only(
            "if params.x == 1 { grant(params.y, \"x\"); }"
        ));
        for write in [
            "params.x = 1;",
            "params.x += 1;",
            "params.d.year = 1;",
            "params.x <<= 1;",
            "params.list[0] = 1;",
            "params.list.push(1);",
            "let p = params; p.x = 1;",
            "params.remove(\"x\");",
            "let s = `${params.x = 1}`;",
        ] {
            assert!(!params_read_only(write), "{write}");
        }
    }

    #[test]
    fn lint_finds_typos_unknown_params_and_missing_reasons() {
        let src = "let y = annual(2025);\n// y.nope in a comment\nrequire(y.layofs == 0, \"a.b\");\nrequire(params.rat > 0);\n";
        let errors = lint(src, Some(&["rate"]));
        let msgs: Vec<String> = errors
            .iter()
            .map(|(l, c, m)| format!("{l}:{c} {m}"))
            .collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(
            msgs[0].starts_with("3:11 ") && msgs[0].contains("layofs"),
            "{msgs:?}"
        );
        assert!(
            msgs[1].starts_with("4:1 ") && msgs[1].contains("require"),
            "{msgs:?}"
        );
        assert!(
            msgs[2].starts_with("4:16 ") && msgs[2].contains("rat"),
            "{msgs:?}"
        );
    }
}
