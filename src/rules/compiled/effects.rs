//! What `require`, `grant`, `item`/`grant_item` record on the compiled path: the same rules as
//! `state.rs`, but a reason is *captured* (its template and typed values) and formatted only
//! when the decision is rendered ([`Effects::render`]), so the texts are identical.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::value::Value;
use super::{Halt, HandOver};
use crate::rules::decision::{Item, Reasons};
use crate::rules::format::{Spec, write_date, write_decimal, write_int, write_money};
use crate::rules::state::{AMOUNT, NOT_COUNTED, State, half_up, show};
use crate::rules::template;
use crate::rules::view::FirmView;

/// How a captured reason is worded once rendered (the same formats as `state.rs`).
#[derive(Debug)]
enum Wording {
    /// `require`: the text, then `: <missing>` when data was missing.
    Condition(Option<String>),
    /// `grant`: `金额 <text> = <amount> 元`, or `金额 <text>: <missing>`.
    Grant(Option<String>, Decimal),
    /// `grant_item`: as `grant`, or `金额 <text>: 条件未满足, 不计` for a failed item.
    GrantItem(Option<String>, Decimal),
    /// `grant_item` of a failed item: `金额 <text>: 条件未满足, 不计`.
    NotCounted,
    /// Fixed text.
    Fixed(String),
}

/// One reason, not yet formatted: the rule's text and its values (a range of `Effects::args`).
#[derive(Debug)]
pub(crate) struct Captured<'a> {
    text: &'a str,
    args: (u32, u32),
    wording: Wording,
    passed: bool,
}

#[derive(Debug)]
pub(crate) struct CapturedItem<'a> {
    key: &'a str,
    date: NaiveDate,
    amount: Decimal,
    passed: bool,
    reasons: Vec<Captured<'a>>,
    /// Room for the item's reasons once rendered (see [`Effects::room`]).
    room: usize,
}

/// The per-evaluation record of the compiled path.
#[derive(Debug, Default)]
pub(crate) struct Effects<'a> {
    /// Capture reasons (`Explain::Full`).
    pub(crate) full: bool,
    /// Stop at the first failed firm-level condition (`Explain::DecisionOnly`).
    pub(crate) stop: bool,
    pub(crate) failed: bool,
    pub(crate) missing: Option<String>,
    reasons: Vec<Captured<'a>>,
    /// Room for the firm-level reasons once rendered: the buffer is allocated once.
    room: usize,
    args: Vec<Value<'a>>,
    amount: Option<Decimal>,
    items: Vec<CapturedItem<'a>>,
    open: Option<CapturedItem<'a>>,
}

fn to_decimal(v: &Value) -> Result<Decimal, Halt> {
    match v {
        Value::Int(i) => Ok(Decimal::from(*i)),
        Value::Dec(d) => Ok(*d),
        other => Err(HandOver::new(format!("金额应为数值, 实为 {}", other.type_name())).into()),
    }
}

impl<'a> Effects<'a> {
    pub(crate) fn new(full: bool, stop: bool) -> Self {
        // With explanations, room for a typical rule's reasons and values at once, instead of
        // growing each array a few times.
        let (reasons, args) = if full { (16, 32) } else { (0, 0) };
        Self {
            full,
            stop,
            reasons: Vec::with_capacity(reasons),
            args: Vec::with_capacity(args),
            ..Self::default()
        }
    }

    /// Missing data read: fails the next condition (the first such read names it).
    pub(crate) fn missing(&mut self, what: impl FnOnce() -> String) {
        if self.missing.is_none() {
            self.missing = Some(if self.full { what() } else { String::new() });
        }
    }

    fn decided(&self) -> Result<(), Halt> {
        if self.failed && self.stop {
            Err(Halt::Decided)
        } else {
            Ok(())
        }
    }

    /// The reason, and the room its text takes once rendered.
    fn capture(
        &mut self,
        text: &'a str,
        args: &[Value<'a>],
        wording: Wording,
        passed: bool,
    ) -> (Captured<'a>, usize) {
        let start = self.args.len() as u32;
        self.args.extend_from_slice(args);
        let bytes = text.len() + args.iter().map(room).sum::<usize>() + wording.room();
        let reason = Captured {
            text,
            args: (start, self.args.len() as u32),
            wording,
            passed,
        };
        (reason, bytes)
    }

    pub(crate) fn require(
        &mut self,
        passed: bool,
        text: &'a str,
        args: &[Value<'a>],
    ) -> Result<(), Halt> {
        let missing = self.missing.take();
        let passed = passed && missing.is_none();
        let reason = self
            .full
            .then(|| self.capture(text, args, Wording::Condition(missing), passed));
        match self.open.as_mut() {
            Some(item) => {
                item.passed &= passed;
                if let Some((r, room)) = reason {
                    item.reasons.push(r);
                    item.room += room;
                }
            }
            None => {
                self.failed |= !passed;
                if let Some((r, room)) = reason {
                    self.reasons.push(r);
                    self.room += room;
                }
            }
        }
        self.decided()
    }

    pub(crate) fn grant(
        &mut self,
        amount: &Value,
        text: &'a str,
        args: &[Value<'a>],
    ) -> Result<(), Halt> {
        let amount = half_up(to_decimal(amount)?);
        if self.open.is_some() {
            return Err(HandOver::new("grant 不能在 item 内使用").into());
        }
        let missing = self.missing.take();
        if self.full {
            let passed = missing.is_none();
            let (r, room) =
                self.capture(text, args, Wording::Grant(missing.clone(), amount), passed);
            self.reasons.push(r);
            self.room += room;
        }
        match missing {
            Some(_) => self.failed = true,
            None => self.amount = Some(amount),
        }
        self.decided()
    }

    pub(crate) fn item(&mut self, key: &'a str, date: NaiveDate) -> Result<(), Halt> {
        if self.open.is_some() {
            return Err(HandOver::new("上一个 item 尚未以 grant_item 结束").into());
        }
        if let Some(m) = self.missing.take() {
            self.failed = true;
            if self.full {
                let (r, room) = self.capture(
                    "",
                    &[],
                    Wording::Fixed(format!("规则读取了缺失的数据: {m}")),
                    false,
                );
                self.reasons.push(r);
                self.room += room;
            }
            self.decided()?;
        }
        self.open = Some(CapturedItem {
            key,
            date,
            amount: Decimal::ZERO,
            passed: true,
            reasons: Vec::new(),
            room: 0,
        });
        Ok(())
    }

    pub(crate) fn grant_item(
        &mut self,
        amount: &Value,
        text: &'a str,
        args: &[Value<'a>],
    ) -> Result<(), Halt> {
        let amount = half_up(to_decimal(amount)?);
        let mut item = self
            .open
            .take()
            .ok_or_else(|| HandOver::new("grant_item 之前没有 item(...)"))?;
        let missing = self.missing.take();
        item.passed &= missing.is_none();
        if item.passed {
            item.amount = amount;
        }
        if self.full {
            let passed = item.passed;
            let wording = match missing {
                Some(m) => Wording::GrantItem(Some(m), amount),
                None if passed => Wording::GrantItem(None, amount),
                None => Wording::NotCounted,
            };
            let (r, room) = self.capture(text, args, wording, passed);
            item.reasons.push(r);
            item.room += room;
        }
        self.items.push(item);
        Ok(())
    }

    pub(crate) fn counted_items(&self) -> i64 {
        self.items.iter().filter(|i| i.passed).count() as i64
    }

    /// The record as the rhai path leaves it, every captured reason formatted.
    pub(crate) fn render(self, firm: &FirmView) -> State {
        if !self.full {
            return self.outcome();
        }
        let args = self.args.as_slice();
        let reasons = |captured: &[Captured], room: usize| {
            let mut reasons = Reasons::with_capacity(room, captured.len());
            for c in captured {
                let (a, b) = (c.args.0 as usize, c.args.1 as usize);
                let values = args.get(a..b).unwrap_or_default();
                reasons.push_with(c.passed, |out| write_reason(out, c, values, firm));
            }
            reasons
        };
        let item = |i: &CapturedItem| Item {
            key: i.key.to_owned(),
            date: i.date,
            amount: i.amount,
            passed: i.passed,
            reasons: reasons(&i.reasons, i.room),
        };
        State {
            explain: self.full,
            stop_when_decided: self.stop,
            failed: self.failed,
            reasons: reasons(&self.reasons, self.room),
            amount: self.amount,
            items: self.items.iter().map(item).collect(),
            open: self.open.as_ref().map(item),
            missing: self.missing,
            firm: None,
        }
    }

    /// The record without explanations (no reason was captured): the outcome and the items.
    fn outcome(self) -> State {
        let item = |i: CapturedItem| Item {
            key: i.key.to_owned(),
            date: i.date,
            amount: i.amount,
            passed: i.passed,
            reasons: Reasons::new(),
        };
        State {
            explain: false,
            stop_when_decided: self.stop,
            failed: self.failed,
            reasons: Reasons::new(),
            amount: self.amount,
            items: self.items.into_iter().map(item).collect(),
            open: self.open.map(item),
            missing: self.missing,
            firm: None,
        }
    }
}

/// One captured reason's text, exactly as `state.rs` words it, appended to `out`.
#[inline]
fn write_reason(out: &mut String, c: &Captured, values: &[Value], firm: &FirmView) {
    let template = |out: &mut String| {
        let mut values = values.iter();
        template::render(out, c.text, |out, spec| {
            values
                .next()
                .map(|v| write_value(out, v, spec, firm))
                .is_some()
        });
    };
    match &c.wording {
        Wording::Condition(m) => {
            template(out);
            if let Some(m) = m {
                out.push_str(": ");
                out.push_str(m);
            }
        }
        Wording::Grant(Some(m), _) | Wording::GrantItem(Some(m), _) => {
            out.push_str(AMOUNT);
            template(out);
            out.push_str(": ");
            out.push_str(m);
        }
        Wording::Grant(None, amount) | Wording::GrantItem(None, amount) => {
            out.push_str(AMOUNT);
            template(out);
            out.push_str(" = ");
            write_money(out, *amount);
            out.push_str(" 元");
        }
        Wording::NotCounted => {
            out.push_str(AMOUNT);
            template(out);
            out.push_str(NOT_COUNTED);
        }
        Wording::Fixed(f) => out.push_str(f),
    }
}

impl Wording {
    /// Room for what the wording adds to the rule's text (see [`ROOM`]).
    fn room(&self) -> usize {
        match self {
            Self::Condition(m) => m.as_ref().map_or(0, |m| 2 + m.len()),
            Self::Grant(Some(m), _) | Self::GrantItem(Some(m), _) => AMOUNT.len() + 2 + m.len(),
            Self::Grant(None, _) | Self::GrantItem(None, _) => AMOUNT.len() + 3 + ROOM + 4,
            Self::NotCounted => AMOUNT.len() + NOT_COUNTED.len(),
            Self::Fixed(f) => f.len(),
        }
    }
}

/// Room for a number in a reason: most fit, a longer one grows the text.
const ROOM: usize = 16;

/// Room for one value in a reason (see [`ROOM`]).
#[inline]
fn room(v: &Value) -> usize {
    match v {
        Value::Str(s) => s.len(),
        Value::Date(_) => 10,
        _ => ROOM,
    }
}

/// One value in a reason, exactly as `state::show` shows the same value held by rhai.
#[inline]
fn write_value(out: &mut String, v: &Value, spec: Spec, firm: &FirmView) {
    match v {
        Value::Str(s) => out.push_str(s),
        Value::Dec(d) => write_decimal(out, *d, spec),
        Value::Int(i) => write_int(out, *i),
        Value::Date(d) => write_date(out, *d),
        Value::Bool(b) => out.push_str(if *b { "是" } else { "否" }),
        Value::Unit => out.push_str("(无)"),
        other => out.push_str(&show(&other.to_dynamic(firm), spec)),
    }
}
