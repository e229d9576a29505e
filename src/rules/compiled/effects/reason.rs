//! Writing one reason on the compiled path, as it is met: the rule's text (split when the rule
//! was compiled, see `rules::template`) with its values, worded as `state.rs` words it.

use rust_decimal::Decimal;

use crate::rules::compiled::ir::Const;
use crate::rules::compiled::value::Value;
use crate::rules::decision::Reasons;
use crate::rules::format::{Spec, write_date, write_decimal, write_int, write_money};
use crate::rules::state::{AMOUNT, NOT_COUNTED};
use crate::rules::template;

/// A record among a reason's values (the profile, a year, a certificate, a hire): rhai shows it
/// by its own rendering of the value, which needs the firm, so it is written into the reason
/// when the decision is rendered (`Effects::render`).
#[derive(Debug)]
pub(super) struct Deferred<'a> {
    /// Whose reasons hold it: an item's (its place in `Effects::items`; `items.len()`: the
    /// open one) or, `None`, the decision's.
    pub(super) item: Option<usize>,
    /// The reason's place in those reasons.
    pub(super) reason: usize,
    /// Where the value goes in their text.
    pub(super) at: usize,
    pub(super) value: Value<'a>,
    pub(super) spec: Spec,
}

/// How a reason ends after the rule's text: the wording of `state.rs`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ending<'m> {
    Nothing,
    /// `: <missing>`: the condition read missing data.
    Missing(&'m str),
    /// ` = <amount> 元`: a granted amount.
    Amount(Decimal),
    /// `: 条件未满足, 不计`: a failed item.
    NotCounted,
}

/// Where a reason goes: the reasons it joins, and the evaluation's list of records to show.
pub(super) struct Target<'t, 'a> {
    pub(super) reasons: &'t mut Reasons,
    /// Whose reasons (see [`Deferred::item`]).
    pub(super) item: Option<usize>,
    pub(super) deferred: &'t mut Vec<Deferred<'a>>,
}

/// What a reason explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Subject {
    /// A condition (`require`).
    Condition,
    /// An amount (`grant`, `grant_item`): the text starts with `金额 `.
    Amount,
}

/// One reason: the rule's text with its values, worded for its `subject`, then `ending`.
#[inline]
pub(super) fn write_reason<'a>(
    to: Target<'_, 'a>,
    passed: bool,
    subject: Subject,
    text: &str,
    values: &[Value<'a>],
    ending: Ending,
) {
    let reason = to.reasons.len();
    let (item, deferred) = (to.item, to.deferred);
    to.reasons.push_with(passed, |out| {
        if subject == Subject::Amount {
            out.push_str(AMOUNT);
        }
        template::render(out, text, |out, k, spec| match values.get(k) {
            Some(v) => {
                if !write_value(out, v, spec) {
                    let (value, at) = (*v, out.len());
                    deferred.push(Deferred {
                        item,
                        reason,
                        at,
                        value,
                        spec,
                    });
                }
                true
            }
            None => false,
        });
        match ending {
            Ending::Nothing => {}
            Ending::Missing(m) => {
                out.push_str(": ");
                out.push_str(m);
            }
            Ending::Amount(amount) => {
                out.push_str(" = ");
                write_money(out, amount);
                out.push_str(" 元");
            }
            Ending::NotCounted => out.push_str(NOT_COUNTED),
        }
    });
}

/// A constant among a reason's values, written into its text when the rule is compiled: as it
/// would be when the reason is met.
pub(crate) fn write_constant(out: &mut String, c: &Const, spec: Spec) -> bool {
    write_value(out, &Value::of(c), spec)
}

/// One value in a reason, exactly as `state::show` shows the same value held by rhai; `false`
/// for a record, which is written later (see [`Deferred`]).
#[inline]
fn write_value(out: &mut String, v: &Value, spec: Spec) -> bool {
    match v {
        Value::Str(s) => out.push_str(s),
        Value::Dec(d) => write_decimal(out, *d, spec),
        Value::Int(i) => write_int(out, *i),
        Value::Date(d) => write_date(out, *d),
        Value::Bool(b) => out.push_str(if *b { "是" } else { "否" }),
        Value::Unit => out.push_str("(无)"),
        Value::Array(_) | Value::Firm | Value::Year(..) | Value::Cert(_) | Value::Hire(_) => {
            return false;
        }
    }
    true
}
