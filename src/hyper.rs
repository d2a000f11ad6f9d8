//! hyper support (feature `hyper`): [`PinnedConnector`], a connector for hyper-util's legacy
//! `Client` that connects through a [`Connector`], so every HTTP connection leaves from the
//! pinned source: a port of a `port:` range, a local address, an interface.
//!
//! The type's docs carry the example, the pool rule and TLS: this module is private.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use http::uri::Scheme;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::client::Connector;
use crate::error::{Error, ErrorKind, Phase, Result};

/// A connector for hyper-util's legacy `Client` (feature `hyper`): a
/// `tower_service::Service<http::Uri>` that connects through a [`Connector`], so each
/// connection's source is the pinned one. Made by [`Connector::into_hyper`] or
/// [`PinnedConnector::new`].
///
/// hyper-util's own `HttpConnector` sets a local address and an interface, but not a port; this
/// one takes any source a [`BindTarget`](crate::BindTarget) can name.
///
/// ```no_run
/// use bindpolicy::BindTarget;
/// use http_body_util::Empty;
/// use hyper::body::Bytes;
/// use hyper_util::client::legacy::Client;
/// use hyper_util::client::legacy::connect::HttpInfo;
/// use hyper_util::rt::TokioExecutor;
/// use std::time::Duration;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let source: BindTarget = "port:40000-40099".parse()?;
/// let connector = source.connector().timeout(Duration::from_secs(5)).into_hyper();
/// let client = Client::builder(TokioExecutor::new())
///     .pool_max_idle_per_host(8)
///     .build::<_, Empty<Bytes>>(connector);
/// let response = client.get("http://example.com/".parse()?).await?;
/// let local = response.extensions().get::<HttpInfo>().map(HttpInfo::local_addr);
/// println!("{} from {local:?}", response.status());
/// # Ok(())
/// # }
/// ```
///
/// # The pool and the range
///
/// The client's pool opens a second connection to a host as soon as a request finds every
/// pooled one busy, before the first returns, so the source needs as many ports as connections
/// can be open at once to one destination: use a range at least as large as the pool (and as
/// the concurrency). A single pinned port serves one connection per destination address; a
/// second, concurrent one fails with `addr_in_use` (the 4-tuple is taken), and which request
/// fails depends on timing.
///
/// # TLS
///
/// The stream is plain TCP. For `https` URIs, wrap the connector in a TLS connector that takes
/// an inner connector (hyper-rustls' `HttpsConnectorBuilder::wrap_connector`, hyper-tls'
/// `HttpsConnector::from`): it connects through this one, then runs the handshake, and reports
/// the ALPN protocol itself. The connector defaults to port 443 for an `https` URI and accepts
/// it, unlike hyper-util's `HttpConnector`, which refuses a scheme other than `http` unless
/// told otherwise.
///
/// # What a connect does
///
/// For each URI it:
///
/// 1. takes the host and the port: the URI's port, else 443 for `https` and 80 otherwise; a URI
///    without a host is [`Error::UriWithoutHost`];
/// 2. resolves the host with `tokio::net::lookup_host` (the OS resolver, on tokio's blocking
///    pool), unless it is an IP literal (`127.0.0.1`, `[::1]`); no address, or a resolver
///    error, is [`Error::HostNotFound`], naming the host;
/// 3. tries each address in the resolver's order with [`Connector::connect_tokio`], one at a
///    time (no Happy Eyeballs race); [`Connector::timeout`] bounds each attempt. An address of
///    the other family than a pinned source address is skipped (a `port:` or `*` source
///    follows the remote, so it works for both families);
/// 4. sets TCP_NODELAY (on by default, as reqwest sets it; hyper-util's `HttpConnector` leaves
///    it off unless `set_nodelay(true)`), see [`PinnedConnector::nodelay`];
/// 5. returns the stream as hyper-util's `TokioIo`, whose `Connection` impl (hyper-util's, for
///    `TcpStream`) reports `Connected::new()` with the local and remote addresses: `HttpInfo`
///    in each response's extensions; not proxied, no ALPN (a TLS connector around this one
///    reports its own).
///
/// When every address fails, the error is the last attempt's (`family_mismatch` only when no
/// address was of the source's family). `poll_ready` is always ready; cloning is cheap (the
/// options are shared).
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinnedConnector {
    connector: Arc<Connector>,
    nodelay: bool,
}

impl Connector {
    /// This connector as a connector for hyper-util's legacy `Client` (feature `hyper`):
    /// `Client::builder(TokioExecutor::new()).build(source.connector().into_hyper())`.
    #[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
    pub fn into_hyper(self) -> PinnedConnector {
        PinnedConnector::new(self)
    }
}

impl From<Connector> for PinnedConnector {
    fn from(connector: Connector) -> PinnedConnector {
        PinnedConnector::new(connector)
    }
}

impl PinnedConnector {
    /// Connects through `connector` (its source, [`Connector::timeout`] per attempt and
    /// [`Connector::bind_device`]), with TCP_NODELAY on.
    pub fn new(connector: Connector) -> PinnedConnector {
        PinnedConnector {
            connector: Arc::new(connector),
            nodelay: true,
        }
    }

    /// Whether to set TCP_NODELAY on each connection (default `true`): HTTP writes a request
    /// and waits for the answer, which Nagle's algorithm would hold back until the peer's
    /// delayed ACK. `false` leaves the OS default, as hyper-util's `HttpConnector` does.
    pub fn nodelay(mut self, nodelay: bool) -> PinnedConnector {
        self.nodelay = nodelay;
        self
    }

    /// The [`Connector`] each connection goes through.
    pub fn connector(&self) -> &Connector {
        &self.connector
    }

    /// Connects to the host and port of `uri`, as the type's docs say.
    async fn connect(connector: Arc<Connector>, nodelay: bool, uri: Uri) -> Result<TcpStream> {
        let (host, port) = host_port(&uri)?;
        let addrs = addresses(host, port).await?;
        let mut last: Option<Error> = None;
        let mut mismatch: Option<Error> = None;
        for remote in addrs {
            match connector.connect_tokio(remote).await {
                Ok(stream) => {
                    if nodelay {
                        stream.set_nodelay(true).map_err(|source| Error::Io {
                            addr: remote,
                            phase: Phase::SetOption("TCP_NODELAY"),
                            source,
                        })?;
                    }
                    return Ok(stream);
                }
                Err(err) if err.kind() == ErrorKind::FamilyMismatch => mismatch = Some(err),
                Err(err) => last = Some(err),
            }
        }
        Err(last
            .or(mismatch)
            .unwrap_or_else(|| host_not_found(host, port, None)))
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
impl tower_service::Service<Uri> for PinnedConnector {
    type Response = TokioIo<TcpStream>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<TokioIo<TcpStream>>> + Send>>;

    /// Always ready: each call connects on its own.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Connects to the URI's host and port from the pinned source.
    fn call(&mut self, uri: Uri) -> Self::Future {
        let connector = Arc::clone(&self.connector);
        let nodelay = self.nodelay;
        Box::pin(async move {
            PinnedConnector::connect(connector, nodelay, uri)
                .await
                .map(TokioIo::new)
        })
    }
}

/// The host (brackets of an IPv6 literal kept) and the port to connect to.
fn host_port(uri: &Uri) -> Result<(&str, u16)> {
    let host = uri
        .host()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| Error::UriWithoutHost {
            uri: uri.to_string(),
        })?;
    let default = if uri.scheme() == Some(&Scheme::HTTPS) {
        443
    } else {
        80
    };
    Ok((host, uri.port_u16().unwrap_or(default)))
}

/// The addresses of `host`: an IP literal as it is, a name through the OS resolver.
async fn addresses(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|source| host_not_found(host, port, Some(source)))?
        .collect();
    if addrs.is_empty() {
        return Err(host_not_found(host, port, None));
    }
    Ok(addrs)
}

fn host_not_found(host: &str, port: u16, source: Option<std::io::Error>) -> Error {
    Error::HostNotFound {
        host: host.to_owned(),
        port,
        source,
    }
}
