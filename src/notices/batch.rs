//! Enqueueing many grant notices in one transaction with a handful of statements: the firms'
//! names and the policies' public-notice days read once, every notice rendered, then notices
//! and their deliveries inserted many rows at a time, idempotent per (grant, kind, occasion). The one
//! way grant and reminder notices are written ([`super::enqueue_grant_notice`] is a batch of one).

use std::collections::HashMap;

use rust_decimal::Decimal;
use sqlx::PgConnection;

use super::render::{Context, render};
use super::{GrantNotice, repo};

/// Renders and writes the notices with one delivery per channel of each firm, in the
/// caller's transaction. A (grant, kind, occasion) that already has a notice is skipped. Returns how
/// many notices were written.
pub async fn enqueue_grant_notices(
    tx: &mut PgConnection,
    notices: &[GrantNotice<'_>],
) -> sqlx::Result<u64> {
    if notices.is_empty() {
        return Ok(0);
    }
    let usccs: Vec<&str> = notices.iter().map(|n| n.uscc).collect();
    let names: HashMap<String, String> = sqlx::query!(
        "SELECT uscc, name FROM firms WHERE uscc = ANY($1)",
        &usccs as &[&str]
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.uscc, r.name))
    .collect();
    // The days come from the version each grant was made under (notices reference grants).
    let grant_ids: Vec<i64> = notices.iter().map(|n| n.grant_id).collect();
    let days: HashMap<i64, i32> = sqlx::query!(
        r#"SELECT g.id, (v.meta->>'notice_days')::int AS "days!" FROM grants g
           JOIN policy_versions v ON v.id = g.policy_version_id WHERE g.id = ANY($1)"#,
        &grant_ids
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.id, r.days))
    .collect();

    let mut columns = NoticeColumns::default();
    for n in notices {
        let notice_days = days.get(&n.grant_id).ok_or(sqlx::Error::RowNotFound)?;
        let context = Context {
            name: names.get(n.uscc).map_or(n.uscc, String::as_str),
            notice_days: u32::try_from(*notice_days).unwrap_or_default(),
        };
        let rendered = render(n, &context);
        columns.push(n, rendered.title, rendered.body);
    }
    let created: Vec<i64> = sqlx::query_scalar!(
        r#"INSERT INTO notices (grant_id, uscc, policy_id, kind, title, body, amount, link, occasion)
           SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
                                $6::text[], $7::numeric[], $8::text[], $9::text[])
           ON CONFLICT ON CONSTRAINT notices_grant_kind_key DO NOTHING
           RETURNING id"#,
        &columns.grant_ids,
        &columns.usccs as &[&str],
        &columns.policy_ids as &[&str],
        &columns.kinds as &[&str],
        &columns.titles,
        &columns.bodies,
        &columns.amounts,
        &columns.links,
        &columns.occasions as &[&str]
    )
    .fetch_all(&mut *tx)
    .await?;
    repo::insert_deliveries(&mut *tx, &created).await?;
    Ok(created.len() as u64)
}

/// The notices' columns, one vector each, for `UNNEST`.
#[derive(Default)]
struct NoticeColumns<'a> {
    grant_ids: Vec<i64>,
    usccs: Vec<&'a str>,
    policy_ids: Vec<&'a str>,
    kinds: Vec<&'static str>,
    titles: Vec<String>,
    bodies: Vec<String>,
    amounts: Vec<Decimal>,
    links: Vec<String>,
    occasions: Vec<&'a str>,
}

impl<'a> NoticeColumns<'a> {
    fn push(&mut self, n: &GrantNotice<'a>, title: String, body: String) {
        self.grant_ids.push(n.grant_id);
        self.usccs.push(n.uscc);
        self.policy_ids.push(n.policy_id);
        self.kinds.push(n.kind.as_str());
        self.titles.push(title);
        self.bodies.push(body);
        self.amounts.push(n.amount);
        self.links.push(n.link.clone());
        self.occasions.push(n.occasion());
    }
}
