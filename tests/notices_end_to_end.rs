//! The whole night on the sandbox, every part real: the sandbox data exchange over HTTP →
//! ingest → the sample policies published (four eyes) → matching → the delivery worker →
//! notices at our webhook sink (signed HTTP) and our SMTP sink (a real SMTP exchange).
//!
//! The grants must be exactly what `mianshen eval` finds offline over the same profiles,
//! and each firm with a webhook or email must receive exactly one notice per grant, with
//! its amount; the flagged policies' near misses are told once, and a second full run
//! adds nothing.
#![allow(clippy::unwrap_used)]

mod matching_support;
mod notices_support;
mod sandbox_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;

use matching_support::{as_of, publish_all};
use mianshen::config::{Secret, Settings};
use mianshen::db::{MIGRATOR, app_pool, fresh_database};
use mianshen::ingest::{NoProgress, run_ingest};
use mianshen::matching::run_matching;
use mianshen::notices::render::format_amount;
use mianshen::sandbox::smtp_sink::SmtpBehaviour;
use mianshen::sandbox::webhook_sink::SinkBehaviour;
use notices_support::{count, drain, email_policy, set_channels, start_sink, start_smtp_sink};
use rust_decimal::Decimal;
use sqlx::PgPool;

const FIRMS: u64 = 300;

/// (uscc, policy, amount) of every grant.
type Grants = BTreeSet<(String, String, Decimal)>;

/// What `mianshen eval` decides over the stored profiles: eligible with an amount.
async fn offline_eval(pool: &PgPool) -> Grants {
    let docs: Vec<String> = sqlx::query_scalar(
        "SELECT s.doc::text FROM profiles p JOIN profile_snapshots s ON s.id = p.snapshot_id
         ORDER BY p.uscc",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for doc in &docs {
        writeln!(file, "{doc}").unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mianshen"))
        .args(["eval", "--rules", "rules", "--format", "jsonl", "--as-of"])
        .arg(as_of().to_string())
        .arg("--profiles")
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut grants = Grants::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let d: serde_json::Value = serde_json::from_str(line).unwrap();
        let amount: Decimal = match &d["amount"] {
            serde_json::Value::String(s) => s.parse().unwrap(),
            other => other.to_string().parse().unwrap(),
        };
        if d["eligible"] == true && amount > Decimal::ZERO {
            let (uscc, policy) = (d["uscc"].as_str().unwrap(), d["policy"].as_str().unwrap());
            grants.insert((uscc.to_owned(), policy.to_owned(), amount));
        }
    }
    grants
}

async fn stored_grants(pool: &PgPool) -> BTreeMap<i64, (String, String, Decimal)> {
    let rows: Vec<(i64, String, String, Decimal)> =
        sqlx::query_as("SELECT id, uscc, policy_id, amount FROM grants")
            .fetch_all(pool)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(id, u, p, a)| (id, (u, p, a)))
        .collect()
}

/// The grant id in a notice's link (`/grants/{id}`).
fn grant_of(text: &str) -> Option<i64> {
    let start = text.find("/grants/")? + "/grants/".len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sandbox_night_ends_in_the_right_grants_and_one_notice_each_by_webhook_and_email() {
    // Arrange: the exchange, an empty database, both sinks.
    let sandbox = sandbox_support::spawn(FIRMS, 11, 0).await;
    let db = fresh_database(&MIGRATOR).await.unwrap();
    let pool = app_pool(db.url(), 8).await.unwrap();
    let (hook, webhooks) = start_sink(SinkBehaviour::default()).await;
    let (smtp_port, mails) = start_smtp_sink(SmtpBehaviour::default()).await;
    let mut settings = Settings::default();
    settings.database.url = Some(Secret::new(db.url().to_owned()));
    settings.ingest.base_url = sandbox.base.clone();
    settings.ingest.token = Some(Secret::new(sandbox_support::TOKEN));

    // Act: ingest, give a share of the firms channels, publish, match, deliver.
    let ingested = run_ingest(&pool, &settings.ingest, None, &NoProgress)
        .await
        .unwrap();
    assert_eq!(ingested.quarantined, 0, "{ingested:?}");
    let firms: Vec<String> = sqlx::query_scalar("SELECT uscc FROM firms ORDER BY uscc")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(firms.len() as u64, FIRMS);
    let mut webhook_firms = BTreeSet::new();
    let mut email_firms = BTreeMap::new();
    for (i, uscc) in firms.iter().enumerate() {
        let webhook = (i % 3 != 2).then_some(hook.as_str());
        let email = (i % 2 == 0).then(|| format!("caiwu.{}@example.cn", uscc.to_lowercase()));
        set_channels(&db.pool, uscc, webhook, email.as_deref()).await;
        if webhook.is_some() {
            webhook_firms.insert(uscc.clone());
        }
        if let Some(address) = email {
            email_firms.insert(address, uscc.clone());
        }
    }
    let versions = publish_all(&pool).await;
    assert_eq!(versions.len(), 6);
    let summary = run_matching(&pool, as_of(), 2).await.unwrap();
    drain(&db.pool, &email_policy(3, smtp_port)).await;

    // Assert: grants equal the offline evaluation of the same profiles.
    let grants = stored_grants(&pool).await;
    let granted: Grants = grants.values().cloned().collect();
    assert_eq!(granted.len(), grants.len(), "one grant per (firm, policy)");
    let expected = offline_eval(&db.pool).await;
    assert!(
        expected.len() >= 10,
        "too few grants to test anything: {expected:?}"
    );
    let policies: BTreeSet<&String> = expected.iter().map(|(_, p, _)| p).collect();
    assert!(
        policies.len() >= 3,
        "grants of several policies: {policies:?}"
    );
    assert_eq!(granted, expected);
    assert_eq!(summary.grants_created as usize, grants.len());
    assert_eq!(
        count(
            &db.pool,
            "SELECT count(*) FROM notice_deliveries WHERE status <> 'delivered'"
        )
        .await,
        0,
        "every delivery delivered"
    );

    // Each firm with a webhook received exactly one notice per grant, with its amount.
    let received: Vec<serde_json::Value> =
        webhooks.by_key.lock().unwrap().values().cloned().collect();
    let mut per_grant: BTreeMap<i64, usize> = BTreeMap::new();
    for body in received.iter().filter(|b| b["kind"] == "grant") {
        let id = body["grant_id"].as_i64().unwrap();
        let (uscc, policy, amount) = &grants[&id];
        assert_eq!(body["uscc"], uscc.as_str());
        assert_eq!(body["policy_id"], policy.as_str());
        assert_eq!(
            body["amount"].as_str().unwrap().parse::<Decimal>().unwrap(),
            *amount
        );
        *per_grant.entry(id).or_default() += 1;
    }
    let webhook_grants: BTreeMap<i64, usize> = grants
        .iter()
        .filter(|(_, (u, _, _))| webhook_firms.contains(u))
        .map(|(id, _)| (*id, 1))
        .collect();
    assert!(!webhook_grants.is_empty());
    assert_eq!(per_grant, webhook_grants);

    // Each firm with an email received exactly one email per grant, to its address, with
    // the amount in the subject and the body.
    let mut per_grant: BTreeMap<i64, usize> = BTreeMap::new();
    for mail in mails
        .messages()
        .iter()
        .filter(|m| !m.subject.starts_with("【政策提示】"))
    {
        let id = grant_of(&mail.body).unwrap();
        let (uscc, _, amount) = &grants[&id];
        assert_eq!(&email_firms[&mail.envelope_to[0]], uscc);
        let yuan = format!("{} 元", format_amount(*amount));
        assert!(mail.subject.contains(&yuan), "{}", mail.subject);
        assert!(
            mail.body.contains(&format!("金额: {yuan}")),
            "{}",
            mail.body
        );
        *per_grant.entry(id).or_default() += 1;
    }
    let email_grants: BTreeMap<i64, usize> = grants
        .iter()
        .filter(|(_, (u, _, _))| email_firms.values().any(|e| e == u))
        .map(|(id, _)| (*id, 1))
        .collect();
    assert!(!email_grants.is_empty());
    assert_eq!(per_grant, email_grants);

    // Near misses of the flagged policies were told once each, by email too.
    let told = count(
        &db.pool,
        "SELECT count(*) FROM notices WHERE kind = 'near_miss'",
    )
    .await;
    assert!(
        told > 0,
        "the flagged policies have near misses in 300 firms"
    );
    let flagged = count(
        &db.pool,
        "SELECT count(*) FROM notices WHERE kind = 'near_miss'
         AND policy_id NOT IN ('sd-2026-stable-jobs-refund', 'jn-2026-rd-growth-reward')",
    )
    .await;
    assert_eq!(flagged, 0, "only policies with near_miss_notices = true");
    let near_miss_mails = mails
        .messages()
        .iter()
        .filter(|m| m.subject.starts_with("【政策提示】"))
        .count();
    let near_miss_emails = count(
        &db.pool,
        "SELECT count(*) FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id
         WHERE n.kind = 'near_miss' AND d.channel = 'email'",
    )
    .await;
    assert_eq!(near_miss_mails as i64, near_miss_emails);

    eprintln!(
        "grants {} over {} policies; webhooks {}, emails {}, near-miss notices {told}",
        grants.len(),
        policies.len(),
        webhooks.stored(),
        mails.stored()
    );

    // A second run over every firm (all profiles changed) creates nothing twice.
    sqlx::query("UPDATE profiles SET changed_at = now()")
        .execute(&db.pool)
        .await
        .unwrap();
    let again = run_matching(&pool, as_of(), 2).await.unwrap();
    assert!(
        again.decisions > 0,
        "the second run evaluated the firms again"
    );
    assert_eq!(stored_grants(&pool).await, grants);
    assert_eq!(
        count(
            &db.pool,
            "SELECT count(*) FROM notices WHERE kind = 'near_miss'"
        )
        .await,
        told
    );
}
