//! The treasury's daily statement (对账单): CSV with a header row, one line per settled
//! instruction. Parsing keeps every line it can read and reports every other one with its
//! line number and reason; nothing is skipped silently.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::amount::{format_amount, parse_amount};
use super::protocol::{SettledStatus, is_valid_id};

/// The columns, in order, as the header row names them.
pub const COLUMNS: [&str; 6] = [
    "value_date",
    "instruction_id",
    "treasury_ref",
    "amount",
    "status",
    "reason",
];

/// One line of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// The line of the file it was read from (the header is line 1).
    pub line_no: u64,
    /// Our instruction id.
    pub instruction_id: String,
    /// The treasury's own serial number of the movement (流水号).
    pub treasury_ref: String,
    /// Yuan.
    pub amount: Decimal,
    /// Paid or returned.
    pub status: SettledStatus,
    /// The day the money moved.
    pub value_date: NaiveDate,
    /// Why it was returned (required for `returned`, empty for `paid`).
    pub reason: Option<String>,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// The line of the file (the header is line 1).
    pub line_no: u64,
    /// Why, in Chinese, naming the column.
    pub reason: String,
    /// The line's text as read (at most 200 characters).
    pub text: String,
}

/// One day's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The day it covers.
    pub date: NaiveDate,
    /// False while the day is not over at the treasury: more lines may come.
    pub complete: bool,
    /// The lines that were read, in file order.
    pub lines: Vec<StatementLine>,
    /// The lines that could not be read, in file order.
    pub problems: Vec<LineProblem>,
}

/// A statement that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// The header row is not [`COLUMNS`].
    #[error("the statement's header is {found:?}, expected {expected:?}", expected = COLUMNS.join(","))]
    Header {
        /// The header as found.
        found: String,
    },
}

/// Reads the statement of `date` from CSV bytes (a UTF-8 byte order mark is allowed).
pub fn parse(date: NaiveDate, complete: bool, csv: &[u8]) -> Result<Statement, StatementError> {
    let csv = csv.strip_prefix("\u{feff}".as_bytes()).unwrap_or(csv);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(csv);
    let header = reader
        .byte_headers()
        .map(|h| h.iter().map(String::from_utf8_lossy).collect::<Vec<_>>())
        .unwrap_or_default();
    if header != COLUMNS {
        return Err(StatementError::Header {
            found: header.join(","),
        });
    }
    let mut statement = Statement {
        date,
        complete,
        lines: Vec::new(),
        problems: Vec::new(),
    };
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line_no = record.position().map_or(0, csv::Position::line);
                match read_line(date, &record) {
                    Ok(mut line) => {
                        line.line_no = line_no;
                        statement.lines.push(line);
                    }
                    Err(reason) => statement.problems.push(LineProblem {
                        line_no,
                        reason,
                        text: text_of(&record),
                    }),
                }
            }
            Err(error) => {
                let line_no = error.position().map_or(0, csv::Position::line);
                statement.problems.push(LineProblem {
                    line_no,
                    reason: format!("CSV 格式错误: {error}"),
                    text: String::new(),
                });
                if error.position().is_none() {
                    break;
                }
            }
        }
    }
    Ok(statement)
}

fn text_of(record: &csv::ByteRecord) -> String {
    let fields: Vec<_> = record.iter().map(String::from_utf8_lossy).collect();
    fields.join(",").chars().take(200).collect()
}

/// One record into a line (its `line_no` is set by the caller), or the reason it is not one.
fn read_line(date: NaiveDate, record: &csv::ByteRecord) -> Result<StatementLine, String> {
    if record.len() != COLUMNS.len() {
        return Err(format!(
            "应有 {} 列, 实有 {} 列",
            COLUMNS.len(),
            record.len()
        ));
    }
    let field = |i: usize| {
        std::str::from_utf8(&record[i]).map_err(|_| format!("{} 列不是 UTF-8 文本", COLUMNS[i]))
    };
    let value_date = NaiveDate::parse_from_str(field(0)?, "%Y-%m-%d").map_err(|_| {
        format!(
            "value_date 列 \"{}\" 不是 YYYY-MM-DD 日期",
            field(0).unwrap_or("")
        )
    })?;
    if value_date != date {
        return Err(format!("value_date 列 {value_date} 不是对账单日期 {date}"));
    }
    let instruction_id = field(1)?;
    if !is_valid_id(instruction_id) {
        return Err(format!(
            "instruction_id 列 \"{instruction_id}\" 不是有效的指令号"
        ));
    }
    let treasury_ref = field(2)?;
    if treasury_ref.is_empty() {
        return Err("treasury_ref 列为空".to_owned());
    }
    let amount = parse_amount(field(3)?).map_err(|e| format!("amount 列: {e}"))?;
    let status = match field(4)? {
        "paid" => SettledStatus::Paid,
        "returned" => SettledStatus::Returned,
        other => return Err(format!("status 列 \"{other}\" 应为 paid 或 returned")),
    };
    let reason = Some(field(5)?.trim()).filter(|r| !r.is_empty());
    match (status, reason) {
        (SettledStatus::Returned, None) => return Err("退回的行缺少 reason".to_owned()),
        (SettledStatus::Paid, Some(_)) => return Err("已支付的行不应有 reason".to_owned()),
        _ => {}
    }
    Ok(StatementLine {
        line_no: 0,
        instruction_id: instruction_id.to_owned(),
        treasury_ref: treasury_ref.to_owned(),
        amount,
        status,
        value_date,
        reason: reason.map(str::to_owned),
    })
}

/// Writes lines as a statement file (the treasury side of [`parse`]).
pub fn write<'a>(lines: impl IntoIterator<Item = &'a StatementLine>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write_all = || -> csv::Result<()> {
        writer.write_record(COLUMNS)?;
        for line in lines {
            writer.write_record([
                line.value_date.to_string().as_str(),
                &line.instruction_id,
                &line.treasury_ref,
                &format_amount(line.amount),
                line.status.as_str(),
                line.reason.as_deref().unwrap_or(""),
            ])?;
        }
        Ok(())
    };
    // Writing to a Vec cannot fail.
    let _ = write_all();
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
#[path = "statement_tests.rs"]
mod tests;
