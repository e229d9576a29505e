//! What `require`, `grant`, `item`/`grant_item` record on the compiled path: the same rules and
//! the same texts as `state.rs`. With explanations, each reason is written as it is met,
//! straight into the decision's (or its item's) text buffer: its text was split into pieces and
//! placeholders when the rule was compiled (`rules::template`), so writing it copies pieces and
//! formats values.

use chrono::NaiveDate;
use rust_decimal::Decimal;

mod reason;

use super::value::Value;
use super::{Halt, HandOver};
use crate::rules::decision::{Item, Reasons};
use crate::rules::engine::Recorded;
use crate::rules::state::{State, half_up, show};
use crate::rules::view::FirmView;
use reason::{Deferred, Ending, Subject, Target, write_reason};

pub(crate) use reason::write_constant;

/// An item (`item` … `grant_item`) and its reasons.
#[derive(Debug)]
pub(crate) struct CapturedItem<'a> {
    key: &'a str,
    date: NaiveDate,
    amount: Decimal,
    passed: bool,
    reasons: Reasons,
}

/// The per-evaluation record of the compiled path.
#[derive(Debug, Default)]
pub(crate) struct Effects<'a> {
    /// Write reasons (`Explain::Full`).
    pub(crate) full: bool,
    /// Stop at the first failed firm-level condition (`Explain::DecisionOnly`).
    pub(crate) stop: bool,
    pub(crate) failed: bool,
    pub(crate) missing: Option<String>,
    reasons: Reasons,
    amount: Option<Decimal>,
    items: Vec<CapturedItem<'a>>,
    open: Option<CapturedItem<'a>>,
    /// Records shown in reasons, written in when the decision is rendered (see [`Deferred`]).
    deferred: Vec<Deferred<'a>>,
}

/// Room for a decision's reasons (bytes of text, reasons), allocated once: the sample rules'
/// decisions take up to about 400 bytes and 7 reasons; a longer explanation grows the buffer.
const DECISION_TEXT: (usize, usize) = (512, 8);

/// Room for an item's reasons (see [`DECISION_TEXT`]): the sample rules' take up to about 230
/// bytes and 5 reasons.
const ITEM_TEXT: (usize, usize) = (256, 6);

fn to_decimal(v: &Value) -> Result<Decimal, Halt> {
    match v {
        Value::Int(i) => Ok(Decimal::from(*i)),
        Value::Dec(d) => Ok(*d),
        other => Err(HandOver::new(format!("金额应为数值, 实为 {}", other.type_name())).into()),
    }
}

impl<'a> Effects<'a> {
    pub(crate) fn new(full: bool, stop: bool) -> Self {
        let reasons = if full {
            Reasons::with_capacity(DECISION_TEXT.0, DECISION_TEXT.1)
        } else {
            Reasons::new()
        };
        Self {
            full,
            stop,
            reasons,
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

    pub(crate) fn require(
        &mut self,
        passed: bool,
        text: &'a str,
        args: &[Value<'a>],
    ) -> Result<(), Halt> {
        if !self.full && self.open.is_none() {
            // The decision path's firm-level condition: nothing to capture.
            let missing = self.missing.take().is_some();
            self.failed |= !passed || missing;
            return self.decided();
        }
        let missing = self.missing.take();
        let passed = passed && missing.is_none();
        match self.open.as_mut() {
            Some(item) => item.passed &= passed,
            None => self.failed |= !passed,
        }
        if self.full {
            let ending = missing.as_deref().map_or(Ending::Nothing, Ending::Missing);
            write_reason(
                self.target(),
                passed,
                Subject::Condition,
                text,
                args,
                ending,
            );
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
            let ending = missing
                .as_deref()
                .map_or(Ending::Amount(amount), Ending::Missing);
            let passed = missing.is_none();
            write_reason(self.target(), passed, Subject::Amount, text, args, ending);
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
                self.reasons.push_with(false, |out| {
                    out.push_str("规则读取了缺失的数据: ");
                    out.push_str(&m);
                });
            }
            self.decided()?;
        }
        let reasons = if self.full {
            Reasons::with_capacity(ITEM_TEXT.0, ITEM_TEXT.1)
        } else {
            Reasons::new()
        };
        self.open = Some(CapturedItem {
            key,
            date,
            amount: Decimal::ZERO,
            passed: true,
            reasons,
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
            let ending = match &missing {
                Some(m) => Ending::Missing(m),
                None if item.passed => Ending::Amount(amount),
                None => Ending::NotCounted,
            };
            let to = Target {
                reasons: &mut item.reasons,
                item: Some(self.items.len()),
                deferred: &mut self.deferred,
            };
            write_reason(to, item.passed, Subject::Amount, text, args, ending);
        }
        self.items.push(item);
        Ok(())
    }

    /// Where the next reason goes: the open item's reasons, or the decision's.
    fn target(&mut self) -> Target<'_, 'a> {
        let (reasons, item) = match self.open.as_mut() {
            Some(item) => (&mut item.reasons, Some(self.items.len())),
            None => (&mut self.reasons, None),
        };
        Target {
            reasons,
            item,
            deferred: &mut self.deferred,
        }
    }

    pub(crate) fn counted_items(&self) -> i64 {
        self.items.iter().filter(|i| i.passed).count() as i64
    }

    /// What the run recorded, for `settle`: with explanations, every reason written.
    pub(crate) fn finish(self, firm: &FirmView) -> Recorded {
        if self.full {
            self.render(firm).into()
        } else {
            self.outcome()
        }
    }

    /// The record as the rhai path leaves it: the reasons were written as they were met, but
    /// for the records they show (see [`Deferred`]).
    #[inline]
    pub(crate) fn render(mut self, firm: &FirmView) -> State {
        if !self.deferred.is_empty() {
            self.show_records(firm);
        }
        let item = |i: CapturedItem| Item {
            key: i.key.to_owned(),
            date: i.date,
            amount: i.amount,
            passed: i.passed,
            reasons: i.reasons,
        };
        State {
            explain: true,
            stop_when_decided: self.stop,
            failed: self.failed,
            reasons: self.reasons,
            amount: self.amount,
            items: self.items.into_iter().map(item).collect(),
            open: self.open.map(item),
            missing: self.missing,
            firm: None,
        }
    }

    /// Writes the records shown in reasons (see [`Deferred`]) into their reasons.
    #[cold]
    fn show_records(&mut self, firm: &FirmView) {
        // Last first: an insertion leaves the places of the earlier ones as they were.
        for d in std::mem::take(&mut self.deferred).into_iter().rev() {
            let reasons = match d.item {
                None => Some(&mut self.reasons),
                Some(i) => match self.items.get_mut(i) {
                    Some(item) => Some(&mut item.reasons),
                    None => self.open.as_mut().map(|item| &mut item.reasons),
                },
            };
            if let Some(reasons) = reasons {
                reasons.insert(d.reason, d.at, &show(&d.value.to_dynamic(firm), d.spec));
            }
        }
    }

    /// The record without explanations (no reason was captured): the outcome and the items.
    fn outcome(self) -> Recorded {
        let items = if self.items.is_empty() {
            Vec::new()
        } else {
            let item = |i: CapturedItem| Item {
                key: i.key.to_owned(),
                date: i.date,
                amount: i.amount,
                passed: i.passed,
                reasons: Reasons::new(),
            };
            self.items.into_iter().map(item).collect()
        };
        Recorded {
            failed: self.failed,
            missing: self.missing,
            amount: self.amount,
            unfinished_item: self.open.is_some(),
            reasons: Reasons::new(),
            items,
        }
    }
}
