//! One accept over every socket: `Listeners::accept`/`incoming`, `UdpSockets::recv_from`, their
//! tokio twins, fairness under a flood, `into_tokio()` outside a runtime, and
//! `Resolved::port_status`. Loopback only.

mod support;
use support::values::target;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};

use bindpolicy::{Accepted, BindTarget, ListenOptions, Listeners, PortStatus};
use socket2::SockRef;

/// Connections queued on the flooded socket before the other socket gets one.
const FLOOD: usize = 200;

/// Bound for the fairness loops, so that a starving accept fails instead of hanging.
const WATCHDOG: std::time::Duration = std::time::Duration::from_secs(60);

/// `localhost:0`: 127.0.0.1 and ::1 on one port.
fn localhost() -> Listeners {
    let listeners = target("localhost:0").listen().unwrap();
    assert_eq!(
        listeners.len(),
        2,
        "this test needs 127.0.0.1 and ::1: {:?}",
        listeners.local_addrs()
    );
    listeners
}

fn addr_of(listeners: &Listeners, v6: bool) -> SocketAddr {
    *listeners
        .local_addrs()
        .iter()
        .find(|a| a.is_ipv6() == v6)
        .unwrap()
}

#[test]
fn accept_takes_a_connection_from_every_socket_and_names_it() {
    let listeners = localhost();
    let mut clients = Vec::new();
    for addr in listeners.local_addrs() {
        let mut client = TcpStream::connect(addr).unwrap();
        client.write_all(b"x").unwrap();
        clients.push(client);
    }
    let mut seen = BTreeSet::new();
    for _ in 0..listeners.len() {
        let Accepted {
            mut stream,
            peer,
            index,
            listener_addr,
            ..
        } = listeners.accept().unwrap();
        assert_eq!(listener_addr, listeners.local_addrs()[index]);
        assert_eq!(stream.local_addr().unwrap(), listener_addr);
        assert_eq!(peer.is_ipv6(), listener_addr.is_ipv6());
        assert!(peer.ip().is_loopback());
        assert!(
            !SockRef::from(&stream).nonblocking().unwrap(),
            "a blocking set gives blocking streams"
        );
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).unwrap();
        seen.insert(index);
    }
    assert_eq!(seen, (0..listeners.len()).collect());
}

#[test]
fn nonblocking_listeners_give_nonblocking_streams_and_accept_still_waits() {
    let listeners = target("localhost:0")
        .listen_with(&ListenOptions::new().nonblocking(true))
        .unwrap();
    let addr = listeners.local_addrs()[listeners.len() - 1];
    let connector = std::thread::spawn(move || TcpStream::connect(addr).unwrap());
    let accepted = listeners.accept().unwrap();
    assert_eq!(accepted.listener_addr, addr);
    assert!(SockRef::from(&accepted.stream).nonblocking().unwrap());
    drop(connector.join().unwrap());
}

#[test]
fn a_single_listener_is_accepted_on_directly() {
    let listeners = target("127.0.0.1:0").listen().unwrap();
    let _client = TcpStream::connect(listeners.local_addrs()[0]).unwrap();
    let accepted = listeners.accept().unwrap();
    assert_eq!(accepted.index, 0);
}

#[test]
fn incoming_iterates_over_every_socket() {
    let listeners = localhost();
    let addrs = listeners.local_addrs().to_vec();
    let _clients: Vec<TcpStream> = addrs
        .iter()
        .chain(addrs.iter())
        .map(|a| TcpStream::connect(a).unwrap())
        .collect();
    let indices: Vec<usize> = listeners
        .incoming()
        .take(4)
        .map(|a| a.unwrap().index)
        .collect();
    assert_eq!(indices.iter().filter(|&&i| i == 0).count(), 2);
    assert_eq!(indices.iter().filter(|&&i| i == 1).count(), 2);
}

/// The fairness figure: with `FLOOD` connections queued on one socket and then one on the
/// other, how many accepts it takes to reach the other one's. Bounded by the number of
/// sockets (2), whatever the flood. The accepts run on a thread watched by a deadline, so a
/// starving accept fails the test instead of hanging it.
#[test]
fn a_flood_on_one_socket_does_not_starve_the_other() {
    let listeners = target("localhost:0")
        .listen_with(&ListenOptions::new().backlog(1024))
        .unwrap();
    assert_eq!(listeners.len(), 2);
    let sockets = listeners.len();
    let flooded = addr_of(&listeners, false);
    let quiet = addr_of(&listeners, true);
    let flood: Vec<TcpStream> = (0..FLOOD)
        .map(|_| TcpStream::connect(flooded).unwrap())
        .collect();
    // The flooded socket is served a few times first, then the quiet one gets a client.
    for _ in 0..3 {
        assert_eq!(listeners.accept().unwrap().listener_addr, flooded);
    }
    let quiet_client = TcpStream::connect(quiet).unwrap();
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut accepts = 0;
        let found = loop {
            accepts += 1;
            match listeners.accept() {
                Ok(accepted) if accepted.listener_addr == quiet => break true,
                Ok(_) if accepts < FLOOD => {}
                _ => break false,
            }
        };
        let _ = done.send((found, accepts));
    });
    let (found, accepts) = result
        .recv_timeout(WATCHDOG)
        .expect("the accepts neither reached the quiet socket nor ran out of the flood");
    assert!(
        found,
        "the quiet socket was never served in {accepts} accepts"
    );
    eprintln!(
        "fairness (std): the quiet socket's connection came with accept {accepts} of a flood of {FLOOD}"
    );
    assert!(
        accepts <= sockets,
        "took {accepts} accepts, more than the {sockets} sockets"
    );
    drop((flood, quiet_client));
}

#[test]
fn udp_recv_from_waits_on_every_socket() {
    let sockets = target("localhost:0").bind_udp().unwrap();
    let mut senders = Vec::new();
    for addr in sockets.local_addrs() {
        let sender = UdpSocket::bind(SocketAddr::new(addr.ip(), 0)).unwrap();
        sender.send_to(addr.to_string().as_bytes(), addr).unwrap();
        senders.push(sender);
    }
    let mut buf = [0u8; 128];
    let mut seen = BTreeSet::new();
    for _ in 0..sockets.len() {
        let received = sockets.recv_from(&mut buf).unwrap();
        let text = std::str::from_utf8(&buf[..received.len]).unwrap();
        assert_eq!(text, received.local.to_string());
        assert_eq!(sockets.local_addrs()[received.index], received.local);
        sockets.sockets()[received.index]
            .send_to(b"pong", received.peer)
            .unwrap();
        seen.insert(received.index);
    }
    assert_eq!(seen.len(), sockets.len());
    for sender in &senders {
        let (n, _) = sender.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"pong");
    }
}

#[test]
fn port_status_names_a_busy_port_and_its_holder() {
    let taken = target("127.0.0.1:0").listen().unwrap();
    let addr = taken.local_addrs()[0];
    let busy = BindTarget::try_from(addr).unwrap().resolve().unwrap();
    match busy.port_status() {
        PortStatus::InUse(list) => {
            assert_eq!(list.len(), 1);
            assert_eq!(list[0].addr, addr);
            let holder = list[0].holder.as_ref().expect("our own socket is visible");
            assert_eq!(holder.pid, Some(std::process::id()));
            assert_eq!(holder.local, addr);
        }
        other => panic!("expected in use: {other:?}"),
    }
    // The probe closed its socket: the port is still ours alone, and free once we close it.
    drop(taken);
    assert_eq!(busy.port_status(), PortStatus::Free);
    assert_eq!(
        target("localhost:0").resolve().unwrap().port_status(),
        PortStatus::Ephemeral
    );
}

#[test]
fn udp_port_status_sees_a_bound_udp_socket() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let resolved = BindTarget::try_from(addr).unwrap().resolve().unwrap();
    assert!(resolved.udp_port_status().is_in_use());
    assert_eq!(
        resolved.port_status(),
        PortStatus::Free,
        "TCP is another table"
    );
}

#[cfg(feature = "tokio")]
mod tokio_twins {
    use super::*;
    use bindpolicy::Received;
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn into_tokio_outside_a_runtime_is_an_error_not_a_panic() {
        let listeners = localhost();
        let addrs = listeners.local_addrs().to_vec();
        let err = listeners.into_tokio().unwrap_err();
        assert!(err.to_string().contains("tokio runtime"), "{err}");
        // All or nothing: every socket was closed with the error.
        for addr in addrs {
            std::net::TcpListener::bind(addr).unwrap();
        }
        let sockets = target("127.0.0.1:0").bind_udp().unwrap();
        let err = sockets.into_tokio().unwrap_err();
        assert!(err.to_string().contains("UdpSockets::into_tokio"), "{err}");
    }

    #[tokio::test]
    async fn into_tokio_keeps_addresses_exposure_and_warnings() {
        let listeners = localhost();
        let addrs = listeners.local_addrs().to_vec();
        let urls = listeners.exposure().urls("http");
        let warnings = listeners.warnings().to_vec();
        let tokio = listeners.into_tokio().unwrap();
        assert_eq!(tokio.local_addrs(), addrs);
        assert_eq!(tokio.exposure().urls("http"), urls);
        assert_eq!(tokio.warnings(), warnings);
        assert_eq!(tokio.target().to_string(), "localhost:0");
    }

    #[tokio::test]
    async fn tokio_accept_takes_every_socket() {
        let listeners = localhost().into_tokio().unwrap();
        for addr in listeners.local_addrs() {
            let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
            client.write_all(b"x").await.unwrap();
            let mut accepted = listeners.accept().await.unwrap();
            assert_eq!(accepted.listener_addr, *addr);
            assert_eq!(accepted.peer, client.local_addr().unwrap());
            let mut byte = [0u8; 1];
            accepted.stream.read_exact(&mut byte).await.unwrap();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tokio_accept_from_several_tasks_loses_no_wakeup() {
        let listeners = Arc::new(localhost().into_tokio().unwrap());
        let addrs = listeners.local_addrs().to_vec();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let listeners = Arc::clone(&listeners);
                tokio::spawn(async move { listeners.accept().await.unwrap().index })
            })
            .collect();
        let mut clients = Vec::new();
        for addr in addrs.iter().chain(addrs.iter()) {
            clients.push(tokio::net::TcpStream::connect(addr).await.unwrap());
        }
        let mut indices = Vec::new();
        for task in tasks {
            indices.push(task.await.unwrap());
        }
        indices.sort_unstable();
        assert_eq!(indices, [0, 0, 1, 1]);
    }

    #[tokio::test]
    async fn tokio_flood_on_one_socket_does_not_starve_the_other() {
        let listeners = target("localhost:0")
            .listen_with(&ListenOptions::new().backlog(1024))
            .unwrap()
            .into_tokio()
            .unwrap();
        let flooded = *listeners
            .local_addrs()
            .iter()
            .find(|a| a.is_ipv4())
            .unwrap();
        let quiet = *listeners
            .local_addrs()
            .iter()
            .find(|a| a.is_ipv6())
            .unwrap();
        let mut flood = Vec::new();
        for _ in 0..FLOOD {
            flood.push(tokio::net::TcpStream::connect(flooded).await.unwrap());
        }
        for _ in 0..3 {
            assert_eq!(listeners.accept().await.unwrap().listener_addr, flooded);
        }
        let _quiet_client = tokio::net::TcpStream::connect(quiet).await.unwrap();
        // The kernel has the connection queued once connect returns on loopback; give the
        // reactor one turn to see it.
        tokio::task::yield_now().await;
        let mut accepts = 0;
        let served = tokio::time::timeout(WATCHDOG, async {
            loop {
                accepts += 1;
                if listeners.accept().await.unwrap().listener_addr == quiet {
                    break;
                }
                assert!(accepts <= FLOOD, "the quiet socket was never served");
            }
        })
        .await;
        assert!(served.is_ok(), "no accept in {WATCHDOG:?}");
        eprintln!(
            "fairness (tokio): the quiet socket's connection came with accept {accepts} of a flood of {FLOOD}"
        );
        assert!(accepts <= listeners.len(), "took {accepts} accepts");
    }

    #[tokio::test]
    async fn tokio_udp_recv_from_waits_on_every_socket() {
        let sockets = target("localhost:0")
            .bind_udp()
            .unwrap()
            .into_tokio()
            .unwrap();
        let mut buf = [0u8; 64];
        for addr in sockets.local_addrs() {
            let sender = tokio::net::UdpSocket::bind(SocketAddr::new(addr.ip(), 0))
                .await
                .unwrap();
            sender.send_to(b"ping", addr).await.unwrap();
            let Received {
                len, peer, local, ..
            } = sockets.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..len], b"ping");
            assert_eq!(local, *addr);
            assert_eq!(peer, sender.local_addr().unwrap());
        }
    }
}
