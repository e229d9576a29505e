//! The reconciliation benchmark: a synthetic statement of N lines with a few defects of
//! every kind, parsed from CSV and matched against N expected instructions. `mianshen bench
//! reconcile` prints it; the disbursement benchmark may call [`run`] for its figure.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::protocol::SettledStatus;
use super::reconcile::{Expected, ExpectedStatus, reconcile_statement};
use super::statement::{self, StatementLine};
use crate::sandbox::rng::hash;

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Statement lines.
    pub lines: usize,
    /// Time to parse the CSV.
    pub parse: Duration,
    /// Time to match the parsed lines against the expected instructions.
    pub reconcile: Duration,
    /// Instructions agreed.
    pub agreed: usize,
    /// Exceptions flagged.
    pub exceptions: usize,
}

impl Figures {
    /// Lines per second of parsing and matching together.
    pub fn lines_per_second(&self) -> u64 {
        per_second(self.lines, self.parse + self.reconcile)
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "reconcile: {} statement lines, {} agreed, {} exceptions; parse {:.1?} ({} lines/s), \
             match {:.1?} ({} lines/s), together {} lines/s",
            self.lines,
            self.agreed,
            self.exceptions,
            self.parse,
            per_second(self.lines, self.parse),
            self.reconcile,
            per_second(self.lines, self.reconcile),
            self.lines_per_second()
        )
    }
}

fn per_second(n: usize, d: Duration) -> u64 {
    let nanos = d.as_nanos().max(1);
    u64::try_from(n as u128 * 1_000_000_000 / nanos).unwrap_or(u64::MAX)
}

/// Builds the data for `lines` instructions (one defect of each kind per thousand), then
/// times parsing and matching.
pub fn run(lines: usize) -> Figures {
    let date = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
    let (expected, statement_lines) = synthetic(date, lines);
    let csv = statement::write(&statement_lines);
    let started = Instant::now();
    let parsed = statement::parse(date, true, csv.as_bytes());
    let parse = started.elapsed();
    let parsed = parsed.unwrap_or_else(|_| unreachable!("the writer writes the header"));
    let started = Instant::now();
    let outcome = reconcile_statement(&parsed, &expected);
    let reconcile = started.elapsed();
    Figures {
        lines: parsed.lines.len() + parsed.problems.len(),
        parse,
        reconcile,
        agreed: outcome.agreed.len(),
        exceptions: outcome.exceptions.len(),
    }
}

/// `n` expected instructions and their statement lines, with every thousandth instruction
/// missing, duplicated, 0.01 off, or returned, and an unknown line per thousand.
fn synthetic(date: NaiveDate, n: usize) -> (Vec<Expected>, Vec<StatementLine>) {
    let mut expected = Vec::with_capacity(n);
    let mut lines = Vec::with_capacity(n + n / 500);
    for i in 0..n {
        let id = format!("PAY-{i:09}");
        let draw = hash(42, &[i as u64]);
        let amount = Decimal::new(i64::try_from(draw % 100_000_000).unwrap_or(1) + 1, 2);
        expected.push(Expected {
            instruction_id: id.clone(),
            amount,
            status: ExpectedStatus::Sent,
        });
        let mut line = StatementLine {
            line_no: 0,
            instruction_id: id,
            treasury_ref: format!("T{i:012}"),
            amount,
            status: SettledStatus::Paid,
            value_date: date,
            reason: None,
        };
        match i % 1000 {
            100 => continue,
            200 => lines.push(line.clone()),
            300 => line.amount += Decimal::new(1, 2),
            400 => {
                line.status = SettledStatus::Returned;
                line.reason = Some("账户名称与账号不符".to_owned());
            }
            500 => {
                let mut unknown = line.clone();
                unknown.instruction_id = format!("UNKNOWN-{i:09}");
                lines.push(unknown);
            }
            _ => {}
        }
        lines.push(line);
    }
    (expected, lines)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_synthetic_statement_has_its_defects_flagged() {
        let figures = super::run(2000);
        // Per thousand: 1 missing, 1 duplicated, 1 amount off, 1 returned, 1 unknown.
        assert_eq!(figures.exceptions, 10);
        assert_eq!(figures.agreed, 2000 - 8);
        assert_eq!(figures.lines, 2000 - 2 + 2 + 2);
    }
}
