//! Client connect cost on loopback: bindpolicy from a pinned port range, the raw socket2
//! sequence it wraps, and std's `TcpStream::connect` (OS-chosen port).
//!
//! One iteration = connect + accept + close both, all in this thread (the listener's backlog
//! holds the connection until `accept`). The accepted side is closed first with SO_LINGER 0:
//! it sends an RST, so neither side enters TIME_WAIT and a source port is free again at once.
//! Without it, every iteration would leave a TIME_WAIT entry for its 4-tuple (60 s): the
//! pinned variants would then revisit TIME_WAIT tuples once they wrap around their range,
//! paying the takeover path (or failing with tcp_timestamps off), and std would drain the
//! ephemeral range. The same setsockopt is paid by every variant.
//!
//! Group `connect_fill` (Linux, as root: it builds network namespaces): one more connect from
//! `port:41000-41999` while 0, 400 or 900 connections from that range to the same server are
//! open, next to a std connect in the same namespace and at the same fill. Two namespaces:
//! `kernel`, with the default sysctls (the range lies inside `ip_local_port_range`, so the
//! kernel searches it with IP_LOCAL_PORT_RANGE), and `user_space`, whose
//! `ip_local_port_range` is 50000-60999 (the crate searches the range itself). Without root
//! the group says so and is skipped.
//!
//! `cargo bench --bench connect -- --measurement-time 3`

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use bindpolicy::BindTarget;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nix::sched::{CloneFlags, setns};
use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};

const FIRST: u16 = 20_000;
const LAST: u16 = 29_999;

/// Accepts the pending connection and closes both ends, the accepted one first with an RST.
fn accept_and_close(listener: &TcpListener, client: TcpStream) {
    let (server, _) = listener.accept().expect("accept");
    SockRef::from(&server)
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER");
    drop(server);
    drop(std::hint::black_box(client));
}

/// The sequence bindpolicy runs for a pinned port: socket, SO_REUSEADDR, bind, connect.
fn raw_connect(port: u16, remote: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&SockAddr::from(SocketAddr::from((
        Ipv4Addr::LOCALHOST,
        port,
    ))))?;
    socket.connect(&SockAddr::from(remote))?;
    Ok(socket.into())
}

fn connect(c: &mut Criterion) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let remote = listener.local_addr().expect("local_addr");
    let mut group = c.benchmark_group("connect");

    let wide: BindTarget = format!("port:{FIRST}-{LAST}").parse().expect("range");
    group.bench_function("bindpolicy_range_10000", |b| {
        b.iter(|| accept_and_close(&listener, wide.connect(remote).expect("connect")));
    });

    let narrow: BindTarget = format!("port:{FIRST}-{}", FIRST + 15)
        .parse()
        .expect("range");
    group.bench_function("bindpolicy_range_16", |b| {
        b.iter(|| accept_and_close(&listener, narrow.connect(remote).expect("connect")));
    });

    let mut next = FIRST;
    group.bench_function("socket2_raw", |b| {
        b.iter(|| {
            let port = next;
            next = if next == LAST { FIRST } else { next + 1 };
            accept_and_close(&listener, raw_connect(port, remote).expect("connect"));
        });
    });

    group.bench_function("std_connect", |b| {
        b.iter(|| accept_and_close(&listener, TcpStream::connect(remote).expect("connect")));
    });

    group.finish();
}

/// A namespace with `lo` up and the given sysctls, removed on drop.
struct Namespace {
    name: String,
}

impl Namespace {
    fn new(role: &str, sysctls: &[&str]) -> Option<Namespace> {
        let name = format!("bp-bench-{}-{role}", std::process::id());
        let ok = |args: &[&str]| {
            Command::new("ip")
                .args(args)
                .status()
                .is_ok_and(|s| s.success())
        };
        if !ok(&["netns", "add", &name]) {
            return None;
        }
        let ns = Namespace { name };
        assert!(ok(&["-n", &ns.name, "link", "set", "lo", "up"]), "lo up");
        for kv in sysctls {
            assert!(
                ok(&["netns", "exec", &ns.name, "sysctl", "-q", "-w", kv]),
                "sysctl {kv}"
            );
        }
        Some(ns)
    }

    /// Moves this thread into the namespace.
    fn enter(&self) {
        let file = File::open(format!("/run/netns/{}", self.name)).expect("netns file");
        setns(file, CloneFlags::CLONE_NEWNET).expect("setns");
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

const FILL_FIRST: u16 = 41_000;
const FILL_LAST: u16 = 41_999;

fn connect_fill(c: &mut Criterion) {
    let home = File::open("/proc/thread-self/ns/net").expect("this thread's namespace");
    let setups = [
        ("kernel", Namespace::new("kernel", &[])),
        (
            "user_space",
            Namespace::new("user", &["net.ipv4.ip_local_port_range=50000 60999"]),
        ),
    ];
    if setups.iter().any(|(_, ns)| ns.is_none()) {
        eprintln!("*** connect_fill SKIPPED: `ip netns add` failed (run as root) ***");
        return;
    }
    let range: BindTarget = format!("port:{FILL_FIRST}-{FILL_LAST}")
        .parse()
        .expect("range");
    let mut group = c.benchmark_group("connect_fill");
    for (path, ns) in &setups {
        let ns = ns.as_ref().expect("checked");
        ns.enter();
        let listener = TcpListener::bind("127.0.0.1:5000").expect("listen");
        let remote = listener.local_addr().expect("local_addr");
        let mut open: Vec<(TcpStream, TcpStream)> = Vec::new();
        for fill in [0usize, 400, 900] {
            while open.len() < fill {
                let client = range.connect(remote).expect("fill");
                let (server, _) = listener.accept().expect("accept");
                open.push((client, server));
            }
            group.bench_with_input(
                BenchmarkId::new(format!("{path}_pinned"), fill),
                &fill,
                |b, _| {
                    b.iter(|| accept_and_close(&listener, range.connect(remote).expect("connect")));
                },
            );
            group.bench_with_input(
                BenchmarkId::new(format!("{path}_std"), fill),
                &fill,
                |b, _| {
                    b.iter(|| {
                        accept_and_close(&listener, TcpStream::connect(remote).expect("connect"))
                    });
                },
            );
        }
        drop(open);
    }
    group.finish();
    setns(home, CloneFlags::CLONE_NEWNET).expect("back home");
}

criterion_group!(benches, connect, connect_fill);
criterion_main!(benches);
