//! Reconciliation: a statement's lines against the instructions we expect on it, by
//! instruction id and amount to the fen. Pure: no I/O, no clock.
//!
//! An instruction is agreed only when it has exactly one line, of the same amount, paid,
//! and we believe it sent or paid. Everything else is an exception, one per fact: a
//! duplicated line whose amount also differs is two exceptions. Nothing is ever agreed by
//! elimination or approximation.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::Serialize;

use super::protocol::SettledStatus;
use super::statement::{Statement, StatementLine};
use crate::notices::render::format_amount;

/// What we believe about an instruction that should appear on the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpectedStatus {
    /// Sent; no answer yet.
    Sent,
    /// The treasury told us it was paid (callback or poll).
    Paid,
    /// The treasury told us it was returned.
    Returned,
}

/// One instruction we expect on the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Our instruction id.
    pub instruction_id: String,
    /// The amount we sent.
    pub amount: Decimal,
    /// What we believe happened to it.
    pub status: ExpectedStatus,
}

/// The kinds of mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// Expected but not on the statement.
    Missing,
    /// On the statement more than once (or expected more than once).
    Duplicated,
    /// A line's amount differs from ours, by any amount (0.01 included).
    AmountDiffers,
    /// The statement shows it returned.
    Returned,
    /// The statement shows it paid, but we recorded it returned.
    StatusDiffers,
    /// On the statement but not one of ours.
    Unknown,
    /// A line of the statement could not be read (see [`reconcile_statement`]).
    Unreadable,
}

impl ExceptionKind {
    /// The name stored and shown: `missing`, `duplicated`, `amount_differs`, …
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionKind::Missing => "missing",
            ExceptionKind::Duplicated => "duplicated",
            ExceptionKind::AmountDiffers => "amount_differs",
            ExceptionKind::Returned => "returned",
            ExceptionKind::StatusDiffers => "status_differs",
            ExceptionKind::Unknown => "unknown",
            ExceptionKind::Unreadable => "unreadable",
        }
    }
}

/// One mismatch for finance to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exception {
    /// What kind.
    pub kind: ExceptionKind,
    /// The instruction (empty for an unreadable line).
    pub instruction_id: String,
    /// Our amount, when we know the instruction.
    pub expected_amount: Option<Decimal>,
    /// The statement's amount, when a line shows one (the first differing line's).
    pub statement_amount: Option<Decimal>,
    /// The statement lines concerned (the header is line 1).
    pub line_nos: Vec<u64>,
    /// What is wrong, in Chinese, for finance staff.
    pub detail: String,
}

/// The result of a reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Instruction ids that agree to the fen, in the order they were expected.
    pub agreed: Vec<String>,
    /// Every mismatch: expected instructions in their order, then unknown lines in file
    /// order, then unreadable lines.
    pub exceptions: Vec<Exception>,
}

/// Reconciles `statement` lines against `expected` (see the module's rules).
pub fn reconcile(statement: &[StatementLine], expected: &[Expected]) -> Outcome {
    let mut lines_of: HashMap<&str, Vec<&StatementLine>> = HashMap::with_capacity(expected.len());
    for line in statement {
        lines_of
            .entry(line.instruction_id.as_str())
            .or_default()
            .push(line);
    }
    let mut times_expected: HashMap<&str, u32> = HashMap::with_capacity(expected.len());
    for e in expected {
        *times_expected.entry(e.instruction_id.as_str()).or_default() += 1;
    }
    let mut outcome = Outcome {
        agreed: Vec::with_capacity(expected.len()),
        exceptions: Vec::new(),
    };
    for e in expected {
        let before = outcome.exceptions.len();
        let lines = lines_of
            .get(e.instruction_id.as_str())
            .map_or(&[][..], Vec::as_slice);
        check(
            e,
            lines,
            times_expected[e.instruction_id.as_str()],
            &mut outcome.exceptions,
        );
        if outcome.exceptions.len() == before {
            outcome.agreed.push(e.instruction_id.clone());
        }
    }
    for line in statement {
        if !times_expected.contains_key(line.instruction_id.as_str()) {
            outcome.exceptions.push(Exception {
                kind: ExceptionKind::Unknown,
                instruction_id: line.instruction_id.clone(),
                expected_amount: None,
                statement_amount: Some(line.amount),
                line_nos: vec![line.line_no],
                detail: format!(
                    "对账单第 {} 行的指令 {} 不是我方发出的指令 (金额 {} 元, {})",
                    line.line_no,
                    line.instruction_id,
                    format_amount(line.amount),
                    status_text(line.status)
                ),
            });
        }
    }
    outcome
}

/// [`reconcile`] over a parsed statement, with one `Unreadable` exception per line that
/// could not be read.
pub fn reconcile_statement(statement: &Statement, expected: &[Expected]) -> Outcome {
    let mut outcome = reconcile(&statement.lines, expected);
    outcome
        .exceptions
        .extend(statement.problems.iter().map(|p| Exception {
            kind: ExceptionKind::Unreadable,
            instruction_id: String::new(),
            expected_amount: None,
            statement_amount: None,
            line_nos: vec![p.line_no],
            detail: format!("对账单第 {} 行无法读取: {}", p.line_no, p.reason),
        }));
    outcome
}

/// Every exception of one expected instruction, pushed onto `out`.
fn check(e: &Expected, lines: &[&StatementLine], times_expected: u32, out: &mut Vec<Exception>) {
    let id = &e.instruction_id;
    let ours = format_amount(e.amount);
    let exception = |kind, statement_amount, line_nos, detail| Exception {
        kind,
        instruction_id: id.clone(),
        expected_amount: Some(e.amount),
        statement_amount,
        line_nos,
        detail,
    };
    if times_expected > 1 {
        let detail = format!("我方待对账记录中指令 {id} 出现 {times_expected} 次");
        out.push(exception(
            ExceptionKind::Duplicated,
            None,
            Vec::new(),
            detail,
        ));
    }
    if lines.is_empty() {
        let detail = format!(
            "对账单中没有指令 {id} (我方金额 {ours} 元, 我方状态 {})",
            expected_text(e.status)
        );
        out.push(exception(ExceptionKind::Missing, None, Vec::new(), detail));
        return;
    }
    let all_lines: Vec<u64> = lines.iter().map(|l| l.line_no).collect();
    if lines.len() > 1 {
        let detail = format!(
            "指令 {id} 在对账单中出现 {} 次 (第 {} 行)",
            lines.len(),
            join(&all_lines)
        );
        let amount = Some(lines[0].amount);
        out.push(exception(
            ExceptionKind::Duplicated,
            amount,
            all_lines.clone(),
            detail,
        ));
    }
    let differing: Vec<&&StatementLine> = lines.iter().filter(|l| l.amount != e.amount).collect();
    if let Some(first) = differing.first() {
        let nos: Vec<u64> = differing.iter().map(|l| l.line_no).collect();
        let detail = format!(
            "指令 {id} 对账单金额 {} 元, 我方金额 {ours} 元, 相差 {} 元 (第 {} 行)",
            format_amount(first.amount),
            format_amount(first.amount - e.amount),
            join(&nos)
        );
        out.push(exception(
            ExceptionKind::AmountDiffers,
            Some(first.amount),
            nos,
            detail,
        ));
    }
    let returned: Vec<&&StatementLine> = lines
        .iter()
        .filter(|l| l.status == SettledStatus::Returned)
        .collect();
    if let Some(first) = returned.first() {
        let nos: Vec<u64> = returned.iter().map(|l| l.line_no).collect();
        let known = match e.status {
            ExpectedStatus::Returned => "我方已知退回",
            ExpectedStatus::Paid => "我方记录为已支付",
            ExpectedStatus::Sent => "我方尚未收到结果",
        };
        let detail = format!(
            "指令 {id} 被退回: {} ({known}; 金额 {} 元, 第 {} 行)",
            first.reason.as_deref().unwrap_or("未说明原因"),
            format_amount(first.amount),
            join(&nos)
        );
        out.push(exception(
            ExceptionKind::Returned,
            Some(first.amount),
            nos,
            detail,
        ));
    } else if e.status == ExpectedStatus::Returned {
        let detail = format!(
            "指令 {id} 对账单显示已支付, 我方记录为已退回 (第 {} 行)",
            join(&all_lines)
        );
        let amount = Some(lines[0].amount);
        out.push(exception(
            ExceptionKind::StatusDiffers,
            amount,
            all_lines,
            detail,
        ));
    }
}

fn join(line_nos: &[u64]) -> String {
    let texts: Vec<String> = line_nos.iter().map(u64::to_string).collect();
    texts.join("、")
}

fn status_text(status: SettledStatus) -> &'static str {
    match status {
        SettledStatus::Paid => "已支付",
        SettledStatus::Returned => "已退回",
    }
}

fn expected_text(status: ExpectedStatus) -> &'static str {
    match status {
        ExpectedStatus::Sent => "已发送",
        ExpectedStatus::Paid => "已支付",
        ExpectedStatus::Returned => "已退回",
    }
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
