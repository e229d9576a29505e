//! Per-evaluation state: what `require`, `grant` and `item`/`grant_item` record, one evaluation
//! at a time per thread, and the formatting of reasons (only on the full-explanation path).

use std::borrow::Borrow;
use std::cell::RefCell;

use rhai::{Dynamic, EvalAltResult};
use rust_decimal::{Decimal, RoundingStrategy};

use super::api::Day;
use super::decision::{Item, Reasons};
use super::format::{Spec, write_date, write_decimal};
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
    /// A `scope` condition failed: the policy does not address this firm at all (no near miss).
    pub(crate) out_of_scope: bool,
    /// Firm-level conditions failed so far (each also a failed reason when explaining).
    pub(crate) failures: u32,
    /// Missing data read since the last condition; it fails the next condition.
    pub(crate) missing: Option<String>,
    /// Every read of missing data so far (for `has(…)`).
    pub(crate) missing_reads: u32,
    /// When explaining: the stand-in values handed out for missing data since the last
    /// condition, with how a reason shows them (`缺少2025年度营业收入`).
    pub(crate) stand_ins: Vec<(Dynamic, String)>,
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

/// Marks missing data for the current condition and returns the typed placeholder. When
/// explaining, the placeholder is remembered as a stand-in, so that a reason of the next
/// condition shows it as what is missing (`缺少2025年度营业收入`), never as `0` or `""`.
pub(crate) fn missing<T: Clone + Send + Sync + 'static>(
    what: impl FnOnce() -> String,
    placeholder: T,
) -> T {
    STATE.with_borrow_mut(|s| {
        s.missing_reads = s.missing_reads.wrapping_add(1);
        if !s.explain {
            s.missing.get_or_insert_with(String::new);
            return;
        }
        let what = what();
        let shown = what.strip_suffix("数据").unwrap_or(&what).to_owned();
        s.stand_ins
            .push((Dynamic::from(placeholder.clone()), shown));
        s.missing.get_or_insert(what);
    });
    placeholder
}

/// The stand-ins handed out since the last condition, taken for its reason.
type StandIns = Vec<(Dynamic, String)>;

/// Whether `a` and `b` are the same value of the same type (a stand-in and an argument).
fn same(a: &Dynamic, b: &Dynamic) -> bool {
    if a.type_id() != b.type_id() {
        return false;
    }
    if let (Ok(x), Ok(y)) = (a.as_int(), b.as_int()) {
        return x == y;
    }
    if let (Ok(x), Ok(y)) = (a.as_bool(), b.as_bool()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (
        a.clone().try_cast::<Decimal>(),
        b.clone().try_cast::<Decimal>(),
    ) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.clone().try_cast::<Day>(), b.clone().try_cast::<Day>()) {
        return x == y;
    }
    if let (Ok(x), Ok(y)) = (a.as_immutable_string_ref(), b.as_immutable_string_ref()) {
        return *x == *y;
    }
    false
}

/// Renders `{}` (as is), `{%}` (a rate as a percentage, 2 decimals) and `{元}` (money, 2 decimals).
#[cfg(test)]
fn render<A: Borrow<Dynamic>>(text: &str, args: &[A]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    write_rendered(&mut out, text, args, &mut StandIns::new());
    out
}

/// [`render`] appended to `out`; a placeholder without a value left shows `?`. An argument
/// that is one of `stand_ins` (a value read from missing data) shows what is missing, each
/// stand-in once, in the order read.
fn write_rendered<A: Borrow<Dynamic>>(
    out: &mut String,
    text: &str,
    args: &[A],
    stand_ins: &mut StandIns,
) {
    let mut args = args.iter();
    let mut rest = text;
    while let Some(at) = rest.find('{') {
        let tail = &rest[at..];
        let Some((spec, len)) = [
            ("{}", Spec::Plain),
            ("{%}", Spec::Percent),
            ("{元}", Spec::Money),
        ]
        .into_iter()
        .find(|(p, _)| tail.starts_with(p))
        .map(|(p, spec)| (spec, p.len())) else {
            out.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            continue;
        };
        out.push_str(&rest[..at]);
        match args.next() {
            Some(a) => write_shown(out, a.borrow(), spec, stand_ins),
            None => out.push('?'),
        }
        rest = &tail[len..];
    }
    out.push_str(rest);
}

/// A value in a reason (see [`render`]), appended to `out`. A value read from missing data
/// shows what is missing (`缺少2025年度营业收入`), never its stand-in (`0`, `""`, a date).
fn write_shown(out: &mut String, v: &Dynamic, spec: Spec, stand_ins: &mut StandIns) {
    if let Some(at) = stand_ins.iter().position(|(p, _)| same(p, v)) {
        return out.push_str(&stand_ins.remove(at).1);
    }
    if let Some(d) = v.clone().try_cast::<Decimal>() {
        return write_decimal(out, d, spec);
    }
    if let Some(day) = v.clone().try_cast::<Day>() {
        if day == Day::MIN {
            return out.push_str(MISSING_DATE);
        }
        return write_date(out, day.0);
    }
    if let Ok(b) = v.as_bool() {
        return out.push_str(if b { "是" } else { "否" });
    }
    if v.is_unit() {
        return out.push_str("(无)");
    }
    use std::fmt::Write;
    let _ = write!(out, "{v}");
}

/// How a reason shows a date the profile lacks.
pub(crate) const MISSING_DATE: &str = "缺少日期";

/// `scope(cond, "…", …)`: a condition deciding whether the policy addresses the firm at all
/// (region, registration status, …). Recorded like a firm-level `require`; when it fails the
/// firm is out of scope as well as not eligible.
pub(crate) fn record_scope<A: Borrow<Dynamic>>(passed: bool, text: &str, args: &[A]) -> Res<()> {
    STATE.with_borrow_mut(|s| {
        if s.open.is_some() {
            return Err("scope 不能在 item 内使用".into());
        }
        let missing = s.missing.take();
        let mut stand_ins = std::mem::take(&mut s.stand_ins);
        let passed = passed && missing.is_none();
        s.failed |= !passed;
        s.out_of_scope |= !passed;
        s.failures += u32::from(!passed);
        if s.explain {
            s.reasons.push_with(passed, |out| {
                write_rendered(out, text, args, &mut stand_ins);
                if let Some(m) = &missing {
                    out.push_str(": ");
                    out.push_str(m);
                }
            });
        }
        decided(s)
    })
}

pub(crate) fn record<A: Borrow<Dynamic>>(passed: bool, text: &str, args: &[A]) -> Res<()> {
    STATE.with_borrow_mut(|s| {
        let missing = s.missing.take();
        let mut stand_ins = std::mem::take(&mut s.stand_ins);
        let passed = passed && missing.is_none();
        let reasons = match s.open.as_mut() {
            Some(item) => {
                item.passed &= passed;
                &mut item.reasons
            }
            None => {
                s.failed |= !passed;
                s.failures += u32::from(!passed);
                &mut s.reasons
            }
        };
        if s.explain {
            reasons.push_with(passed, |out| {
                write_rendered(out, text, args, &mut stand_ins);
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
        let mut stand_ins = std::mem::take(&mut s.stand_ins);
        if s.explain {
            // After a failed firm-level condition the amount does not apply: never a tick.
            let applies = !s.failed;
            s.reasons.push_with(missing.is_none() && applies, |out| {
                if applies {
                    let shown = Shown {
                        missing: missing.as_deref(),
                        counted: true,
                        amount,
                    };
                    write_amount_reason(out, text, args, &mut stand_ins, shown);
                } else {
                    out.push_str(AMOUNT);
                    write_rendered(out, text, args, &mut stand_ins);
                    out.push_str(NOT_APPLYING);
                }
            });
        }
        match missing {
            Some(_) => {
                s.failed = true;
                s.failures += 1;
            }
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
        s.stand_ins.clear();
        if let Some(m) = s.missing.take() {
            s.failed = true;
            s.failures += 1;
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
        let mut stand_ins = std::mem::take(&mut s.stand_ins);
        item.passed &= missing.is_none();
        if item.passed {
            item.amount = amount;
        }
        if s.explain {
            let counted = item.passed;
            let applies = !s.failed;
            item.reasons.push_with(counted && applies, |out| {
                if applies {
                    let shown = Shown {
                        missing: missing.as_deref(),
                        counted,
                        amount,
                    };
                    write_amount_reason(out, text, args, &mut stand_ins, shown);
                } else {
                    out.push_str(AMOUNT);
                    write_rendered(out, text, args, &mut stand_ins);
                    out.push_str(NOT_APPLYING);
                }
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
    stand_ins: &mut StandIns,
    Shown {
        missing,
        counted,
        amount,
    }: Shown<'_>,
) {
    out.push_str(AMOUNT);
    write_rendered(out, text, args, stand_ins);
    match missing {
        Some(m) => {
            out.push_str(": ");
            out.push_str(m);
        }
        None if counted => write_amount(out, amount),
        None => out.push_str(NOT_COUNTED),
    }
}

/// How an amount's reason ends: the missing data, or whether the amount is counted.
struct Shown<'a> {
    missing: Option<&'a str>,
    counted: bool,
    amount: Decimal,
}

/// What a `grant`'s or `grant_item`'s reason starts with.
pub(crate) const AMOUNT: &str = "金额 ";

/// What an amount's reason ends with once a firm-level condition has failed: the amount is
/// not granted, and this line is not a condition of its own (see `Decision::failing`).
pub(crate) const NOT_APPLYING: &str = ": 企业条件未满足, 不适用";

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

    #[test]
    fn half_up_is_not_bankers_rounding() {
        assert_eq!(half_up(Decimal::new(30045, 3)), Decimal::new(3005, 2));
        assert_eq!(half_up(Decimal::new(-30045, 3)), Decimal::new(-3005, 2));
    }
}
