//! The digest that links audit rows: SHA-256 of the previous row's hash followed by the
//! row's fields, each written as `<length>:<text>` (or `-` when NULL). This must agree
//! byte for byte with `audit_chain_link()` in `migrations/0001_foundation.sql` and with
//! `audit_link_hash()` in `migrations/0060_audit_append_by_page.sql`.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first row.
pub const GENESIS: [u8; 32] = [0; 32];

/// The fields of one row that its hash covers.
#[derive(Debug, Clone)]
pub struct RowContent<'a> {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When it happened (microsecond precision, as stored).
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub actor: &'a str,
    /// What.
    pub action: &'a str,
    /// The kind of record.
    pub entity_type: &'a str,
    /// The record's id.
    pub entity_id: &'a str,
    /// `before` as PostgreSQL renders jsonb to text.
    pub before: Option<&'a str>,
    /// `after` as PostgreSQL renders jsonb to text.
    pub after: Option<&'a str>,
}

fn push_field(buffer: &mut String, value: Option<&str>) {
    match value {
        None => buffer.push('-'),
        Some(text) => {
            buffer.push_str(&text.chars().count().to_string());
            buffer.push(':');
            buffer.push_str(text);
        }
    }
}

/// The hash a row must carry, given the previous row's hash.
pub fn link_hash(prev_hash: &[u8], row: &RowContent<'_>) -> [u8; 32] {
    let mut content = String::new();
    push_field(&mut content, Some(&row.seq.to_string()));
    let when = row.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    push_field(&mut content, Some(&when));
    push_field(&mut content, Some(row.actor));
    push_field(&mut content, Some(row.action));
    push_field(&mut content, Some(row.entity_type));
    push_field(&mut content, Some(row.entity_id));
    push_field(&mut content, row.before);
    push_field(&mut content, row.after);
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(content.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::{GENESIS, RowContent, link_hash};
    use chrono::{TimeZone, Utc};

    fn row(actor: &str) -> RowContent<'_> {
        RowContent {
            seq: 1,
            occurred_at: Utc
                .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
                .single()
                .expect("date"),
            actor,
            action: "user.create",
            entity_type: "user",
            entity_id: "1",
            before: None,
            after: Some(r#"{"a": 1}"#),
        }
    }

    #[test]
    fn any_change_of_content_or_link_changes_the_hash() {
        let base = link_hash(&GENESIS, &row("admin"));
        assert_ne!(base, link_hash(&GENESIS, &row("admim")));
        assert_ne!(base, link_hash(&[1; 32], &row("admin")));
        assert_eq!(base, link_hash(&GENESIS, &row("admin")));
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        let mut a = row("ab");
        a.action = "c";
        let mut b = row("a");
        b.action = "bc";
        assert_ne!(link_hash(&GENESIS, &a), link_hash(&GENESIS, &b));
    }
}
