//! Connections to Postgres over a Unix socket that wake their thread only when there is
//! something to read.
//!
//! tokio registers every socket for both read and write readiness, edge-triggered. On a Unix
//! socket the kernel signals write space each time the peer consumes data, so every query sent
//! woke the sending thread again a moment later, when Postgres read it, with nothing to do: about
//! 1.8 wake-ups (and context switches) per catalogue request, on top of the ~4.5 that carry work,
//! and the Postgres backend paid for waking us on every read. pgbench and libpq wait for
//! readability only. [`PgUnixStream`] does the same: it writes directly, and only when the socket
//! buffer is full (Postgres not reading) does it register a second handle for write space, dropped
//! again once the write went through.
//!
//! TCP hosts (and anything else) go through `tokio_postgres::connect` unchanged: TCP signals write
//! space only after a write found the buffer full.

use std::future::Future;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

/// The I/O task of a connection: drive it (spawn it) for the client to work.
pub type ConnectionTask = Pin<Box<dyn Future<Output = Result<(), tokio_postgres::Error>> + Send>>;

/// Opens a connection like `tokio_postgres::connect(url, NoTls)`, over [`PgUnixStream`] when the
/// first host is a Unix socket directory.
pub async fn connect(url: &str) -> Result<(Client, ConnectionTask), tokio_postgres::Error> {
    let config: Config = url.parse()?;
    if let Some(path) = unix_socket_path(&config) {
        match PgUnixStream::connect(path).await {
            Ok(stream) => {
                let (client, connection) = config.connect_raw(stream, NoTls).await?;
                return Ok((client, Box::pin(connection)));
            }
            // Let tokio-postgres report the failure (and try any further hosts) in its own words.
            Err(e) => log::debug!("unix socket connect failed, falling back: {e}"),
        }
    }
    let (client, connection) = config.connect(NoTls).await?;
    Ok((client, Box::pin(connection)))
}

/// `{dir}/.s.PGSQL.{port}` for a first host that is a socket directory (libpq's naming).
fn unix_socket_path(config: &Config) -> Option<PathBuf> {
    let Some(Host::Unix(dir)) = config.get_hosts().first() else {
        return None;
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    Some(dir.join(format!(".s.PGSQL.{port}")))
}

/// A nonblocking Unix stream registered for read readiness only (see the module notes).
pub struct PgUnixStream {
    socket: AsyncFd<UnixStream>,
    /// A duplicate of the socket registered for write space, only while a write is blocked.
    write_space: Option<AsyncFd<UnixStream>>,
}

impl PgUnixStream {
    pub async fn connect(path: PathBuf) -> io::Result<Self> {
        let stream = tokio::net::UnixStream::connect(path).await?.into_std()?;
        stream.set_nonblocking(true)?;
        Ok(Self {
            socket: register(stream, Interest::READABLE)?,
            write_space: None,
        })
    }
}

/// Registers `stream` with this thread's tokio reactor for `interest`.
fn register(stream: UnixStream, interest: Interest) -> io::Result<AsyncFd<UnixStream>> {
    // SAFETY (the contract of `register_with_interest`): a `UnixStream` owns its descriptor,
    // which stays open and refers to the same socket until the `AsyncFd` is dropped; this module
    // never swaps the stream out through `get_mut`.
    Ok(unsafe { AsyncFd::register_with_interest(stream, interest) }?)
}

impl AsyncRead for PgUnixStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.socket.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|socket| socket.get_ref().read(unfilled)) {
                Ok(Ok(read)) => {
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                // Not readable after all: readiness was cleared, wait for the next edge.
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for PgUnixStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            if let Some(waiter) = &self.write_space {
                let mut guard = ready!(waiter.poll_write_ready(cx))?;
                match guard.try_io(|socket| socket.get_ref().write(data)) {
                    Ok(result) => {
                        self.write_space = None;
                        return Poll::Ready(result);
                    }
                    Err(_would_block) => continue,
                }
            }
            match self.socket.get_ref().write(data) {
                Ok(written) => return Poll::Ready(Ok(written)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Registering reports the current state, so space freed since the failed
                    // write is not missed.
                    let duplicate = self.socket.get_ref().try_clone()?;
                    self.write_space = Some(register(duplicate, Interest::WRITABLE)?);
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the socket; nothing is buffered here.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.socket.get_ref().shutdown(std::net::Shutdown::Write))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A `PgUnixStream` and the server side of its connection (the directory holds the socket).
    async fn connected_pair() -> (tempfile::TempDir, PgUnixStream, tokio::net::UnixStream) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s");
        let listener = tokio::net::UnixListener::bind(&path).expect("bind");
        let stream = PgUnixStream::connect(path).await.expect("connect");
        let (peer, _) = listener.accept().await.expect("accept");
        (dir, stream, peer)
    }

    /// A write larger than the socket buffer completes once the peer drains it: the blocked-write
    /// path (the duplicate registered for write space) wakes the writer.
    #[tokio::test]
    async fn a_write_that_fills_the_socket_buffer_completes_when_the_peer_reads() {
        let (_dir, mut stream, mut peer) = connected_pair().await;
        let payload: Vec<u8> = (0..8 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
        let expected = payload.clone();
        let reader = tokio::spawn(async move {
            let mut received = Vec::new();
            // Start reading late, so the writer meets a full buffer first.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            peer.read_to_end(&mut received).await.expect("read");
            received
        });
        stream.write_all(&payload).await.expect("write");
        stream.shutdown().await.expect("shutdown");
        assert_eq!(reader.await.expect("reader"), expected);
    }

    #[tokio::test]
    async fn reads_what_the_peer_sends() {
        let (_dir, mut stream, mut peer) = connected_pair().await;
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            peer.write_all(b"ready").await.expect("write");
        });
        let mut received = [0u8; 5];
        stream.read_exact(&mut received).await.expect("read");
        assert_eq!(&received, b"ready");
    }

    #[test]
    fn the_socket_path_follows_libpq_naming() {
        let config: Config = "host=/tmp/pg port=5433 user=x dbname=y".parse().expect("config");
        assert_eq!(
            unix_socket_path(&config),
            Some(PathBuf::from("/tmp/pg/.s.PGSQL.5433"))
        );
        let tcp: Config = "host=localhost user=x".parse().expect("config");
        assert_eq!(unix_socket_path(&tcp), None);
    }
}
