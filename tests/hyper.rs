//! `PinnedConnector` (feature `hyper`) under hyper-util's legacy `Client`, against a real hyper 1
//! server on loopback that records the peer address of every connection it accepts: requests
//! leave from the pinned range, a pool opens several connections inside it, host names and IP
//! literals, the family of a pinned address, the typed errors (no host, no such host, a single
//! pinned port under concurrency) and, behind a firewall in a network namespace, the timeout.
#![cfg(feature = "hyper")]

mod support;
use support::netns::*;
use support::ports::PortBlocks;

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bindpolicy::{BindTarget, Error, ErrorKind, PinnedConnector};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tower_service::Service;

/// What hyper-util's legacy `Client` requires of a connector, checked at compile time.
const _: () = {
    const fn connector<C>()
    where
        C: Service<Uri, Response = TokioIo<tokio::net::TcpStream>, Error = Error>
            + Clone
            + Send
            + Sync
            + 'static,
        C::Future: Send + Unpin + 'static,
    {
    }
    connector::<PinnedConnector>()
};

/// Another band than the other client tests use for the same pid.
static BLOCKS: PortBlocks = PortBlocks::new(130);

/// A hyper 1 server (HTTP/1) on every socket of `target`, answering each request with the
/// peer address of its connection; every accepted peer is recorded, in order.
struct Server {
    port: u16,
    peers: Arc<Mutex<Vec<SocketAddr>>>,
}

impl Server {
    async fn start(target: &str) -> Server {
        let target: BindTarget = target.parse().unwrap();
        let listeners = target.listen().unwrap().into_tokio().unwrap();
        let port = listeners.local_addrs()[0].port();
        let peers = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&peers);
        tokio::spawn(async move {
            loop {
                let Ok(accepted) = listeners.accept().await else {
                    continue;
                };
                let peer = accepted.peer;
                recorded.lock().unwrap().push(peer);
                let service = service_fn(move |_request| async move {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(peer.to_string()))))
                });
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(accepted.stream), service)
                        .await;
                });
            }
        });
        Server { port, peers }
    }

    fn peers(&self) -> Vec<SocketAddr> {
        self.peers.lock().unwrap().clone()
    }
}

type HttpClient = Client<PinnedConnector, Empty<Bytes>>;

fn client(source: &str, pool: usize) -> HttpClient {
    let source: BindTarget = source.parse().unwrap();
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(pool)
        .build(
            source
                .connector()
                .timeout(Duration::from_secs(10))
                .into_hyper(),
        )
}

/// GET `uri`: the local address hyper-util reports (`HttpInfo`) and the peer the server saw
/// (the body), which must be the same.
async fn get(
    client: &HttpClient,
    uri: &str,
) -> Result<SocketAddr, hyper_util::client::legacy::Error> {
    let response = client.get(uri.parse().unwrap()).await?;
    assert_eq!(response.status(), StatusCode::OK);
    let local = response
        .extensions()
        .get::<HttpInfo>()
        .expect("TokioIo<TcpStream> reports HttpInfo")
        .local_addr();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let seen: SocketAddr = std::str::from_utf8(&body).unwrap().parse().unwrap();
    assert_eq!(seen, local, "the server saw the address the client reports");
    Ok(local)
}

/// The crate's error inside a client error: hyper-util keeps the connector's error as the
/// `source()`.
fn ours(err: &hyper_util::client::legacy::Error) -> &Error {
    assert!(err.is_connect(), "{err:?}");
    std::error::Error::source(err)
        .and_then(|source| source.downcast_ref::<Error>())
        .unwrap_or_else(|| panic!("no bindpolicy::Error in {err:?}"))
}

/// 50 requests in groups of 8 at once, through a pool of 8, from a 16-port range: every
/// connection the server accepted came from the range, and the pool used more than one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_client_stays_inside_the_range() {
    let server = Server::start("127.0.0.1:0").await;
    let first = BLOCKS.free(16);
    let range = first..=first + 15;
    let client = client(&format!("port:{first}-{}", first + 15), 8);
    let uri = format!("http://127.0.0.1:{}/", server.port);
    let mut locals = Vec::new();
    for group in (0..50).collect::<Vec<u32>>().chunks(8) {
        let tasks: Vec<_> = group
            .iter()
            .map(|_| {
                let (client, uri) = (client.clone(), uri.clone());
                tokio::spawn(async move { get(&client, &uri).await })
            })
            .collect();
        for task in tasks {
            locals.push(task.await.unwrap().unwrap());
        }
    }
    assert_eq!(locals.len(), 50);
    for local in &locals {
        assert!(range.contains(&local.port()), "{local} outside {range:?}");
    }
    let peers = server.peers();
    for peer in &peers {
        assert!(range.contains(&peer.port()), "the server accepted {peer}");
    }
    let connections: BTreeSet<SocketAddr> = peers.iter().copied().collect();
    eprintln!(
        "50 requests over {} connections from {} ports of {range:?}",
        peers.len(),
        connections.len()
    );
    assert!(
        connections.len() > 1,
        "one connection served 8 concurrent requests: {peers:?}"
    );
    assert!(peers.len() <= 50, "{peers:?}");
    let used: BTreeSet<SocketAddr> = locals.iter().copied().collect();
    assert!(used.is_subset(&connections), "{used:?} vs {connections:?}");
}

/// An IPv6 literal host (`[::1]`) connects without the resolver (which would not take the
/// brackets), from the range.
#[tokio::test]
async fn an_ipv6_literal_host_connects_from_the_range() {
    let server = Server::start("localhost:0").await;
    let first = BLOCKS.free(4);
    let client = client(&format!("port:{first}-{}", first + 3), 1);
    let local = get(&client, &format!("http://[::1]:{}/", server.port))
        .await
        .unwrap();
    assert!(local.is_ipv6(), "{local}");
    assert!((first..=first + 3).contains(&local.port()), "{local}");
    assert_eq!(server.peers(), vec![local]);
}

/// `localhost` through the resolver, to a server on 127.0.0.1 and ::1: a `port:` source follows
/// the first address; a pinned address of one family connects to that family's address when
/// the name has one and skips the others, and is `family_mismatch` when it has none (this
/// machine's /etc/hosts may give localhost one family or both).
#[tokio::test]
async fn a_host_name_resolves_and_a_pinned_family_picks_its_address() {
    let server = Server::start("localhost:0").await;
    let port = server.port;
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host(("localhost", port))
        .await
        .unwrap()
        .collect();
    assert!(!resolved.is_empty());
    let uri = format!("http://localhost:{port}/");

    let first = BLOCKS.free(4);
    let local = get(&client(&format!("port:{first}-{}", first + 3), 1), &uri)
        .await
        .unwrap();
    assert!((first..=first + 3).contains(&local.port()), "{local}");
    assert_eq!(local.is_ipv6(), resolved[0].is_ipv6(), "{resolved:?}");

    for source in ["127.0.0.1:0", "[::1]:0"] {
        let v6 = source.starts_with('[');
        let has_family = resolved.iter().any(|a| a.is_ipv6() == v6);
        match get(&client(source, 1), &uri).await {
            Ok(local) => {
                assert!(has_family, "{source} connected to {local}: {resolved:?}");
                assert_eq!(local.is_ipv6(), v6, "{source}: {local}");
            }
            Err(err) => {
                assert!(!has_family, "{source}: {err:?} ({resolved:?})");
                assert_eq!(ours(&err).kind(), ErrorKind::FamilyMismatch, "{err:?}");
            }
        }
    }
}

/// A URI without a host (a request's relative target) is a typed error, word for word.
/// hyper-util's `Client` refuses such a URI itself, so the connector is called directly.
#[tokio::test]
async fn a_uri_without_a_host_is_invalid_uri() {
    let mut connector = BindTarget::any(0).connector().into_hyper();
    let err = connector
        .call(Uri::from_static("/index.html"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidUri);
    assert_eq!(err.kind().as_str(), "invalid_uri");
    assert!(
        matches!(&err, Error::UriWithoutHost { uri } if uri == "/index.html"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "cannot connect to \"/index.html\": it has no host; give an absolute URI such as \
         http://example.com/"
    );
}

/// A name that cannot resolve (`.invalid`, RFC 6761) is `host_not_found`, naming the host and
/// the scheme's default port (80 for http, 443 for https); the resolver's error is the source.
#[tokio::test]
async fn a_name_that_does_not_resolve_is_host_not_found() {
    let client = client("port:0", 1);
    for (uri, default_port) in [
        ("http://no-such-host.invalid/", 80),
        ("https://no-such-host.invalid/", 443),
    ] {
        let err = client.get(uri.parse().unwrap()).await.unwrap_err();
        let err = ours(&err);
        assert_eq!(err.kind(), ErrorKind::HostNotFound, "{err:?}");
        assert_eq!(err.kind().as_str(), "host_not_found");
        assert!(
            matches!(err, Error::HostNotFound { host, port, .. }
                if host == "no-such-host.invalid" && *port == default_port),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "the host name \"no-such-host.invalid\" did not resolve to any address; check the \
             name and this machine's DNS setup, or connect to an IP address"
        );
    }
}

/// One pinned port, two requests at once: the pool opens a second connection while the first
/// is busy, and its connect finds the 4-tuple taken. One request succeeds from the port; the
/// other fails with the connector's typed error, whose message points to a range.
#[tokio::test]
async fn a_single_pinned_port_cannot_serve_two_requests_at_once() {
    let server = Server::start("127.0.0.1:0").await;
    let port = BLOCKS.free(1);
    let client = client(&format!("port:{port}"), 2);
    let uri = format!("http://127.0.0.1:{}/", server.port);
    let (a, b) = tokio::join!(get(&client, &uri), get(&client, &uri));
    let (ok, err) = match (a, b) {
        (Ok(local), Err(err)) | (Err(err), Ok(local)) => (local, err),
        other => panic!("expected one success and one failure: {other:?}"),
    };
    assert_eq!(ok.port(), port);
    let err = ours(&err);
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("pin a range such as port:{port}-{}", port + 15)),
        "{err}"
    );
}

/// Behind a firewall that drops the SYN (a namespace's nftables), `Connector::timeout` bounds
/// the attempt: the client's error is the connector's `timed_out`, naming the timeout.
#[test]
fn a_dropped_syn_times_out_with_the_connectors_timeout() {
    require_netns!();
    let lan = Lan::new();
    lan.server.nft(
        r#"
table inet bp {
    chain input {
        type filter hook input priority filter; policy accept;
        tcp dport 5000 drop
    }
}
"#,
    );
    let timeout = Duration::from_millis(400);
    let remote = SocketAddr::from((SERVER_V4, 5000));
    let err = lan.laptop.run(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let source: BindTarget = "port:41000-41003".parse().unwrap();
            let client: HttpClient = Client::builder(TokioExecutor::new())
                .build(source.connector().timeout(timeout).into_hyper());
            let uri = format!("http://{SERVER_V4}:5000/");
            client.get(uri.parse().unwrap()).await.unwrap_err()
        })
    });
    let err = ours(&err);
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err:?}");
    assert!(
        matches!(err, Error::TimedOut { timeout: Some(t), remote: r, .. } if *t == timeout && *r == remote),
        "{err:?}"
    );
}
