//! A bounded soak (12 s of load, well inside .ci/run's budget), in two namespaces of its own,
//! everything at once:
//!
//! - 8 threads, each listening on its own loopback port and connecting to it through its own
//!   pinned 100-port range, exchanging a byte, closing;
//! - a merged tokio listener (`localhost:0`, both families) under a connection flood from 4
//!   threads;
//! - a churn thread adding and removing an address, a veth pair and a link's state in the
//!   server namespace;
//! - `resolve()` of a wildcard, a name and a literal that the churn makes come and go, and
//!   `BindTarget::wait` on the literal, in a loop.
//!
//! Asserted: no panic (every thread is joined), no error kind outside each loop's expected set,
//! the process's fd count back to where it started, and no namespace of this process left.
//! Only 198.18.0.0/15 and loopback inside the namespaces are used.

#![cfg(all(target_os = "linux", feature = "tokio"))]

mod support;
use support::netns::{Netns, our_namespaces, require_netns, veth};
use support::values::target;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bindpolicy::{ErrorKind, ListenOptions};

const LOAD: Duration = Duration::from_secs(12);

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

/// Counts of outcomes per loop, and the first unexpected error of each.
#[derive(Default)]
struct Tally {
    counts: BTreeMap<String, u64>,
    unexpected: Vec<String>,
}

impl Tally {
    fn count(&mut self, what: &str) {
        *self.counts.entry(what.to_owned()).or_default() += 1;
    }
}

type Shared = Arc<Mutex<Tally>>;

fn record(tally: &Shared, what: &str) {
    tally.lock().unwrap().count(what);
}

fn unexpected(tally: &Shared, what: String) {
    let mut t = tally.lock().unwrap();
    if t.unexpected.len() < 10 {
        t.unexpected.push(what);
    }
}

#[test]
fn everything_at_once_for_twelve_seconds() {
    require_netns!();
    // tokio keeps a process-wide socketpair for its signal handling once a runtime with I/O
    // has been built (the `signal` feature, on in the dev-dependencies): build one first, so
    // that pair is not counted below as this test's leak.
    drop(
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap(),
    );
    let fds_before = open_fds();
    {
        let server = Netns::new("soak-srv");
        let peer = Netns::new("soak-peer");
        veth(&server, "vsoak0", &peer, "vsoak1");
        server.disable_dad();
        server.addr_add("vsoak0", "198.18.90.1/24", true);
        let stop = Arc::new(AtomicBool::new(false));
        // The tokio listener stops after its clients, so no client meets a closed listener.
        let stop_server = Arc::new(AtomicBool::new(false));
        let tally: Shared = Arc::default();
        let mut threads = Vec::new();

        // 8 pinned-range clients, each to a listener of its own.
        for i in 0..8u16 {
            let (stop, tally) = (stop.clone(), tally.clone());
            threads.push(server.spawn(move || {
                let listeners = target("127.0.0.1:0").listen().expect("listen");
                let remote = listeners.local_addrs()[0];
                let first = 41000 + i * 100;
                let source = target(&format!("port:{first}-{}", first + 99));
                while !stop.load(Ordering::Relaxed) {
                    match source
                        .connector()
                        .timeout(Duration::from_secs(5))
                        .connect(remote)
                    {
                        Ok(mut client) => {
                            let port = client.local_addr().unwrap().port();
                            if !(first..first + 100).contains(&port) {
                                unexpected(&tally, format!("port {port} outside {first}+100"));
                            }
                            let mut accepted = listeners.accept().expect("accept").stream;
                            client.write_all(b"x").unwrap();
                            let mut byte = [0u8; 1];
                            accepted.read_exact(&mut byte).unwrap();
                            // The server closes first with a reset: no TIME_WAIT piles up.
                            socket2::SockRef::from(&accepted)
                                .set_linger(Some(Duration::ZERO))
                                .unwrap();
                            record(&tally, "pinned ok");
                        }
                        // A burst can leave every port of a range busy for a moment.
                        Err(e) if e.kind() == ErrorKind::PortRangeExhausted => {
                            record(&tally, "pinned exhausted");
                        }
                        Err(e) => unexpected(&tally, format!("pinned connect: {} {e}", e.kind())),
                    }
                }
            }));
        }

        // The merged tokio listener and its flood.
        let (addr_tx, addr_rx) = std::sync::mpsc::channel::<Vec<SocketAddr>>();
        let tokio_server = {
            let (stop, tally) = (stop_server.clone(), tally.clone());
            server.spawn(move || {
                // I/O and time only: `enable_all` would start tokio's signal driver, whose
                // process-wide socketpair lives as long as the process and would count as a
                // leak below.
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .enable_time()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let listeners = target("localhost:0")
                        .listen_with(&ListenOptions::new().backlog(4096))
                        .unwrap()
                        .into_tokio()
                        .unwrap();
                    addr_tx.send(listeners.local_addrs().to_vec()).unwrap();
                    while !stop.load(Ordering::Relaxed) {
                        match tokio::time::timeout(Duration::from_millis(100), listeners.accept())
                            .await
                        {
                            Ok(Ok(accepted)) => {
                                drop(accepted);
                                record(&tally, "tokio accepted");
                            }
                            Ok(Err(e)) => unexpected(&tally, format!("tokio accept: {e}")),
                            Err(_) => {}
                        }
                    }
                });
            })
        };
        let addrs = addr_rx.recv().unwrap();
        for n in 0..4 {
            let (stop, tally, addrs) = (stop.clone(), tally.clone(), addrs.clone());
            threads.push(server.spawn(move || {
                let mut k = n;
                while !stop.load(Ordering::Relaxed) {
                    let addr = addrs[k % addrs.len()];
                    k += 1;
                    match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                        Ok(stream) => {
                            let _ =
                                socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                            record(&tally, "flood connect");
                        }
                        Err(e) => unexpected(&tally, format!("flood connect: {e}")),
                    }
                }
            }));
        }

        // resolve() and the wait, while the churn runs.
        {
            let (stop, tally) = (stop.clone(), tally.clone());
            threads.push(server.spawn(move || {
                let specs = ["*:80", "vsoak0:80", "198.18.90.2:80", "vsoakx:80"];
                while !stop.load(Ordering::Relaxed) {
                    for spec in specs {
                        match target(spec).resolve() {
                            Ok(_) => record(&tally, "resolve ok"),
                            Err(e)
                                if matches!(
                                    e.kind(),
                                    ErrorKind::AddrNotAvailable
                                        | ErrorKind::InterfaceNotFound
                                        | ErrorKind::NoAddress
                                ) =>
                            {
                                record(&tally, e.kind().as_str());
                            }
                            Err(e) => {
                                unexpected(&tally, format!("resolve {spec}: {} {e}", e.kind()))
                            }
                        }
                    }
                    match target("198.18.90.2:80").wait(Duration::from_millis(50)) {
                        Ok(_) => record(&tally, "wait ok"),
                        Err(e) if e.kind() == ErrorKind::AddressWaitTimedOut => {
                            record(&tally, "wait timed out");
                        }
                        Err(e) => unexpected(&tally, format!("wait: {} {e}", e.kind())),
                    }
                }
            }));
        }

        // The churn, from this thread, through `ip -n`.
        let started = Instant::now();
        let mut rounds = 0u32;
        while started.elapsed() < LOAD {
            server.addr_add("vsoak0", "198.18.90.2/24", true);
            server.ip(&[
                "link", "add", "vsoakx", "type", "veth", "peer", "name", "vsoaky",
            ]);
            server.link_set_down("vsoak0");
            server.link_set_up("vsoak0");
            server.addr_del("vsoak0", "198.18.90.2/24");
            server.link_del("vsoakx");
            rounds += 1;
        }
        stop.store(true, Ordering::Relaxed);
        for thread in threads {
            thread.join().expect("no thread panicked");
        }
        stop_server.store(true, Ordering::Relaxed);
        tokio_server.join().expect("the tokio server did not panic");
        let tally = tally.lock().unwrap();
        eprintln!("soak: {rounds} churn rounds; {:?}", tally.counts);
        assert!(tally.unexpected.is_empty(), "{:#?}", tally.unexpected);
        for needed in ["pinned ok", "tokio accepted", "flood connect", "resolve ok"] {
            assert!(
                tally.counts.get(needed).is_some_and(|n| *n > 0),
                "{needed} never happened: {:?}",
                tally.counts
            );
        }
        assert!(rounds > 10, "the churn ran: {rounds} rounds");
    }
    assert_eq!(our_namespaces(), Vec::<String>::new(), "no namespace left");
    // Sockets and netlink sockets of every thread are closed once they are joined.
    assert_eq!(open_fds(), fds_before, "no fd leaked");
}
