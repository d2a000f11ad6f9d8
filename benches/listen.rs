//! Listening on 127.0.0.1:0 and closing again: bindpolicy against raw socket2 and std.
//!
//! Group `listen`, one iteration = one listening socket opened and dropped:
//! - `bindpolicy_resolved`: `Resolved::listen()` on a `Resolved` made once, outside the timed
//!   loop: the listen path alone (socket, SO_REUSEADDR, bind, listen, getsockname, close).
//! - `bindpolicy_with_resolve`: `BindTarget::listen()`, which also resolves, i.e. enumerates
//!   this machine's interfaces (getifaddrs and /proc reads) on every iteration.
//! - `socket2_raw`: `Socket::new`, `set_reuse_address(true)`, bind, `listen(1024)`, drop; no
//!   getsockname, so it does not learn the port.
//! - `socket2_raw_port`: the same plus `getsockname`, to learn the port as bindpolicy does.
//! - `std_tcplistener`: `TcpListener::bind("127.0.0.1:0")`.
//!
//! `cargo bench --bench listen -- --noplot --measurement-time 3`

use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use bindpolicy::BindTarget;
use criterion::{Criterion, criterion_group, criterion_main};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

fn listen(c: &mut Criterion) {
    let target: BindTarget = "127.0.0.1:0".parse().expect("target");
    let resolved = target.resolve().expect("resolve");
    let addr = SockAddr::from(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));

    let mut group = c.benchmark_group("listen");
    group.bench_function("bindpolicy_resolved", |b| {
        b.iter(|| {
            let listeners = resolved.listen().expect("listen");
            black_box(listeners.port());
            drop(listeners);
        });
    });
    group.bench_function("bindpolicy_with_resolve", |b| {
        b.iter(|| {
            let listeners = black_box(&target).listen().expect("listen");
            black_box(listeners.port());
            drop(listeners);
        });
    });
    group.bench_function("socket2_raw", |b| {
        b.iter(|| {
            let socket =
                Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("socket");
            socket.set_reuse_address(true).expect("SO_REUSEADDR");
            socket.bind(black_box(&addr)).expect("bind");
            socket.listen(1024).expect("listen");
            drop(black_box(socket));
        });
    });
    group.bench_function("socket2_raw_port", |b| {
        b.iter(|| {
            let socket =
                Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("socket");
            socket.set_reuse_address(true).expect("SO_REUSEADDR");
            socket.bind(black_box(&addr)).expect("bind");
            socket.listen(1024).expect("listen");
            black_box(socket.local_addr().expect("getsockname"));
            drop(black_box(socket));
        });
    });
    group.bench_function("std_tcplistener", |b| {
        b.iter(|| {
            let listener = TcpListener::bind(black_box("127.0.0.1:0")).expect("bind");
            drop(black_box(listener));
        });
    });
    group.finish();
}

criterion_group!(benches, listen);
criterion_main!(benches);
