//! The private PostgreSQL cluster and fresh test databases, against real PostgreSQL binaries.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use mianshen::db::cluster::stop_if_running;
use mianshen::db::{PrivateCluster, fresh_database};
use sqlx::Connection;
use tempfile::TempDir;

/// A data folder under /tmp that the `postgres` user can enter (tempdirs are 0700).
fn data_dir() -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("mianshen-pg-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Stops the cluster when the test ends, even when it fails.
struct StopOnDrop(PrivateCluster);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = self.0.stop();
    }
}

async fn connect(cluster: &PrivateCluster) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(&cluster.url("mianshen"))
        .await
        .unwrap()
}

#[tokio::test]
async fn starts_reuses_and_restarts_with_data_kept() {
    // Arrange
    let dir = data_dir();

    // Act: first start
    let first = StopOnDrop(
        PrivateCluster::ensure_running(None, dir.path())
            .await
            .unwrap(),
    );

    // Assert: we started it, it accepts connections, data lives in <dir>/pg
    assert!(first.0.started_by_us());
    assert!(dir.path().join("pg/PG_VERSION").exists());
    assert!(dir.path().join("pg.log").exists());
    let mut conn = connect(&first.0).await;
    sqlx::query("CREATE TABLE kept (id int)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO kept VALUES (42)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    // Act / Assert: a second call reuses the running server
    let second = PrivateCluster::ensure_running(None, dir.path())
        .await
        .unwrap();
    assert!(!second.started_by_us());
    assert_eq!(second.port(), first.0.port());

    // Act: stop, then start again
    first.0.stop().unwrap();
    let restarted = StopOnDrop(
        PrivateCluster::ensure_running(None, dir.path())
            .await
            .unwrap(),
    );

    // Assert: started anew, the table and its row survived
    assert!(restarted.0.started_by_us());
    let mut conn = connect(&restarted.0).await;
    let kept: i32 = sqlx::query_scalar("SELECT id FROM kept")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept, 42);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn missing_binaries_name_both_remedies() {
    // Arrange: three folders that lack a usable initdb/pg_ctl/postgres
    let empty = tempfile::tempdir().unwrap();
    let only_initdb = tempfile::tempdir().unwrap();
    let initdb = only_initdb.path().join("initdb");
    std::fs::write(&initdb, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&initdb, std::fs::Permissions::from_mode(0o755)).unwrap();
    let nonexistent = empty.path().join("no-such-folder");
    let cases: [(&str, &Path); 3] = [
        ("empty folder", empty.path()),
        ("folder with only initdb", only_initdb.path()),
        ("nonexistent folder", &nonexistent),
    ];
    let data = data_dir();

    for (case, pg_bin) in cases {
        // Act
        let err = PrivateCluster::ensure_running(Some(pg_bin), data.path())
            .await
            .unwrap_err();

        // Assert
        let message = err.to_string();
        for expected in ["install PostgreSQL", "DATABASE_URL", "MIANSHEN_PG_BIN"] {
            assert!(
                message.contains(expected),
                "{case}: {expected:?} missing from {message}"
            );
        }
        assert!(
            message.contains(&pg_bin.display().to_string()),
            "{case}: folder missing from {message}"
        );
        assert!(
            !data.path().join("pg").exists(),
            "{case}: nothing may be created"
        );
    }
}

#[tokio::test]
async fn an_unreachable_data_folder_moves_the_cluster_to_a_folder_of_its_own_when_root() {
    if !nix::unistd::geteuid().is_root() {
        return; // the postgres user is only used when we are root
    }
    // Arrange: a folder the postgres user may not enter (tempdirs are 0700), like a
    // checkout under /root.
    let locked = tempfile::tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(locked.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let data = locked.path().join("data");

    // Act
    let first = StopOnDrop(PrivateCluster::ensure_running(None, &data).await.unwrap());
    let second = PrivateCluster::ensure_running(None, &data).await.unwrap();

    // Assert: it runs outside the unreachable folder, and the same data dir finds it again.
    assert!(first.0.started_by_us());
    assert!(
        first.0.pgdata().starts_with("/var/tmp/mianshen-pg"),
        "{}",
        first.0.pgdata().display()
    );
    assert!(!second.started_by_us());
    assert_eq!(second.port(), first.0.port());
    assert!(connect(&first.0).await.close().await.is_ok());
    first.0.stop().unwrap();
    assert!(
        !mianshen::db::cluster::stop_if_running(None, &data).unwrap(),
        "stopped"
    );
    let _ = std::fs::remove_dir_all(first.0.pgdata().parent().unwrap());
}

#[test]
fn concurrent_starts_share_one_cluster() {
    // Arrange
    let dir = data_dir();
    let start = || {
        let path = dir.path().to_path_buf();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(PrivateCluster::ensure_running(None, &path))
        })
    };

    // Act
    let (a, b) = (start(), start());
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    let _stop = a
        .as_ref()
        .or(b.as_ref())
        .ok()
        .map(|c| StopOnDrop(c.clone()));
    let (a, b) = (a.unwrap(), b.unwrap());

    // Assert: one started it, the other reused it
    assert_eq!(a.port(), b.port());
    assert_eq!(u8::from(a.started_by_us()) + u8::from(b.started_by_us()), 1);
}

#[tokio::test]
async fn fresh_databases_are_migrated_and_isolated() {
    // Arrange: a throwaway migration (the project's migrations/ is not ours to test here)
    let migrations = tempfile::tempdir().unwrap();
    std::fs::write(
        migrations.path().join("0001_create_items.sql"),
        "CREATE TABLE items (id bigint PRIMARY KEY, label text NOT NULL);",
    )
    .unwrap();
    let migrator = sqlx::migrate::Migrator::new(migrations.path())
        .await
        .unwrap();

    // Act
    let one = fresh_database(&migrator).await.unwrap();
    let two = fresh_database(&migrator).await.unwrap();
    sqlx::query("INSERT INTO items VALUES (1, 'only in one')")
        .execute(&one.pool)
        .await
        .unwrap();

    // Assert: two databases, both migrated, rows do not leak between them
    assert_ne!(one.name, two.name);
    assert_ne!(one.url(), two.url());
    let count = |db| sqlx::query_scalar::<_, i64>("SELECT count(*) FROM items").fetch_one(db);
    assert_eq!(count(&one.pool).await.unwrap(), 1);
    assert_eq!(count(&two.pool).await.unwrap(), 0);
    let mut by_url = sqlx::PgConnection::connect(two.url()).await.unwrap();
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'items'")
            .fetch_one(&mut by_url)
            .await
            .unwrap();
    assert_eq!(tables, 1);
    by_url.close().await.unwrap();
}

#[tokio::test]
async fn test_databases_are_dropped_with_their_handle() {
    // Arrange
    let migrations = tempfile::tempdir().unwrap();
    std::fs::write(
        migrations.path().join("0001_t.sql"),
        "CREATE TABLE t (id int);",
    )
    .unwrap();
    let migrator = sqlx::migrate::Migrator::new(migrations.path())
        .await
        .unwrap();
    let db = fresh_database(&migrator).await.unwrap();
    let (name, url) = (db.name.clone(), db.url.clone());

    // Act
    drop(db);

    // Assert: connecting to it now fails because it no longer exists
    let err = sqlx::PgConnection::connect(&url).await.unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{name}: {err}");
}

#[tokio::test]
async fn a_failed_start_quotes_the_log() {
    // Arrange: a setting the server rejects at start
    let dir = data_dir();

    // Act
    let result =
        PrivateCluster::ensure_running_with(None, dir.path(), &[("shared_buffers", "lots")]).await;

    // Assert: the error names the data folder and quotes the server's complaint from pg.log
    let message = match result {
        Ok(cluster) => {
            let _stop = StopOnDrop(cluster);
            panic!("started with an invalid setting");
        }
        Err(e) => e.to_string(),
    };
    assert!(message.contains("did not start"), "{message}");
    assert!(message.contains("pg.log"), "{message}");
    assert!(message.contains("shared_buffers"), "{message}");
}

#[tokio::test]
async fn settings_that_need_shell_quoting_are_refused() {
    // Arrange
    let dir = data_dir();
    let cases = [
        ("fsync", "off; rm -rf /"),
        ("bad name", "on"),
        ("work_mem", ""),
    ];

    for (name, value) in cases {
        // Act
        let result = PrivateCluster::ensure_running_with(None, dir.path(), &[(name, value)]).await;

        // Assert
        let message = result.map(StopOnDrop).err().unwrap().to_string();
        assert!(
            message.contains("may hold only"),
            "{name}={value}: {message}"
        );
    }
    assert!(!dir.path().join("pg").exists(), "nothing may be created");
}

#[test]
fn stop_if_running_stops_a_running_cluster_only() {
    // Arrange
    let dir = data_dir();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    assert!(
        !stop_if_running(None, dir.path()).unwrap(),
        "nothing to stop yet"
    );
    let cluster = runtime
        .block_on(PrivateCluster::ensure_running(None, dir.path()))
        .unwrap();
    let _stop = StopOnDrop(cluster.clone());

    // Act
    let stopped = stop_if_running(None, dir.path()).unwrap();

    // Assert
    assert!(stopped);
    assert!(!dir.path().join("pg/postmaster.pid").exists());
    assert!(
        !stop_if_running(None, dir.path()).unwrap(),
        "already stopped"
    );
}

/// Finding 7 of the security probe: the private cluster listened on loopback TCP with
/// `trust`, so any local account was its superuser. It now listens on a Unix socket in a
/// folder only its user may enter, and the service connects as a non-superuser owner (to
/// migrate) and works as `mianshen_app`.
#[tokio::test]
async fn the_private_cluster_has_no_tcp_listener_and_the_service_is_no_superuser() {
    // Arrange
    let dir = data_dir();
    let settings = mianshen::config::DatabaseSettings {
        data_dir: dir.path().to_path_buf(),
        ..mianshen::config::DatabaseSettings::default()
    };

    // Act
    let database = mianshen::db::Database::open(&settings).await.unwrap();
    let cluster = PrivateCluster::ensure_running(None, dir.path())
        .await
        .unwrap();
    let _stop = StopOnDrop(cluster.clone());

    // Assert: (question, answer) about the running server and the service's connections.
    let mut admin = connect(&cluster).await;
    let listen: String = sqlx::query_scalar("SHOW listen_addresses")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    let (session, current, superuser): (String, String, bool) = sqlx::query_as(
        "SELECT session_user::text, current_user::text, rolsuper FROM pg_roles WHERE rolname = session_user",
    )
    .fetch_one(&database.pool)
    .await
    .unwrap();
    let checks = [
        ("TCP listen addresses", listen, String::new()),
        (
            "the service logs in as",
            session,
            "mianshen_owner".to_owned(),
        ),
        ("the service works as", current, "mianshen_app".to_owned()),
        (
            "the login role is a superuser",
            superuser.to_string(),
            "false".to_owned(),
        ),
    ];
    for (question, answer, expected) in checks {
        assert_eq!(answer, expected, "{question}");
    }
    let socket_dir = dir.path().join("run");
    let mode = std::fs::metadata(&socket_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", socket_dir.display());
    admin.close().await.unwrap();
    database.close().await;
}
