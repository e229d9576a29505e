//! The cockpit's endpoints over a seeded database (`cockpit_support`): every figure equals
//! the same aggregate computed here from what the seed wrote, unfiltered and under each
//! filter; only staff open it (an enterprise gets 403); bad filters get a 400 that says
//! what to type; the page prints money as `1,000.00 元` and each table exports as CSV.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate, Utc};
use mianshen::accounts::Role;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::cockpit_support::{Seed, SeedGrant, seed};
use crate::helpers::{FIRM_A, TestApp, error_of, insert_token, spawn_app};

/// A filter as this test applies it to the seed (independently of the service's SQL).
#[derive(Debug, Clone, Default)]
struct Want {
    policy: Option<String>,
    district: Option<&'static str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl Want {
    fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.policy {
            parts.push(format!("policy={p}"));
        }
        if let Some(d) = self.district {
            parts.push(format!("district={d}"));
        }
        if let Some(d) = self.from {
            parts.push(format!("from={d}"));
        }
        if let Some(d) = self.to {
            parts.push(format!("to={d}"));
        }
        parts.join("&")
    }

    fn day_ok(&self, at: chrono::DateTime<Utc>) -> bool {
        // The Beijing date: UTC plus eight hours.
        let day = (at + Duration::hours(8)).date_naive();
        self.from.is_none_or(|f| day >= f) && self.to.is_none_or(|t| day <= t)
    }

    fn keeps(&self, policy: &str, region: &str, at: chrono::DateTime<Utc>) -> bool {
        self.policy.as_deref().is_none_or(|p| p == policy)
            && self.district.is_none_or(|d| region.starts_with(d))
            && self.day_ok(at)
    }

    fn grants<'a>(&self, seed: &'a Seed) -> Vec<&'a SeedGrant> {
        seed.grants
            .iter()
            .filter(|g| self.keeps(&g.policy, g.region, g.created_at))
            .collect()
    }
}

/// How far along its road a grant's status certainly is: 0 eligible, 2 confirmed,
/// 3 reviewed, 4 公示 entered, 5 paid (1, notified, is told by the notice).
fn reached(status: &str) -> usize {
    match status {
        "confirmed" => 2,
        "reviewed" => 3,
        "publicity" | "disputed" | "awaiting_account" | "ready" | "in_batch" | "approved"
        | "sent" | "returned" => 4,
        "paid" | "reconciled" => 5,
        _ => 0,
    }
}

fn is_paid(g: &SeedGrant) -> bool {
    reached(g.status) == 5
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("an amount is a decimal string: {v}"))
        .parse()
        .unwrap()
}

fn sum<'a>(grants: impl Iterator<Item = &'a &'a SeedGrant>) -> Decimal {
    grants.map(|g| g.amount).sum()
}

/// The percentile as the cockpit defines it: the smallest value at or above `permille`/1000.
fn percentile(sorted: &[i64], permille: usize) -> i64 {
    let rank = (sorted.len() * permille).div_ceil(1000);
    sorted[rank.max(1) - 1]
}

struct Cockpit {
    app: TestApp,
    seed: Seed,
    token: String,
}

async fn cockpit() -> Cockpit {
    let app = spawn_app().await;
    let seed = seed(&app.db.pool, &app.app_pool).await;
    let auditor = app.create_user("auditor", Role::Auditor, None).await;
    let token = insert_token(&app, auditor.id).await;
    Cockpit { app, seed, token }
}

impl Cockpit {
    async fn get(&self, chart: &str, want: &Want) -> Value {
        let url = self
            .app
            .url(&format!("/api/v1/cockpit/{chart}?{}", want.query()));
        let response = reqwest::Client::new()
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{chart} {want:?}");
        response.json().await.unwrap()
    }

    async fn check_policies(&self, want: &Want) {
        let body = self.get("policies", want).await;
        let grants = want.grants(&self.seed);
        let by_policy: BTreeSet<&str> = grants.iter().map(|g| g.policy.as_str()).collect();
        let rows = body["rows"].as_array().unwrap();
        assert_eq!(rows.len(), by_policy.len(), "{want:?}");
        for (row, policy) in rows.iter().zip(by_policy) {
            let of: Vec<&&SeedGrant> = grants.iter().filter(|g| g.policy == policy).collect();
            assert_eq!(row["policy_id"], policy);
            assert_eq!(row["title"], self.seed.titles[policy].as_str());
            assert_eq!(row["grants"], of.len());
            assert_eq!(dec(&row["amount"]), sum(of.iter().copied()));
            assert_eq!(
                dec(&row["paid"]),
                sum(of.iter().copied().filter(|g| is_paid(g)))
            );
            match self.seed.budgets.get(policy) {
                Some(budget) => assert_eq!(dec(&row["budget"]), *budget),
                None => assert!(row["budget"].is_null()),
            }
        }
    }

    async fn check_funnel(&self, want: &Want) {
        let body = self.get("funnel", want).await;
        let grants = want.grants(&self.seed);
        let rows = body["rows"].as_array().unwrap();
        let keys = [
            "eligible",
            "notified",
            "confirmed",
            "reviewed",
            "publicity",
            "paid",
        ];
        assert_eq!(rows.len(), keys.len());
        for (stage, (row, key)) in rows.iter().zip(keys).enumerate() {
            let at: Vec<&&SeedGrant> = grants
                .iter()
                .filter(|g| match stage {
                    0 => true,
                    1 => g.notified,
                    n => reached(g.status) >= n,
                })
                .collect();
            assert_eq!(row["stage"], key);
            assert_eq!(row["grants"], at.len(), "{key} {want:?}");
            assert_eq!(dec(&row["amount"]), sum(at.iter().copied()), "{key}");
        }
        // The seed reaches every stage, so none of these checks compares zeros only.
        if want.policy.is_none() && want.district.is_none() && want.from.is_none() {
            assert!(rows.iter().all(|r| r["grants"].as_u64().unwrap() > 0));
        }
    }

    async fn check_time_to_cash(&self, want: &Want) {
        let body = self.get("time-to-cash", want).await;
        let mut delays: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for g in want.grants(&self.seed) {
            if let Some(secs) = g.settled_after {
                delays.entry(g.policy.as_str()).or_default().push(secs);
            }
        }
        let rows = body["rows"].as_array().unwrap();
        assert_eq!(rows.len(), delays.len(), "{want:?}");
        for (row, (policy, mut secs)) in rows.iter().zip(delays) {
            secs.sort_unstable();
            assert_eq!(row["policy_id"], policy);
            assert_eq!(row["paid"], secs.len());
            assert_eq!(row["median_secs"], percentile(&secs, 500));
            assert_eq!(row["p90_secs"], percentile(&secs, 900));
        }
    }

    async fn check_notices(&self, want: &Want) {
        let body = self.get("notices", want).await;
        let mut per: BTreeMap<&str, [i64; 4]> = BTreeMap::new();
        for d in &self.seed.deliveries {
            if !want.keeps(&d.policy, d.region, d.notice_at) {
                continue;
            }
            let slot = match (d.status, d.attempts) {
                ("pending", 0) => 0,
                ("delivered", _) => 1,
                ("pending", _) => 2,
                _ => 3,
            };
            per.entry(d.channel).or_default()[slot] += 1;
        }
        let rows = body["rows"].as_array().unwrap();
        assert_eq!(rows.len(), per.len(), "{want:?}");
        for (row, (channel, n)) in rows.iter().zip(per) {
            assert_eq!(row["channel"], channel);
            let got = ["queued", "delivered", "failing", "dead"].map(|k| row[k].as_i64().unwrap());
            assert_eq!(got, n, "{channel} {want:?}");
        }
    }

    async fn check_quarantine(&self, want: &Want) {
        let body = self.get("quarantine", want).await;
        let since = Utc::now() - Duration::days(30);
        let mut per: BTreeMap<(String, &str), i64> = BTreeMap::new();
        for (source, at) in &self.seed.quarantine {
            let in_window = if want.from.is_some() {
                true
            } else {
                *at >= since
            };
            if in_window && want.day_ok(*at) {
                let night = (*at + Duration::hours(8)).date_naive().to_string();
                *per.entry((night, source)).or_default() += 1;
            }
        }
        let rows = body["rows"].as_array().unwrap();
        let got: BTreeMap<(String, &str), i64> = rows
            .iter()
            .map(|r| {
                (
                    (
                        r["night"].as_str().unwrap().to_owned(),
                        r["source"].as_str().unwrap(),
                    ),
                    r["records"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, per, "{want:?}");
    }

    async fn check_slices(&self, want: &Want) {
        for (chart, key) in [("districts", true), ("sizes", false)] {
            let body = self.get(chart, want).await;
            let mut per: BTreeMap<String, Vec<&SeedGrant>> = BTreeMap::new();
            for g in want.grants(&self.seed) {
                let k = if key {
                    g.region.to_owned()
                } else {
                    g.size.unwrap_or_default().to_owned()
                };
                per.entry(k).or_default().push(g);
            }
            let rows = body["rows"].as_array().unwrap();
            assert_eq!(rows.len(), per.len(), "{chart} {want:?}");
            for (row, (k, of)) in rows.iter().zip(per) {
                assert_eq!(row["key"], k.as_str(), "{chart}");
                assert_eq!(row["grants"], of.len());
                assert_eq!(dec(&row["amount"]), of.iter().map(|g| g.amount).sum());
                assert_eq!(
                    dec(&row["paid"]),
                    of.iter().filter(|g| is_paid(g)).map(|g| g.amount).sum()
                );
            }
        }
    }
}

#[tokio::test]
async fn every_figure_equals_the_aggregate_computed_from_the_seed() {
    // Arrange
    let c = cockpit().await;
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let filters = [
        Want::default(),
        Want {
            policy: Some(c.seed.policies[0].clone()),
            ..Want::default()
        },
        Want {
            district: Some("3702"),
            ..Want::default()
        },
        Want {
            from: Some(day(22)),
            to: Some(day(25)),
            ..Want::default()
        },
        Want {
            policy: Some(c.seed.policies[1].clone()),
            district: Some("370202"),
            from: Some(day(21)),
            to: Some(day(30)),
        },
    ];
    // Act and assert, chart by chart, filter by filter.
    for want in &filters {
        c.check_policies(want).await;
        c.check_funnel(want).await;
        c.check_time_to_cash(want).await;
        c.check_notices(want).await;
        c.check_slices(want).await;
    }
    c.check_quarantine(&Want::default()).await;
    c.check_quarantine(&Want {
        from: Some(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()),
        ..Want::default()
    })
    .await;

    let nightly = c.get("nightly", &Want::default()).await;
    let runs = nightly["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs[0]["started_at"].as_str() > runs[1]["started_at"].as_str());
    assert_eq!(runs[0]["phases_ms"]["matching"], 3400);
    assert_eq!(runs[1]["quarantined"], 2);
    let next: chrono::DateTime<Utc> = nightly["next"].as_str().unwrap().parse().unwrap();
    assert!(next > Utc::now() && next <= Utc::now() + Duration::days(1));
}

#[tokio::test]
async fn only_staff_open_the_cockpit() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    let firm = app
        .create_user("firm", Role::Enterprise, Some(FIRM_A))
        .await;
    let firm = insert_token(&app, firm.id).await;
    let paths = [
        "/api/v1/cockpit/policies",
        "/api/v1/cockpit/funnel",
        "/api/v1/cockpit/time-to-cash",
        "/api/v1/cockpit/notices",
        "/api/v1/cockpit/quarantine",
        "/api/v1/cockpit/nightly",
        "/api/v1/cockpit/districts",
        "/api/v1/cockpit/sizes",
        "/cockpit",
        "/cockpit/export/funnel.csv",
    ];
    let client = reqwest::Client::new();
    for path in paths {
        let response = client
            .get(app.url(path))
            .bearer_auth(&firm)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "an enterprise on {path}");
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 401, "nobody on {path}");
    }
    for role in [
        Role::PolicyAuthor,
        Role::Reviewer,
        Role::FinanceMaker,
        Role::FinanceChecker,
        Role::Auditor,
        Role::Admin,
    ] {
        let user = app.create_user(role.as_str(), role, None).await;
        let token = insert_token(&app, user.id).await;
        for path in paths {
            let response = client
                .get(app.url(path))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{role} on {path}");
        }
    }
}

#[tokio::test]
async fn bad_filters_get_a_message_a_person_can_act_on() {
    let app = spawn_app().await;
    let user = app.create_user("reviewer", Role::Reviewer, None).await;
    let token = insert_token(&app, user.id).await;
    let cases = [
        ("district=37x", "行政区划代码应为 2 至 6 位数字"),
        ("district=3", "行政区划代码应为 2 至 6 位数字"),
        ("from=2026-02-30", "日期“2026-02-30”无效"),
        ("from=2026-12-02&to=2026-12-01", "开始日期不能晚于结束日期"),
        ("policy=DROP%20TABLE", "政策编号只能由小写字母"),
    ];
    for (query, message) in cases {
        for chart in ["funnel", "policies", "sizes"] {
            let response = reqwest::Client::new()
                .get(app.url(&format!("/api/v1/cockpit/{chart}?{query}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{chart}?{query}");
            let (code, text) = error_of(response).await;
            assert_eq!(code, "bad_request");
            assert!(text.contains(message), "{query}: {text}");
        }
    }
}

#[tokio::test]
async fn the_page_prints_money_and_each_table_exports_as_csv() {
    // Arrange
    let c = cockpit().await;
    let client = reqwest::Client::new();
    let eligible: Decimal = c.seed.grants.iter().map(|g| g.amount).sum();
    // Act
    let page = client
        .get(c.app.url("/cockpit"))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let csv = client
        .get(c.app.url("/cockpit/export/funnel.csv"))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    // Assert
    for chart in [
        "policies",
        "funnel",
        "time-to-cash",
        "notices",
        "quarantine",
        "nightly",
        "districts",
        "sizes",
    ] {
        assert!(page.contains(&format!("data-chart=\"{chart}\"")), "{chart}");
        assert!(
            page.contains(&format!("/cockpit/export/{chart}.csv")),
            "{chart}"
        );
    }
    let printed = format!("{} 元", mianshen::notices::render::format_amount(eligible));
    assert!(
        printed.contains(','),
        "the seed's total has thousands: {printed}"
    );
    assert!(
        page.contains(&printed),
        "the funnel's first row prints {printed}"
    );
    assert!(page.contains("下一次夜间任务"));
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let bytes = csv.bytes().await.unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for spreadsheets");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("阶段,补贴笔数,金额（元）"));
    assert_eq!(
        lines.next(),
        Some(format!("符合条件,{},{}", c.seed.grants.len(), eligible.round_dp(2)).as_str())
    );
    assert_eq!(lines.count(), 5);
    let missing = client
        .get(c.app.url("/cockpit/export/nothing.csv"))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
