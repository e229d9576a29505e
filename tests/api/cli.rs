//! The binary as an operator runs it: config errors, the missing-PostgreSQL message,
//! `user add`, `audit verify`, `--help`, and `demo` serving until SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mianshen::accounts::Role;
use mianshen::db::{self, MIGRATOR};

use crate::helpers::{PASSWORD, browser, spawn_app};

fn mianshen() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mianshen"));
    for variable in [
        "DATABASE_URL",
        "MIANSHEN_PG_BIN",
        "MIANSHEN_DATA_DIR",
        "MIANSHEN_CONFIG",
        "MIANSHEN_LISTEN",
    ] {
        command.env_remove(variable);
    }
    command
}

#[test]
fn a_bad_setting_stops_the_program_naming_the_variable() {
    let output = mianshen()
        .arg("migrate")
        .env("MIANSHEN_LISTEN", "nonsense")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("MIANSHEN_LISTEN") && stderr.contains("127.0.0.1:8080"),
        "{stderr}"
    );
}

#[test]
fn without_postgresql_binaries_or_database_url_the_program_names_both_remedies() {
    let empty = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();

    let output = mianshen()
        .arg("migrate")
        .env("MIANSHEN_PG_BIN", empty.path())
        .env("MIANSHEN_DATA_DIR", data.path())
        .output()
        .unwrap();

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("install PostgreSQL"), "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one paragraph: {stderr}");
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        &["serve", "--help"][..],
        &["migrate", "--help"],
        &["demo", "--help"],
        &["user", "add", "--help"],
        &["audit", "verify", "--help"],
    ] {
        let output = mianshen().args(args).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{args:?}");
        assert!(stdout.contains("Usage:"), "{args:?}: {stdout}");
    }
    let serve = mianshen().args(["serve", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&serve.stdout).contains("--listen"));
}

#[tokio::test]
async fn user_add_creates_an_account_that_can_sign_in() {
    let app = spawn_app().await;

    let mut child = mianshen()
        .args([
            "user",
            "add",
            "grace",
            "--role",
            "enterprise",
            "--uscc",
            "91370102ma3c4rqx2b",
            "--name",
            "甲公司",
        ])
        .env("DATABASE_URL", app.db.url())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();

    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("created enterprise account grace"));
    let response = app.try_login(&browser(), "grace", PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["user"]["uscc"], "91370102MA3C4RQX2B");
}

#[test]
fn user_add_refuses_bad_input_with_the_reason() {
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "user",
                "add",
                "h",
                "--role",
                "enterprise",
                "--generate-password",
            ],
            "--uscc",
        ),
        (
            &[
                "user",
                "add",
                "hank",
                "--role",
                "reviewer",
                "--uscc",
                "91370102MA3C4RQX2B",
                "--generate-password",
            ],
            "drop --uscc",
        ),
        (
            &[
                "user",
                "add",
                "hank",
                "--role",
                "king",
                "--generate-password",
            ],
            "unknown role",
        ),
    ];
    for (args, expected) in cases {
        let output = mianshen()
            .args(args)
            .env("MIANSHEN_PG_BIN", "/nonexistent")
            .output()
            .unwrap();

        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(expected) || stderr.contains("username"),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test]
async fn audit_verify_exits_non_zero_naming_the_tampered_row() {
    let app = spawn_app().await;
    for role in [Role::Reviewer, Role::Auditor, Role::Admin] {
        app.create_user(&format!("v-{role}").replace('_', "-"), role, None)
            .await;
    }
    let verify = || {
        mianshen()
            .args(["audit", "verify"])
            .env("DATABASE_URL", app.db.url())
            .output()
            .unwrap()
    };

    let intact = verify();
    sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER USER")
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_events SET entity_id = '999' WHERE seq = 2")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let tampered = verify();

    assert!(intact.status.success());
    assert!(String::from_utf8_lossy(&intact.stdout).contains("3 rows verified"));
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&tampered.stdout).contains("BROKEN at row 2"),
        "{tampered:?}"
    );
}

/// Runs `demo`, waits for its URL, checks it serves, then stops it with SIGTERM.
fn run_demo(command: &mut Command) -> (String, std::process::ExitStatus) {
    let mut child = command
        .args(["demo", "--listen", "127.0.0.1:0"])
        .env("MIANSHEN_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The logs are read as they come: a full stderr pipe would block the demo's logging,
    // and with it the demo itself, before it could stop.
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr_reader = std::thread::spawn(move || {
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut stderr_pipe, &mut stderr).unwrap();
        stderr
    });
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let mut url = None;
    for line in stdout.lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.strip_prefix("mianshen demo is running: ") {
            url = Some(rest.trim().trim_end_matches('/').to_owned());
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    let url = url.unwrap_or_else(|| panic!("no URL printed: {printed}"));
    let health = blocking_get(&format!("{url}/healthz"));
    assert_eq!(health, 200, "{printed}");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "demo did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = stderr_reader.join().unwrap();
    for line in stderr.lines().filter(|l| l.starts_with('{')) {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"));
    }
    (printed, status)
}

/// A GET from a plain thread (the demo test is synchronous), returning the status.
fn blocking_get(url: &str) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async { reqwest::get(url).await.unwrap().status().as_u16() })
}

#[test]
fn demo_on_the_private_cluster_serves_prints_the_accounts_and_stops_cleanly() {
    let data = tempfile::Builder::new()
        .prefix("mianshen-demo-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();

    let (printed, status) = run_demo(mianshen().env("MIANSHEN_DATA_DIR", data.path()));

    assert!(status.success(), "{status:?}");
    for role in Role::ALL {
        assert!(
            printed.contains(role.as_str()),
            "account for {role} printed: {printed}"
        );
    }
    assert!(
        !data.path().join("pg/postmaster.pid").exists(),
        "the private cluster was stopped"
    );

    // A second start reuses the cluster's data (accounts are not created twice).
    let (again, status) = run_demo(mianshen().env("MIANSHEN_DATA_DIR", data.path()));
    assert!(status.success());
    assert!(again.contains("demo-admin"));
}

#[tokio::test]
async fn demo_uses_database_url_when_set() {
    let database = db::fresh_database(&MIGRATOR).await.unwrap();
    let url = database.url().to_owned();

    let (printed, status) =
        tokio::task::spawn_blocking(move || run_demo(mianshen().env("DATABASE_URL", url)))
            .await
            .unwrap();

    assert!(status.success());
    assert!(printed.contains("demo-enterprise"));
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&database.pool)
        .await
        .unwrap();
    assert_eq!(count, 7);
    let awaiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM grants g JOIN users u ON u.uscc = g.uscc
         WHERE u.username = 'demo-enterprise' AND g.mode = '确认即享' AND g.status = 'created'",
    )
    .fetch_one(&database.pool)
    .await
    .unwrap();
    assert!(awaiting > 0, "the demo firm has grants to answer");
}

#[test]
fn the_default_relative_data_dir_works_from_any_working_directory() {
    // Arrange: a fresh working directory, as a newcomer's checkout would be.
    let work = tempfile::Builder::new()
        .prefix("mianshen-cwd-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755)).unwrap();

    let output = mianshen()
        .arg("migrate")
        .current_dir(work.path())
        .output()
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        work.path().join(".mianshen/pg/PG_VERSION").exists(),
        "cluster under ./.mianshen"
    );
    assert!(
        !work.path().join(".mianshen/pg/postmaster.pid").exists(),
        "and stopped on exit"
    );
}
