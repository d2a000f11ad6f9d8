//! The client side on loopback: pinned source ports and ranges, TIME_WAIT, typed errors, UDP,
//! IP_BIND_ADDRESS_NO_PORT and the cost rule (no interface enumeration), checked under strace.
//!
//! `timed_out` is not tested here: it needs a blackhole, and these tests send to loopback only;
//! the namespace suite covers it with a firewall.
//!
//! Ports: each test takes fresh ports from a block allocator that probes them free (bound
//! without SO_REUSEADDR on 0.0.0.0 and [::]) below Linux's ephemeral range, so tests running in
//! parallel, and other processes' outgoing connections, do not collide with them.

mod support;
use support::ports::PortBlocks;
use support::values::target;

use std::error::Error as _;
use std::io::{ErrorKind as IoKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsFd;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bindpolicy::{
    BindTarget, Error, ErrorKind, Interfaces, KernelRefusal, Phase, PortRange, RangeUse,
    SocketState,
};
use socket2::SockRef;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const EADDRINUSE: i32 = 98;

/// Fresh ports for each test.
static BLOCKS: PortBlocks = PortBlocks::new(0);

/// Connects from `spec(P)` for a fresh free port P; on this shared machine another process may
/// take P between the probe and the bind, so `addr_in_use` moves on to another P.
fn connect_pinned(spec: impl Fn(u16) -> String, remote: SocketAddr) -> (TcpStream, u16) {
    for _ in 0..8 {
        let port = BLOCKS.free(1);
        let source: BindTarget = spec(port).parse().unwrap();
        match source.connect(remote) {
            Ok(stream) => return (stream, port),
            Err(err) if err.kind() == ErrorKind::AddrInUse => continue,
            Err(err) => panic!("connect from {source} to {remote}: {err}"),
        }
    }
    panic!("every port tried was taken by another process");
}

/// Sends bytes both ways.
fn ping_pong(client: &mut TcpStream, server: &mut TcpStream) {
    client.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    server.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    server.write_all(b"pong").unwrap();
    client.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"pong");
}

/// Whether ::1 can be bound here; prints a visible skip line when it cannot.
fn ipv6_loopback_or_skip(test: &str) -> bool {
    if TcpListener::bind("[::1]:0").is_ok() {
        return true;
    }
    let _ = writeln!(
        std::io::stderr(),
        "*** SKIPPED {test}: no IPv6 loopback ***"
    );
    false
}

fn listener_v4() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Asserts nothing is waiting in `listener`'s accept queue.
fn assert_nothing_accepted(listener: &TcpListener) {
    listener.set_nonblocking(true).unwrap();
    let res = listener.accept();
    assert!(
        matches!(&res, Err(e) if e.kind() == IoKind::WouldBlock),
        "the listener saw a connection: {res:?}"
    );
    listener.set_nonblocking(false).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The accepted peer's port is the pinned one
// ---------------------------------------------------------------------------------------------

fn assert_pinned_peer(spec: fn(u16) -> String, listen: &str) {
    let listener = TcpListener::bind(listen).unwrap();
    let remote = listener.local_addr().unwrap();
    let (mut client, port) = connect_pinned(spec, remote);
    let (mut server, peer) = listener.accept().unwrap();
    assert_eq!(
        peer.port(),
        port,
        "accept saw {peer}, not source port {port}"
    );
    assert_eq!(peer.ip(), remote.ip(), "loopback source toward loopback");
    assert_eq!(client.local_addr().unwrap(), peer);
    assert_eq!(client.peer_addr().unwrap(), remote);
    ping_pong(&mut client, &mut server);
}

#[test]
fn port_source_is_the_accepted_peer_port_v4() {
    assert_pinned_peer(|p| format!("port:{p}"), "127.0.0.1:0");
}

#[test]
fn port_source_is_the_accepted_peer_port_v6() {
    if ipv6_loopback_or_skip("port_source_is_the_accepted_peer_port_v6") {
        assert_pinned_peer(|p| format!("port:{p}"), "[::1]:0");
    }
}

#[test]
fn literal_v4_loopback_source() {
    assert_pinned_peer(|p| format!("127.0.0.1:{p}"), "127.0.0.1:0");
}

#[test]
fn localhost_source_follows_the_remote_family() {
    assert_pinned_peer(|p| format!("localhost:{p}"), "127.0.0.1:0");
    if ipv6_loopback_or_skip("localhost_source_follows_the_remote_family (IPv6 half)") {
        assert_pinned_peer(|p| format!("localhost:{p}"), "[::1]:0");
    }
}

#[test]
fn literal_v6_loopback_source() {
    if ipv6_loopback_or_skip("literal_v6_loopback_source") {
        assert_pinned_peer(|p| format!("[::1]:{p}"), "[::1]:0");
    }
}

#[test]
fn connect_timeout_path_pins_the_port_too() {
    let (listener, remote) = listener_v4();
    let (_client, port) = connect_pinned(|p| format!("port:{p}"), remote);
    assert_eq!(listener.accept().unwrap().1.port(), port);
    let port = BLOCKS.free(1);
    let client = target(&format!("127.0.0.1:{port}"))
        .connect_timeout(remote, Duration::from_secs(30))
        .unwrap();
    assert_eq!(client.local_addr().unwrap().port(), port);
    assert_eq!(listener.accept().unwrap().1.port(), port);
}

// ---------------------------------------------------------------------------------------------
// TIME_WAIT
// ---------------------------------------------------------------------------------------------

/// TCP states (hex, e.g. "06" for TIME_WAIT) of the IPv4 rows from `local_port` to
/// `remote_port`, from the calling thread's network namespace.
fn tcp_states(local_port: u16, remote_port: u16) -> Vec<String> {
    let text = std::fs::read_to_string("/proc/thread-self/net/tcp").unwrap();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let port = |field: &str| u16::from_str_radix(field.split_once(':')?.1, 16).ok();
            (port(f.get(1)?)? == local_port && port(f.get(2)?)? == remote_port)
                .then(|| f.get(3).map(|s| (*s).to_owned()))
                .flatten()
        })
        .collect()
}

/// Connects from a pinned port, closes with the client's FIN first so the client side ends in
/// TIME_WAIT (checked in /proc), then reconnects from the same port to the same listener.
/// Returns the reconnect's result, its source port and the listener.
fn reconnect_over_time_wait() -> (bindpolicy::Result<TcpStream>, u16, TcpListener) {
    let (listener, remote) = listener_v4();
    let (mut client, port) = connect_pinned(|p| format!("port:{p}"), remote);
    let (mut server, peer) = listener.accept().unwrap();
    assert_eq!(peer.port(), port);
    client.shutdown(std::net::Shutdown::Write).unwrap(); // client FIN first
    let mut rest = Vec::new();
    assert_eq!(server.read_to_end(&mut rest).unwrap(), 0, "server sees EOF");
    drop(server); // server FIN: the client goes FIN_WAIT2 -> TIME_WAIT
    assert_eq!(client.read(&mut [0u8; 1]).unwrap(), 0, "client sees EOF");
    drop(client);
    let states = tcp_states(port, remote.port());
    assert!(
        states.iter().any(|s| s == "06"),
        "no TIME_WAIT row from :{port} to :{} (rows: {states:?})",
        remote.port()
    );
    let again = target(&format!("port:{port}")).connect(remote);
    (again, port, listener)
}

fn check_time_wait_reconnect(timestamps_on: bool) {
    let (again, port, listener) = reconnect_over_time_wait();
    let remote = listener.local_addr().unwrap();
    if timestamps_on {
        let stream = again.unwrap_or_else(|e| {
            panic!("tcp_timestamps is on, so the TIME_WAIT entry must be taken over: {e}")
        });
        assert_eq!(stream.local_addr().unwrap().port(), port);
        assert_eq!(listener.accept().unwrap().1.port(), port);
    } else {
        let err = again.expect_err("tcp_timestamps is off: the TIME_WAIT 4-tuple is busy");
        assert_eq!(err.kind(), ErrorKind::TimeWait, "{err}");
        // `port:P` binds 0.0.0.0:P; the error names the address the kernel used.
        assert_eq!(
            err.to_string(),
            format!(
                "cannot connect from 127.0.0.1:{port} to {remote}: that source port's previous \
                 connection to the same destination is still in TIME_WAIT (60 s on Linux; a new \
                 one may take it over only when TCP timestamps are on); wait, or pin a range \
                 such as port:{port}-{}",
                port + 15
            )
        );
        let io = err
            .source()
            .unwrap()
            .downcast_ref::<std::io::Error>()
            .unwrap();
        assert_eq!(io.kind(), IoKind::AddrNotAvailable);
        assert_nothing_accepted(&listener);
    }
}

/// In this namespace, as net.ipv4.tcp_timestamps says.
#[test]
fn reconnect_over_time_wait_follows_tcp_timestamps() {
    let sysctl = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_timestamps").unwrap();
    check_time_wait_reconnect(sysctl.trim() != "0");
}

/// Both settings, each in a fresh network namespace (skipped loudly without netns support).
#[test]
fn reconnect_over_time_wait_timestamps_on_and_off_in_netns() {
    support::netns::require_netns!();
    for (value, on) in [("0", false), ("1", true)] {
        let ns = support::netns::Netns::new("client-tw");
        ns.sysctl("net.ipv4.tcp_timestamps", value);
        ns.run(|| {
            let seen = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_timestamps").unwrap();
            assert_eq!(seen.trim(), value, "the thread is in the namespace");
            check_time_wait_reconnect(on);
        });
    }
}

/// A live connection (not TIME_WAIT) from the same pinned port to the same destination also
/// makes connect() fail with EADDRNOTAVAIL; the error must not claim TIME_WAIT.
#[test]
fn live_duplicate_tuple_is_not_reported_as_time_wait() {
    let (listener, remote) = listener_v4();
    let (_first, port) = connect_pinned(|p| format!("port:{p}"), remote);
    let _server = listener.accept().unwrap();
    assert_eq!(
        tcp_states(port, remote.port()),
        ["01"],
        "one ESTABLISHED row"
    );
    let err = target(&format!("port:{port}"))
        .connect(remote)
        .expect_err("the 4-tuple is taken by a live connection");
    assert_ne!(err.kind(), ErrorKind::TimeWait, "{err}");
    assert!(!err.to_string().contains("TIME_WAIT"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------------

/// `net.ipv4.ip_local_port_range` of this namespace.
fn ephemeral_range() -> (u16, u16) {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap();
    let mut ports = text.split_whitespace().map(|p| p.parse::<u16>().unwrap());
    (ports.next().unwrap(), ports.next().unwrap())
}

#[test]
fn range_with_every_port_held_is_exhausted() {
    let (first, _held) = BLOCKS.hold(4);
    let last_port = first + 3;
    let (listener, remote) = listener_v4();
    let err = target(&format!("port:{first}-{last_port}"))
        .connect(remote)
        .expect_err("every port of the range is held");
    assert_eq!(err.kind(), ErrorKind::PortRangeExhausted, "{err}");
    let Error::PortRangeExhausted {
        range,
        attempts,
        last,
        remote: to,
        ports,
        kernel_refusal,
    } = &err
    else {
        panic!("not PortRangeExhausted: {err:?}");
    };
    assert_eq!(*range, PortRange::new(first, last_port).unwrap());
    assert_eq!(*attempts, 4);
    assert_eq!(*to, remote);
    assert_eq!(*ports, Some(RangeUse::new(0, 0, 4)));
    // The blocks lie below the ephemeral range, so the crate searched them itself.
    let (lo, hi) = ephemeral_range();
    assert_eq!(
        *kernel_refusal,
        Some(KernelRefusal::OutsideLocalPortRange { lo, hi })
    );
    // source() is the last error, as the very `Error` the variant holds.
    let via_source = err.source().unwrap();
    let plain = via_source
        .downcast_ref::<Error>()
        .expect("source() is the last error");
    assert!(std::ptr::eq(plain, last.get()));
    assert_eq!(last.kind(), ErrorKind::AddrInUse);
    let Error::AddrInUse { addr, phase, .. } = &**last else {
        panic!("last is not AddrInUse: {last:?}");
    };
    assert_eq!(*phase, Phase::Bind);
    assert_eq!(addr.ip(), Ipv4Addr::UNSPECIFIED);
    assert!(range.contains(addr.port()), "{addr} outside the range");
    let io = last
        .source()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(io.raw_os_error(), Some(EADDRINUSE));
    let p = addr.port();
    assert_eq!(
        err.to_string(),
        format!(
            "every source port in {first}-{last_port} failed toward {remote} (4 tried: 4 held \
             by other sockets); widen the range, or close connections that hold it. The \
             kernel's own port search (IP_LOCAL_PORT_RANGE) was not used: \
             net.ipv4.ip_local_port_range is {lo} {hi}, which does not hold the whole range"
        )
    );
    // The cause is said once, by the cause: anyhow's and eyre's chains print each level.
    // The one lookup after the search names the last port's holder: this process's socket,
    // bound and not listening.
    let me = std::process::id();
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    assert_eq!(
        last.to_string(),
        format!(
            "0.0.0.0:{p} is already in use (EADDRINUSE at bind()): held by pid {me} ({}) on \
             0.0.0.0:{p} (UNCONN); stop it, or pick another port",
            comm.trim()
        )
    );
    assert_nothing_accepted(&listener);
}

/// `source()` of `port_range_exhausted` is the last port's error, and downcasts to
/// `bindpolicy::Error` (not to a `Box` of one).
#[test]
fn range_exhausted_source_downcasts_to_error() {
    let (first, _held) = BLOCKS.hold(2);
    let (_listener, remote) = listener_v4();
    let err = target(&format!("port:{first}-{}", first + 1))
        .connect(remote)
        .expect_err("every port of the range is held");
    assert_eq!(err.kind(), ErrorKind::PortRangeExhausted, "{err}");
    let last = err
        .source()
        .and_then(|s| s.downcast_ref::<Error>())
        .expect("source() downcasts to bindpolicy::Error");
    assert!(err.source().is_some_and(|s| !s.is::<Box<Error>>()));
    assert_eq!(last.kind(), ErrorKind::AddrInUse);
}

#[test]
fn range_with_one_port_held_uses_another() {
    let (first, mut held) = BLOCKS.hold(4);
    let busy = first + 1;
    held.retain(|s| s.local_addr().unwrap().as_socket().unwrap().port() == busy);
    assert_eq!(held.len(), 1);
    let (listener, remote) = listener_v4();
    let source = target(&format!("port:{first}-{}", first + 3));
    for _ in 0..12 {
        let client = source.connect(remote).unwrap();
        let port = client.local_addr().unwrap().port();
        assert!(
            (first..=first + 3).contains(&port) && port != busy,
            "{port}"
        );
        let (server, peer) = listener.accept().unwrap();
        assert_eq!(peer.port(), port);
        // RST instead of FIN: no TIME_WAIT left behind for the next round.
        SockRef::from(&server)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    }
}

#[test]
fn range_with_all_but_one_port_held_finds_the_free_one() {
    let (first, mut held) = BLOCKS.hold(4);
    let free = first + 2;
    held.retain(|s| s.local_addr().unwrap().as_socket().unwrap().port() != free);
    assert_eq!(held.len(), 3);
    let (listener, remote) = listener_v4();
    let source = target(&format!("port:{first}-{}", first + 3));
    // The start is random: over several rounds most start on a held port and must move on.
    for _ in 0..12 {
        let client = source.connect(remote).unwrap();
        assert_eq!(client.local_addr().unwrap().port(), free);
        let (server, peer) = listener.accept().unwrap();
        assert_eq!(peer.port(), free);
        SockRef::from(&server)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    }
}

/// A refusal is the remote's answer, not a busy port: a range reports it at once.
#[test]
fn refused_in_a_range_is_not_retried() {
    let (closed, _hold_closed) = BLOCKS.hold(1);
    let remote = SocketAddr::from((Ipv4Addr::LOCALHOST, closed));
    let first = BLOCKS.free(4);
    let err = target(&format!("port:{first}-{}", first + 3))
        .connect(remote)
        .expect_err("nothing listens");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    let Error::ConnectionRefused { local, .. } = &err else {
        panic!("{err:?}");
    };
    let local = local.expect("a bound source");
    assert!((first..=first + 3).contains(&local.port()), "{local}");
}

/// The remote's own port inside the range is skipped: connecting from it to a loopback remote
/// on the same port would connect the socket to itself.
#[test]
fn range_skips_the_remote_port() {
    let (a, held) = BLOCKS.hold(2);
    drop(held);
    // Nothing listens on 127.0.0.1:a; from port a a connect would self-connect (simultaneous
    // open), from a+1 it is refused.
    let remote = SocketAddr::from((Ipv4Addr::LOCALHOST, a));
    let source = target(&format!("port:{a}-{}", a + 1));
    for _ in 0..16 {
        let err = source.connect(remote).expect_err("nothing listens");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "{remote} refused the connection from 127.0.0.1:{}: nothing listens there, or a \
                 firewall rejects it",
                a + 1
            )
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Typed errors
// ---------------------------------------------------------------------------------------------

#[test]
fn pinned_port_held_by_a_listener_names_this_process() {
    let (_, remote) = listener_v4();
    let mut tries = 0;
    let (port, _holder) = loop {
        let port = BLOCKS.free(1);
        if let Ok(l) = TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)) {
            break (port, l);
        }
        tries += 1;
        assert!(tries < 8, "no free port");
    };
    let err = target(&format!("port:{port}"))
        .connect(remote)
        .expect_err("the port is held");
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    let Error::AddrInUse {
        addr,
        phase,
        holder,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*addr, SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)));
    assert_eq!(*phase, Phase::Bind);
    let holder = holder.as_deref().expect("the holder is this process");
    let me = std::process::id();
    assert_eq!(holder.pid, Some(me));
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    assert_eq!(holder.command.as_deref(), Some(comm.trim()));
    assert_eq!(holder.local, *addr);
    assert_eq!(holder.state, SocketState::Listen);
    assert_eq!(
        err.to_string(),
        format!(
            "0.0.0.0:{port} is already in use (EADDRINUSE at bind()): held by pid {me} ({}) on \
             0.0.0.0:{port} (LISTEN); stop it, or pick another port",
            comm.trim()
        )
    );
}

#[test]
fn family_mismatch_is_refused_before_any_socket() {
    let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, 9));
    let v6: SocketAddr = "[::1]:9".parse().unwrap();
    for (source, remote, local) in [
        ("0.0.0.0:0", v6, "0.0.0.0"),
        ("[::]:0", v4, "::"),
        ("127.0.0.1:0", v6, "127.0.0.1"),
        ("[::1]:0", v4, "::1"),
    ] {
        let err = target(source).connect(remote).expect_err(source);
        assert_eq!(err.kind(), ErrorKind::FamilyMismatch, "{source}: {err}");
        let Error::FamilyMismatch {
            local: l,
            remote: r,
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(l.to_string(), local);
        assert_eq!(*r, remote);
        let udp = target(source).connect_udp(remote).expect_err(source);
        assert_eq!(udp.kind(), ErrorKind::FamilyMismatch, "UDP {source}: {udp}");
    }
    assert_eq!(
        target("0.0.0.0:0").connect(v6).unwrap_err().to_string(),
        "cannot connect from 0.0.0.0 to [::1]:9: the source is IPv4 and the remote is IPv6; \
         pick a source of the remote's family (or * / localhost / port: to follow the remote)"
    );
}

/// `port:P` toward 127.0.0.1:P is refused in the plan. P is held by a non-listening socket
/// without SO_REUSEADDR, so a bind would fail with `addr_in_use`: getting `self_connect` shows
/// no bind happened.
#[test]
fn self_connect_is_refused_before_bind() {
    let (port, _held) = BLOCKS.hold(1);
    let remote = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    for (source, local) in [
        (format!("port:{port}"), format!("0.0.0.0:{port}")),
        (format!("127.0.0.1:{port}"), format!("127.0.0.1:{port}")),
        (format!("localhost:{port}"), format!("127.0.0.1:{port}")),
    ] {
        let err = target(&source).connect(remote).expect_err(&source);
        assert_eq!(err.kind(), ErrorKind::SelfConnect, "{source}: {err}");
        assert_eq!(
            err.to_string(),
            format!(
                "refusing to connect from {local} to {remote}: the remote is this machine on \
                 the pinned source port, so the socket would connect to itself; pin another \
                 source port"
            )
        );
    }
    // The IPv6 loopback too: a wildcard source toward ::1 leaves from ::1.
    let remote = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port));
    let err = target(&format!("port:{port}"))
        .connect(remote)
        .expect_err("toward [::1]");
    assert_eq!(
        err.to_string(),
        format!(
            "refusing to connect from [::]:{port} to {remote}: the remote is this machine on the \
             pinned source port, so the socket would connect to itself; pin another source port"
        )
    );
}

#[test]
fn connection_refused_names_both_addresses() {
    let (closed, _held) = BLOCKS.hold(1); // bound, not listening: nothing answers
    let remote = SocketAddr::from((Ipv4Addr::LOCALHOST, closed));
    let port = BLOCKS.free(1);
    let err = target(&format!("port:{port}"))
        .connect(remote)
        .expect_err("nothing listens");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "127.0.0.1:{closed} refused the connection from 127.0.0.1:{port}: nothing listens \
             there, or a firewall rejects it"
        )
    );
    let io = err
        .source()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(io.kind(), IoKind::ConnectionRefused);
    // Same through the timeout path.
    let err = target(&format!("port:{port}"))
        .connect_timeout(remote, Duration::from_secs(30))
        .expect_err("nothing listens");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    // An unbound source is the OS's choice.
    let err = target("0.0.0.0:0")
        .connect(remote)
        .expect_err("nothing listens");
    assert_eq!(
        err.to_string(),
        format!(
            "127.0.0.1:{closed} refused the connection from an OS-chosen source: nothing \
             listens there, or a firewall rejects it"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// UDP
// ---------------------------------------------------------------------------------------------

#[test]
fn udp_from_a_pinned_port() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let remote = server.local_addr().unwrap();
    let (client, port) = (0..8)
        .find_map(|_| {
            let port = BLOCKS.free(1);
            target(&format!("port:{port}"))
                .connect_udp(remote)
                .ok()
                .map(|c| (c, port))
        })
        .expect("a free port");
    client
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    assert_eq!(client.local_addr().unwrap().port(), port);
    assert_eq!(client.peer_addr().unwrap(), remote);
    client.send(b"ping").unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = server.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from, SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    server.send_to(b"pong", from).unwrap();
    let n = client.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"pong");
}

#[test]
fn udp_range_with_every_port_held_is_exhausted() {
    let first = BLOCKS.free(3);
    let _held: Vec<UdpSocket> = (first..first + 3)
        .map(|p| UdpSocket::bind((Ipv4Addr::UNSPECIFIED, p)).unwrap())
        .collect();
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let err = target(&format!("port:{first}-{}", first + 2))
        .connect_udp(server.local_addr().unwrap())
        .expect_err("every port is held");
    let Error::PortRangeExhausted { attempts, last, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*attempts, 3);
    assert_eq!(last.kind(), ErrorKind::AddrInUse);
}

// ---------------------------------------------------------------------------------------------
// IP_BIND_ADDRESS_NO_PORT
// ---------------------------------------------------------------------------------------------

fn bind_address_no_port(stream: &impl AsFd) -> bool {
    nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::IpBindAddressNoPort).unwrap()
}

/// Read back from the connected socket with getsockopt: set exactly where the source pins an
/// address with port 0.
#[test]
fn bind_address_no_port_is_set_for_an_address_with_port_zero() {
    let (listener, remote) = listener_v4();
    for (source, expected) in [
        ("127.0.0.1:0".to_owned(), true),
        ("localhost:0".to_owned(), true),
        ("0.0.0.0:0".to_owned(), false),
        ("*:0".to_owned(), false),
        (format!("port:{}", BLOCKS.free(1)), false),
    ] {
        let stream = target(&source).connect(remote).unwrap();
        let local = stream.local_addr().unwrap();
        assert_ne!(local.port(), 0, "{source}");
        assert_eq!(listener.accept().unwrap().1, local);
        assert_eq!(bind_address_no_port(&stream), expected, "{source}");
    }
    if ipv6_loopback_or_skip("bind_address_no_port (IPv6 half)") {
        let listener = TcpListener::bind("[::1]:0").unwrap();
        let stream = target("[::1]:0")
            .connect(listener.local_addr().unwrap())
            .unwrap();
        assert!(bind_address_no_port(&stream), "[::1]:0");
    }
}

// ---------------------------------------------------------------------------------------------
// The cost rule, under strace
// ---------------------------------------------------------------------------------------------

const CHILD_ENV: &str = "BINDPOLICY_CLIENT_STRACE_CHILD";

/// Not a check by itself: the body `cost_rule_under_strace` runs, traced, in a child process of
/// this test binary. Does nothing unless `BINDPOLICY_CLIENT_STRACE_CHILD="SOURCE REMOTE COUNT"`.
#[test]
fn strace_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.split(' ');
    let source = target(parts.next().unwrap());
    let remote: SocketAddr = parts.next().unwrap().parse().unwrap();
    let count: u32 = parts.next().unwrap().parse().unwrap();
    for _ in 0..count {
        let stream = source.connect(remote).unwrap();
        SockRef::from(&stream)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    }
}

/// strace's counts for `count` connects from `source` to a local listener.
struct Trace {
    netlink: usize,
    inet_stream: usize,
    no_port_on: usize,
    /// Opens of `net.ipv4.ip_local_port_range`, which a range's verdict reads.
    range_sysctl: usize,
}

fn trace_connects(source: &str, count: u32) -> Trace {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let remote = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let stop = AtomicBool::new(false);
    let out = std::env::temp_dir().join(format!(
        "bindpolicy-client-strace-{}-{}.txt",
        std::process::id(),
        BLOCKS.free(1)
    ));
    let status = std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok(_) => {}
                    Err(e) if e.kind() == IoKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err(e) => panic!("accept: {e}"),
                }
            }
        });
        let status = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=socket,setsockopt,openat", "-o"])
            .arg(&out)
            .arg(std::env::current_exe().unwrap())
            .args(["strace_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, format!("{source} {remote} {count}"))
            .output()
            .unwrap();
        stop.store(true, Ordering::Relaxed);
        status
    });
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    assert!(
        status.status.success(),
        "traced child failed for {source}: {}\n{}",
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr)
    );
    let count_of = |needle: &str| text.lines().filter(|l| l.contains(needle)).count();
    Trace {
        netlink: count_of("socket(AF_NETLINK"),
        inet_stream: text
            .lines()
            .filter(|l| l.contains("socket(AF_INET") && l.contains("SOCK_STREAM"))
            .count(),
        no_port_on: count_of("IP_BIND_ADDRESS_NO_PORT, [1]"),
        range_sysctl: count_of("ip_local_port_range"),
    }
}

/// `port:`, wildcard, loopback and literal sources make no interface enumeration (no netlink
/// socket, counted with strace over many connects); an interface-name source does.
#[test]
fn cost_rule_under_strace() {
    if !Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let _ = writeln!(
            std::io::stderr(),
            "*** SKIPPED cost_rule_under_strace: strace is not installed ***"
        );
        return;
    }
    let first = BLOCKS.free(101);
    let mut cases = vec![
        (format!("port:{first}-{}", first + 100), 100, false),
        // Inside the ephemeral range: the kernel searches it.
        ("port:41000-41099".to_owned(), 100, false),
        ("127.0.0.1:0".to_owned(), 20, true),
        ("localhost:0".to_owned(), 20, true),
        ("0.0.0.0:0".to_owned(), 20, false),
        ("*:0".to_owned(), 20, false),
    ];
    // A literal: one of this machine's own non-loopback IPv4 addresses, if it has one.
    let literal = Interfaces::current()
        .unwrap()
        .addresses()
        .find_map(|(_, a)| {
            let ip = a.ip();
            (ip.is_ipv4() && !ip.is_loopback()).then_some(ip)
        });
    match literal {
        Some(ip) => cases.push((format!("{ip}:0"), 20, true)),
        None => eprintln!("no non-loopback IPv4 address: the literal case is skipped"),
    }
    for (source, count, no_port) in cases {
        let trace = trace_connects(&source, count);
        eprintln!(
            "{source}: {count} connects, {} AF_INET stream sockets, {} netlink sockets, {} \
             IP_BIND_ADDRESS_NO_PORT, {} reads of ip_local_port_range",
            trace.inet_stream, trace.netlink, trace.no_port_on, trace.range_sysctl
        );
        assert!(
            trace.inet_stream >= count as usize,
            "{source}: strace saw {} sockets for {count} connects",
            trace.inet_stream
        );
        assert_eq!(trace.netlink, 0, "{source} enumerated the interfaces");
        // A range's verdict (kernel or user-space search) reads the sysctls at most once a
        // second per thread: far fewer reads than connects.
        assert!(
            trace.range_sysctl < count as usize / 2,
            "{source}: {} reads of ip_local_port_range for {count} connects",
            trace.range_sysctl
        );
        if no_port {
            assert!(trace.no_port_on >= count as usize, "{source}");
        } else {
            assert_eq!(trace.no_port_on, 0, "{source}");
        }
    }
    // The control: an interface-name source does enumerate, so a count of 0 above means something.
    let trace = trace_connects("lo:0", 3);
    eprintln!("lo:0: {} netlink sockets", trace.netlink);
    assert!(trace.netlink > 0, "lo:0 must enumerate the interfaces");
    assert!(trace.no_port_on >= 3, "lo:0 binds 127.0.0.1 with port 0");
}
