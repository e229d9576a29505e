//! A private PostgreSQL cluster started from the local server binaries, used when `DATABASE_URL` is not set.
//!
//! The cluster lives in `<data_dir>/pg` and logs to `<data_dir>/pg.log`. It has no TCP listener:
//! it listens only on a Unix socket in `<data_dir>/run`, a folder of mode 0700 owned by the
//! server's user, so only that user (and root) can connect at all; connections there are
//! trusted. The superuser `mianshen` only sets the cluster up: the service migrates as the
//! owner `mianshen_owner` (no superuser; it owns the database) and works as `mianshen_app`.
//! An exclusive lock on `<data_dir>/pg.lock` guards `initdb` and start so that processes
//! starting together share one cluster. `initdb` and `postgres` refuse to run as root, so when
//! we are root they run as the `postgres` system user, which owns `pg/` and `run/`.

mod binaries;
mod process;

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};
use sha2::{Digest, Sha256};
use sqlx::Connection;

pub use binaries::PgBinaries;
use process::RunAs;
pub(crate) use process::is_alive;

/// The superuser created by `initdb`; used only to set the cluster up (and by tests).
pub const SUPERUSER: &str = "mianshen";
/// The owner of the application database: migrates it, is no superuser.
pub const OWNER: &str = "mianshen_owner";
/// The port number naming the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
const SOCKET_PORT: u16 = 5432;
/// The longest socket path the kernel accepts (`sun_path`, less its terminating NUL).
const MAX_SOCKET_PATH: usize = 107;
/// The application database created in every private cluster.
pub const APP_DATABASE: &str = "mianshen";

/// How many times a start is tried with a fresh port (another process may grab the free port).
const START_ATTEMPTS: usize = 3;
/// How many log lines a start failure quotes.
const LOG_TAIL_LINES: usize = 20;

/// Why the private cluster could not be made to run.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No folder with `initdb`, `pg_ctl` and `postgres` was found.
    #[error(
        "mianshen needs PostgreSQL. DATABASE_URL is not set, so it tried to start a private \
         PostgreSQL cluster, but found no PostgreSQL server binaries (initdb, pg_ctl, postgres) in \
         {searched}. Either install PostgreSQL 15 or newer (Debian/Ubuntu: `apt-get install \
         postgresql`), or set MIANSHEN_PG_BIN to the folder holding its binaries, or set \
         DATABASE_URL to a running PostgreSQL server (e.g. \
         postgres://user@127.0.0.1:5432/mianshen)."
    )]
    BinariesNotFound {
        /// Where we looked, in words.
        searched: String,
    },
    /// We run as root but there is no unprivileged `postgres` user to run PostgreSQL as.
    #[error(
        "mianshen runs as root, and PostgreSQL refuses to run as root, so it must run the private \
         cluster as the `postgres` system user, but that user does not exist. Create it (Debian/\
         Ubuntu: `adduser --system --group postgres`), run mianshen as an ordinary user, or set \
         DATABASE_URL to a running PostgreSQL server."
    )]
    NoPostgresUser,
    /// The `postgres` user cannot traverse a folder on the way to the data folder.
    #[error(
        "the private PostgreSQL cluster runs as the `postgres` user, which cannot enter the folder \
         {folder}; make it traversable (`chmod o+x {folder}`) or choose a data folder elsewhere"
    )]
    Unreachable {
        /// The first folder on the path that `postgres` may not enter.
        folder: PathBuf,
    },
    /// A file-system operation failed.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What we were doing.
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// `initdb` or `pg_ctl` exited with an error.
    #[error("`{command}` failed ({status}):\n{output}")]
    Command {
        /// The command line, for the reader.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed.
        output: String,
    },
    /// `pg_ctl start` failed; the log usually says why.
    #[error(
        "the private PostgreSQL cluster in {pgdata} did not start: {reason}\nlast lines of {log}:\n{tail}"
    )]
    StartFailed {
        /// The data folder.
        pgdata: PathBuf,
        /// What `pg_ctl` said.
        reason: String,
        /// The log file.
        log: PathBuf,
        /// Its last lines.
        tail: String,
    },
    /// The cluster runs but a database statement failed.
    #[error("the private PostgreSQL cluster is running but {action} failed: {source}")]
    Sql {
        /// What we were doing.
        action: &'static str,
        /// Why it failed.
        source: sqlx::Error,
    },
    /// A server setting that would need shell quoting.
    #[error("the PostgreSQL setting {0:?} may hold only letters, digits, `_`, `.` and `-`")]
    InvalidSetting(String),
    /// The blocking start task panicked or was cancelled.
    #[error("the task starting the private PostgreSQL cluster failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// The private cluster's server settings, given at each start. PostgreSQL's durable defaults
/// stay (fsync, synchronous commits, full-page writes); what changes is sized for a night's
/// bulk writes: checkpoints spaced out (every 1 GB of WAL by default, so a night wrote most
/// pages into the WAL in full again after each checkpoint), and a buffer cache that holds a
/// night's hot indexes.
pub const SERVER_SETTINGS: &[(&str, &str)] = &[
    ("shared_buffers", "1GB"),
    ("max_wal_size", "8GB"),
    ("checkpoint_timeout", "15min"),
    ("wal_buffers", "64MB"),
    ("maintenance_work_mem", "256MB"),
];

/// A running private cluster: where it lives, its port, and whether this call started it.
#[derive(Debug, Clone)]
pub struct PrivateCluster {
    bins: PgBinaries,
    run_as: Option<RunAs>,
    pgdata: PathBuf,
    port: u16,
    socket_dir: PathBuf,
    started_by_us: bool,
}

impl PrivateCluster {
    /// Makes sure the cluster in `<data_dir>/pg` runs (creating it if needed, with
    /// [`SERVER_SETTINGS`]) and that the database `mianshen` exists. `pg_bin` is the value of
    /// `MIANSHEN_PG_BIN`, if set.
    pub async fn ensure_running(
        pg_bin: Option<&Path>,
        data_dir: &Path,
    ) -> Result<PrivateCluster, ClusterError> {
        Self::ensure_running_with(pg_bin, data_dir, SERVER_SETTINGS).await
    }

    /// Like [`PrivateCluster::ensure_running`], passing `settings` (`name`, `value`) as `-c`
    /// options when this call starts the server (ignored when it is already running). Names and
    /// values may hold only letters, digits, `_`, `.` and `-`, since `pg_ctl` passes them to a shell.
    pub async fn ensure_running_with(
        pg_bin: Option<&Path>,
        data_dir: &Path,
        settings: &[(&str, &str)],
    ) -> Result<PrivateCluster, ClusterError> {
        let pg_bin = pg_bin.map(Path::to_path_buf);
        let data_dir = data_dir.to_path_buf();
        let settings = settings
            .iter()
            .map(|&(name, value)| setting_option(name, value))
            .collect::<Result<Vec<_>, _>>()?;
        let cluster = tokio::task::spawn_blocking(move || {
            start_blocking(pg_bin.as_deref(), &data_dir, &settings)
        })
        .await??;
        cluster.create_app_database().await?;
        Ok(cluster)
    }

    /// The port number of the server's socket (`.s.PGSQL.<port>`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The private folder holding the server's socket.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Whether this call started the server (otherwise it was already running).
    pub fn started_by_us(&self) -> bool {
        self.started_by_us
    }

    /// The PostgreSQL data folder (`<data_dir>/pg`).
    pub fn pgdata(&self) -> &Path {
        &self.pgdata
    }

    /// The superuser's URL of database `db` in this cluster (through the private socket;
    /// the folder is percent-encoded as the host, which libpq and sqlx both read).
    pub fn url(&self, db: &str) -> String {
        self.url_as(SUPERUSER, db)
    }

    /// The owner's URL of database `db`: what the service migrates with.
    pub fn owner_url(&self, db: &str) -> String {
        self.url_as(OWNER, db)
    }

    fn url_as(&self, user: &str, db: &str) -> String {
        let dir = self.socket_dir.to_string_lossy();
        let host = percent_encoding::utf8_percent_encode(&dir, percent_encoding::NON_ALPHANUMERIC);
        format!("postgres://{user}@{host}:{}/{db}", self.port)
    }

    /// Stops the server (`pg_ctl stop -m fast -w`), whoever started it; blocks until it is down.
    /// Only the caller that started it (see [`PrivateCluster::started_by_us`]) should normally stop it.
    pub fn stop(&self) -> Result<(), ClusterError> {
        let _lock = match self.pgdata.parent() {
            Some(data_dir) => Some(lock_exclusive(&data_dir.join("pg.lock"))?),
            None => None,
        };
        process::pg_ctl_stop(&self.bins, self.run_as.as_ref(), &self.pgdata)
    }

    /// Creates the roles `mianshen_owner` and `mianshen_app` and the database `mianshen`
    /// owned by the former, unless they exist (a racing creator is not an error); a database
    /// an older version made as the superuser is handed to the owner.
    async fn create_app_database(&self) -> Result<(), ClusterError> {
        let sql = |action| move |source| ClusterError::Sql { action, source };
        let mut conn = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .map_err(sql("connecting to database postgres"))?;
        let mut tx = conn.begin().await.map_err(sql("starting a transaction"))?;
        for statement in ROLE_SETUP {
            sqlx::query(statement)
                .execute(&mut *tx)
                .await
                .map_err(sql("creating the owner and application roles"))?;
        }
        tx.commit().await.map_err(sql("creating the roles"))?;
        let exists: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(APP_DATABASE)
                .fetch_optional(&mut conn)
                .await
                .map_err(sql("looking up database mianshen"))?;
        if exists.is_none() {
            let created = sqlx::query("CREATE DATABASE mianshen OWNER mianshen_owner")
                .execute(&mut conn)
                .await;
            match created {
                // Another process created it between our check and ours: 42P04, or 23505 when
                // both inserted into pg_database at once.
                Err(sqlx::Error::Database(e))
                    if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {}
                other => {
                    other.map_err(sql("creating database mianshen"))?;
                }
            }
        }
        conn.close().await.map_err(sql("closing the connection"))?;
        let mut app = sqlx::PgConnection::connect(&self.url(APP_DATABASE))
            .await
            .map_err(sql("connecting to database mianshen"))?;
        sqlx::query(HAND_TO_OWNER)
            .execute(&mut app)
            .await
            .map_err(sql("handing the database to mianshen_owner"))?;
        app.close().await.map_err(sql("closing the connection"))
    }
}

/// Creates the owner (who may create databases, for `.ci/sqlx-check`, and grant the
/// application role) and the application role, once, under a lock.
const ROLE_SETUP: [&str; 3] = [
    "SELECT pg_advisory_xact_lock(7235501235)",
    "DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mianshen_owner') THEN
             CREATE ROLE mianshen_owner LOGIN CREATEDB NOSUPERUSER NOCREATEROLE;
         END IF;
         IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mianshen_app') THEN
             CREATE ROLE mianshen_app NOLOGIN;
         END IF;
     END $$",
    "GRANT mianshen_app TO mianshen_owner WITH ADMIN OPTION",
];

/// A database made by an older version as the superuser: give it and everything the
/// superuser made in it to the owner (nothing happens when the owner already has it).
const HAND_TO_OWNER: &str = "DO $$
DECLARE r record;
BEGIN
    IF (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())
       = 'mianshen_owner' THEN
        RETURN;
    END IF;
    EXECUTE 'ALTER DATABASE ' || quote_ident(current_database()) || ' OWNER TO mianshen_owner';
    FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
               AND pg_get_userbyid(c.relowner) = current_user LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO mianshen_owner', r.rel);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) = current_user LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO mianshen_owner', r.fn);
    END LOOP;
END $$";

/// Stops the cluster in `<data_dir>/pg` if it runs; returns whether it was running.
pub fn stop_if_running(pg_bin: Option<&Path>, data_dir: &Path) -> Result<bool, ClusterError> {
    let run_as = RunAs::for_current_user()?;
    let data_dir = &cluster_home(data_dir, run_as.as_ref())?;
    let pgdata = data_dir.join("pg");
    if !pgdata.exists() {
        return Ok(false);
    }
    let _lock = lock_exclusive(&data_dir.join("pg.lock"))?;
    if process::running_socket(&pgdata).is_none() {
        return Ok(false);
    }
    let bins = PgBinaries::locate(pg_bin)?;
    process::pg_ctl_stop(&bins, run_as.as_ref(), &pgdata)?;
    Ok(true)
}

/// Where the cluster of `data_dir` lives: `data_dir` itself, unless we are root and the
/// `postgres` user cannot reach it (say, a checkout under a private home folder). Then
/// the cluster lives under `/var/tmp/mianshen-pg/<digest of data_dir>`, the same folder
/// for the same `data_dir` every time, so it is still reused and stopped like any other.
fn cluster_home(data_dir: &Path, run_as: Option<&RunAs>) -> Result<PathBuf, ClusterError> {
    fs::create_dir_all(data_dir).map_err(io_err("create", data_dir))?;
    // Absolute, because the PostgreSQL tools run from `/`.
    let canonical = data_dir
        .canonicalize()
        .map_err(io_err("resolve", data_dir))?;
    let Some(user) = run_as else {
        return Ok(canonical);
    };
    match user.check_reachable(&canonical) {
        Ok(()) => Ok(canonical),
        Err(ClusterError::Unreachable { folder }) => {
            let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
            let parent = Path::new("/var/tmp/mianshen-pg");
            let home = parent.join(&hex::encode(digest)[..16]);
            fs::create_dir_all(&home).map_err(io_err("create", &home))?;
            for dir in [parent, home.as_path()] {
                fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
                    .map_err(io_err("set permissions of", dir))?;
            }
            tracing::warn!(
                data_dir = %data_dir.display(),
                unreachable = %folder.display(),
                cluster = %home.display(),
                "the postgres user cannot reach the data folder; the private cluster lives in a folder of its own"
            );
            user.check_reachable(&home)?;
            Ok(home)
        }
        Err(other) => Err(other),
    }
}

/// The blocking part of `ensure_running`: lock, reuse or initdb and start.
fn start_blocking(
    pg_bin: Option<&Path>,
    data_dir: &Path,
    settings: &[String],
) -> Result<PrivateCluster, ClusterError> {
    let bins = PgBinaries::locate(pg_bin)?;
    let run_as = RunAs::for_current_user()?;
    let data_dir = &cluster_home(data_dir, run_as.as_ref())?;
    let pgdata = data_dir.join("pg");
    let _lock = lock_exclusive(&data_dir.join("pg.lock"))?;

    if let Some((port, socket_dir)) = process::running_socket(&pgdata) {
        tracing::debug!(pgdata = %pgdata.display(), port, "reusing the running private PostgreSQL cluster");
        return Ok(PrivateCluster {
            bins,
            run_as,
            pgdata,
            port,
            socket_dir,
            started_by_us: false,
        });
    }
    if !pgdata.join("PG_VERSION").exists() {
        tracing::info!(pgdata = %pgdata.display(), bin = %bins.dir().display(), "creating a private PostgreSQL cluster");
        process::initdb(&bins, run_as.as_ref(), &pgdata)?;
    } else if let Some(user) = &run_as {
        user.give_tree(&pgdata)?;
    }
    let log = data_dir.join("pg.log");
    prepare_log(&log, run_as.as_ref())?;
    let socket_dir = prepare_socket_dir(data_dir, run_as.as_ref())?;
    let port = start_with_retries(&bins, run_as.as_ref(), &pgdata, &log, &socket_dir, settings)?;
    tracing::info!(pgdata = %pgdata.display(), socket = %socket_dir.display(), "started the private PostgreSQL cluster");
    Ok(PrivateCluster {
        bins,
        run_as,
        pgdata,
        port,
        socket_dir,
        started_by_us: true,
    })
}

/// The socket's folder, `<data_dir>/run` (or, when that path is too long for a socket, a
/// folder under `/tmp` named after it), mode 0700 and owned by the server's user.
fn prepare_socket_dir(data_dir: &Path, run_as: Option<&RunAs>) -> Result<PathBuf, ClusterError> {
    let mut dir = data_dir.join("run");
    let socket_len = dir.as_os_str().len() + ".s.PGSQL.5432".len() + 1;
    if socket_len > MAX_SOCKET_PATH || dir.to_string_lossy().contains(['\'', '"', ' ']) {
        let digest = Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
        dir = Path::new("/tmp").join(format!("mianshen-pg-{}", &hex::encode(digest)[..16]));
    }
    fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
        .map_err(io_err("set permissions of", &dir))?;
    if let Some(user) = run_as {
        user.give(&dir)?;
    }
    Ok(dir)
}

/// Starts the server, trying again after a failure (a stale lock or socket of a server that
/// just died).
fn start_with_retries(
    bins: &PgBinaries,
    run_as: Option<&RunAs>,
    pgdata: &Path,
    log: &Path,
    socket_dir: &Path,
    settings: &[String],
) -> Result<u16, ClusterError> {
    let mut last_reason = String::new();
    for _ in 0..START_ATTEMPTS {
        let port = SOCKET_PORT;
        match process::pg_ctl_start(bins, run_as, pgdata, log, port, socket_dir, settings) {
            Ok(()) => {
                return Ok(process::running_socket(pgdata).map_or(port, |(port, _)| port));
            }
            Err(reason) => last_reason = reason,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(ClusterError::StartFailed {
        pgdata: pgdata.to_path_buf(),
        reason: last_reason,
        log: log.to_path_buf(),
        tail: log_tail(log, LOG_TAIL_LINES),
    })
}

/// `-c name=value` for `pg_ctl -o`, refusing anything a shell would interpret.
fn setting_option(name: &str, value: &str) -> Result<String, ClusterError> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    if plain(name) && plain(value) {
        Ok(format!("-c {name}={value}"))
    } else {
        Err(ClusterError::InvalidSetting(format!("{name}={value}")))
    }
}

/// Takes an exclusive lock on `path`, waiting for other holders; released on drop.
fn lock_exclusive(path: &Path) -> Result<Flock<File>, ClusterError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io_err("open the lock file", path))?;
    Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| ClusterError::Io {
        action: "lock",
        path: path.to_path_buf(),
        source: errno.into(),
    })
}

/// Creates the log file so that the server's user, who may not write `data_dir`, can append to it.
fn prepare_log(log: &Path, run_as: Option<&RunAs>) -> Result<(), ClusterError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(io_err("create the log file", log))?;
    if let Some(user) = run_as {
        user.give(log)?;
    }
    Ok(())
}

/// The last `n` lines of the log, or a note that it could not be read.
fn log_tail(log: &Path, n: usize) -> String {
    match fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(e) => format!("(could not read the log: {e})"),
    }
}

/// Maps an `io::Error` to [`ClusterError::Io`] for `action` on `path`.
fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ClusterError {
    let path = path.to_path_buf();
    move |source| ClusterError::Io {
        action,
        path,
        source,
    }
}
