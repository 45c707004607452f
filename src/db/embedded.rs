//! The private PostgreSQL cluster `serve` starts when `DATABASE_URL` is unset (GUIDE §3).
//!
//! The cluster lives in `<data_dir>/pgdata`, listens only on a Unix socket inside that directory
//! (`listen_addresses = ''`), and is run as the `postgres` user when this process is root,
//! because `initdb` and `postgres` refuse to run as root. A second `stemcare` process pointed at
//! the same data directory finds the running postmaster through `postmaster.pid` and reuses it.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::{Pid, Uid, User};

/// The port number only names the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
const SOCKET_PORT: u16 = 5432;
/// Unix socket paths must fit in `sun_path` (108 bytes on Linux, including the NUL).
const MAX_SOCKET_PATH: usize = 107;
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the embedded cluster could not be used; each message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server binaries (initdb, postgres) were not found. Install them \
         (Debian/Ubuntu: `apt-get install -y postgresql`; macOS: `brew install postgresql@15`), \
         point PG_BIN at their directory, or set DATABASE_URL to use an existing server"
    )]
    BinariesNotFound,
    #[error(
        "running as root, the embedded cluster must run as the `postgres` user, which does not exist; \
         create it (`useradd --system postgres`) or set DATABASE_URL"
    )]
    NoPostgresUser,
    #[error(
        "the `postgres` user cannot reach {0}: make every parent directory traversable \
         (e.g. `chmod o+x {0}`) or set STEMCARE_DATA_DIR to a directory it can reach"
    )]
    NotTraversable(PathBuf),
    #[error(
        "the socket path {0} is longer than the {MAX_SOCKET_PATH} bytes Unix sockets allow; \
         set STEMCARE_DATA_DIR to a shorter path"
    )]
    SocketPathTooLong(PathBuf),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("{step} failed: {output}")]
    CommandFailed { step: &'static str, output: String },
    #[error("PostgreSQL did not become ready within {0:?}; see {1}")]
    StartTimeout(Duration, PathBuf),
}

fn io_error(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> EmbeddedError {
    let context = context.into();
    move |source| EmbeddedError::Io { context, source }
}

/// Options that trade durability for speed; only the test harness turns them on.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClusterOptions {
    pub throwaway: bool,
}

/// A running private cluster. Dropping it stops the postmaster if this process started it.
#[derive(Debug)]
pub struct EmbeddedCluster {
    pgdata: PathBuf,
    log_file: PathBuf,
    postmaster: Option<Child>,
    fresh: bool,
}

impl EmbeddedCluster {
    /// Initialises (first time) and starts the cluster under `data_dir`, or attaches to the one
    /// already running there.
    pub fn start(
        data_dir: &Path,
        pg_bin: Option<&Path>,
        options: ClusterOptions,
    ) -> Result<Self, EmbeddedError> {
        let layout = Layout::prepare(data_dir, pg_bin)?;
        let mut fresh = false;
        if !layout.pgdata.join("PG_VERSION").exists() {
            init_cluster(&layout.bin, &layout.pgdata, layout.run_as.as_ref(), options)?;
            fresh = true;
        }
        Self::launch(layout, options, fresh)
    }

    /// Starts a hot-standby streaming replica of the cluster at `primary_conninfo` under
    /// `data_dir`: the first time, `pg_basebackup -R` copies the primary there (and writes
    /// `standby.signal` and `primary_conninfo`); later starts reuse the copy and catch up. The
    /// primary must allow replication connections (`initdb`'s defaults do: `wal_level=replica`,
    /// ten WAL senders, and `local replication all trust` in `pg_hba.conf`). Used by the test
    /// harness and for trying replicas locally; production replicas are managed by their operator.
    pub fn start_replica(
        primary_conninfo: &str,
        data_dir: &Path,
        pg_bin: Option<&Path>,
        options: ClusterOptions,
    ) -> Result<Self, EmbeddedError> {
        let layout = Layout::prepare(data_dir, pg_bin)?;
        let mut fresh = false;
        if !layout.pgdata.join("PG_VERSION").exists() {
            base_backup(&layout, primary_conninfo, options)?;
            fresh = true;
        }
        Self::launch(layout, options, fresh)
    }

    fn launch(layout: Layout, options: ClusterOptions, fresh: bool) -> Result<Self, EmbeddedError> {
        let Layout {
            bin,
            data_dir,
            pgdata,
            log_file,
            run_as,
        } = layout;
        if let Some(pid) = running_postmaster(&pgdata) {
            log::info!(
                "reusing the PostgreSQL cluster already running in {} (pid {pid})",
                pgdata.display()
            );
            return Ok(Self {
                pgdata,
                log_file,
                postmaster: None,
                fresh,
            });
        }

        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_file)
            .map_err(io_error(format!("opening {}", log_file.display())))?;
        if let Some(user) = &run_as {
            let _ = nix::unistd::chown(&log_file, Some(user.uid), Some(user.gid));
        }
        let log_for_stderr = log.try_clone().map_err(io_error("duplicating the log handle"))?;
        let mut command = Command::new(bin.join("postgres"));
        command
            .arg("-D")
            .arg(&pgdata)
            .args(["-c", "listen_addresses="])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", pgdata.display()))
            .args(["-p", &SOCKET_PORT.to_string()])
            .current_dir(&data_dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_for_stderr)
            // Its own process group: a terminal's Ctrl-C reaches stemcare, which stops Postgres
            // after the HTTP server has drained.
            .process_group(0);
        if options.throwaway {
            command.args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]);
        }
        if let Some(user) = &run_as {
            command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        }
        let child = command.spawn().map_err(io_error("starting postgres"))?;
        let mut cluster = Self {
            pgdata,
            log_file,
            postmaster: Some(child),
            fresh,
        };
        cluster.wait_until_ready()?;
        Ok(cluster)
    }

    /// True when this start created the cluster (so seeds should be loaded).
    pub fn is_fresh(&self) -> bool {
        self.fresh
    }

    /// Where the cluster keeps its data.
    pub fn pgdata(&self) -> &Path {
        &self.pgdata
    }

    /// A libpq-style connection string for `dbname` over the private socket.
    pub fn connection_string(&self, dbname: &str) -> String {
        format!(
            "host={} port={SOCKET_PORT} user=postgres dbname={}",
            quote_conninfo(&self.pgdata.to_string_lossy()),
            quote_conninfo(dbname)
        )
    }

    fn wait_until_ready(&mut self) -> Result<(), EmbeddedError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.postmaster.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.postmaster = None;
                    return Err(EmbeddedError::CommandFailed {
                        step: "postgres",
                        output: format!("exited with {status}: {}", log_tail(&self.log_file)),
                    });
                }
            }
            if accepts_connections(&self.pgdata) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(EmbeddedError::StartTimeout(START_TIMEOUT, self.log_file.clone()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the postmaster with a fast shutdown if this process started it.
    pub fn stop(&mut self) {
        let Some(mut child) = self.postmaster.take() else {
            return;
        };
        let pid = Pid::from_raw(child.id() as i32);
        let _ = kill(pid, Signal::SIGINT);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                log::info!("PostgreSQL stopped ({})", self.pgdata.display());
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        log::warn!("PostgreSQL did not stop in {STOP_TIMEOUT:?}; sending SIGQUIT");
        let _ = kill(pid, Signal::SIGQUIT);
        let _ = child.wait();
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where a cluster lives and who runs it, checked before anything is created.
struct Layout {
    bin: PathBuf,
    data_dir: PathBuf,
    pgdata: PathBuf,
    log_file: PathBuf,
    run_as: Option<User>,
}

impl Layout {
    fn prepare(data_dir: &Path, pg_bin: Option<&Path>) -> Result<Self, EmbeddedError> {
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

/// Copies the primary into an empty `pgdata` with `pg_basebackup -R` (WAL streamed alongside).
fn base_backup(
    layout: &Layout,
    primary_conninfo: &str,
    options: ClusterOptions,
) -> Result<(), EmbeddedError> {
    let pgdata = &layout.pgdata;
    // Beside `postgres`, or beside what it links to (`/usr/local/bin/postgres` may be a symlink
    // into `/usr/lib/postgresql/<version>/bin`, where Debian keeps the client tools).
    let server = layout.bin.join("postgres");
    let tool = [
        Some(layout.bin.clone()),
        server
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_owned)),
    ]
    .into_iter()
    .flatten()
    .map(|dir| dir.join("pg_basebackup"))
    .find(|tool| tool.is_file())
    .ok_or(EmbeddedError::BinariesNotFound)?;
    make_private_dir(pgdata, layout.run_as.as_ref())?;
    let mut command = Command::new(tool);
    command
        .arg("-D")
        .arg(pgdata)
        .arg("-d")
        .arg(primary_conninfo)
        .args(["-R", "--wal-method=stream", "--checkpoint=fast"])
        .current_dir(&layout.data_dir)
        .stdin(Stdio::null());
    if options.throwaway {
        command.arg("--no-sync");
    }
    if let Some(user) = &layout.run_as {
        command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
    let output = command.output().map_err(io_error("running pg_basebackup"))?;
    if !output.status.success() {
        let _ = fs::remove_dir_all(pgdata);
        return Err(EmbeddedError::CommandFailed {
            step: "pg_basebackup",
            output: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    // The primary's socket lives in its data directory, so the copy holds its socket lock file
    // (naming the primary's live pid), which would stop the replica from starting.
    for entry in fs::read_dir(pgdata).map_err(io_error(format!("reading {}", pgdata.display())))? {
        let entry = entry.map_err(io_error(format!("reading {}", pgdata.display())))?;
        if entry.file_name().to_string_lossy().starts_with(".s.PGSQL.") {
            fs::remove_file(entry.path())
                .map_err(io_error(format!("removing {}", entry.path().display())))?;
        }
    }
    Ok(())
}

/// Creates `dir` with mode 0700 (Postgres refuses anything looser), owned by `run_as`.
fn make_private_dir(dir: &Path, run_as: Option<&User>) -> Result<(), EmbeddedError> {
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

/// Quotes a value for a libpq key/value connection string.
fn quote_conninfo(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
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

fn init_cluster(
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

/// The pid of a live postmaster serving `pgdata`, from its lock file.
fn running_postmaster(pgdata: &Path) -> Option<i32> {
    let contents = fs::read_to_string(pgdata.join("postmaster.pid")).ok()?;
    let pid: i32 = contents.lines().next()?.trim().parse().ok()?;
    let alive = kill(Pid::from_raw(pid), None).is_ok();
    (alive && accepts_connections(pgdata)).then_some(pid)
}

/// A primary says `ready`, a hot standby `standby` once it accepts read-only connections.
fn accepts_connections(pgdata: &Path) -> bool {
    matches!(postmaster_status(pgdata).as_deref(), Some("ready" | "standby"))
}

/// Line 8 of `postmaster.pid` is the postmaster's status (`starting`, `ready`, `stopping`).
fn postmaster_status(pgdata: &Path) -> Option<String> {
    let contents = fs::read_to_string(pgdata.join("postmaster.pid")).ok()?;
    contents.lines().nth(7).map(|s| s.trim().to_owned())
}

fn log_tail(path: &Path) -> String {
    let Ok(mut file) = fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(2000)));
    let mut tail = String::new();
    let _ = file.read_to_string(&mut tail);
    tail.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::quote_conninfo;

    #[test]
    fn conninfo_values_are_quoted() {
        assert_eq!(quote_conninfo("/tmp/a b"), "'/tmp/a b'");
        assert_eq!(quote_conninfo("it's"), "'it\\'s'");
    }
}
