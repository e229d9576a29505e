//! Enqueueing many grant notices in one transaction with a handful of statements: the firms'
//! names and channels read once, every notice rendered, then notices and deliveries inserted
//! many rows at a time. Same rows and the same idempotency per (grant, kind) as
//! [`super::enqueue_grant_notice`].

use std::collections::HashMap;

use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use super::GrantNotice;
use super::render::render;

/// A firm's name and channels besides the inbox.
struct Recipient {
    name: Option<String>,
    webhook_url: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

/// Renders and writes the notices with one delivery per channel of each firm, in the
/// caller's transaction. A (grant, kind) that already has a notice is skipped. Returns how
/// many notices were written.
pub async fn enqueue_grant_notices(
    tx: &mut PgConnection,
    notices: &[GrantNotice<'_>],
) -> sqlx::Result<u64> {
    if notices.is_empty() {
        return Ok(0);
    }
    let usccs: Vec<&str> = notices.iter().map(|n| n.uscc).collect();
    let recipients: HashMap<String, Recipient> = sqlx::query!(
        r#"SELECT u.uscc AS "uscc!", f.name AS "name?", c.webhook_url AS "webhook_url?",
                  c.email AS "email?", c.phone AS "phone?"
           FROM (SELECT DISTINCT uscc FROM UNNEST($1::text[]) AS u(uscc)) u
           LEFT JOIN firms f ON f.uscc = u.uscc
           LEFT JOIN firm_channels c ON c.uscc = u.uscc"#,
        &usccs as &[&str]
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| {
        let recipient = Recipient {
            name: r.name,
            webhook_url: r.webhook_url,
            email: r.email,
            phone: r.phone,
        };
        (r.uscc, recipient)
    })
    .collect();

    let mut columns = NoticeColumns::default();
    for n in notices {
        let name = recipients
            .get(n.uscc)
            .and_then(|r| r.name.as_deref())
            .unwrap_or(n.uscc);
        let rendered = render(n, name);
        columns.push(n, rendered.title, rendered.body);
    }
    let created = sqlx::query!(
        r#"INSERT INTO notices (grant_id, uscc, policy_id, kind, title, body, amount, link)
           SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
                                $6::text[], $7::numeric[], $8::text[])
           ON CONFLICT ON CONSTRAINT notices_grant_kind_key DO NOTHING
           RETURNING id, uscc"#,
        &columns.grant_ids,
        &columns.usccs as &[&str],
        &columns.policy_ids as &[&str],
        &columns.kinds as &[&str],
        &columns.titles,
        &columns.bodies,
        &columns.amounts,
        &columns.links
    )
    .fetch_all(&mut *tx)
    .await?;

    let (mut ids, mut channels, mut targets, mut keys) = (vec![], vec![], vec![], vec![]);
    for row in &created {
        let mut add = |channel: &'static str, target: &str| {
            ids.push(row.id);
            channels.push(channel);
            targets.push(target.to_owned());
            keys.push(Uuid::new_v4());
        };
        add("inbox", &row.uscc);
        if let Some(r) = recipients.get(&row.uscc) {
            let optional = [
                ("webhook", &r.webhook_url),
                ("email", &r.email),
                ("sms", &r.phone),
            ];
            for (channel, target) in optional {
                if let Some(target) = target {
                    add(channel, target);
                }
            }
        }
    }
    sqlx::query!(
        r#"INSERT INTO notice_deliveries (notice_id, channel, target, idempotency_key)
           SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::uuid[])"#,
        &ids,
        &channels as &[&str],
        &targets,
        &keys
    )
    .execute(&mut *tx)
    .await?;
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
    }
}
