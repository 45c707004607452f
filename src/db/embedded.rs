//! The private PostgreSQL cluster `serve` starts when `DATABASE_URL` is unset (GUIDE §3).
//!
//! The cluster lives in `<data_dir>/pgdata`, listens only on a Unix socket inside that directory
//! (`listen_addresses = ''`), and is run as the `postgres` user when this process is root,
//! because `initdb` and `postgres` refuse to run as root. A second `stemcare` process pointed at
//! the same data directory finds the running postmaster through `postmaster.pid` and reuses it.
//!
//! Setting up a cluster's directory (and `initdb` for a new one) is in `setup`; starting a
//! streaming replica from a copy of a primary is in `replica`.

mod replica;
mod setup;

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use setup::{init_cluster, Layout};

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

/// Quotes a value for a libpq key/value connection string.
fn quote_conninfo(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
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
