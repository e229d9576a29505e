//! The finance API over HTTP: bad input (a table of cases) is answered 4xx with a message a
//! person can act on, and changes nothing; Idempotency-Key replays answer the first answer;
//! the four-eyes rules hold in the database too; exports carry exact amounts.
#![allow(clippy::unwrap_used)]

mod disbursement_support;

use disbursement_support::{
    OTHER_POLICY, POLICY, World, behaviour, spawn_service, spawn_treasury, token,
};
use reqwest::StatusCode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

/// Everything a refused request must leave as it was.
async fn snapshot(world: &World) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT concat_ws('|',
            (SELECT count(*) FROM payment_batches), (SELECT count(*) FROM payment_batch_grants),
            (SELECT string_agg(status, ',' ORDER BY id) FROM payment_batches),
            (SELECT count(*) FROM payment_instructions), (SELECT count(*) FROM ledger_entries),
            (SELECT string_agg(total || '/' || reserved || '/' || spent, ',' ORDER BY policy_id) FROM budgets),
            (SELECT string_agg(status, ',' ORDER BY id) FROM grants),
            (SELECT count(*) FROM idempotency_keys WHERE status <> 0),
            (SELECT count(*) FROM payee_accounts))",
    )
    .fetch_all(&world.db.pool)
    .await
    .unwrap()
}

/// A registered firm (a real USCC) and a token of its enterprise account.
async fn firm_token(world: &World) -> String {
    const USCC: &str = "91370102MA3C4RQX2B";
    sqlx::query("INSERT INTO firms (uscc, name) VALUES ($1, '济南历下示范科技有限公司')")
        .bind(USCC)
        .execute(&world.db.pool)
        .await
        .unwrap();
    let new = mianshen::accounts::NewUser::parse(
        "firm-a",
        "firm-a",
        mianshen::accounts::Role::Enterprise,
        Some(USCC),
        disbursement_support::PASSWORD,
    )
    .unwrap();
    let user = mianshen::accounts::create_user_audited(
        &world.pool,
        &new,
        mianshen::audit::Actor::System("test"),
    )
    .await
    .unwrap();
    token(world, &user).await
}

struct Case {
    what: &'static str,
    method: &'static str,
    who: &'static str,
    path: String,
    key: Option<&'static str>,
    body: Value,
    status: StatusCode,
    message: &'static str,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_a_clear_message_and_changes_nothing() {
    let world = World::new().await;
    let treasury = spawn_treasury(behaviour()).await;
    let service = spawn_service(&world, &treasury.base).await;
    let mine = world.ready_grants(POLICY, 3, dec!(1000.00)).await;
    let other = world.ready_grants(OTHER_POLICY, 2, dec!(500.00)).await;
    let batch = world.batch(POLICY, &mine[..2]).await;
    let maker = token(&world, &world.maker).await;
    let checker = token(&world, &world.checker).await;
    let firm = firm_token(&world).await;
    let client = reqwest::Client::new();

    // A first request under a key, so the table can reuse the key with another body.
    let first = client
        .post(format!("{}/api/v1/finance/budgets/raise", service.address))
        .bearer_auth(&checker)
        .header("Idempotency-Key", "raise-1")
        .json(
            &json!({"policy_id": POLICY, "budget_year": 2026, "amount": "100.00", "note": "追加"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200, "{}", first.text().await.unwrap());

    let cases = [
        Case {
            method: "POST",
            what: "a negative amount",
            who: "checker",
            path: "/api/v1/finance/budgets/raise".into(),
            key: Some("neg"),
            body: json!({"policy_id": POLICY, "budget_year": 2026, "amount": "-5.00", "note": "追加"}),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "金额不能为负",
        },
        Case {
            method: "POST",
            what: "a fractional-fen amount",
            who: "checker",
            path: "/api/v1/finance/budgets/raise".into(),
            key: Some("frac"),
            body: json!({"policy_id": POLICY, "budget_year": 2026, "amount": "10.005", "note": "追加"}),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "不是整分",
        },
        Case {
            method: "POST",
            what: "a fractional-fen filter",
            who: "maker",
            path: "/api/v1/finance/batches".into(),
            key: Some("frac-filter"),
            body: json!({"policy_id": POLICY, "min_amount": "0.001"}),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "min_amount",
        },
        Case {
            method: "POST",
            what: "a batch of another policy's grants",
            who: "maker",
            path: "/api/v1/finance/batches".into(),
            key: Some("other-policy"),
            body: json!({"policy_id": POLICY, "grant_ids": [mine[2], other[0]]}),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "不属于政策",
        },
        Case {
            method: "POST",
            what: "an approval by the maker",
            who: "maker",
            path: format!("/api/v1/finance/batches/{batch}/approve"),
            key: Some("maker-approves"),
            body: json!({}),
            status: StatusCode::FORBIDDEN,
            message: "只有财务复核",
        },
        Case {
            method: "POST",
            what: "a reused Idempotency-Key with a different body",
            who: "checker",
            path: "/api/v1/finance/budgets/raise".into(),
            key: Some("raise-1"),
            body: json!({"policy_id": POLICY, "budget_year": 2026, "amount": "999.00", "note": "追加"}),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "已用于另一个不同的请求",
        },
        Case {
            method: "POST",
            what: "no Idempotency-Key on a money POST",
            who: "checker",
            path: format!("/api/v1/finance/batches/{batch}/approve"),
            key: None,
            body: json!({}),
            status: StatusCode::BAD_REQUEST,
            message: "缺少 Idempotency-Key",
        },
        Case {
            method: "POST",
            what: "an amount as a JSON number with fractional fen",
            who: "checker",
            path: "/api/v1/finance/budgets/raise".into(),
            key: Some("float"),
            body: json!({"policy_id": POLICY, "budget_year": 2026, "amount": 0.001, "note": "追加"}),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "不是整分",
        },
        Case {
            method: "POST",
            what: "a batch of grants that are not ready",
            who: "maker",
            path: "/api/v1/finance/batches".into(),
            key: Some("not-ready"),
            body: json!({"policy_id": POLICY, "grant_ids": [mine[0]]}),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "不是待拨付状态",
        },
        Case {
            method: "PUT",
            what: "an account name that is not the firm's",
            who: "firm",
            path: "/api/v1/enterprise/payee-account".into(),
            key: None,
            body: json!({"account_name": "别的公司", "account_number": "6222020212345678", "bank": "中国工商银行青岛分行"}),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "须与企业登记名称",
        },
    ];
    for case in cases {
        let before = snapshot(&world).await;
        let token = match case.who {
            "maker" => &maker,
            "firm" => &firm,
            _ => &checker,
        };
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
        let mut request = client
            .request(method, format!("{}{}", service.address, case.path))
            .bearer_auth(token)
            .json(&case.body);
        if let Some(key) = case.key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), case.status, "{}", case.what);
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(case.message), "{}: {message}", case.what);
        assert_eq!(
            snapshot(&world).await,
            before,
            "{} changed something",
            case.what
        );
    }

    // A replay of the first request answers the first answer and changes nothing.
    let before = snapshot(&world).await;
    let replay = client
        .post(format!("{}/api/v1/finance/budgets/raise", service.address))
        .bearer_auth(&checker)
        .header("Idempotency-Key", "raise-1")
        .json(
            &json!({"policy_id": POLICY, "budget_year": 2026, "amount": "100.00", "note": "追加"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 200);
    assert!(replay.headers().contains_key("idempotent-replayed"));
    assert_eq!(snapshot(&world).await, before);
    world.assert_ledger_ok().await;
}

#[tokio::test]
async fn four_eyes_holds_in_the_database_and_against_the_reviewer() {
    let world = World::new().await;
    let grants = world.ready_grants(POLICY, 2, dec!(10.00)).await;
    let batch = world.batch(POLICY, &grants).await;
    // The maker as checker: refused by the CHECK.
    let own = sqlx::query(
        "UPDATE payment_batches SET checked_by = made_by, status = 'approved' WHERE id = $1",
    )
    .bind(batch)
    .execute(&world.db.pool)
    .await;
    assert!(
        own.unwrap_err()
            .to_string()
            .contains("payment_batches_four_eyes")
    );
    // The grants' reviewer as checker: refused by the trigger.
    let reviewer = sqlx::query(
        "UPDATE payment_batches SET checked_by = $2, status = 'approved' WHERE id = $1",
    )
    .bind(batch)
    .bind(world.reviewer.id)
    .execute(&world.db.pool)
    .await;
    assert!(reviewer.unwrap_err().to_string().contains("four eyes"));
    // A reviewer who later became a checker may not approve what they reviewed.
    sqlx::query("UPDATE users SET role = 'finance_checker' WHERE id = $1")
        .bind(world.reviewer.id)
        .execute(&world.db.pool)
        .await
        .unwrap();
    let mut former = world.reviewer.clone();
    former.role = mianshen::accounts::Role::FinanceChecker;
    let mut tx = world.pool.begin().await.unwrap();
    let refused = mianshen::disbursement::batches::approve(&mut tx, &former, batch, "").await;
    assert!(
        refused.unwrap_err().to_string().contains("您审核过补贴"),
        "the code refuses first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_batch_exports_exact_amounts_as_xlsx_and_csv() {
    let world = World::new().await;
    let treasury = spawn_treasury(behaviour()).await;
    let service = spawn_service(&world, &treasury.base).await;
    let grants = world.ready_grants(POLICY, 3, dec!(0.30)).await;
    let batch = world.batch(POLICY, &grants).await;
    world.approve(batch).await.unwrap();
    let maker = token(&world, &world.maker).await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/finance/batches/{batch}/export", service.address);
    let csv = client
        .get(format!("{url}?format=csv"))
        .bearer_auth(&maker)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next().unwrap(),
        "序号,收款单位名称,统一社会信用代码,收款账号,开户银行,金额(元),政策名称,政策文号,预算年度,指令号"
    );
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[0], "1");
    assert_eq!(first[5], "0.30", "exact, never 0.30000000000000004");
    assert!(
        first[3].starts_with("62220202"),
        "the full account number is in the export"
    );
    assert_eq!(first[9], format!("PAY-{batch}-{}", grants[0]));
    let xlsx = client
        .get(format!("{url}?format=xlsx"))
        .bearer_auth(&maker)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
    // The payments list masks the account.
    let payments: Value = client
        .get(format!("{}/api/v1/finance/payments", service.address))
        .bearer_auth(&maker)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let account = payments[0]["payee_account"].as_str().unwrap();
    assert!(
        account.starts_with("****") && account.len() == 8,
        "{account}"
    );
}
