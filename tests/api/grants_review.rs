//! A grant's road to "ready" over the JSON API: a reviewer approves grants into 公示, the
//! public list shows them masked without sign-in, a firm objects in the window and the
//! reviewer answers, the 公示 job moves ended windows on (awaiting an account, with a
//! reminder), and the firm's payee account releases its grants. Bad requests (a table)
//! get a 4xx with a message and change nothing.

use mianshen::accounts::Role;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{FIRM_A, FIRM_B, TestApp, error_of, insert_token, spawn_app};

const NAME_A: &str = "青岛万嘉电子科技有限公司";
const NAME_B: &str = "济南乙工贸有限公司";

/// The app with two firms, the sample policies, and a bearer token per role.
struct Road {
    app: TestApp,
    policy: String,
    version: i64,
    firm_a: String,
    firm_b: String,
    reviewer: String,
    maker: String,
}

async fn road() -> Road {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, NAME_A).await;
    app.create_firm(FIRM_B, NAME_B).await;
    mianshen::policies::load_versions(&app.app_pool, std::path::Path::new("rules"), "alice")
        .await
        .unwrap();
    let (version, policy): (i64, String) = sqlx::query_as(
        "SELECT id, policy_id FROM policy_versions WHERE (meta->>'notice_days')::int > 0 ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let token = |name: &'static str, role: Role, uscc: Option<&'static str>| {
        let app = &app;
        async move {
            let user = app.create_user(name, role, uscc).await;
            insert_token(app, user.id).await
        }
    };
    let firm_a = token("firm-a", Role::Enterprise, Some(FIRM_A)).await;
    let firm_b = token("firm-b", Role::Enterprise, Some(FIRM_B)).await;
    let reviewer = token("reviewer", Role::Reviewer, None).await;
    let maker = token("maker", Role::FinanceMaker, None).await;
    Road {
        app,
        policy,
        version,
        firm_a,
        firm_b,
        reviewer,
        maker,
    }
}

impl Road {
    async fn grant(&self, uscc: &str, mode: &str, amount: &str) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id)
             VALUES ($1, $2, $3, gen_random_uuid()::text, $4::numeric, $5, 0, 0) RETURNING id",
        )
        .bind(&self.policy)
        .bind(self.version)
        .bind(uscc)
        .bind(amount)
        .bind(mode)
        .fetch_one(&self.app.db.pool)
        .await
        .unwrap()
    }

    async fn send(&self, token: Option<&str>, method: Method, path: &str, body: Value) -> Response {
        let mut request = reqwest::Client::new().request(method.clone(), self.app.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if method != Method::GET {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn statuses(&self, ids: &[i64]) -> Vec<String> {
        let mut out = Vec::new();
        for id in ids {
            out.push(
                sqlx::query_scalar("SELECT status FROM grants WHERE id = $1")
                    .bind(id)
                    .fetch_one(&self.app.db.pool)
                    .await
                    .unwrap(),
            );
        }
        out
    }

    async fn audit_rows(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM audit_events")
            .fetch_one(&self.app.db.pool)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn grants_go_through_review_and_publicity_to_ready_once_the_firm_gives_an_account() {
    let r = road().await;
    let a1 = r.grant(FIRM_A, "免申即享", "12000.00").await;
    let a2 = r.grant(FIRM_A, "免申即享", "3000.50").await;
    let b1 = r.grant(FIRM_B, "免申即享", "800.00").await;
    let rv = Some(r.reviewer.as_str());

    // Review: three grants approved at once start their 公示 window.
    let approved = r
        .send(
            rv,
            Method::POST,
            "/api/v1/review/grants/approve",
            json!({"ids": [a1, a2, b1], "reason": "材料齐全，审核通过"}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    assert_eq!(approved.json::<Value>().await.unwrap()["publicity"], 3);
    assert_eq!(r.statuses(&[a1, a2, b1]).await, ["publicity"; 3]);

    // The public list: no sign-in, masked names, amounts, no USCC.
    let list_path = format!("/api/v1/public/policies/{}/publicity", r.policy);
    let list = r.send(None, Method::GET, &list_path, json!(null)).await;
    assert_eq!(list.status(), 200);
    let text = list.text().await.unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list[0]["firm"], "青岛万嘉****有限公司");
    assert_eq!(list[0]["amount"], "12000.00");
    assert_eq!(list[2]["firm"], "济南****有限公司");
    assert!(!text.contains(FIRM_A) && !text.contains(NAME_A), "{text}");
    // Paged: one at a time, the next page linked.
    let first = r
        .send(
            None,
            Method::GET,
            &format!("{list_path}?limit=1"),
            json!(null),
        )
        .await;
    assert!(
        first.headers()["link"]
            .to_str()
            .unwrap()
            .contains(&format!("after={a1}"))
    );

    // An objection in the window holds the grant; another firm's grant is not found.
    let objection_path = |id: i64| format!("/api/v1/grants/{id}/publicity-objection");
    let objected = r
        .send(
            Some(&r.firm_a),
            Method::POST,
            &objection_path(a1),
            json!({"message": "公示金额有误"}),
        )
        .await;
    assert_eq!(objected.status(), 200);
    let not_theirs = r
        .send(
            Some(&r.firm_a),
            Method::POST,
            &objection_path(b1),
            json!({"message": "异议"}),
        )
        .await;
    assert_eq!(not_theirs.status(), 404);
    assert_eq!(r.statuses(&[a1]).await, ["disputed"]);

    // The reviewer sees it and dismisses it: back to 公示 while the window runs.
    let open: Value = r
        .send(
            rv,
            Method::GET,
            "/api/v1/review/publicity-objections",
            json!(null),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open.as_array().unwrap().len(), 1);
    let objection = open[0]["id"].as_i64().unwrap();
    let answered = r
        .send(
            rv,
            Method::POST,
            &format!("/api/v1/review/publicity-objections/{objection}/answer"),
            json!({"uphold": false, "answer": "经核实金额无误"}),
        )
        .await;
    assert_eq!(
        answered.json::<Value>().await.unwrap()["grant_status"],
        "publicity"
    );

    // The window ends; the job moves all three on, to wait for accounts, and reminds.
    sqlx::query(
        "UPDATE grants SET publicity_ends_at = now() - interval '1 second' WHERE id = ANY($1)",
    )
    .bind([a1, a2, b1])
    .execute(&r.app.db.pool)
    .await
    .unwrap();
    let closed: Value = r
        .send(
            rv,
            Method::POST,
            "/api/v1/review/publicity/close",
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(closed, json!({"ready": 0, "awaiting_account": 3}));
    let reminders: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notices WHERE kind = 'account_reminder' AND grant_id = ANY($1)",
    )
    .bind([a1, a2, b1])
    .fetch_one(&r.app.db.pool)
    .await
    .unwrap();
    assert_eq!(reminders, 3);

    // Firm A gives its account: its two grants are ready, firm B's still wait.
    let set = r
        .send(Some(&r.firm_a), Method::PUT, "/api/v1/enterprise/payee-account", json!({"account_name": NAME_A, "account_number": "6222 0212 3456 7890", "bank": "中国工商银行青岛分行"}))
        .await;
    assert_eq!(set.status(), 200);
    assert_eq!(set.json::<Value>().await.unwrap()["grants_ready"], 2);
    assert_eq!(
        r.statuses(&[a1, a2, b1]).await,
        ["ready", "ready", "awaiting_account"]
    );
    let shown: Value = r
        .send(
            Some(&r.firm_a),
            Method::GET,
            "/api/v1/enterprise/payee-account",
            json!(null),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["account_number"], "************7890");
    let none = r
        .send(
            Some(&r.firm_b),
            Method::GET,
            "/api/v1/enterprise/payee-account",
            json!(null),
        )
        .await;
    assert_eq!(none.status(), 404);
}

/// (what, bearer token, method, path, body, status, part of the message).
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    Method,
    String,
    Value,
    u16,
    &'a str,
);

#[tokio::test]
async fn bad_review_objection_and_account_requests_are_refused_and_change_nothing() {
    let r = road().await;
    let good = r.grant(FIRM_A, "免申即享", "100.00").await;
    let unconfirmed = r.grant(FIRM_A, "确认即享", "100.00").await;
    let in_window = r.grant(FIRM_B, "免申即享", "100.00").await;
    let rv = Some(r.reviewer.as_str());
    let started = r
        .send(
            rv,
            Method::POST,
            "/api/v1/review/grants/approve",
            json!({"ids": [in_window], "reason": "通过"}),
        )
        .await;
    assert_eq!(started.status(), 200);
    let ids = [good, unconfirmed, in_window];
    let (before, audited) = (r.statuses(&ids).await, r.audit_rows().await);
    let approve = "/api/v1/review/grants/approve";
    let reject = "/api/v1/review/grants/reject";
    let object = |id: i64| format!("/api/v1/grants/{id}/publicity-objection");
    let account = "/api/v1/enterprise/payee-account";
    let fa = Some(r.firm_a.as_str());
    let cases: Vec<Case> = vec![
        (
            "no grant",
            rv,
            Method::POST,
            approve.into(),
            json!({"ids": [], "reason": "通过"}),
            422,
            "请至少选择一项补贴",
        ),
        (
            "no reason",
            rv,
            Method::POST,
            approve.into(),
            json!({"ids": [good], "reason": "  "}),
            422,
            "每次变更须说明原因",
        ),
        (
            "unknown grant",
            rv,
            Method::POST,
            approve.into(),
            json!({"ids": [good, 999_999], "reason": "通过"}),
            404,
            "未找到补贴：[999999]",
        ),
        (
            "unconfirmed 确认即享",
            rv,
            Method::POST,
            approve.into(),
            json!({"ids": [good, unconfirmed], "reason": "通过"}),
            409,
            "确认即享补贴须待企业确认后审核",
        ),
        (
            "reject in 公示",
            rv,
            Method::POST,
            reject.into(),
            json!({"ids": [in_window], "reason": "驳回"}),
            409,
            "已审核或已放弃的补贴不能驳回",
        ),
        (
            "ids not numbers",
            rv,
            Method::POST,
            approve.into(),
            json!({"ids": ["x"], "reason": "通过"}),
            400,
            "请求体",
        ),
        (
            "approved by the firm",
            fa,
            Method::POST,
            approve.into(),
            json!({"ids": [good], "reason": "通过"}),
            403,
            "无权",
        ),
        (
            "approved by finance",
            Some(r.maker.as_str()),
            Method::POST,
            approve.into(),
            json!({"ids": [good], "reason": "通过"}),
            403,
            "无权",
        ),
        (
            "objection without text",
            Some(r.firm_b.as_str()),
            Method::POST,
            object(in_window),
            json!({"message": ""}),
            422,
            "异议须填写说明",
        ),
        (
            "objection out of the window",
            fa,
            Method::POST,
            object(good),
            json!({"message": "有误"}),
            409,
            "不在公示期内",
        ),
        (
            "answer to no objection",
            rv,
            Method::POST,
            "/api/v1/review/publicity-objections/424242/answer".into(),
            json!({"uphold": true, "answer": "成立"}),
            404,
            "未找到待处理的异议",
        ),
        (
            "account in another name",
            fa,
            Method::PUT,
            account.into(),
            json!({"account_name": NAME_B, "account_number": "62220212345678", "bank": "工商银行"}),
            422,
            "收款账户名称须与企业登记名称",
        ),
        (
            "account number with letters",
            fa,
            Method::PUT,
            account.into(),
            json!({"account_name": NAME_A, "account_number": "6222ABCD5678", "bank": "工商银行"}),
            422,
            "银行账号格式不正确",
        ),
        (
            "account set by a reviewer",
            rv,
            Method::PUT,
            account.into(),
            json!({"account_name": NAME_A, "account_number": "62220212345678", "bank": "工商银行"}),
            403,
            "无权",
        ),
        (
            "unknown status filter",
            rv,
            Method::GET,
            "/api/v1/review/grants?status=done".into(),
            json!(null),
            400,
            "未知的补贴状态",
        ),
    ];
    for (name, token, method, path, body, status, message) in cases {
        let response = r.send(token, method, &path, body).await;
        assert_eq!(response.status().as_u16(), status, "{name}");
        let (_, text) = error_of(response).await;
        assert!(text.contains(message), "{name}: {text}");
        assert_eq!(r.statuses(&ids).await, before, "{name} changed a grant");
        assert_eq!(r.audit_rows().await, audited, "{name} wrote an audit row");
    }
}
