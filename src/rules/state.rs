//! Per-evaluation state: what `require`, `grant` and `item`/`grant_item` record, one evaluation
//! at a time per thread, and the formatting of reasons (only on the full-explanation path).

use std::borrow::Borrow;
use std::cell::RefCell;

use rhai::{Dynamic, EvalAltResult};
use rust_decimal::{Decimal, RoundingStrategy};

use super::api::Day;
use super::decision::{Item, Reasons};
use super::format::{Spec, write_decimal};
use super::format::{write_date, write_int};
use super::view::FirmView;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// What one evaluation has recorded so far.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) explain: bool,
    /// Stop the rule as soon as the outcome is decided (`failed`): the decision path.
    pub(crate) stop_when_decided: bool,
    /// A firm-level condition failed (a `require` outside an item, a `grant` or an `item` after
    /// missing data). Never reset: from here on the outcome is "not eligible", whatever follows.
    pub(crate) failed: bool,
    /// Missing data read since the last condition; it fails the next condition.
    pub(crate) missing: Option<String>,
    pub(crate) reasons: Reasons,
    pub(crate) amount: Option<Decimal>,
    pub(crate) items: Vec<Item>,
    pub(crate) open: Option<Item>,
    pub(crate) firm: Option<FirmView>,
}

thread_local! {
    pub(crate) static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Ends the rule once its outcome is decided on the decision path. `ErrorTerminated` is not
/// catchable by `try`/`catch`; even if it were caught (e.g. wrapped by a script function), every
/// later condition stops again, and the outcome is read from `failed` alone.
fn decided(s: &State) -> Res<()> {
    if s.failed && s.stop_when_decided {
        Err(EvalAltResult::ErrorTerminated(DECIDED.into(), rhai::Position::NONE).into())
    } else {
        Ok(())
    }
}

/// The token of the early stop (see [`decided`]).
pub(crate) const DECIDED: &str = "decided";

/// Marks missing data for the current condition and returns the typed placeholder.
pub(crate) fn missing<T>(what: impl FnOnce() -> String, placeholder: T) -> T {
    STATE.with_borrow_mut(|s| {
        if s.missing.is_none() {
            s.missing = Some(if s.explain { what() } else { String::new() });
        }
    });
    placeholder
}

/// Renders `{}` (as is), `{%}` (a rate as a percentage, 2 decimals) and `{元}` (money, 2 decimals).
#[cfg(test)]
fn render<A: Borrow<Dynamic>>(text: &str, args: &[A]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    write_rendered(&mut out, text, args);
    out
}

/// [`render`] appended to `out`.
fn write_rendered<A: Borrow<Dynamic>>(out: &mut String, text: &str, args: &[A]) {
    let mut args = args.iter();
    render_with(out, text, |out, spec| {
        args.next()
            .map(|a| write_shown(out, a.borrow(), spec))
            .is_some()
    });
}

/// [`render`] into `out`, each argument appended by `next(out, spec)` (false: none left, `?`).
/// Shared by the compiled path, which keeps its own typed values.
#[inline]
pub(crate) fn render_with(
    out: &mut String,
    text: &str,
    mut next: impl FnMut(&mut String, Spec) -> bool,
) {
    const MONEY: &[u8] = "{元}".as_bytes();
    let bytes = text.as_bytes();
    let mut copied = 0;
    let mut from = 0;
    while let Some(at) = find_brace(bytes, from) {
        let tail = bytes.get(at..).unwrap_or_default();
        let (spec, len) = match tail.get(1) {
            Some(b'}') => (Spec::Plain, 2),
            Some(b'%') if tail.get(2) == Some(&b'}') => (Spec::Percent, 3),
            _ if tail.starts_with(MONEY) => (Spec::Money, MONEY.len()),
            _ => {
                from = at + 1;
                continue;
            }
        };
        // `{` is ASCII, never part of a multi-byte character: a char boundary.
        out.push_str(text.get(copied..at).unwrap_or_default());
        if !next(out, spec) {
            out.push('?');
        }
        copied = at + len;
        from = copied;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
}

/// The first `{` in `bytes` from `from` on, eight bytes at a time.
#[inline]
fn find_brace(bytes: &[u8], from: usize) -> Option<usize> {
    // A word's first `{` (a zero byte once xor-ed with `{`s) sets the lowest high bit.
    #[inline]
    fn first_brace(chunk: &[u8]) -> Option<usize> {
        const ONES: u64 = u64::from_le_bytes([0x01; 8]);
        const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
        const BRACES: u64 = u64::from_le_bytes([b'{'; 8]);
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).ok()?) ^ BRACES;
        let zeros = word.wrapping_sub(ONES) & !word & HIGHS;
        (zeros != 0).then(|| (zeros.trailing_zeros() / 8) as usize)
    }
    let rest = bytes.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut at = from;
    for chunk in &mut chunks {
        if let Some(i) = first_brace(chunk) {
            return Some(at + i);
        }
        at += 8;
    }
    let tail = chunks.remainder().len();
    if tail == 0 {
        return None;
    }
    // The last eight bytes at once: those before the tail hold no `{`.
    match rest.len().checked_sub(8).and_then(|last| rest.get(last..)) {
        Some(word) => first_brace(word).map(|i| at + i + tail - 8),
        None => rest.iter().position(|&b| b == b'{').map(|i| from + i),
    }
}

/// A value in a reason (see [`render`]).
pub(crate) fn show(v: &Dynamic, spec: Spec) -> String {
    let mut out = String::new();
    write_shown(&mut out, v, spec);
    out
}

/// [`show`] appended to `out`.
fn write_shown(out: &mut String, v: &Dynamic, spec: Spec) {
    if let Some(d) = v.clone().try_cast::<Decimal>() {
        return write_decimal(out, d, spec);
    }
    if let Some(Day(d)) = v.clone().try_cast::<Day>() {
        return write_date(out, d);
    }
    if let Ok(b) = v.as_bool() {
        return out.push_str(if b { "是" } else { "否" });
    }
    if v.is_unit() {
        return out.push_str("(无)");
    }
    if let Ok(i) = v.as_int() {
        return write_int(out, i);
    }
    use std::fmt::Write;
    let _ = write!(out, "{v}");
}

pub(crate) fn record<A: Borrow<Dynamic>>(passed: bool, text: &str, args: &[A]) -> Res<()> {
    STATE.with_borrow_mut(|s| {
        let missing = s.missing.take();
        let passed = passed && missing.is_none();
        let reasons = match s.open.as_mut() {
            Some(item) => {
                item.passed &= passed;
                &mut item.reasons
            }
            None => {
                s.failed |= !passed;
                &mut s.reasons
            }
        };
        if s.explain {
            reasons.push_with(passed, |out| {
                write_rendered(out, text, args);
                if let Some(m) = &missing {
                    out.push_str(": ");
                    out.push_str(m);
                }
            });
        }
        decided(s)
    })
}

fn to_decimal(v: &Dynamic) -> Res<Decimal> {
    if let Ok(i) = v.as_int() {
        return Ok(Decimal::from(i));
    }
    v.clone()
        .try_cast::<Decimal>()
        .ok_or_else(|| format!("金额应为数值, 实为 {}", v.type_name()).into())
}

pub(crate) fn grant<A: Borrow<Dynamic>>(amount: &Dynamic, text: &str, args: &[A]) -> Res<()> {
    let amount = half_up(to_decimal(amount)?);
    STATE.with_borrow_mut(|s| {
        if s.open.is_some() {
            return Err("grant 不能在 item 内使用, 请用 grant_item".into());
        }
        let missing = s.missing.take();
        if s.explain {
            s.reasons.push_with(missing.is_none(), |out| {
                write_amount_reason(out, text, args, missing.as_deref(), true, amount);
            });
        }
        match missing {
            Some(_) => s.failed = true,
            None => s.amount = Some(amount),
        }
        decided(s)
    })
}

pub(crate) fn open_item(key: &str, date: Day) -> Res<()> {
    STATE.with_borrow_mut(|s| {
        if s.open.is_some() {
            return Err("上一个 item 尚未以 grant_item 结束".into());
        }
        // Missing data read before the item belongs to the firm, not to the item.
        if let Some(m) = s.missing.take() {
            s.failed = true;
            if s.explain {
                s.reasons.push_with(false, |out| {
                    out.push_str("规则读取了缺失的数据: ");
                    out.push_str(&m);
                });
            }
            decided(s)?;
        }
        s.open = Some(Item {
            key: key.into(),
            date: date.0,
            amount: Decimal::ZERO,
            passed: true,
            reasons: Reasons::new(),
        });
        Ok(())
    })
}

pub(crate) fn grant_item<A: Borrow<Dynamic>>(amount: &Dynamic, text: &str, args: &[A]) -> Res<()> {
    let amount = half_up(to_decimal(amount)?);
    STATE.with_borrow_mut(|s| {
        let mut item = s.open.take().ok_or("grant_item 之前没有 item(...)")?;
        let missing = s.missing.take();
        item.passed &= missing.is_none();
        if item.passed {
            item.amount = amount;
        }
        if s.explain {
            let counted = item.passed;
            item.reasons.push_with(counted, |out| {
                write_amount_reason(out, text, args, missing.as_deref(), counted, amount);
            });
        }
        s.items.push(item);
        Ok(())
    })
}

/// A `grant`'s or `grant_item`'s reason: `金额 <text>`, then `: <missing data>`, or
/// ` = <amount> 元` when `counted`, or `: 条件未满足, 不计` for an item not counted.
fn write_amount_reason<A: Borrow<Dynamic>>(
    out: &mut String,
    text: &str,
    args: &[A],
    missing: Option<&str>,
    counted: bool,
    amount: Decimal,
) {
    out.push_str(AMOUNT);
    write_rendered(out, text, args);
    match missing {
        Some(m) => {
            out.push_str(": ");
            out.push_str(m);
        }
        None if counted => write_amount(out, amount),
        None => out.push_str(NOT_COUNTED),
    }
}

/// What a `grant`'s or `grant_item`'s reason starts with.
pub(crate) const AMOUNT: &str = "金额 ";

/// What a failed item's `grant_item` reason ends with.
pub(crate) const NOT_COUNTED: &str = ": 条件未满足, 不计";

/// ` = <amount> 元`, the end of a granted amount's reason.
fn write_amount(out: &mut String, amount: Decimal) {
    use std::fmt::Write;
    let _ = write!(out, " = {amount:.2} 元");
}

pub(crate) fn half_up(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_render_values_rates_and_money() {
        let args = [
            Dynamic::from_int(11),
            Dynamic::from_decimal(Decimal::new(55, 3)),
            Dynamic::from_decimal(Decimal::new(300045, 4)),
        ];
        assert_eq!(
            render("裁员 {} 人, 裁员率 {%}, 金额 {元} 元 {}", &args),
            "裁员 11 人, 裁员率 5.50%, 金额 30.00 元 ?"
        );
        assert_eq!(render::<Dynamic>("{ 不是占位符 }", &[]), "{ 不是占位符 }");
    }

    /// The former `render_with` (`str::find`), the reference for the byte scan.
    fn render_by_find(text: &str, mut args: usize) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            let (spec, len) = if tail.starts_with("{}") {
                ("", 2)
            } else if tail.starts_with("{%}") {
                ("%", 3)
            } else if tail.starts_with("{元}") {
                ("元", "{元}".len())
            } else {
                out.push('{');
                rest = &tail[1..];
                continue;
            };
            if args == 0 {
                out.push('?');
            } else {
                args -= 1;
                out.push_str(&format!("<{spec}>"));
            }
            rest = &tail[len..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn placeholders_are_found_wherever_they_are() {
        let mut texts = vec![
            String::new(),
            "{".into(),
            "{{}".into(),
            "{}}".into(),
            "{元".into(),
            "{%".into(),
            "{元}{%}{}".into(),
            "{ 元}{% }{x}".into(),
            "注册地在济南市 (行政区划 {})".into(),
            "{}年营业收入 {元} 元达到{}规上标准 {元} 元".into(),
            "裁员率 {}/{} = {%} ≤ {%}".into(),
            "元}{元}{元{".into(),
        ];
        // Every placeholder at every offset around the eight-byte words.
        for p in ["{}", "{%}", "{元}", "{", "{元", "{%"] {
            for pad in 0..20 {
                texts.push(format!("{}{p}{}", "a".repeat(pad), "好".repeat(pad % 4)));
                texts.push(format!("{}{p}{p}", "好".repeat(pad)));
            }
        }
        for text in &texts {
            for args in 0..4 {
                let mut left = args;
                let mut out = String::new();
                render_with(&mut out, text, |out, spec| {
                    let some = left > 0;
                    if some {
                        left -= 1;
                        out.push_str(match spec {
                            Spec::Plain => "<>",
                            Spec::Percent => "<%>",
                            Spec::Money => "<元>",
                        });
                    }
                    some
                });
                assert_eq!(
                    out,
                    render_by_find(text, args),
                    "{text:?} with {args} values"
                );
            }
        }
    }

    #[test]
    fn half_up_is_not_bankers_rounding() {
        assert_eq!(half_up(Decimal::new(30045, 3)), Decimal::new(3005, 2));
        assert_eq!(half_up(Decimal::new(-30045, 3)), Decimal::new(-3005, 2));
    }
}
