//! The cross-firm steps in the nightly matching, across runs: each person is granted once
//! across firms and runs (扩岗补助), and pro rata shares stay provisional until the policy's
//! allocation date, are recomputed when the population grows, and are then fixed in one step.
#![allow(clippy::unwrap_used)]

mod matching_support;

use std::time::Duration;

use chrono::NaiveDate;
use matching_support::{insert_profile, publish_all};
use mianshen::db::{MIGRATOR, app_pool, fresh_database};
use mianshen::matching::{WorkerOptions, plan_run, run_worker};
use mianshen::profiles::Uscc;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgPool;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn uscc(n: u32) -> String {
    Uscc::from_body(&format!("91370100MA{n:07}"))
        .unwrap()
        .as_str()
        .to_owned()
}

fn person(n: u32) -> String {
    format!("{n:064}")
}

fn hire(p: u32, hired_on: &str) -> Value {
    json!({"person": person(p), "category": "graduate_current", "hired_on": hired_on,
           "contract_signed": true, "insured_months": 6})
}

fn hiring_firm(n: u32, hires: Vec<Value>) -> Value {
    json!({"uscc": uscc(n), "name": format!("扩岗测试企业{n}"), "status": "active",
           "region_code": "370102", "industry_code": "I6510", "serious_dishonesty": false,
           "hires": hires})
}

fn research_firm(n: u32) -> Value {
    json!({"uscc": uscc(n), "name": format!("研发测试企业{n}"), "status": "active",
           "region_code": "370102", "industry_code": "I6510", "serious_dishonesty": false,
           "tax_credit_grade": "A",
           "certifications": [{"kind": "high_tech", "recognized_on": "2023-10-01",
                               "expires_on": "2026-09-30", "first_time": true}],
           "annual": [{"year": 2024, "rd_expense": "0.00"},
                      {"year": 2025, "rd_expense": "10000000.00"}]})
}

async fn add(owner: &PgPool, doc: &Value) {
    let uscc = doc["uscc"].as_str().unwrap();
    insert_profile(owner, uscc, doc["name"].as_str().unwrap(), doc).await;
}

async fn night(pool: &PgPool, as_of: NaiveDate) {
    plan_run(pool, as_of, 7).await.unwrap().unwrap();
    let opts = WorkerOptions {
        name: "w".into(),
        lease: Duration::from_secs(60),
        exit_when_idle: true,
    };
    run_worker(pool, &opts).await.unwrap();
}

/// (uscc, amount, provisional) of the policy's grants, by USCC.
async fn grants_of(pool: &PgPool, policy: &str) -> Vec<(String, Decimal, bool)> {
    sqlx::query_as(
        "SELECT uscc, amount, provisional FROM grants WHERE policy_id = $1 ORDER BY uscc, id",
    )
    .bind(policy)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// (person, uscc) of the policy's granted persons.
async fn persons_of(pool: &PgPool, policy: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT p.person, g.uscc FROM granted_persons p JOIN grants g ON g.id = p.grant_id
         WHERE p.policy_id = $1 ORDER BY p.person",
    )
    .bind(policy)
    .fetch_all(pool)
    .await
    .unwrap()
}

const JOBS: &str = "sd-2026-job-expansion-grant";
const RD: &str = "jn-2026-rd-growth-reward";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_person_is_granted_once_across_firms_and_runs() {
    let db = fresh_database(&MIGRATOR).await.unwrap();
    let pool = app_pool(db.url(), 8).await.unwrap();
    publish_all(&pool).await;
    // Night 1: firm 1 hires persons 1 and 2; firms 3 and 4 both report person 3, firm 4 earlier.
    add(
        &db.pool,
        &hiring_firm(1, vec![hire(1, "2025-09-01"), hire(2, "2025-10-01")]),
    )
    .await;
    add(&db.pool, &hiring_firm(3, vec![hire(3, "2025-09-02")])).await;
    add(&db.pool, &hiring_firm(4, vec![hire(3, "2025-09-01")])).await;
    night(&pool, day("2026-11-24")).await;
    let d = Decimal::new;
    assert_eq!(
        grants_of(&pool, JOBS).await,
        vec![
            (uscc(1), d(300000, 2), false),
            (uscc(4), d(150000, 2), false)
        ],
        "person 3 goes to the earlier hire (firm 4), firm 3 gets nothing"
    );

    // Night 2: firm 2 appears reporting person 1 hired even earlier; firm 3 hires person 5.
    add(&db.pool, &hiring_firm(2, vec![hire(1, "2025-08-01")])).await;
    add(
        &db.pool,
        &hiring_firm(3, vec![hire(3, "2025-09-02"), hire(5, "2025-11-01")]),
    )
    .await;
    night(&pool, day("2026-11-25")).await;
    assert_eq!(
        grants_of(&pool, JOBS).await,
        vec![
            (uscc(1), d(300000, 2), false),
            (uscc(3), d(150000, 2), false),
            (uscc(4), d(150000, 2), false),
        ],
        "person 1 was granted on night 1 and is not granted again; firm 3 gets person 5 only"
    );
    assert_eq!(
        persons_of(&pool, JOBS).await,
        vec![
            (person(1), uscc(1)),
            (person(2), uscc(1)),
            (person(3), uscc(4)),
            (person(5), uscc(3)),
        ]
    );

    // Night 3 with nothing new: nothing is granted twice.
    night(&pool, day("2026-11-26")).await;
    assert_eq!(grants_of(&pool, JOBS).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pro_rata_shares_stay_provisional_until_the_allocation_date() {
    let db = fresh_database(&MIGRATOR).await.unwrap();
    let pool = app_pool(db.url(), 8).await.unwrap();
    publish_all(&pool).await;
    // 30 firms each capped at 2,000,000: 60,000,000 asked of a 50,000,000 budget.
    for n in 1..=30 {
        add(&db.pool, &research_firm(n)).await;
    }
    night(&pool, day("2026-11-24")).await;
    let first = grants_of(&pool, RD).await;
    assert_eq!(first.len(), 30);
    // 2,000,000 × 50,000,000 / 60,000,000 = 1,666,666.666… rounded down to the fen.
    assert!(
        first
            .iter()
            .all(|g| g.1 == Decimal::new(166666666, 2) && g.2)
    );

    // Ten more firms: 80,000,000 asked; every share is recomputed and still provisional.
    for n in 31..=40 {
        add(&db.pool, &research_firm(n)).await;
    }
    night(&pool, day("2026-11-25")).await;
    let second = grants_of(&pool, RD).await;
    assert_eq!(second.len(), 40);
    assert!(
        second
            .iter()
            .all(|g| g.1 == Decimal::new(125000000, 2) && g.2)
    );

    // The allocation date (the window's end): the shares are fixed in one step.
    night(&pool, day("2026-12-31")).await;
    let fixed = grants_of(&pool, RD).await;
    assert!(
        fixed
            .iter()
            .all(|g| g.1 == Decimal::new(125000000, 2) && !g.2)
    );
    let total: Decimal = fixed.iter().map(|g| g.1).sum();
    assert!(total <= Decimal::new(5000000000, 2));
}
