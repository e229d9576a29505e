//! Who sees which profile: staff see any firm's profile, history and the quarantine; an
//! enterprise sees only its own (另一企业的档案 → 404) and raises data objections, which
//! staff answer (audited).
#![allow(clippy::unwrap_used)]
// `entry()` cannot hold the `.await` of a sign-in.
#![allow(clippy::map_entry)]

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
mod ingest_support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use helpers::{FIRM_A, FIRM_B, Session, TestApp, spawn_app};
use ingest_support::{settings_for, start_platform};
use mianshen::accounts::Role;
use mianshen::ingest::{NoProgress, run_ingest};
use serde_json::{Value, json};

/// The quarantine as `who` lists it.
async fn quarantine(app: &TestApp, who: &Session) -> Value {
    who.client
        .get(app.url("/api/v1/quarantine"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The audit trail's `after` of every close of quarantined record `id`.
async fn closes_audited(app: &TestApp, id: i64) -> Vec<Value> {
    sqlx::query_scalar(
        "SELECT after FROM audit_events WHERE action = 'quarantine.close' AND entity_id = $1",
    )
    .bind(id.to_string())
    .fetch_all(&app.app_pool)
    .await
    .unwrap()
}

async fn app_with_profiles() -> TestApp {
    let app = spawn_app().await;
    let mut feeds: HashMap<String, Vec<Value>> = HashMap::new();
    feeds.insert(
        "market_regulation".into(),
        vec![
            json!({"uscc": FIRM_A, "name": "甲公司", "region_code": "370181"}),
            json!({"uscc": FIRM_B, "name": "乙公司"}),
            json!({"uscc": FIRM_B, "colour": "red"}),
        ],
    );
    for s in ["tax", "hrss", "science", "credit"] {
        feeds.insert(s.into(), vec![]);
    }
    let base = start_platform(Arc::new(Mutex::new(feeds)), Duration::ZERO).await;
    let settings = settings_for(&base, app.db.url(), 10);
    run_ingest(&app.app_pool, &settings.ingest, None, &NoProgress)
        .await
        .unwrap();
    app
}

#[tokio::test]
async fn each_role_sees_what_it_may_and_no_more() {
    let app = app_with_profiles().await;
    // (role, path, expected status)
    let table = [
        (Role::Reviewer, format!("/api/v1/profiles/{FIRM_B}"), 200),
        (
            Role::FinanceMaker,
            format!("/api/v1/profiles/{FIRM_B}/snapshots"),
            200,
        ),
        (Role::FinanceChecker, "/api/v1/quarantine".to_owned(), 200),
        (Role::Auditor, format!("/profiles/{FIRM_B}"), 200),
        (Role::Admin, "/quarantine".to_owned(), 200),
        (
            Role::PolicyAuthor,
            format!("/api/v1/profiles/{FIRM_B}"),
            403,
        ),
        (Role::Enterprise, format!("/api/v1/profiles/{FIRM_A}"), 200),
        (Role::Enterprise, format!("/api/v1/profiles/{FIRM_B}"), 404),
        (
            Role::Enterprise,
            format!("/api/v1/profiles/{FIRM_B}/snapshots"),
            404,
        ),
        (Role::Enterprise, "/api/v1/quarantine".to_owned(), 403),
        (Role::Enterprise, "/my/profile".to_owned(), 200),
        (Role::Reviewer, "/my/profile".to_owned(), 403),
    ];
    let mut sessions = HashMap::new();
    for (role, path, status) in table {
        if !sessions.contains_key(&role) {
            sessions.insert(role, app.session_as(role).await);
        }
        let response = sessions[&role]
            .client
            .get(app.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{role:?} GET {path}");
    }
    let mine: Value = sessions[&Role::Enterprise]
        .client
        .get(app.url(&format!("/api/v1/profiles/{FIRM_A}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["doc"]["region_code"], "370114");
    assert_eq!(mine["provenance"]["region_code"]["original"], "370181");
    let page = sessions[&Role::Enterprise]
        .client
        .get(app.url("/my/profile"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("我的企业档案")
            && html.contains("注册地行政区划代码")
            && html.contains("市场监管部门")
            && html.contains("原始值：370181"),
        "{html}"
    );
    let q = quarantine(&app, &sessions[&Role::Reviewer]).await;
    assert_eq!(q[0]["field"], "colour");
}

#[tokio::test]
async fn an_objection_is_raised_on_the_own_profile_only_and_answered_by_staff() {
    let app = app_with_profiles().await;
    let firm = app.session_as(Role::Enterprise).await;
    let reviewer = app.session_as(Role::Reviewer).await;
    let auditor = app.session_as(Role::Auditor).await;
    let body = json!({"field": "name", "message": "名称已变更为甲科技公司"});

    let other = firm
        .client
        .post(app.url(&format!("/api/v1/profiles/{FIRM_B}/objections")))
        .headers(firm.csrf_headers())
        .json(&body)
        .send()
        .await
        .unwrap();
    let own = firm
        .client
        .post(app.url(&format!("/api/v1/profiles/{FIRM_A}/objections")))
        .headers(firm.csrf_headers())
        .json(&body)
        .send()
        .await
        .unwrap();
    let empty = firm
        .client
        .post(app.url(&format!("/api/v1/profiles/{FIRM_A}/objections")))
        .headers(firm.csrf_headers())
        .json(&json!({"field": "name", "message": " "}))
        .send()
        .await
        .unwrap();

    assert_eq!(other.status(), 404);
    assert_eq!(own.status(), 201);
    assert_eq!(empty.status(), 422);
    let id = own.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let listed: Value = reviewer
        .client
        .get(app.url("/api/v1/objections"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["message"], "名称已变更为甲科技公司");
    let answer = json!({"answer": "已转市场监管部门核实"});
    let path = format!("/api/v1/objections/{id}/answer");
    let refused = auditor
        .client
        .post(app.url(&path))
        .headers(auditor.csrf_headers())
        .json(&answer)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let done = reviewer
        .client
        .post(app.url(&path))
        .headers(reviewer.csrf_headers())
        .json(&answer)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let seen: Value = firm
        .client
        .get(app.url("/api/v1/objections"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen[0]["answer"], "已转市场监管部门核实");
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'objection.answer'")
            .fetch_one(&app.app_pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_quarantined_record_is_closed_once_by_staff_with_a_note_and_audited() {
    let app = app_with_profiles().await;
    let reviewer = app.session_as(Role::Reviewer).await;
    let auditor = app.session_as(Role::Auditor).await;
    let firm = app.session_as(Role::Enterprise).await;
    let listed = quarantine(&app, &reviewer).await;
    let id = listed[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/quarantine/{id}/close");
    let good = json!({"status": "dismissed", "note": "来源字段多余，无需更正"});

    // (who, path, body, expected status, what the reply must say): refusals first, then the
    // close, then a second close.
    let cases = [
        (&auditor, path.clone(), good.clone(), 403, ""),
        (&firm, path.clone(), good.clone(), 403, ""),
        (
            &reviewer,
            path.clone(),
            json!({"status": "deleted", "note": "x"}),
            422,
            "status 应为 resolved",
        ),
        (
            &reviewer,
            path.clone(),
            json!({"status": "resolved", "note": "  "}),
            422,
            "处理说明不能为空",
        ),
        (
            &reviewer,
            "/api/v1/quarantine/999999/close".to_owned(),
            good.clone(),
            404,
            "未找到隔离记录 999999",
        ),
        (
            &reviewer,
            path.clone(),
            good.clone(),
            200,
            "\"status\":\"dismissed\"",
        ),
        (
            &reviewer,
            path.clone(),
            good.clone(),
            409,
            "已处理（dismissed）",
        ),
    ];
    for (who, path, body, expected, says) in cases {
        let reply = who
            .client
            .post(app.url(&path))
            .headers(who.csrf_headers())
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = reply.status().as_u16();
        let text = reply.text().await.unwrap();
        assert_eq!(status, expected, "{path} {body}: {text}");
        assert!(text.contains(says), "{path} {body}: {text}");
    }

    let after = quarantine(&app, &reviewer).await;
    let row = after
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap();
    assert_eq!(row["status"], "dismissed");
    let audited = closes_audited(&app, id).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["note"], "来源字段多余，无需更正");
    assert!(audited[0].get("raw").is_none(), "{:?}", audited[0]);
}

/// The quarantine page as `who` sees it.
async fn quarantine_page(app: &TestApp, who: &Session) -> String {
    let reply = who.client.get(app.url("/quarantine")).send().await.unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    reply.text().await.unwrap()
}

#[tokio::test]
async fn the_quarantine_page_offers_closing_to_reviewers_only_and_closes_through_the_same_checks() {
    let app = app_with_profiles().await;
    let reviewer = app.session_as(Role::Reviewer).await;
    let auditor = app.session_as(Role::Auditor).await;
    let id = quarantine(&app, &reviewer).await[0]["id"].as_i64().unwrap();
    let action = format!("/quarantine/{id}/close");

    // Only a role that may close is offered the form.
    assert!(quarantine_page(&app, &reviewer).await.contains(&action));
    let seen_by_auditor = quarantine_page(&app, &auditor).await;
    assert!(!seen_by_auditor.contains(&action), "{seen_by_auditor}");
    assert!(seen_by_auditor.contains("待处理"));

    // (who, status, note, expected reply): refusals, the close, a second close.
    let cases = [
        (&auditor, "dismissed", "无需处理", 403),
        (&reviewer, "dismissed", " ", 422),
        (&reviewer, "deleted", "说明", 422),
        (&reviewer, "resolved", "已通知市场监管局更正", 303),
        (&reviewer, "dismissed", "再次关闭", 409),
    ];
    for (who, status, note, expected) in cases {
        let reply = who
            .client
            .post(app.url(&action))
            .form(&[
                ("_csrf", who.csrf.as_str()),
                ("status", status),
                ("note", note),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), expected, "{status} {note:?}");
    }

    let page = quarantine_page(&app, &reviewer).await;
    assert!(!page.contains(&action), "closed rows offer no form");
    assert!(page.contains("已关闭（已在来源更正）"), "{page}");
    let audited = closes_audited(&app, id).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["note"], "已通知市场监管局更正");
}
