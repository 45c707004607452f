//! A hot-standby streaming replica started from a `pg_basebackup` copy of a primary.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use super::setup::{make_private_dir, Layout};
use super::{io_error, ClusterOptions, EmbeddedCluster, EmbeddedError};

impl EmbeddedCluster {
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
