//! The enterprise's answer to a grant over the JSON API: bad answers get a 4xx with a Chinese
//! message (a table), another firm's grant is 404, a good answer is stored once and audited;
//! the role table of the new routes.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use helpers::{FIRM_A, FIRM_B, error_of, spawn_app};
use mianshen::accounts::Role;
use serde_json::{Value, json};

/// A grant of `mode` for `uscc`, as matching would create it.
async fn grant(app: &helpers::TestApp, uscc: &str, mode: &str, key: &str) -> i64 {
    let version: i64 = sqlx::query_scalar("SELECT min(id) FROM policy_versions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    sqlx::query_scalar(
        "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id)
         VALUES ('p', $1, $2, $3, 1000.00, $4, 0, 0) RETURNING id",
    )
    .bind(version)
    .bind(uscc)
    .bind(key)
    .bind(mode)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn answers_are_checked_scoped_stored_once_and_audited() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    app.create_firm(FIRM_B, "乙公司").await;
    mianshen::policies::load_versions(&app.app_pool, std::path::Path::new("rules"), "alice")
        .await
        .unwrap();
    let confirm = grant(&app, FIRM_A, "确认即享", "2026").await;
    let automatic = grant(&app, FIRM_A, "免申即享", "once").await;
    let other = grant(&app, FIRM_B, "确认即享", "2026").await;
    let firm = app.session_as(Role::Enterprise).await;
    let post = |id: i64, body: Value| {
        firm.client
            .post(app.url(&format!("/api/v1/grants/{id}/answer")))
            .headers(firm.csrf_headers())
            .json(&body)
            .send()
    };
    let good = json!({"kind": "confirm", "bank_account_name": "甲公司", "bank_account_no": "6222 0212 3456 7890", "commitment": "本企业承诺所填信息真实"});
    let cases: Vec<(&str, i64, Value, u16, &str)> = vec![
        (
            "账户名称不符",
            confirm,
            json!({"kind": "confirm", "bank_account_name": "乙公司", "bank_account_no": "62220212345678", "commitment": "承诺"}),
            422,
            "银行账户名称须与企业登记名称“甲公司”一致",
        ),
        (
            "账号含字母",
            confirm,
            json!({"kind": "confirm", "bank_account_name": "甲公司", "bank_account_no": "6222ABC", "commitment": "承诺"}),
            422,
            "银行账号格式不正确：应为8至32位数字",
        ),
        (
            "账号过短",
            confirm,
            json!({"kind": "confirm", "bank_account_name": "甲公司", "bank_account_no": "1234", "commitment": "承诺"}),
            422,
            "银行账号格式不正确：应为8至32位数字",
        ),
        (
            "未签承诺",
            confirm,
            json!({"kind": "confirm", "bank_account_name": "甲公司", "bank_account_no": "62220212345678", "commitment": " "}),
            400,
            "确认领取须签署承诺书",
        ),
        (
            "异议无说明",
            confirm,
            json!({"kind": "object", "message": ""}),
            400,
            "异议须填写说明（不超过1000字）",
        ),
        (
            "免申即享无需答复",
            automatic,
            json!({"kind": "decline"}),
            422,
            "免申即享补贴无需企业确认",
        ),
        (
            "他企补贴",
            other,
            json!({"kind": "decline"}),
            404,
            "未找到该补贴",
        ),
        (
            "不存在的补贴",
            999_999,
            json!({"kind": "decline"}),
            404,
            "未找到该补贴",
        ),
    ];
    for (name, id, body, status, message) in cases {
        let response = post(id, body).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{name}");
        assert_eq!(error_of(response).await.1, message, "{name}");
    }
    let unknown_kind = post(confirm, json!({"kind": "maybe"})).await.unwrap();
    assert_eq!(unknown_kind.status().as_u16(), 400);

    let ok = post(confirm, good.clone()).await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap()["status"], "confirmed");
    let twice = post(confirm, json!({"kind": "decline"})).await.unwrap();
    assert_eq!(twice.status().as_u16(), 409);
    assert_eq!(error_of(twice).await.1, "该补贴已答复，不能重复答复");

    let (no, by): (String, String) = sqlx::query_as(
        "SELECT bank_account_no, answered_by FROM grant_answers WHERE grant_id = $1",
    )
    .bind(confirm)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (no.as_str(), by.as_str()),
        ("6222021234567890", "u-enterprise")
    );
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'grant.answer'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
    // The step went through the one path: who (the firm's account), its role and why.
    let (actor, role): (String, String) = sqlx::query_as(
        "SELECT actor, after->>'role' FROM audit_events
         WHERE action = 'grant.step' AND entity_id = ($1::bigint)::text AND after->>'status' = 'confirmed'",
    )
    .bind(confirm)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (actor.as_str(), role.as_str()),
        ("u-enterprise", "enterprise")
    );

    // The firm lists only its own grants.
    let mine: Vec<Value> = firm
        .client
        .get(app.url("/api/v1/grants"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|g| g["uscc"] == FIRM_A));
}

#[tokio::test]
async fn roles_of_the_grant_and_policy_routes() {
    let app = spawn_app().await;
    mianshen::policies::load_versions(&app.app_pool, std::path::Path::new("rules"), "u-reviewer")
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar("SELECT min(id) FROM policy_versions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    // (role, GET grants, POST answer, GET versions, POST publish)
    let table = [
        (Role::Enterprise, 200, 404, 403, 403),
        (Role::PolicyAuthor, 403, 403, 200, 403),
        (Role::Reviewer, 200, 403, 200, 403),
        (Role::FinanceMaker, 200, 403, 403, 403),
        (Role::FinanceChecker, 200, 403, 403, 403),
        (Role::Auditor, 200, 403, 200, 403),
        (Role::Admin, 200, 403, 200, 403),
    ];
    for (role, list, answer, versions, publish) in table {
        if role == Role::Enterprise {
            app.create_firm(FIRM_A, "甲公司").await;
        }
        let s = app.session_as(role).await;
        let got = |path: &str| s.client.get(app.url(path)).send();
        let posted = |path: String, body: Value| {
            s.client
                .post(app.url(&path))
                .headers(s.csrf_headers())
                .json(&body)
                .send()
        };
        assert_eq!(
            got("/api/v1/grants").await.unwrap().status().as_u16(),
            list,
            "{role:?} list"
        );
        assert_eq!(
            posted("/api/v1/grants/1/answer".into(), json!({"kind": "decline"}))
                .await
                .unwrap()
                .status()
                .as_u16(),
            answer,
            "{role:?} answer"
        );
        assert_eq!(
            got("/api/v1/policy-versions")
                .await
                .unwrap()
                .status()
                .as_u16(),
            versions,
            "{role:?} versions"
        );
        // The reviewer is the author of these drafts here: four eyes refuses with 403 too.
        let p = posted(format!("/api/v1/policy-versions/{id}/publish"), json!({}))
            .await
            .unwrap();
        assert_eq!(p.status().as_u16(), publish, "{role:?} publish");
        if role == Role::Reviewer {
            assert_eq!(
                error_of(p).await.1,
                "不能发布自己提交的政策版本（四眼原则）"
            );
        }
    }
    let anonymous = reqwest::get(app.url("/api/v1/grants")).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}
