//! Finding the PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::ClusterError;

/// The programs a private cluster needs, all of which must sit in one folder.
const REQUIRED: [&str; 3] = ["initdb", "pg_ctl", "postgres"];
/// Where distributions install the server binaries, one folder per major version.
const DISTRO_ROOT: &str = "/usr/lib/postgresql";

/// A folder holding executable `initdb`, `pg_ctl` and `postgres`.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    dir: PathBuf,
}

impl PgBinaries {
    /// Finds the binaries: only in `explicit` if given (the value of `MIANSHEN_PG_BIN`); otherwise
    /// the folder of `initdb` on `PATH`, then the highest version in `/usr/lib/postgresql/*/bin`.
    pub fn locate(explicit: Option<&Path>) -> Result<Self, ClusterError> {
        if let Some(dir) = explicit {
            return Self::in_dir(dir).ok_or_else(|| ClusterError::BinariesNotFound {
                searched: format!("{} (from MIANSHEN_PG_BIN)", dir.display()),
            });
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .find_map(|dir| from_path_dir(&dir))
            .or_else(highest_distro_version)
            .ok_or_else(|| ClusterError::BinariesNotFound {
                searched: format!("the folders on PATH and {DISTRO_ROOT}/*/bin"),
            })
    }

    /// The binaries in `dir`, if all three are there and executable.
    pub fn in_dir(dir: &Path) -> Option<Self> {
        REQUIRED
            .iter()
            .all(|name| is_executable(&dir.join(name)))
            .then(|| Self {
                dir: dir.to_path_buf(),
            })
    }

    /// The folder holding the binaries.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The full path of program `name` (`initdb`, `pg_ctl`, ...).
    pub fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// The binaries next to `initdb` in a `PATH` folder, preferring the folder a symlink points to.
fn from_path_dir(dir: &Path) -> Option<PgBinaries> {
    let initdb = dir.join("initdb");
    if !is_executable(&initdb) {
        return None;
    }
    let real_dir = initdb
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    real_dir
        .and_then(|d| PgBinaries::in_dir(&d))
        .or_else(|| PgBinaries::in_dir(dir))
}

/// The binaries of the highest major version under `/usr/lib/postgresql`.
fn highest_distro_version() -> Option<PgBinaries> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(DISTRO_ROOT)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort();
    versions
        .into_iter()
        .rev()
        .find_map(|(_, dir)| PgBinaries::in_dir(&dir))
}

/// Whether `path` is a file (after symlinks) with an execute bit set.
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
