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

/// A value during one evaluation; strings and records borrow from the rule or the firm.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    Unit,
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Str(&'a str),
    Date(NaiveDate),
    Array(Vec<Value<'a>>),
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
    pub(crate) fn to_dynamic(&self, firm: &FirmView) -> Dynamic {
        match self {
            Self::Unit => Dynamic::UNIT,
            Self::Bool(b) => Dynamic::from_bool(*b),
            Self::Int(i) => Dynamic::from_int(*i),
            Self::Dec(d) => Dynamic::from_decimal(*d),
            Self::Str(s) => Dynamic::from(rhai::ImmutableString::from(*s)),
            Self::Date(d) => Dynamic::from(Day(*d)),
            Self::Array(a) => Dynamic::from_array(a.iter().map(|v| v.to_dynamic(firm)).collect()),
            Self::Firm => Dynamic::from(firm.clone()),
            Self::Year(y, rec) => Dynamic::from(YearView::new(*y, rec.cloned())),
            Self::Cert(c) => Dynamic::from((*c).clone()),
            Self::Hire(h) => Dynamic::from((*h).clone()),
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
