//! The policy workspace over HTTP and the dry-run job underneath it: a job left half done
//! by a worker that died is finished by the next run with every firm counted once, and
//! the pages refuse, with a message a person can act on, whoever may not do a thing.

use std::time::Duration;

use mianshen::accounts::Role;
use mianshen::policies::{self, DryRunWorker};
use reqwest::StatusCode;

use crate::helpers::{Session, TestApp, spawn_app};
use crate::matching_support::insert_firms;

const POLICY: &str = "qd-2026-little-giant-reward";

/// Loads `rules/` as drafts by `author`; returns the version with the most eligible firms
/// over the current population and the date the dry runs use.
async fn busiest_draft(app: &TestApp, author: &str) -> (i64, chrono::NaiveDate) {
    let as_of = mianshen::ingest::today_in_china();
    let loaded = policies::load_versions(&app.app_pool, std::path::Path::new("rules"), author)
        .await
        .unwrap();
    let mut best = (0, 0);
    for (id, ..) in loaded {
        let dry = policies::dry_run(&app.app_pool, id, as_of)
            .await
            .unwrap()
            .unwrap();
        if dry.eligible > best.1 {
            best = (id, dry.eligible);
        }
    }
    assert!(
        best.1 > 0,
        "some policy finds eligible firms in the population"
    );
    (best.0, as_of)
}

#[tokio::test]
async fn a_dry_run_left_half_done_by_a_dead_worker_is_finished_by_the_next_run() {
    // Arrange: 60 firms, a draft, a job whose first worker did two pages of 10 and died.
    let app = spawn_app().await;
    insert_firms(&app.db.pool, 60).await;
    let (version, as_of) = busiest_draft(&app, "alice").await;
    let expected = policies::dry_run(&app.app_pool, version, as_of)
        .await
        .unwrap()
        .unwrap();
    let job = policies::start_dry_run(&app.app_pool, version, "alice", as_of)
        .await
        .unwrap()
        .unwrap();
    let dying = DryRunWorker {
        page_size: 10,
        max_pages: Some(2),
        ..DryRunWorker::new("dies-after-two-pages")
    };
    assert_eq!(
        policies::work_dry_runs(&app.app_pool, &dying)
            .await
            .unwrap(),
        0
    );
    let half = policies::find_dry_run_job(&app.app_pool, job)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (half.state.as_str(), half.firms_done, half.firms_total),
        ("running", 20, 60)
    );

    // A live holder keeps its job: another worker finds nothing to do yet.
    let patient = DryRunWorker::new("patient");
    assert_eq!(
        policies::work_dry_runs(&app.app_pool, &patient)
            .await
            .unwrap(),
        0
    );
    let still = policies::find_dry_run_job(&app.app_pool, job)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.claimed_by.as_deref(), Some("dies-after-two-pages"));

    // Act: the holder is silent past the takeover delay; the next run takes over.
    let rescuer = DryRunWorker {
        page_size: 7,
        stale_after: Duration::ZERO,
        ..DryRunWorker::new("rescuer")
    };
    let finished = policies::work_dry_runs(&app.app_pool, &rescuer)
        .await
        .unwrap();

    // Assert: done, resumed from the cursor (every firm once), the same as in one go.
    assert_eq!(finished, 1);
    let done = policies::find_dry_run_job(&app.app_pool, job)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.state.as_str(), done.firms_done, done.attempts),
        ("done", 60, 2)
    );
    assert_eq!(policies::job_result(&done), Some(expected.clone()));
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM dry_run_job_firms WHERE job_id = $1")
            .bind(job)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(stored >= i64::try_from(expected.eligible).unwrap() && stored <= 60);
    // Starting again the same day after it is done queues a fresh job.
    let again = policies::start_dry_run(&app.app_pool, version, "alice", as_of)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(again, job);
}

#[tokio::test]
async fn starting_a_dry_run_twice_while_it_runs_gives_the_same_job() {
    let app = spawn_app().await;
    insert_firms(&app.db.pool, 5).await;
    let loaded = policies::load_versions(&app.app_pool, std::path::Path::new("rules"), "alice")
        .await
        .unwrap();
    let as_of = mianshen::ingest::today_in_china();
    let first = policies::start_dry_run(&app.app_pool, loaded[0].0, "alice", as_of)
        .await
        .unwrap();
    let second = policies::start_dry_run(&app.app_pool, loaded[0].0, "bob", as_of)
        .await
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(
        policies::start_dry_run(&app.app_pool, 999_999, "alice", as_of)
            .await
            .unwrap(),
        None
    );
}

/// A multipart body of `files` (name inside the folder `dir`, content) plus `fields`.
fn multipart(dir: &str, files: &[(&str, Vec<u8>)], fields: &[(&str, &str)]) -> Body {
    let boundary = "----mianshen-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, content) in files {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{dir}/{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(content);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn folder_with(change: impl Fn(&str, String) -> String) -> Vec<(&'static str, Vec<u8>)> {
    ["policy.toml", "rule.rhai", "cases.toml"]
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(format!("rules/{POLICY}/{name}")).unwrap();
            (name, change(name, text).into_bytes())
        })
        .collect()
}

async fn upload(
    app: &TestApp,
    who: &Session,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    who.client
        .post(app.url("/policies/drafts/upload"))
        .headers(who.csrf_headers())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_author_uploads_a_folder_and_the_draft_is_stored_once_checked() {
    let app = spawn_app().await;
    let author = app.session_as(Role::PolicyAuthor).await;
    let (content_type, body) =
        multipart(POLICY, &folder_with(|_, t| t), &[("_csrf", &author.csrf)]);

    let response = upload(&app, &author, &content_type, body).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    let (author_of, policy): (String, String) =
        sqlx::query_as("SELECT author, policy_id FROM policy_versions")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        (author_of.as_str(), policy.as_str()),
        ("u-policy-author", POLICY)
    );
    let page = author
        .client
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("规则检查通过"), "{page}");
    assert!(page.contains("class=\"hl-kw\""), "the rule is highlighted");
}

#[tokio::test]
async fn bad_uploads_and_wrong_roles_are_refused_with_a_message_to_act_on() {
    let app = spawn_app().await;
    let author = app.session_as(Role::PolicyAuthor).await;
    let reviewer = app.session_as(Role::Reviewer).await;
    let firm = app.session_as(Role::Enterprise).await;
    let admin = app.session_as(Role::Admin).await;
    // A draft the reviewer wrote (as `rules/` loaded under their name).
    let own = policies::load_versions(&app.app_pool, std::path::Path::new("rules"), "u-reviewer")
        .await
        .unwrap()[0]
        .0;
    let admin_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'u-admin'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let typo = folder_with(|name, t| {
        if name == "rule.rhai" {
            t.replace("profile.serious_dishonesty", "profile.serious_dishonsty")
        } else {
            t
        }
    });
    let huge = folder_with(|name, t| {
        if name == "cases.toml" {
            format!("{t}\n#{}\n", "x".repeat(300 * 1024))
        } else {
            t
        }
    });
    let dry_run = format!("/policies/{own}/dry-runs");
    let publish = format!("/policies/{own}/publish");
    let own_role = format!("/admin/users/{admin_id}/role");
    let revoke_any = format!("/admin/users/{admin_id}/tokens/1/revoke");
    let revoke_none = format!("/admin/users/{admin_id}/tokens/424242/revoke");
    let form = |body: &str| {
        (
            "application/x-www-form-urlencoded".to_owned(),
            body.as_bytes().to_vec(),
        )
    };
    let cases: Vec<Refusal> = vec![
        (
            "a reviewer does not submit drafts",
            &reviewer,
            "/policies/drafts/upload",
            multipart(POLICY, &folder_with(|_, t| t), &[]),
            StatusCode::FORBIDDEN,
            "无权",
        ),
        (
            "a firm does not start dry runs",
            &firm,
            &dry_run,
            form(""),
            StatusCode::FORBIDDEN,
            "无权",
        ),
        (
            "an author does not publish",
            &author,
            &publish,
            form(""),
            StatusCode::FORBIDDEN,
            "无权",
        ),
        (
            "no one publishes their own draft",
            &reviewer,
            &publish,
            form(""),
            StatusCode::FORBIDDEN,
            "不能发布自己提交的政策版本",
        ),
        (
            "an upload that is not multipart",
            &author,
            "/policies/drafts/upload",
            form("files=rule.rhai"),
            StatusCode::BAD_REQUEST,
            "上传政策文件夹",
        ),
        (
            "a malformed multipart body",
            &author,
            "/policies/drafts/upload",
            (
                "multipart/form-data; boundary=zzz".to_owned(),
                b"--zzz\r\nnonsense".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "无法读取",
        ),
        (
            "an upload without files",
            &author,
            "/policies/drafts/upload",
            multipart(POLICY, &[], &[("policy_id", POLICY)]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "没有收到文件",
        ),
        (
            "an oversize file",
            &author,
            "/policies/drafts/upload",
            multipart(POLICY, &huge, &[]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "超过上限 256 KiB",
        ),
        (
            "a file that is not UTF-8",
            &author,
            "/policies/drafts/upload",
            multipart(POLICY, &[("rule.rhai", vec![0xff, 0xfe, 0x00])], &[]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "不是 UTF-8",
        ),
        (
            "a folder whose rule fails the check",
            &author,
            "/policies/drafts/upload",
            multipart(POLICY, &typo, &[]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rule.rhai 第 4 行",
        ),
        (
            "an administrator changing their own role",
            &admin,
            &own_role,
            form("role=auditor"),
            StatusCode::FORBIDDEN,
            "不能对自己的账户",
        ),
        (
            "an unknown role",
            &admin,
            &own_role,
            form("role=boss"),
            StatusCode::BAD_REQUEST,
            "请从列表中选择角色",
        ),
        (
            "a reviewer does not revoke tokens",
            &reviewer,
            &revoke_any,
            form(""),
            StatusCode::FORBIDDEN,
            "无权",
        ),
        (
            "revoking a token that is not there",
            &admin,
            &revoke_none,
            form(""),
            StatusCode::NOT_FOUND,
            "未找到该令牌",
        ),
    ];
    for (case, who, path, (content_type, body), status, message) in cases {
        let response = upload_to(&app, who, path, &content_type, body).await;
        assert_eq!(response.status(), status, "{case}");
        let text = response.text().await.unwrap();
        assert!(text.contains(message), "{case}: {text}");
    }
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM policy_versions WHERE author <> 'u-reviewer'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, 0, "nothing refused was stored");
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(admin_id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(role, "admin");
}

/// A content type and a body.
type Body = (String, Vec<u8>);

/// One refused request: what it is, who sends it where, and the status and message wanted.
type Refusal<'a> = (&'a str, &'a Session, &'a str, Body, StatusCode, &'a str);

async fn upload_to(
    app: &TestApp,
    who: &Session,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    who.client
        .post(app.url(path))
        .headers(who.csrf_headers())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_administrator_revokes_a_token_and_changes_a_role_both_audited() {
    let app = spawn_app().await;
    let admin = app.session_as(Role::Admin).await;
    let leaver = app.create_user("leaver", Role::PolicyAuthor, None).await;
    let token = crate::helpers::insert_token(&app, leaver.id).await;
    let token_id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens WHERE user_id = $1")
        .bind(leaver.id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let me = |t: String| {
        let url = app.url("/api/v1/me");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(me(token.clone()).await, StatusCode::OK);

    let revoked = upload_to(
        &app,
        &admin,
        &format!("/admin/users/{}/tokens/{token_id}/revoke", leaver.id),
        "application/x-www-form-urlencoded",
        Vec::new(),
    )
    .await;
    let changed = upload_to(
        &app,
        &admin,
        &format!("/admin/users/{}/role", leaver.id),
        "application/x-www-form-urlencoded",
        b"role=auditor&uscc=".to_vec(),
    )
    .await;

    assert_eq!(
        (revoked.status(), changed.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert_eq!(me(token).await, StatusCode::UNAUTHORIZED);
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(leaver.id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(role, "auditor");
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE actor = 'u-admin' AND action IN ('api_token.revoke', 'user.role') ORDER BY seq",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(audited, ["api_token.revoke", "user.role"]);
    let page = admin
        .client
        .get(app.url(&format!("/admin/users/{}", leaver.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("已吊销"), "{page}");
}
