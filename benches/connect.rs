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
//! `cargo bench --bench connect -- --measurement-time 3`

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use bindpolicy::BindTarget;
use criterion::{Criterion, criterion_group, criterion_main};
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

criterion_group!(benches, connect);
criterion_main!(benches);
