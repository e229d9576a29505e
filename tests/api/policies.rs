//! An author submits a policy folder over the API: checked and tested before it is stored as
//! a draft, idempotent by content, refused with a message the author can act on.

use std::collections::BTreeMap;

use mianshen::accounts::Role;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, error_of, spawn_app};

const POLICY: &str = "qd-2026-little-giant-reward";

fn folder() -> BTreeMap<String, String> {
    ["policy.toml", "rule.rhai", "cases.toml"]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(format!("rules/{POLICY}/{name}")).unwrap();
            ((*name).to_owned(), text)
        })
        .collect()
}

async fn submit(app: &TestApp, session: &Session, body: &Value) -> reqwest::Response {
    session
        .client
        .post(app.url("/api/v1/policy-versions"))
        .headers(session.csrf_headers())
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_author_submits_a_folder_as_a_draft_once() {
    let app = spawn_app().await;
    let author = app.session_as(Role::PolicyAuthor).await;
    let body = json!({"policy_id": POLICY, "files": folder()});

    let first = submit(&app, &author, &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["created"], true);
    assert!(first["cases_passed"].as_u64().unwrap() >= 5);

    let again = submit(&app, &author, &body).await;
    assert_eq!(again.status(), 200, "the same content is the same version");
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        (again["id"].clone(), again["created"].clone()),
        (first["id"].clone(), json!(false))
    );

    let versions: Vec<Value> = author
        .client
        .get(app.url("/api/v1/policy-versions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored = versions.iter().find(|v| v["id"] == first["id"]).unwrap();
    assert_eq!(stored["status"], "draft");
    assert_eq!(stored["author"], "u-policy-author");
    assert_eq!(stored["version_hash"], first["version_hash"]);
}

#[tokio::test]
async fn only_authors_submit() {
    let app = spawn_app().await;
    let body = json!({"policy_id": POLICY, "files": folder()});
    for role in [
        Role::Reviewer,
        Role::Enterprise,
        Role::FinanceMaker,
        Role::Admin,
    ] {
        let session = app.session_as(role).await;
        let refused = submit(&app, &session, &body).await;
        assert_eq!(refused.status(), 403, "{role:?}");
    }
}

#[tokio::test]
async fn bad_submissions_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let author = app.session_as(Role::PolicyAuthor).await;
    let with = |name: &str, text: &str| {
        let mut files = folder();
        files.insert(name.to_owned(), text.to_owned());
        files
    };
    let without = |name: &str| {
        let mut files = folder();
        files.remove(name);
        files
    };
    let rule = folder()["rule.rhai"].clone();
    let cases = folder()["cases.toml"].clone();
    let table: Vec<(&str, &str, BTreeMap<String, String>, &str)> = vec![
        ("a path as the id", "../etc", folder(), "政策编号"),
        ("an upper-case id", "QD-2026", folder(), "政策编号"),
        (
            "no rule",
            POLICY,
            without("rule.rhai"),
            "缺少文件 rule.rhai",
        ),
        (
            "no cases",
            POLICY,
            without("cases.toml"),
            "缺少文件 cases.toml",
        ),
        (
            "a path as a file name",
            POLICY,
            with("../x.toml", "x"),
            "文件名",
        ),
        ("a hidden file", POLICY, with(".env", "x"), "文件名"),
        (
            "a misspelt field: where",
            POLICY,
            with(
                "rule.rhai",
                &rule.replace("profile.status", "profile.statuss"),
            ),
            "qd-2026-little-giant-reward/rule.rhai:3",
        ),
        (
            "a misspelt field: what",
            POLICY,
            with(
                "rule.rhai",
                &rule.replace("profile.status", "profile.statuss"),
            ),
            "statuss",
        ),
        (
            "a require without a reason",
            POLICY,
            with("rule.rhai", &format!("{rule}\nrequire(true);\n")),
            "规则检查未通过",
        ),
        (
            "a case that fails",
            POLICY,
            with(
                "cases.toml",
                &cases.replacen("amount = \"1000000.00\"", "amount = \"999999.99\"", 1),
            ),
            "规则测试未通过",
        ),
        (
            "a folder without cases",
            POLICY,
            with(
                "cases.toml",
                &format!("case = []\n{}", &cases[..cases.find("[[case]]").unwrap()]),
            ),
            "至少需要一个",
        ),
        (
            "an id that differs from policy.toml",
            "qd-2026-other",
            folder(),
            "不一致",
        ),
    ];
    for (what, id, files, expected) in table {
        let refused = submit(&app, &author, &json!({"policy_id": id, "files": files})).await;
        assert_eq!(refused.status(), 422, "{what}");
        let (_, message) = error_of(refused).await;
        assert!(message.contains(expected), "{what}: {message}");
    }
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM policy_versions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(none, 0, "nothing refused is stored");
}
