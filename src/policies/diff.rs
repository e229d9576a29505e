//! A line diff between two versions of a policy: each of the folder's files compared with
//! the `similar` crate, so an author or reviewer sees exactly what a new version changes.

use std::collections::BTreeSet;

use similar::{ChangeTag, TextDiff};

use super::repo::PolicyVersion;
use super::service::files_of;

/// One line of a file's diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// `' '` unchanged, `'-'` only in the old version, `'+'` only in the new one.
    pub tag: char,
    /// The line's number in the old and in the new file.
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
    pub text: String,
}

/// The diff of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub name: String,
    /// Lines added and removed.
    pub added: usize,
    pub removed: usize,
    pub lines: Vec<DiffLine>,
}

/// Every file of `old` and `new` (those in either), compared line by line.
pub fn diff_versions(old: &PolicyVersion, new: &PolicyVersion) -> Vec<FileDiff> {
    let (before, after) = (files_of(old), files_of(new));
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .map(|name| {
            let a = before.get(name).map_or("", String::as_str);
            let b = after.get(name).map_or("", String::as_str);
            diff_file(name, a, b)
        })
        .collect()
}

fn diff_file(name: &str, old: &str, new: &str) -> FileDiff {
    let diff = TextDiff::from_lines(old, new);
    let mut out = FileDiff {
        name: name.to_owned(),
        added: 0,
        removed: 0,
        lines: Vec::new(),
    };
    for change in diff.iter_all_changes() {
        let tag = match change.tag() {
            ChangeTag::Equal => ' ',
            ChangeTag::Delete => {
                out.removed += 1;
                '-'
            }
            ChangeTag::Insert => {
                out.added += 1;
                '+'
            }
        };
        out.lines.push(DiffLine {
            tag,
            old_line: change.old_index().map(|i| i + 1),
            new_line: change.new_index().map(|i| i + 1),
            text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_is_one_removal_and_one_addition_with_their_numbers() {
        let d = diff_file("rule.rhai", "a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!((d.added, d.removed), (2, 1));
        let changed: Vec<(char, Option<usize>, Option<usize>, &str)> = d
            .lines
            .iter()
            .filter(|l| l.tag != ' ')
            .map(|l| (l.tag, l.old_line, l.new_line, l.text.as_str()))
            .collect();
        assert_eq!(
            changed,
            vec![
                ('-', Some(2), None, "b"),
                ('+', None, Some(2), "B"),
                ('+', None, Some(4), "d"),
            ]
        );
    }

    #[test]
    fn identical_files_have_no_changes() {
        let d = diff_file("cases.toml", "x\n", "x\n");
        assert_eq!((d.added, d.removed), (0, 0));
        assert!(d.lines.iter().all(|l| l.tag == ' '));
    }
}
