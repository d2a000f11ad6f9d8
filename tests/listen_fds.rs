//! All or nothing: a listen that fails part-way closes every socket it had already opened.
//!
//! File descriptors are counted through /proc/self/fd, which is process-wide, so this binary
//! holds a single `#[test]` that runs its cases one after another: no other test can open or
//! close a descriptor meanwhile.

mod support;
use support::values::target;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bindpolicy::{Error, ErrorKind, Interface, InterfaceAddr, Interfaces, ListenOptions, Phase};
use socket2::SockRef;

use support::fds;

/// Runs `f`, which must fail, and asserts that the descriptors open before and after are the
/// same ones. Returns the error.
fn fails_cleanly(case: &str, f: impl FnOnce() -> bindpolicy::Result<usize>) -> Error {
    let before = fds::open_fds();
    let result = f();
    let after = fds::open_fds();
    let err = match result {
        Ok(n) => panic!("{case}: expected an error, got {n} sockets"),
        Err(err) => err,
    };
    assert_eq!(
        before,
        after,
        "{case}: the failed listen ({err}) left descriptors behind:\n{}",
        fds::describe()
    );
    err
}

fn assert_in_use_at(case: &str, err: &Error, at: SocketAddr) {
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{case}: {err}");
    let Error::AddrInUse { addr, phase, .. } = err else {
        panic!("{case}: expected Error::AddrInUse, got {err:?}")
    };
    assert_eq!(*addr, at, "{case}: {err}");
    assert_eq!(*phase, Phase::Bind, "{case}");
}

#[test]
fn failed_listens_leave_no_socket_open() {
    // 0. The counter sees sockets come and go.
    let base = fds::count();
    let base_sockets = fds::sockets();
    let listeners = target("*:0").listen().expect("*:0");
    assert_eq!(listeners.len(), 2);
    assert_eq!(fds::count(), base + 2, "{}", fds::describe());
    assert_eq!(fds::sockets(), base_sockets + 2);
    drop(listeners);
    assert_eq!(fds::count(), base, "{}", fds::describe());

    // 1. *:P with P held on [::] only (V6ONLY on): 0.0.0.0:P binds first, then [::]:P fails.
    let holder = target("[::]:0").listen().expect("[::]:0");
    assert!(
        SockRef::from(&holder.sockets()[0])
            .only_v6()
            .expect("IPV6_V6ONLY"),
        "the holder must leave 0.0.0.0 free"
    );
    let port = holder.port();
    // 0.0.0.0:P alone would bind: the failure below is the second socket's.
    drop(
        target(&format!("0.0.0.0:{port}"))
            .listen()
            .expect("0.0.0.0:P is free"),
    );
    let err = fails_cleanly("tcp *:P, [::]:P held", || {
        target(&format!("*:{port}")).listen().map(|l| l.len())
    });
    assert_in_use_at(
        "tcp *:P",
        &err,
        SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
    );
    let Error::AddrInUse { holder: who, .. } = &err else {
        unreachable!()
    };
    assert_eq!(
        who.as_deref().and_then(|h| h.pid),
        Some(std::process::id()),
        "{err}"
    );
    // With options that add setsockopt steps, too.
    fails_cleanly("tcp *:P nonblocking reuse_port, [::]:P held", || {
        target(&format!("*:{port}"))
            .listen_with(&ListenOptions::new().nonblocking(true).reuse_port(true))
            .map(|l| l.len())
    });
    drop(holder);

    // 2. localhost:P with [::1]:P held: 127.0.0.1:P binds, then [::1]:P fails.
    let holder = target("[::1]:0").listen().expect("[::1]:0");
    let port = holder.port();
    let err = fails_cleanly("tcp localhost:P, [::1]:P held", || {
        target(&format!("localhost:{port}"))
            .listen()
            .map(|l| l.len())
    });
    assert_in_use_at(
        "tcp localhost:P",
        &err,
        SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
    );
    drop(holder);

    // 3. The first address fails: nothing was opened beyond the failing socket.
    let holder = target("127.0.0.1:0").listen().expect("127.0.0.1:0");
    let port = holder.port();
    let err = fails_cleanly("tcp localhost:P, 127.0.0.1:P held", || {
        target(&format!("localhost:{port}"))
            .listen()
            .map(|l| l.len())
    });
    assert_in_use_at(
        "tcp localhost:P first",
        &err,
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
    );
    drop(holder);

    // 4. UDP: *:P with UDP [::]:P held.
    let holder = target("[::]:0").bind_udp().expect("udp [::]:0");
    let port = holder.port();
    let err = fails_cleanly("udp *:P, [::]:P held", || {
        target(&format!("*:{port}")).bind_udp().map(|u| u.len())
    });
    assert_in_use_at(
        "udp *:P",
        &err,
        SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
    );
    drop(holder);

    // 5. UDP: localhost:P with UDP [::1]:P held.
    let holder = target("[::1]:0").bind_udp().expect("udp [::1]:0");
    let port = holder.port();
    fails_cleanly("udp localhost:P, [::1]:P held", || {
        target(&format!("localhost:{port}"))
            .bind_udp()
            .map(|u| u.len())
    });
    drop(holder);

    // 6. An interface with two addresses, the second absent from the machine: the first
    //    (127.0.0.1) binds, the second fails with addr_not_available.
    let snapshot = Interfaces::from_interfaces([Interface::new("lo", 1)
        .with_addr(InterfaceAddr::new(Ipv4Addr::LOCALHOST.into(), 8))
        .with_addr(InterfaceAddr::new(Ipv4Addr::new(198, 18, 99, 1).into(), 24))]);
    if std::fs::read_to_string("/proc/sys/net/ipv4/ip_nonlocal_bind").is_ok_and(|v| v.trim() == "0")
    {
        let resolved = target("lo:0").resolve_with(&snapshot).expect("lo:0");
        assert_eq!(resolved.addrs().len(), 2);
        let err = fails_cleanly("tcp lo:0 with an absent second address", || {
            resolved.listen().map(|l| l.len())
        });
        assert_eq!(err.kind(), ErrorKind::AddrNotAvailable, "{err}");
        let err = fails_cleanly("udp lo:0 with an absent second address", || {
            resolved.bind_udp().map(|u| u.len())
        });
        assert_eq!(err.kind(), ErrorKind::AddrNotAvailable, "{err}");
    }

    // 7. not_listenable opens nothing at all.
    fails_cleanly("port:5", || target("port:5").listen().map(|l| l.len()));

    assert_eq!(fds::count(), base, "{}", fds::describe());
}
