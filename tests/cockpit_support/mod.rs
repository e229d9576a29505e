//! A seeded cockpit: 51 firms in five districts and five size classes (one unknown), grants
//! of two sample policies at every status of their road, grant and reminder notices with
//! deliveries in every state, payments settled after known delays, budgets, quarantined
//! records over two nights and two nightly runs. [`Seed`] keeps what was written, so a test
//! can compute every figure on its own and compare it with the service's.
#![allow(dead_code)]

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use mianshen::accounts::{self, NewUser, Role};
use mianshen::audit::Actor;
use rust_decimal::Decimal;
use sqlx::PgPool;

/// Every grant status, each reached by a path of allowed steps from `created`.
pub const STATUSES: [&str; 17] = [
    "created",
    "confirmed",
    "declined",
    "objected",
    "held",
    "rejected",
    "reviewed",
    "publicity",
    "disputed",
    "awaiting_account",
    "ready",
    "in_batch",
    "approved",
    "sent",
    "paid",
    "reconciled",
    "returned",
];
const REGIONS: [&str; 5] = ["370102", "370202", "370203", "370211", "370602"];
const SIZES: [Option<&str>; 5] = [
    Some("large"),
    Some("medium"),
    Some("small"),
    Some("micro"),
    None,
];
const FIRMS: usize = 51;

/// One grant as written.
#[derive(Debug, Clone)]
pub struct SeedGrant {
    pub id: i64,
    pub policy: String,
    pub uscc: String,
    pub region: &'static str,
    pub size: Option<&'static str>,
    pub status: &'static str,
    pub amount: Decimal,
    pub created_at: DateTime<Utc>,
    /// A grant notice was queued.
    pub notified: bool,
    /// Seconds from creation to the treasury's settlement, when paid.
    pub settled_after: Option<i64>,
}

/// One delivery as written, with its notice's policy, firm and time.
#[derive(Debug, Clone)]
pub struct SeedDelivery {
    pub policy: String,
    pub region: &'static str,
    pub notice_at: DateTime<Utc>,
    pub channel: &'static str,
    pub status: &'static str,
    pub attempts: i32,
}

/// What the seed wrote.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The two policies, in order.
    pub policies: Vec<String>,
    pub titles: HashMap<String, String>,
    pub budgets: HashMap<String, Decimal>,
    pub grants: Vec<SeedGrant>,
    pub deliveries: Vec<SeedDelivery>,
    /// (source, received_at) of each quarantined record.
    pub quarantine: Vec<(&'static str, DateTime<Utc>)>,
}

fn path_to(status: &str) -> Vec<&'static str> {
    const ROAD: [&str; 8] = [
        "reviewed",
        "publicity",
        "ready",
        "in_batch",
        "approved",
        "sent",
        "paid",
        "reconciled",
    ];
    let along = |last: &str| {
        let end = ROAD.iter().position(|s| *s == last).unwrap();
        ROAD[..=end].to_vec()
    };
    match status {
        "created" => vec![],
        "confirmed" | "declined" | "objected" | "held" | "rejected" => {
            vec![STATUSES[STATUSES.iter().position(|s| *s == status).unwrap()]]
        }
        "disputed" => vec!["reviewed", "publicity", "disputed"],
        "awaiting_account" => vec!["reviewed", "publicity", "awaiting_account"],
        "returned" => {
            let mut p = along("sent");
            p.push("returned");
            p
        }
        other => along(other),
    }
}

/// The firm of index `i`: a USCC that passes the table's format check.
pub fn uscc(i: usize) -> String {
    format!("91{}{:010}", REGIONS[i % REGIONS.len()], i)
}

/// Writes the seed with the owner's pool `owner` (the service's pool `app` loads the
/// sample policies and creates the finance maker of the payment batch).
pub async fn seed(owner: &PgPool, app: &PgPool) -> Seed {
    mianshen::policies::load_versions(app, std::path::Path::new("rules"), "seed-author")
        .await
        .unwrap();
    let versions: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (policy_id) policy_id, id, title FROM policy_versions
         ORDER BY policy_id, id DESC LIMIT 2",
    )
    .fetch_all(owner)
    .await
    .unwrap();
    let policies: Vec<String> = versions.iter().map(|v| v.0.clone()).collect();
    let titles = versions
        .iter()
        .map(|v| (v.0.clone(), v.2.clone()))
        .collect();
    let maker = NewUser::parse(
        "seed-maker",
        "经办",
        Role::FinanceMaker,
        None,
        "seed-password-123",
    )
    .unwrap();
    let maker = accounts::create_user_audited(app, &maker, Actor::System("test"))
        .await
        .unwrap();
    let batch: i64 = sqlx::query_scalar(
        "INSERT INTO payment_batches (policy_id, budget_year, grant_count, total, made_by)
         VALUES ($1, 2026, 1, 1, $2) RETURNING id",
    )
    .bind(&policies[0])
    .bind(maker.id)
    .fetch_one(owner)
    .await
    .unwrap();

    let base = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
    let mut grants = Vec::new();
    let mut deliveries = Vec::new();
    for i in 0..FIRMS {
        let (region, size) = (REGIONS[i % REGIONS.len()], SIZES[i % SIZES.len()]);
        sqlx::query(
            "INSERT INTO firms (uscc, name, region_code, size_class) VALUES ($1, $2, $3, $4)",
        )
        .bind(uscc(i))
        .bind(format!("演示企业{i:02}有限公司"))
        .bind(region)
        .bind(size)
        .execute(owner)
        .await
        .unwrap();
        // Six firms hold a second grant (another period) that is still new.
        let periods: &[&str] = if i < 6 { &["2026", "2027"] } else { &["2026"] };
        for (p, period) in periods.iter().enumerate() {
            let (version, policy) = (&versions[i % 2].1, &versions[i % 2].0);
            let status = if p == 0 {
                STATUSES[i % STATUSES.len()]
            } else {
                "created"
            };
            let amount = Decimal::new(100_000 + 1_234 * i64::try_from(i + p).unwrap(), 2);
            let created_at = base
                + Duration::days(i64::try_from(i % 10).unwrap())
                + Duration::hours(i64::try_from(i % 24).unwrap());
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, '确认即享', 0, 0, $6) RETURNING id",
            )
            .bind(policy)
            .bind(version)
            .bind(uscc(i))
            .bind(period)
            .bind(amount)
            .bind(created_at)
            .fetch_one(owner)
            .await
            .unwrap();
            for step in path_to(status) {
                sqlx::query("UPDATE grants SET status = $2 WHERE id = $1")
                    .bind(id)
                    .bind(step)
                    .execute(owner)
                    .await
                    .unwrap();
            }
            let notified = p == 0 && i % 4 != 3;
            let kinds: Vec<&str> = match (notified, i % 7 == 0) {
                (true, true) => vec!["grant", "reminder"],
                (true, false) => vec!["grant"],
                (false, true) => vec!["reminder"],
                (false, false) => vec![],
            };
            for kind in kinds {
                let notice_at = created_at + Duration::hours(1);
                let notice: i64 = sqlx::query_scalar(
                    "INSERT INTO notices (grant_id, uscc, policy_id, kind, title, body, amount, link, created_at)
                     VALUES ($1, $2, $3, $4, '通知', '正文', $5, '/grants/1', $6) RETURNING id",
                )
                .bind(id)
                .bind(uscc(i))
                .bind(policy)
                .bind(kind)
                .bind(amount)
                .bind(notice_at)
                .fetch_one(owner)
                .await
                .unwrap();
                let mut channels = vec![("inbox", "delivered", 1)];
                channels.push(match i % 3 {
                    0 => ("email", "pending", 0),
                    1 => ("email", "pending", 2),
                    _ => ("email", "dead", 5),
                });
                if i % 5 == 0 {
                    channels.push(("sms", "delivered", 1));
                }
                for (channel, status, attempts) in channels {
                    sqlx::query(
                        "INSERT INTO notice_deliveries (notice_id, channel, target, idempotency_key, status, attempts)
                         VALUES ($1, $2, 'x', gen_random_uuid(), $3, $4)",
                    )
                    .bind(notice)
                    .bind(channel)
                    .bind(status)
                    .bind(attempts)
                    .execute(owner)
                    .await
                    .unwrap();
                    deliveries.push(SeedDelivery {
                        policy: policy.clone(),
                        region,
                        notice_at,
                        channel,
                        status,
                        attempts,
                    });
                }
            }
            let instruction = match status {
                "paid" | "reconciled" => Some("paid"),
                "sent" => Some("sent"),
                "returned" => Some("returned"),
                _ => None,
            };
            let settled_after = 3_600 * (10 + 7 * i64::try_from(i).unwrap());
            if let Some(state) = instruction {
                sqlx::query(
                    "INSERT INTO payment_instructions (id, batch_id, grant_id, policy_id, budget_year, uscc, amount,
                         payee_name, payee_account, payee_bank, purpose, status, reason, settled_at)
                     VALUES ($1, $2, $3, $4, 2026, $5, $6, '企业', '6222000011112222', '银行', '补贴', $7,
                             CASE WHEN $7 = 'returned' THEN '账户已销户' END,
                             CASE WHEN $7 IN ('paid', 'returned') THEN $8::timestamptz END)",
                )
                .bind(format!("PAY-{id}"))
                .bind(batch)
                .bind(id)
                .bind(policy)
                .bind(uscc(i))
                .bind(amount)
                .bind(state)
                .bind(created_at + Duration::seconds(settled_after))
                .execute(owner)
                .await
                .unwrap();
            }
            grants.push(SeedGrant {
                id,
                policy: policy.clone(),
                uscc: uscc(i),
                region,
                size,
                status,
                amount,
                created_at,
                notified,
                settled_after: (instruction == Some("paid")).then_some(settled_after),
            });
        }
    }

    let budgets = HashMap::from([(
        policies[0].clone(),
        Decimal::new(5_000_000, 2) + Decimal::new(2_500_000, 2),
    )]);
    sqlx::query(
        "INSERT INTO budgets (policy_id, budget_year, total) VALUES ($1, 2026, 50000.00), ($1, 2027, 25000.00)",
    )
    .bind(&policies[0])
    .execute(owner)
    .await
    .unwrap();

    let nights = [
        Utc.with_ymd_and_hms(2026, 12, 3, 18, 30, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 4, 18, 30, 0).unwrap(),
    ];
    let mut quarantine = Vec::new();
    for (k, source) in ["market_regulation", "tax", "tax", "hrss", "tax"]
        .iter()
        .enumerate()
    {
        let at = nights[k % 2] + Duration::minutes(i64::try_from(k).unwrap());
        sqlx::query(
            "INSERT INTO quarantine (source, raw, field, reason, errors, received_at)
             VALUES ($1, '{}', 'uscc', '格式错误', '[]', $2)",
        )
        .bind(source)
        .bind(at)
        .execute(owner)
        .await
        .unwrap();
        quarantine.push((*source, at));
    }
    for (k, night) in nights.iter().enumerate() {
        sqlx::query(
            "INSERT INTO job_runs (job, scheduled_for, started_at, finished_at, status, counts, duration_ms)
             VALUES ('nightly', $1, $1, $1 + interval '5 seconds', 'succeeded', $2, 4650)",
        )
        .bind(night)
        .bind(serde_json::json!({
            "quarantined": 2 + k,
            "matching": { "firms": FIRMS },
            "phases_ms": { "ingest": 1200, "matching": 3400, "publicity": 50 }
        }))
        .execute(owner)
        .await
        .unwrap();
    }
    Seed {
        policies,
        titles,
        budgets,
        grants,
        deliveries,
        quarantine,
    }
}
