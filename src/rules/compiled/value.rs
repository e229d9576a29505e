//! Typed run-time values of the compiled path, and the operators on them with rhai's exact
//! semantics (checked integer and decimal arithmetic, mixed int/decimal as decimal). Every
//! combination rhai would refuse, or that the subset does not model, is a [`HandOver`].

use std::cmp::Ordering;

use chrono::NaiveDate;
use rhai::Dynamic;
use rust_decimal::Decimal;

use super::HandOver;
use super::ir::{Arith, Cmp, Const};
use crate::profiles::Annual;
use crate::rules::api::Day;
use crate::rules::view::{CertView, FirmView, HireView, YearView};

/// An array of one evaluation, by its place in the evaluation's [`Arrays`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArrayId(u32);

/// A value during one evaluation; strings and records borrow from the rule or the firm, arrays
/// live in the evaluation's [`Arrays`]. `Copy`: reading a variable or dropping a value costs
/// nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Unit,
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Str(&'a str),
    Date(NaiveDate),
    Array(ArrayId),
    Firm,
    Year(i64, Option<&'a Annual>),
    Cert(&'a CertView),
    Hire(&'a HireView),
}

impl<'a> Value<'a> {
    pub(crate) fn of(c: &'a Const) -> Self {
        match c {
            Const::Unit => Self::Unit,
            Const::Bool(b) => Self::Bool(*b),
            Const::Int(i) => Self::Int(*i),
            Const::Dec(d) => Self::Dec(*d),
            Const::Str(s) => Self::Str(s),
            Const::Date(d) => Self::Date(*d),
        }
    }

    /// rhai's name of the type, for hand-over messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Self::Unit => "()",
            Self::Bool(_) => "bool",
            Self::Int(_) => "i64",
            Self::Dec(_) => "decimal",
            Self::Str(_) => "string",
            Self::Date(_) => "Date",
            Self::Array(_) => "array",
            Self::Firm => "Profile",
            Self::Year(..) => "Annual",
            Self::Cert(_) => "Certification",
            Self::Hire(_) => "Hire",
        }
    }

    pub(crate) fn as_bool(&self, what: &'static str) -> Result<bool, HandOver> {
        match self {
            Self::Bool(b) => Ok(*b),
            other => Err(HandOver::new(format!(
                "{what} 需要布尔值, 实为 {}",
                other.type_name()
            ))),
        }
    }

    /// The same value as rhai holds it (for rendering types the subset does not format itself).
    pub(crate) fn to_dynamic(self, firm: &FirmView) -> Dynamic {
        match &self {
            Self::Unit => Dynamic::UNIT,
            Self::Bool(b) => Dynamic::from_bool(*b),
            Self::Int(i) => Dynamic::from_int(*i),
            Self::Dec(d) => Dynamic::from_decimal(*d),
            Self::Str(s) => Dynamic::from(rhai::ImmutableString::from(*s)),
            Self::Date(d) => Dynamic::from(Day(*d)),
            // Never shown: an array in a reason's values is handed over to rhai (`eval::call`).
            Self::Array(_) => Dynamic::UNIT,
            Self::Firm => Dynamic::from(firm.clone()),
            Self::Year(y, rec) => Dynamic::from(YearView::new(*y, rec.cloned())),
            Self::Cert(c) => Dynamic::from((*c).clone()),
            Self::Hire(h) => Dynamic::from((*h).clone()),
        }
    }
}

/// The arrays of one evaluation, with rhai's value semantics: an array read from a variable is
/// marked shared and copied on its next `push`; an unshared one grows in place.
#[derive(Debug, Default)]
pub(crate) struct Arrays<'a> {
    arrays: Vec<(Vec<Value<'a>>, bool)>,
    /// Elements held in all arrays, against `limit`.
    held: usize,
}

impl<'a> Arrays<'a> {
    pub(crate) fn add(
        &mut self,
        items: Vec<Value<'a>>,
        limit: usize,
    ) -> Result<Value<'a>, HandOver> {
        self.held += items.len();
        if self.held > limit {
            return Err(HandOver::new("数组占用超出上限"));
        }
        let id = u32::try_from(self.arrays.len()).map_err(|_| HandOver::new("数组过多"))?;
        self.arrays.push((items, false));
        Ok(Value::Array(ArrayId(id)))
    }

    pub(crate) fn get(&self, id: ArrayId) -> &[Value<'a>] {
        self.arrays
            .get(id.0 as usize)
            .map_or(&[], |(items, _)| items.as_slice())
    }

    /// An array's value was copied out of a variable: a later `push` must not change the copy.
    pub(crate) fn share(&mut self, id: ArrayId) {
        if let Some((_, shared)) = self.arrays.get_mut(id.0 as usize) {
            *shared = true;
        }
    }

    /// `push` onto the array `id` (of at most `max` elements): the array itself or, when shared,
    /// a new copy; returns the array to store back into the variable.
    pub(crate) fn push(
        &mut self,
        id: ArrayId,
        v: Value<'a>,
        max: usize,
        limit: usize,
    ) -> Result<Value<'a>, HandOver> {
        let full = || HandOver::new("push 超出数组大小上限");
        match self.arrays.get_mut(id.0 as usize) {
            Some((items, false)) if items.len() < max => {
                self.held += 1;
                if self.held > limit {
                    return Err(HandOver::new("数组占用超出上限"));
                }
                items.push(v);
                Ok(Value::Array(id))
            }
            Some((items, true)) if items.len() < max => {
                let mut copy = Vec::with_capacity(items.len() + 1);
                copy.extend_from_slice(items);
                copy.push(v);
                self.add(copy, limit)
            }
            _ => Err(full()),
        }
    }
}

fn mismatch(a: &Value, b: &Value) -> HandOver {
    let scalar = |v: &Value| {
        matches!(
            v,
            Value::Unit
                | Value::Bool(_)
                | Value::Int(_)
                | Value::Dec(_)
                | Value::Str(_)
                | Value::Date(_)
        )
    };
    let what = if scalar(a) && scalar(b) {
        "类型不匹配: 不能比较"
    } else {
        "比较不在子集内:"
    };
    HandOver::new(format!("{what} {} 与 {}", a.type_name(), b.type_name()))
}

/// `a op b` as rhai computes it with fast operators off: same-typed built-ins, int and decimal
/// mixed as decimal, dates by the registered operators, `()` against `()` (only `==` true).
pub(crate) fn compare(op: Cmp, a: &Value, b: &Value) -> Result<bool, HandOver> {
    let ord = match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Dec(x), Value::Dec(y)) => x.cmp(y),
        (Value::Int(x), Value::Dec(y)) => Decimal::from(*x).cmp(y),
        (Value::Dec(x), Value::Int(y)) => x.cmp(&Decimal::from(*y)),
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::Unit, Value::Unit) => return Ok(op == Cmp::Eq),
        _ => return Err(mismatch(a, b)),
    };
    Ok(match op {
        Cmp::Eq => ord == Ordering::Equal,
        Cmp::Ne => ord != Ordering::Equal,
        Cmp::Lt => ord == Ordering::Less,
        Cmp::Le => ord != Ordering::Greater,
        Cmp::Gt => ord == Ordering::Greater,
        Cmp::Ge => ord != Ordering::Less,
    })
}

/// `a op b` on integers (checked, as rhai) or decimals (checked; an int operand is widened).
pub(crate) fn arith<'a>(op: Arith, a: &Value, b: &Value) -> Result<Value<'a>, HandOver> {
    let overflow = || HandOver::new("算术溢出或除以零");
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let r = match op {
                Arith::Add => x.checked_add(*y),
                Arith::Sub => x.checked_sub(*y),
                Arith::Mul => x.checked_mul(*y),
                Arith::Div if *y == 0 => None,
                Arith::Div => x.checked_div(*y),
            };
            r.map(Value::Int).ok_or_else(overflow)
        }
        (Value::Int(_) | Value::Dec(_), Value::Int(_) | Value::Dec(_)) => {
            let (x, y) = (decimal(a), decimal(b));
            let r = match op {
                Arith::Add => x.checked_add(y),
                Arith::Sub => x.checked_sub(y),
                Arith::Mul => x.checked_mul(y),
                Arith::Div if y.is_zero() => None,
                Arith::Div => x.checked_div(y),
            };
            r.map(Value::Dec).ok_or_else(overflow)
        }
        _ => Err(HandOver::new(format!(
            "运算不在子集内: {} 与 {}",
            a.type_name(),
            b.type_name()
        ))),
    }
}

fn decimal(v: &Value) -> Decimal {
    match v {
        Value::Int(i) => Decimal::from(*i),
        Value::Dec(d) => *d,
        _ => Decimal::ZERO,
    }
}

/// `-x`: checked for integers, as rhai.
pub(crate) fn negate<'a>(v: &Value) -> Result<Value<'a>, HandOver> {
    match v {
        Value::Int(i) => i
            .checked_neg()
            .map(Value::Int)
            .ok_or_else(|| HandOver::new("取负溢出")),
        Value::Dec(d) => Ok(Value::Dec(-*d)),
        other => Err(HandOver::new(format!("不能取负: {}", other.type_name()))),
    }
}
