//! The server both services run, plain HTTP/1.1 or https: hyper's connection over an accept
//! loop of our own, so that every path has the same defences —
//!
//! - a header-read timeout (a client that sends half its headers and stalls is dropped);
//! - an idle timeout (a connection with no request in flight and no bytes moving is closed);
//! - a cap on open connections (the next one waits in the kernel's backlog until one closes),
//!   under the process's open-file limit, which is raised to its hard limit at start;
//! - a cap on open connections per client (an IPv4 address, or an IPv6 /64, which one host
//!   usually has whole): past it, the client's new connections are closed at once, so one
//!   client cannot hold every slot of the cap above (slowloris);
//! - the TLS handshake bounded by the header-read timeout and counted in the cap;
//! - graceful shutdown: on the signal, stop accepting, let requests in flight finish (for at
//!   most the grace period), close idle connections at once.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

/// The server's limits.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The longest a client may take to send a request's headers (and to finish the TLS
    /// handshake). Default 10 s.
    pub header_read_timeout: Duration,
    /// A connection with no request in flight and no bytes read or written for this long is
    /// closed. Default 60 s.
    pub idle_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog. Default 1024 (lowered to
    /// fit the open-file limit).
    pub max_connections: usize,
    /// Connections one client (IPv4 address or IPv6 /64) may hold open at once; more are
    /// closed as soon as they are accepted. Default 128; raise it behind a reverse proxy,
    /// whose connections all come from its address.
    pub max_connections_per_client: usize,
    /// On shutdown, how long requests in flight may take to finish. Default 10 s.
    pub shutdown_grace: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_connections_per_client: 128,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The TLS certificate chain or key.
    #[error("TLS certificate {cert} or key {key}: {reason}")]
    Tls {
        /// The certificate chain file.
        cert: String,
        /// The key file.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// The listener.
    #[error("the listener: {0}")]
    Io(#[from] std::io::Error),
}

/// An https acceptor: a certificate chain and key, HTTP/1.1 over TLS 1.2 or 1.3 (rustls with
/// ring).
#[derive(Clone)]
pub struct Tls(tokio_rustls::TlsAcceptor);

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls")
    }
}

impl Tls {
    /// The TLS set-up a service's configuration names, as `(certificate, key)` PEM files:
    /// `None` serves plain http.
    ///
    /// # Errors
    /// As [`Tls::from_pem_files`].
    pub fn from_config(
        files: Option<&(std::path::PathBuf, std::path::PathBuf)>,
    ) -> Result<Option<Self>, ServeError> {
        files
            .map(|(cert, key)| Self::from_pem_files(cert, key))
            .transpose()
    }

    /// Reads the certificate chain and private key (PEM).
    ///
    /// # Errors
    /// [`ServeError::Tls`] naming both files and what is wrong.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, ServeError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let fail = |reason: String| ServeError::Tls {
            cert: cert.display().to_string(),
            key: key.display().to_string(),
            reason,
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| fail(format!("the certificate chain: {e}")))?;
        if chain.is_empty() {
            return Err(fail("no certificate in the chain file".into()));
        }
        let private =
            PrivateKeyDer::from_pem_file(key).map_err(|e| fail(format!("the private key: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| fail(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(|e| fail(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Raises the soft limit on open files to the hard limit where the system allows; the soft
/// limit in force afterwards (`None` where it cannot be read).
pub fn raise_open_file_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(e) => {
            tracing::warn!("cannot raise the open-file limit: {e}");
            rlimit::Resource::NOFILE.get().ok().map(|(soft, _)| soft)
        }
    }
}

/// File descriptors kept for what is not a client connection: the database, fetches, files.
const RESERVED_FDS: u64 = 128;

/// Serves `app` on `listener` (https when `tls` is given) until `shutdown` resolves, then
/// finishes the requests in flight (for at most [`ServeConfig::shutdown_grace`]). Requests
/// carry the client's address as `ConnectInfo<SocketAddr>`.
///
/// # Errors
/// [`ServeError::Io`] when the listener's address cannot be read.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: ServeConfig,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let max = match raise_open_file_limit() {
        Some(files) => {
            let fit =
                usize::try_from(files.saturating_sub(RESERVED_FDS).max(1)).unwrap_or(usize::MAX);
            if fit < config.max_connections {
                tracing::warn!(
                    "the open-file limit ({files}) allows {fit} connections, not {}",
                    config.max_connections
                );
            }
            config.max_connections.min(fit)
        }
        None => config.max_connections,
    }
    .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let local = listener.local_addr()?;
    let permits = Arc::new(Semaphore::new(max));
    let clients = Arc::new(Clients::new(config.max_connections_per_client));
    let (state_tx, state_rx) = watch::channel(Phase::Serving);
    let limits = Arc::new(Limits {
        header_read_timeout: config.header_read_timeout,
        idle_timeout: config.idle_timeout,
    });
    tracing::debug!("serving {local}: at most {max} connections");
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or the like: wait a little rather than spin.
                    if !is_connection_error(&e) {
                        tracing::warn!("accept on {local}: {e}");
                        tokio::select! {
                            () = tokio::time::sleep(Duration::from_millis(100)) => {},
                            () = &mut shutdown => break,
                        }
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = clients.admit(peer.ip()) else {
            tracing::debug!("connection from {peer}: over the per-client cap; closed");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let limits = limits.clone();
        let phase = state_rx.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => connection(stream, peer, app, &limits, phase).await,
                Some(Tls(acceptor)) => {
                    let handshake =
                        tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream))
                            .await;
                    match handshake {
                        Ok(Ok(stream)) => connection(stream, peer, app, &limits, phase).await,
                        Ok(Err(e)) => tracing::debug!("TLS handshake with {peer}: {e}"),
                        Err(_) => tracing::debug!("TLS handshake with {peer}: timed out"),
                    }
                }
            }
            drop(slot);
            drop(permit);
        });
    }
    drop(listener);
    let open = max - permits.available_permits();
    tracing::info!("shutting down: finishing {open} open connection(s)");
    let _ = state_tx.send(Phase::Draining);
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    if tokio::time::timeout(config.shutdown_grace, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            "shutting down: {} connection(s) still open after {:?}; closing them",
            max - permits.available_permits(),
            config.shutdown_grace
        );
        let _ = state_tx.send(Phase::Closing);
        let _ = tokio::time::timeout(Duration::from_secs(1), permits.acquire_many(all)).await;
    }
    Ok(())
}

/// Open connections per client, for [`ServeConfig::max_connections_per_client`].
#[derive(Debug)]
struct Clients {
    max: usize,
    open: std::sync::Mutex<std::collections::HashMap<[u8; 16], usize>>,
}

/// One open connection of a client, counted until dropped.
struct ClientSlot {
    clients: Arc<Clients>,
    key: [u8; 16],
}

impl Clients {
    fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            open: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Who a connection counts against: the IPv4 address (an IPv4-mapped IPv6 one too), or
    /// the IPv6 /64.
    fn key(ip: std::net::IpAddr) -> [u8; 16] {
        match ip {
            std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_ipv6_mapped().octets(),
                None => {
                    let mut key = v6.octets();
                    key[8..].fill(0);
                    key
                }
            },
        }
    }

    /// A slot for one more connection of `ip`, or `None` when it holds the most it may.
    fn admit(self: &Arc<Self>, ip: std::net::IpAddr) -> Option<ClientSlot> {
        let key = Self::key(ip);
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = open.entry(key).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            clients: self.clone(),
            key,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self
            .clients
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Accept errors that concern one connection only (as hyper and axum treat them).
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Where the server is in its life, as the connections see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Serving,
    /// Finish what is in flight, then close.
    Draining,
    /// Close now.
    Closing,
}

#[derive(Debug)]
struct Limits {
    header_read_timeout: Duration,
    idle_timeout: Duration,
}

/// One connection: hyper's HTTP/1.1 with keep-alive and the header-read timeout; closed when
/// idle, drained or closed on shutdown.
async fn connection<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    limits: &Limits,
    mut phase: watch::Receiver<Phase>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let tracked = Tracked {
        inner: io,
        activity: activity.clone(),
    };
    let in_service = activity.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let busy = Busy::new(in_service.clone());
        let answer = app.clone().oneshot(request.map(axum::body::Body::new));
        async move {
            let response: Result<_, Infallible> = answer.await;
            drop(busy);
            response
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(tracked), service);
    tokio::pin!(conn);
    let mut draining = false;
    if *phase.borrow_and_update() != Phase::Serving {
        conn.as_mut().graceful_shutdown();
        draining = true;
    }
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("connection from {peer}: {e}");
                }
                return;
            }
            () = activity.idle_for(limits.idle_timeout) => {
                tracing::debug!("connection from {peer}: idle for {:?}; closed", limits.idle_timeout);
                return;
            }
            changed = phase.changed() => {
                let now = if changed.is_ok() { *phase.borrow_and_update() } else { Phase::Closing };
                match now {
                    Phase::Serving => {}
                    Phase::Draining if !draining => {
                        draining = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    Phase::Draining => {}
                    Phase::Closing => return,
                }
            }
        }
    }
}

/// When a connection last moved bytes, and how many of its requests are being handled.
#[derive(Debug)]
struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last read or write.
    last: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.fetch_max(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }

    /// Resolves once the connection has had no request in flight and no traffic for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let due = self.last() + idle;
            tokio::time::sleep_until(due).await;
            if self.in_flight.load(Ordering::Relaxed) > 0 {
                // A handler at work is not idleness (the request timeout bounds it).
                self.touch();
            } else if self.last() + idle <= Instant::now() {
                return;
            }
        }
    }
}

/// Counts a request in flight until dropped.
struct Busy(Arc<Activity>);

impl Busy {
    fn new(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.touch();
        Self(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// An I/O stream that records when bytes last moved.
struct Tracked<I> {
    inner: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Tracked<I> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Tracked<I> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::Clients;
    use std::net::IpAddr;
    use std::sync::Arc;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_client_is_an_ipv4_address_or_an_ipv6_64() {
        assert_eq!(
            Clients::key(ip("192.0.2.1")),
            Clients::key(ip("::ffff:192.0.2.1"))
        );
        assert_ne!(Clients::key(ip("192.0.2.1")), Clients::key(ip("192.0.2.2")));
        assert_eq!(
            Clients::key(ip("2001:db8:1:2::1")),
            Clients::key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_ne!(
            Clients::key(ip("2001:db8:1:2::1")),
            Clients::key(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn slots_are_counted_per_client_and_given_back() {
        let clients = Arc::new(Clients::new(2));
        let a1 = clients.admit(ip("192.0.2.1")).unwrap();
        let a2 = clients.admit(ip("192.0.2.1")).unwrap();
        assert!(clients.admit(ip("192.0.2.1")).is_none());
        assert!(clients.admit(ip("2001:db8::1")).is_some());
        drop(a1);
        assert!(clients.admit(ip("192.0.2.1")).is_some());
        drop(a2);
        // Every slot dropped: nothing is left in the map.
        assert!(clients.open.lock().unwrap().is_empty());
    }
}
