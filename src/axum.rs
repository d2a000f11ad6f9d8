//! axum support (feature `axum`, axum 0.8): [`TokioListeners`] is an `axum::serve::Listener`,
//! so one `axum::serve` serves every socket of a target, with one graceful shutdown.
//!
//! ```no_run
//! use axum::{Router, extract::ConnectInfo, routing::get};
//! use bindpolicy::{BindTarget, Peer};
//!
//! async fn hello(ConnectInfo(peer): ConnectInfo<Peer>) -> String {
//!     format!("hello {}, you reached {}\n", peer.addr, peer.local)
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let target: BindTarget = "localhost:3000".parse()?;
//! let listeners = target.listen()?.into_tokio()?;
//! let app = Router::new().route("/", get(hello));
//! axum::serve(listeners, app.into_make_service_with_connect_info::<Peer>())
//!     .with_graceful_shutdown(async { tokio::signal::ctrl_c().await.unwrap_or(()) })
//!     .await?;
//! # Ok(())
//! # }
//! ```

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};

use crate::serve::TokioListeners;
use crate::sys;

/// How long the accept loop pauses after an error that is not about one connection (EMFILE,
/// ENFILE, ENOBUFS), as axum's own `TcpListener` impl (and hyper 0.14's server) does.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl Listener for TokioListeners {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    /// [`TokioListeners::accept`] over every socket; errors are retried as axum's own
    /// `TcpListener` impl retries them: at once for a connection that failed (refused,
    /// aborted, reset); after the pause of [`TokioListeners::accept`] for one about resources
    /// (EMFILE, ENFILE, ENOBUFS, ENOMEM: 10 ms doubling to 1 s, giving the process time to
    /// close files); after one second otherwise. They are not reported: axum's `Listener` has
    /// no error path.
    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match TokioListeners::accept(self).await {
                Ok(accepted) => return (accepted.stream, accepted.peer),
                Err(err) if is_connection_error(&err) => {}
                // TokioListeners::accept paused already, growing with the errors in a row.
                Err(err) if sys::is_resource_exhausted(&err) => {}
                Err(_) => tokio::time::sleep(ACCEPT_ERROR_PAUSE).await,
            }
        }
    }

    /// The first socket's address (axum's `Listener` has room for one); all of them are in
    /// [`Bound::local_addrs`](crate::Bound::local_addrs), and the URLs in
    /// [`Bound::exposure`](crate::Bound::exposure).
    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.local_addrs()
            .first()
            .copied()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "no socket"))
    }
}

fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Who connected, for axum's `ConnectInfo` (feature `axum`): serve with
/// `app.into_make_service_with_connect_info::<Peer>()` and take `ConnectInfo<Peer>` in a
/// handler (see the module example above, or examples/axum_server.rs).
///
/// axum implements `Connected` for `SocketAddr` only for its own `TcpListener`, so
/// `ConnectInfo<SocketAddr>` does not apply here; `Peer` is the same information and the
/// address the client reached (for a wildcard listener, which of the machine's addresses).
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Peer {
    /// The client's address.
    pub addr: SocketAddr,
    /// The local address the client connected to (the stream's `local_addr()`); the
    /// unspecified address on port 0 in the rare case the OS cannot say.
    pub local: SocketAddr,
}

impl Connected<IncomingStream<'_, TokioListeners>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TokioListeners>) -> Self {
        Peer {
            addr: *stream.remote_addr(),
            local: stream
                .io()
                .local_addr()
                .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0))),
        }
    }
}
