//! Many threads through one small source-port range: live connections never share a source
//! port, and every failure is `port_range_exhausted`.
//!
//! Linux lets two sockets with SO_REUSEADDR bind the same port while neither listens, so the
//! bind step alone does not keep concurrent clients apart; the 4-tuple check at connect()
//! (EADDRNOTAVAIL for a tuple already in use) does, and the crate must move on to the next port
//! when it says so. 64 threads share a 16-port range toward one listener and hold their
//! connections until all have tried.

mod support;
use support::ports::PortBlocks;

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use bindpolicy::{BindTarget, Error, ErrorKind};
use socket2::{Domain, Socket, Type};

const THREADS: usize = 64;
const PORTS: u16 = 16;
const ROUNDS: usize = 4;

/// Another band than tests/client.rs and tests/client_tokio.rs use for the same pid.
static BLOCKS: PortBlocks = PortBlocks::new(100);

fn port_is_free(port: u16) -> bool {
    let bind = || -> std::io::Result<()> {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())
    };
    bind().is_ok()
}

/// One round: every thread connects once, all at the same moment, and holds its connection
/// until every thread has tried.
fn round() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let remote = listener.local_addr().unwrap();
    let first = BLOCKS.free(PORTS);
    let last = first + PORTS - 1;
    let source: BindTarget = format!("port:{first}-{last}").parse().unwrap();

    // Accepts and holds every connection until told to stop (by a last, plain connection).
    let stop = Arc::new(AtomicBool::new(false));
    let acceptor = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                held.push(stream.unwrap().peer_addr().unwrap());
            }
            held
        })
    };

    let start = Arc::new(Barrier::new(THREADS));
    let tried = Arc::new(Barrier::new(THREADS));
    let clients: Vec<_> = (0..THREADS)
        .map(|_| {
            let (start, tried, source) = (Arc::clone(&start), Arc::clone(&tried), source.clone());
            thread::spawn(move || {
                start.wait();
                let result = source.connect(remote);
                // Every success is still open here, and stays open (returned to the test)
                // while the ports are compared: all of them were alive at the same time.
                tried.wait();
                result
            })
        })
        .collect();
    let results: Vec<Result<TcpStream, Error>> =
        clients.into_iter().map(|c| c.join().unwrap()).collect();

    let mut ports = Vec::new();
    for result in &results {
        match result {
            Ok(stream) => {
                let local = stream.local_addr().unwrap();
                assert!(
                    (first..=last).contains(&local.port()),
                    "{local} outside the range"
                );
                assert_eq!(stream.peer_addr().unwrap(), remote);
                ports.push(local.port());
            }
            Err(err) => {
                assert_eq!(err.kind(), ErrorKind::PortRangeExhausted, "{err}");
                let Error::PortRangeExhausted { attempts, last, .. } = err else {
                    panic!("{err:?}");
                };
                assert_eq!(*attempts, u32::from(PORTS), "{err}");
                // The last port's tuple was taken by a live connection (connect said
                // EADDRNOTAVAIL, reported as time_wait today) or its bind failed.
                assert!(
                    matches!(last.kind(), ErrorKind::TimeWait | ErrorKind::AddrInUse),
                    "{err}"
                );
            }
        }
    }
    let mut unique = ports.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        ports.len(),
        "two live connections share a source port: {ports:?}"
    );
    // A port, once connected, stays taken for the round; a thread fails only after finding
    // every port taken. So all 16 ports end up used, unless another process holds one.
    if ports.len() < usize::from(PORTS) {
        let unused: Vec<u16> = (first..=last).filter(|p| !unique.contains(p)).collect();
        let free: Vec<u16> = unused
            .iter()
            .copied()
            .filter(|&p| port_is_free(p))
            .collect();
        assert!(
            free.is_empty(),
            "ports {free:?} were free yet unused, with {} failures",
            results.len() - ports.len()
        );
    }

    stop.store(true, Ordering::SeqCst);
    drop(TcpStream::connect(remote).unwrap());
    let accepted = acceptor.join().unwrap();
    let mut seen: Vec<u16> = accepted.iter().map(|a| a.port()).collect();
    seen.sort_unstable();
    assert_eq!(
        seen, unique,
        "the listener saw exactly the successful source ports"
    );
}

#[test]
fn concurrent_clients_never_share_a_source_port() {
    for _ in 0..ROUNDS {
        round();
    }
}
