//! A rule's conditions and amount in plain Chinese, read from its source: the reason texts of
//! its `scope(…)`, `require(…)` and `grant(…)` calls, so the public library shows what the rule
//! checks without anyone writing it twice. A placeholder whose argument is a parameter shows the
//! parameter's value; any other shows "…", and a parenthesis that only reports the firm's own
//! values (`(当前 {})`) is left out.

use rust_decimal::Decimal;

use crate::rules::Param;
use crate::rules::format::{Spec, write_decimal};
use crate::rules::lexer::{Tok, tokens};

/// The calls whose second argument is a reason text.
const REASON_CALLS: [&str; 3] = ["scope", "require", "grant"];

/// The conditions and amount texts of rule `src`, in source order, each once. `params` are
/// the policy's parameters (`policy.toml`), used to fill placeholders they feed. A
/// `require(false, …)` is an explanation of a failure, not a condition, and is left out.
pub fn rule_conditions(src: &str, params: &[Param]) -> Vec<String> {
    let toks: Vec<(Tok, &str)> = tokens(src)
        .into_iter()
        .filter(|t| t.tok != Tok::Comment)
        .map(|t| (t.tok, src.get(t.span).unwrap_or_default()))
        .collect();
    let mut out: Vec<String> = Vec::new();
    for k in 0..toks.len() {
        let Tok::Ident(name) = &toks[k].0 else {
            continue;
        };
        let called = REASON_CALLS.contains(&name.as_str())
            && toks.get(k + 1).map(|t| &t.0) == Some(&Tok::Punct('('))
            && (k == 0 || !matches!(toks[k - 1].0, Tok::Punct('.') | Tok::Ident(_)));
        if !called {
            continue;
        }
        let args = arguments(&toks[k + 1..]);
        let Some([(Tok::Str, text)]) = args.get(1).map(Vec::as_slice) else {
            continue;
        };
        if matches!(args.first().map(Vec::as_slice), Some([(Tok::Ident(w), _)]) if w == "false") {
            continue;
        }
        let shown = fill(unquote(text), &args[2..], params);
        if !shown.is_empty() && !out.contains(&shown) {
            out.push(shown);
        }
    }
    out
}

/// The top-level arguments of the call whose `(` starts `toks`, each as its tokens.
fn arguments<'a>(toks: &'a [(Tok, &'a str)]) -> Vec<Vec<(Tok, &'a str)>> {
    let mut args = Vec::new();
    let mut current = Vec::new();
    let mut depth = 0_i32;
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
                        args.push(std::mem::take(&mut current));
                    }
                    break;
                }
            }
            Tok::Punct(',') if depth == 1 => {
                args.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        if depth >= 1 {
            current.push(t.clone());
        }
    }
    args
}

/// A string literal's text without its quotes, with `\"` and `\\` read back.
fn unquote(literal: &str) -> String {
    let inner = literal
        .get(1..literal.len().saturating_sub(1))
        .unwrap_or_default();
    inner.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// `text` with each placeholder (`{}`, `{元}`, `{%}`) replaced by the value of the parameter
/// its argument reads, or "…"; then parentheses holding a "…" dropped.
fn fill(text: String, args: &[Vec<(Tok, &str)>], params: &[Param]) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut next_arg = args.iter();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        shown.push_str(&rest[..open]);
        let spec = match &rest[open + 1..close] {
            "元" => Spec::Money,
            "%" => Spec::Percent,
            _ => Spec::Plain,
        };
        match next_arg.next().and_then(|a| param_value(a, params)) {
            Some(value) => match value.parse::<Decimal>() {
                Ok(d) if spec != Spec::Plain || value.contains('.') => {
                    write_decimal(&mut shown, d, spec)
                }
                _ => shown.push_str(&value),
            },
            None => shown.push('…'),
        }
        rest = &rest[close + 1..];
    }
    shown.push_str(rest);
    without_value_parentheses(&shown).trim().to_owned()
}

/// The value of the parameter `arg` reads (`params.name`), when it has exactly one.
fn param_value(arg: &[(Tok, &str)], params: &[Param]) -> Option<String> {
    let [
        (Tok::Ident(p), _),
        (Tok::Punct('.'), _),
        (Tok::Ident(name), _),
    ] = arg
    else {
        return None;
    };
    if p != "params" {
        return None;
    }
    let mut found = params.iter().filter(|q| &q.name == name);
    let (Some(q), None) = (found.next(), found.next()) else {
        return None;
    };
    q.decimal
        .clone()
        .or_else(|| q.int.map(|i| i.to_string()))
        .or_else(|| q.text.clone())
        .or_else(|| q.date.map(|d| d.to_string()))
}

/// `text` without the parentheses (ASCII or full-width) that hold a "…": they report the
/// firm's own values, which a policy-wide text cannot know.
fn without_value_parentheses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(['(', '（']) {
        let tail = &rest[open..];
        let Some(close) = tail.find([')', '）']) else {
            break;
        };
        let group = &tail[..close];
        out.push_str(&rest[..open]);
        let close_len = tail[close..].chars().next().map_or(1, char::len_utf8);
        if !group.contains('…') {
            out.push_str(&tail[..close + close_len]);
        }
        rest = &tail[close + close_len..];
    }
    out.push_str(rest);
    out.trim_end().replace("  ", " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, decimal: Option<&str>, text: Option<&str>) -> Param {
        Param {
            name: name.to_owned(),
            decimal: decimal.map(str::to_owned),
            int: None,
            text: text.map(str::to_owned),
            date: None,
            from: None,
            to: None,
        }
    }

    #[test]
    fn reasons_of_scope_require_and_grant_read_as_conditions() {
        // Arrange
        let src = r#"
// 注释里的 require(true, "不算")
scope(profile.region_code.starts_with(params.region_prefix), "注册地在青岛市 (行政区划 {})", profile.region_code);
require(!profile.serious_dishonesty, "未被列入严重失信主体名单");
if x { require(false, "未找到 {} 的证书", y); } else { require(true, "{}年度通过认定", y); }
grant(params.reward, "一次性奖励 {元} 元", params.reward);
grant(params.rate, "比例 {%}, 上限 {元} 元", params.rate, params.cap);
require(true, "{}年度通过认定", y);
"#;
        let params = [
            param("reward", Some("200000"), None),
            param("rate", Some("0.3"), None),
            param("region_prefix", None, Some("3702")),
        ];

        // Act
        let shown = rule_conditions(src, &params);

        // Assert
        assert_eq!(
            shown,
            [
                "注册地在青岛市",
                "未被列入严重失信主体名单",
                "…年度通过认定",
                "一次性奖励 200000.00 元",
                "比例 30.00%, 上限 … 元",
            ]
        );
    }
}
