//! The tokio twin: `Connector::connect_tokio` from a source-port range to a listener made with
//! `BindTarget::listen()` and `Listeners::into_tokio()`, on loopback.
#![cfg(feature = "tokio")]

mod support;
use support::ports::PortBlocks;

use std::net::{Ipv4Addr, SocketAddr};

use bindpolicy::{BindTarget, Error, ErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Another band than tests/client.rs and tests/client_stress.rs use for the same pid.
static BLOCKS: PortBlocks = PortBlocks::new(50);

async fn tokio_listener() -> (tokio::net::TcpListener, SocketAddr) {
    let target: BindTarget = "127.0.0.1:0".parse().unwrap();
    let mut listeners = target
        .listen()
        .unwrap()
        .into_tokio()
        .unwrap()
        .into_sockets();
    assert_eq!(listeners.len(), 1);
    let listener = listeners.pop().unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[tokio::test]
async fn connect_tokio_from_a_range() {
    let (listener, remote) = tokio_listener().await;
    let (first, held) = BLOCKS.hold(8);
    drop(held);
    let last = first + 7;
    let source: BindTarget = format!("port:{first}-{last}").parse().unwrap();
    let mut client = source.connector().connect_tokio(remote).await.unwrap();
    let (mut server, peer) = listener.accept().await.unwrap();
    let local = client.local_addr().unwrap();
    assert!((first..=last).contains(&local.port()), "{local}");
    assert_eq!(peer, local);
    assert_eq!(client.peer_addr().unwrap(), remote);

    client.write_all(b"ping").await.unwrap();
    let mut buf = [0u8; 4];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping");
    server.write_all(b"pong").await.unwrap();
    client.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"pong");
}

/// Concurrent tasks through a 4-port range: four connect, on four different ports; the others
/// find every 4-tuple taken (connect says EADDRNOTAVAIL) and report `port_range_exhausted`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_tokio_concurrent_tasks_share_a_range() {
    let (listener, remote) = tokio_listener().await;
    let (first, held) = BLOCKS.hold(4);
    drop(held);
    let source: BindTarget = format!("port:{first}-{}", first + 3).parse().unwrap();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let connector = source.connector();
            tokio::spawn(async move { connector.connect_tokio(remote).await })
        })
        .collect();
    let mut streams = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(stream) => streams.push(stream),
            Err(err) => {
                let Error::PortRangeExhausted { attempts, .. } = &err else {
                    panic!("{err}");
                };
                assert_eq!(*attempts, 4, "{err}");
            }
        }
    }
    let mut ports: Vec<u16> = streams
        .iter()
        .map(|s| s.local_addr().unwrap().port())
        .collect();
    ports.sort_unstable();
    assert_eq!(ports, (first..=first + 3).collect::<Vec<_>>());
    for _ in 0..4 {
        let (_, peer) = listener.accept().await.unwrap();
        assert!(ports.contains(&peer.port()));
    }
}

#[tokio::test]
async fn connect_tokio_with_every_port_held_is_exhausted() {
    let (_listener, remote) = tokio_listener().await;
    let (first, _held) = BLOCKS.hold(3);
    let source: BindTarget = format!("port:{first}-{}", first + 2).parse().unwrap();
    let err = source.connector().connect_tokio(remote).await.unwrap_err();
    let Error::PortRangeExhausted { attempts, last, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*attempts, 3);
    assert_eq!(last.kind(), ErrorKind::AddrInUse);
}

#[tokio::test]
async fn connect_tokio_errors_match_the_blocking_ones() {
    let (closed, _held) = BLOCKS.hold(1);
    let remote = SocketAddr::from((Ipv4Addr::LOCALHOST, closed));
    let (port, held) = BLOCKS.hold(1);
    drop(held);
    let source: BindTarget = format!("port:{port}").parse().unwrap();
    let err = source.connector().connect_tokio(remote).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "127.0.0.1:{closed} refused the connection from 127.0.0.1:{port}: nothing listens \
             there, or a firewall rejects it"
        )
    );

    let v6: SocketAddr = "[::1]:9".parse().unwrap();
    let source: BindTarget = "0.0.0.0:0".parse().unwrap();
    let err = source.connector().connect_tokio(v6).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FamilyMismatch, "{err}");

    let source: BindTarget = format!("port:{closed}").parse().unwrap();
    let err = source.connector().connect_tokio(remote).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SelfConnect, "{err}");
}
