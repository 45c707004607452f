//! Before a cluster runs: where it lives and who runs it (checked before anything is created),
//! the server binaries, and `initdb` for a new cluster.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::unistd::{Uid, User};

use super::{io_error, ClusterOptions, EmbeddedError, MAX_SOCKET_PATH, SOCKET_PORT};

/// Where a cluster lives and who runs it, checked before anything is created.
pub(super) struct Layout {
    pub(super) bin: PathBuf,
    pub(super) data_dir: PathBuf,
    pub(super) pgdata: PathBuf,
    pub(super) log_file: PathBuf,
    pub(super) run_as: Option<User>,
}

impl Layout {
    pub(super) fn prepare(data_dir: &Path, pg_bin: Option<&Path>) -> Result<Self, EmbeddedError> {
        let bin = find_binaries(pg_bin)?;
        fs::create_dir_all(data_dir).map_err(io_error(format!("creating {}", data_dir.display())))?;
        let data_dir = data_dir
            .canonicalize()
            .map_err(io_error(format!("resolving {}", data_dir.display())))?;
        let pgdata = data_dir.join("pgdata");
        let log_file = data_dir.join("postgres.log");
        let socket = pgdata.join(format!(".s.PGSQL.{SOCKET_PORT}"));
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(EmbeddedError::SocketPathTooLong(socket));
        }
        let run_as = postgres_user_if_root()?;
        if let Some(user) = &run_as {
            check_traversable(&data_dir, user)?;
        }
        Ok(Self {
            bin,
            data_dir,
            pgdata,
            log_file,
            run_as,
        })
    }
}

/// Creates `dir` with mode 0700 (Postgres refuses anything looser), owned by `run_as`.
pub(super) fn make_private_dir(dir: &Path, run_as: Option<&User>) -> Result<(), EmbeddedError> {
    fs::create_dir_all(dir).map_err(io_error(format!("creating {}", dir.display())))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(io_error(format!("securing {}", dir.display())))?;
    if let Some(user) = run_as {
        nix::unistd::chown(dir, Some(user.uid), Some(user.gid)).map_err(|e| EmbeddedError::Io {
            context: format!("handing {} to the postgres user", dir.display()),
            source: e.into(),
        })?;
    }
    Ok(())
}

/// Finds a directory holding both `initdb` and `postgres` (GUIDE §3 order).
fn find_binaries(pg_bin: Option<&Path>) -> Result<PathBuf, EmbeddedError> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = pg_bin {
        return if has_both(dir) {
            Ok(dir.to_owned())
        } else {
            Err(EmbeddedError::BinariesNotFound)
        };
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_both(&dir) {
                return Ok(dir);
            }
        }
    }
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if output.status.success() && has_both(&dir) {
            return Ok(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let dir = entry.path().join("bin");
            has_both(&dir).then_some((version, dir))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, dir)| dir)
        .ok_or(EmbeddedError::BinariesNotFound)
}

fn postgres_user_if_root() -> Result<Option<User>, EmbeddedError> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    match User::from_name("postgres") {
        Ok(Some(user)) => Ok(Some(user)),
        _ => Err(EmbeddedError::NoPostgresUser),
    }
}

/// The `postgres` user needs search (x) permission on every ancestor of the data directory.
fn check_traversable(data_dir: &Path, user: &User) -> Result<(), EmbeddedError> {
    for dir in data_dir.ancestors() {
        let meta = fs::metadata(dir).map_err(io_error(format!("reading {}", dir.display())))?;
        let mode = meta.permissions().mode();
        let reachable = if meta.uid() == user.uid.as_raw() {
            mode & 0o100 != 0
        } else if meta.gid() == user.gid.as_raw() {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !reachable {
            return Err(EmbeddedError::NotTraversable(dir.to_owned()));
        }
    }
    Ok(())
}

pub(super) fn init_cluster(
    bin: &Path,
    pgdata: &Path,
    run_as: Option<&User>,
    options: ClusterOptions,
) -> Result<(), EmbeddedError> {
    make_private_dir(pgdata, run_as)?;
    let mut command = Command::new(bin.join("initdb"));
    command
        .arg("-D")
        .arg(pgdata)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-instructions",
        ])
        .current_dir(pgdata.parent().unwrap_or(Path::new("/")))
        .stdin(Stdio::null());
    if options.throwaway {
        command.arg("--no-sync");
    }
    if let Some(user) = run_as {
        command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
    let output = command.output().map_err(io_error("running initdb"))?;
    if !output.status.success() {
        // Leave no half-made cluster behind, or the next start would think it exists.
        let _ = fs::remove_dir_all(pgdata);
        return Err(EmbeddedError::CommandFailed {
            step: "initdb",
            output: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(())
}
