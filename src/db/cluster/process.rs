//! Running `initdb` and `pg_ctl`, as the `postgres` user when we are root, and reading `postmaster.pid`.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt, lchown};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::{Gid, Pid, Uid, User, geteuid};

use super::{ClusterError, PgBinaries, SUPERUSER, io_err};

/// Settings appended to `postgresql.conf` after `initdb`: no TCP at all; the Unix socket's
/// folder (private to the server's user) is given at each start.
const CONF_APPENDIX: &str = "\n# mianshen private cluster: a Unix socket in a private folder only, no TCP\n\
                             listen_addresses = ''\nunix_socket_permissions = 0700\n";
/// Seconds `pg_ctl` waits for a start or stop.
const PG_CTL_TIMEOUT_SECS: &str = "60";
/// How long a live postmaster may take to accept connections before we stop waiting.
const READY_WAIT: Duration = Duration::from_secs(10);

/// The unprivileged user PostgreSQL runs as when we are root.
#[derive(Debug, Clone)]
pub struct RunAs {
    uid: Uid,
    gid: Gid,
}

impl RunAs {
    /// `None` when we are not root (PostgreSQL runs as us); the `postgres` user when we are.
    pub fn for_current_user() -> Result<Option<Self>, ClusterError> {
        if !geteuid().is_root() {
            return Ok(None);
        }
        match User::from_name("postgres") {
            Ok(Some(user)) => Ok(Some(Self {
                uid: user.uid,
                gid: user.gid,
            })),
            _ => Err(ClusterError::NoPostgresUser),
        }
    }

    /// Fails naming the first folder from `/` down to `dir` that this user may not enter.
    /// Only the primary group counts: `Command::uid` drops supplementary groups.
    pub fn check_reachable(&self, dir: &Path) -> Result<(), ClusterError> {
        let dir = dir.canonicalize().map_err(io_err("resolve", dir))?;
        let mut chain: Vec<&Path> = dir.ancestors().collect();
        chain.reverse();
        for folder in chain {
            let meta = fs::metadata(folder).map_err(io_err("inspect", folder))?;
            let mode = meta.permissions().mode();
            let bit = if meta.uid() == self.uid.as_raw() {
                0o100
            } else if meta.gid() == self.gid.as_raw() {
                0o010
            } else {
                0o001
            };
            if mode & bit == 0 {
                return Err(ClusterError::Unreachable {
                    folder: folder.to_path_buf(),
                });
            }
        }
        Ok(())
    }

    /// Makes this user the owner of `path` (not following symlinks).
    pub fn give(&self, path: &Path) -> Result<(), ClusterError> {
        lchown(path, Some(self.uid.as_raw()), Some(self.gid.as_raw()))
            .map_err(io_err("change the owner of", path))
    }

    /// Makes this user the owner of everything under `root`, unless `root` already is theirs.
    pub fn give_tree(&self, root: &Path) -> Result<(), ClusterError> {
        let meta = fs::symlink_metadata(root).map_err(io_err("inspect", root))?;
        if meta.uid() == self.uid.as_raw() {
            return Ok(());
        }
        self.give_recursively(root)
    }

    /// `chown -R` without following symlinks.
    fn give_recursively(&self, path: &Path) -> Result<(), ClusterError> {
        self.give(path)?;
        let meta = fs::symlink_metadata(path).map_err(io_err("inspect", path))?;
        if meta.is_dir() {
            for entry in fs::read_dir(path).map_err(io_err("list", path))? {
                let entry = entry.map_err(io_err("list", path))?;
                self.give_recursively(&entry.path())?;
            }
        }
        Ok(())
    }
}

/// Creates the cluster in `pgdata` (superuser `mianshen`, trusted on the private socket only,
/// UTF8, C locale) with TCP off.
pub fn initdb(
    bins: &PgBinaries,
    run_as: Option<&RunAs>,
    pgdata: &Path,
) -> Result<(), ClusterError> {
    fs::create_dir_all(pgdata).map_err(io_err("create", pgdata))?;
    fs::set_permissions(pgdata, fs::Permissions::from_mode(0o700))
        .map_err(io_err("set the permissions of", pgdata))?;
    if let Some(user) = run_as {
        user.give_tree(pgdata)?;
    }
    let mut cmd = command(bins, run_as, "initdb");
    cmd.arg("-D").arg(pgdata).arg("-U").arg(SUPERUSER);
    cmd.args([
        "--auth-local=trust",
        "--auth-host=reject",
        "-E",
        "UTF8",
        "--locale=C",
    ]);
    run(cmd)?;
    let conf = pgdata.join("postgresql.conf");
    fs::OpenOptions::new()
        .append(true)
        .open(&conf)
        .and_then(|mut f| f.write_all(CONF_APPENDIX.as_bytes()))
        .map_err(io_err("configure", &conf))
}

/// `pg_ctl start -w` with its socket `.s.PGSQL.<port>` in `socket_dir`, no TCP; on failure
/// returns what `pg_ctl` printed.
pub fn pg_ctl_start(
    bins: &PgBinaries,
    run_as: Option<&RunAs>,
    pgdata: &Path,
    log: &Path,
    port: u16,
    socket_dir: &Path,
    settings: &[String],
) -> Result<(), String> {
    // pg_ctl hands -o to a shell, hence the quoting (the folder never holds a quote).
    let mut options = format!(
        "-p {port} -c listen_addresses='' -c unix_socket_directories='{}' -c unix_socket_permissions=0700",
        socket_dir.display()
    );
    for setting in settings {
        options.push(' ');
        options.push_str(setting);
    }
    let mut cmd = command(bins, run_as, "pg_ctl");
    cmd.args(["start", "-w", "-t", PG_CTL_TIMEOUT_SECS, "-D"])
        .arg(pgdata);
    cmd.arg("-l").arg(log).arg("-o").arg(options);
    run(cmd).map_err(|e| e.to_string())
}

/// `pg_ctl stop -m fast -w`.
pub fn pg_ctl_stop(
    bins: &PgBinaries,
    run_as: Option<&RunAs>,
    pgdata: &Path,
) -> Result<(), ClusterError> {
    let mut cmd = command(bins, run_as, "pg_ctl");
    cmd.args(["stop", "-m", "fast", "-w", "-t", PG_CTL_TIMEOUT_SECS, "-D"])
        .arg(pgdata);
    run(cmd)
}

/// The port and socket folder of the server running in `pgdata`: its `postmaster.pid` names a
/// live process whose socket accepts connections (waiting a little for one still starting).
pub fn running_socket(pgdata: &Path) -> Option<(u16, PathBuf)> {
    let deadline = Instant::now() + READY_WAIT;
    loop {
        let text = fs::read_to_string(pgdata.join("postmaster.pid")).ok()?;
        let lines: Vec<&str> = text.lines().collect();
        let pid: i32 = lines.first()?.trim().parse().ok()?;
        let port: u16 = lines.get(3)?.trim().parse().ok()?;
        let socket_dir = PathBuf::from(lines.get(4)?.trim());
        if !is_alive(pid) {
            return None;
        }
        let socket = socket_dir.join(format!(".s.PGSQL.{port}"));
        if !socket_dir.as_os_str().is_empty() && UnixStream::connect(&socket).is_ok() {
            return Some((port, socket_dir));
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether a process with this pid exists (a permission error still means it does).
pub fn is_alive(pid: i32) -> bool {
    pid > 0 && !matches!(kill(Pid::from_raw(pid), None), Err(Errno::ESRCH))
}

/// A command for PostgreSQL program `name`, run as `run_as` if given, from `/` (the user may not
/// be able to enter our working folder) and without `PG*` variables that could redirect it.
fn command(bins: &PgBinaries, run_as: Option<&RunAs>, name: &str) -> Command {
    let mut cmd = Command::new(bins.program(name));
    cmd.current_dir("/").stdin(Stdio::null());
    for var in [
        "PGDATA",
        "PGPORT",
        "PGHOST",
        "PGUSER",
        "PGDATABASE",
        "PGOPTIONS",
    ] {
        cmd.env_remove(var);
    }
    if let Some(user) = run_as {
        cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
    cmd
}

/// Runs `cmd` to completion; fails with its output unless it exits successfully.
fn run(mut cmd: Command) -> Result<(), ClusterError> {
    let shown = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let output = cmd.output().map_err(|source| ClusterError::Io {
        action: "run",
        path: cmd.get_program().into(),
        source,
    })?;
    if output.status.success() {
        return Ok(());
    }
    Err(ClusterError::Command {
        command: shown,
        status: output.status.to_string(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    })
}
