//! The file source adapter: a drop folder of `.jsonl` and `.csv` files, taken once each in
//! name order. Progress is kept per file in `source_files` (lines stored, done), written in
//! the same transaction as the records, so a crash resumes at the first unstored line.
//!
//! CSV: the first line names the columns (top-level profile fields); an empty cell is an
//! absent field, `true`/`false` are booleans, a cell starting with `[` or `{` is JSON (for
//! `annual`, `certifications`, `hires`), anything else is a string.

use std::fs::File;
use std::io::{BufRead, BufReader, Lines};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Map, Value};

/// One line of a file: its raw text and its JSON value (or why it has none).
#[derive(Debug)]
pub struct Line {
    /// The text as read.
    pub raw: String,
    /// The record, or the JSON error.
    pub value: Result<Value, serde_json::Error>,
}

/// The files of a folder still to take, given those already done.
pub fn pending_files(dir: &Path, done: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let wanted = name.ends_with(".jsonl") || name.ends_with(".csv");
        if wanted && !done.iter().any(|d| d == name) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// An open file, positioned after its stored lines.
pub struct FileReader {
    lines: Lines<BufReader<File>>,
    header: Option<Vec<String>>,
    /// Data lines consumed so far (the CSV header not counted).
    pub lines_done: i64,
}

impl FileReader {
    /// Opens `path` and skips the first `lines_done` data lines.
    pub fn open(path: &Path, lines_done: i64) -> anyhow::Result<Self> {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut lines = BufReader::new(file).lines();
        let header = if path.extension().is_some_and(|e| e == "csv") {
            let first = lines.next().transpose()?.unwrap_or_default();
            Some(split_csv(&first))
        } else {
            None
        };
        for _ in 0..lines_done {
            if lines.next().transpose()?.is_none() {
                break;
            }
        }
        Ok(Self {
            lines,
            header,
            lines_done,
        })
    }

    /// Up to `limit` more lines; fewer means the file is finished. Blank lines are skipped
    /// but counted.
    pub fn next_lines(&mut self, limit: usize) -> anyhow::Result<Vec<Line>> {
        let mut out = Vec::new();
        while out.len() < limit {
            let Some(raw) = self.lines.next().transpose()? else {
                break;
            };
            self.lines_done += 1;
            if raw.trim().is_empty() {
                continue;
            }
            let value = match &self.header {
                None => serde_json::from_str(&raw),
                Some(header) => Ok(csv_record(header, &raw)),
            };
            out.push(Line { raw, value });
        }
        Ok(out)
    }
}

fn csv_record(header: &[String], raw: &str) -> Value {
    let mut obj = Map::new();
    for (key, cell) in header.iter().zip(split_csv(raw)) {
        let value = match cell.as_str() {
            "" => continue,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            s if s.starts_with('[') || s.starts_with('{') => {
                serde_json::from_str(s).unwrap_or(Value::String(cell.clone()))
            }
            _ => Value::String(cell.clone()),
        };
        obj.insert(key.clone(), value);
    }
    Value::Object(obj)
}

/// Splits one CSV line (RFC 4180 quoting, no line breaks inside fields).
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let cell = cells
            .last_mut()
            .unwrap_or_else(|| unreachable!("never empty"));
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            _ => cell.push(c),
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_become_typed_fields() {
        let header = split_csv("uscc,name,abnormal_operation,annual");
        let rec = csv_record(
            &header,
            r#"91350200776049653A,"甲, 乙公司",false,"[{""year"":2025}]""#,
        );
        assert_eq!(
            rec,
            serde_json::json!({"uscc": "91350200776049653A", "name": "甲, 乙公司",
                "abnormal_operation": false, "annual": [{"year": 2025}]})
        );
    }
}
