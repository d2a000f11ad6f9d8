//! Source-port ranges on both paths, each in a namespace of its own: the kernel's search
//! (IP_LOCAL_PORT_RANGE, the default where the range lies inside `ip_local_port_range`) and the
//! crate's one-by-one search, forced by the two sysctls that refuse the kernel path (a range
//! outside `ip_local_port_range`, a reserved range). Every test asserts the same results on
//! all three, and reads IP_LOCAL_PORT_RANGE back from the connected socket to prove which path
//! ran. Only loopback inside the namespace is used. Without root or `ip` every test prints
//! SKIPPED, unless `BINDPOLICY_REQUIRE_NETNS=1`.

mod support;
use support::netns::{Netns, require_netns};
use support::values::target;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use bindpolicy::{Error, ErrorKind, KernelRefusal, Phase, RangeUse};
use nix::{getsockopt_impl, setsockopt_impl, sockopt_impl};
use socket2::SockRef;

/// IP_LOCAL_PORT_RANGE from <linux/in.h>, read back to see which path set it.
const IP_LOCAL_PORT_RANGE: libc::c_int = 51;
sockopt_impl!(
    /// IP_LOCAL_PORT_RANGE, `hi << 16 | lo`.
    IpLocalPortRange,
    Both,
    libc::IPPROTO_IP,
    IP_LOCAL_PORT_RANGE,
    u32
);

const FIRST: u16 = 41000;
const LAST: u16 = 41015;
const SERVER_PORT: u16 = 5000;

/// Which search a namespace leaves to a range of 41000-41015.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Setup {
    /// Default sysctls: the kernel searches.
    Kernel,
    /// `ip_local_port_range` 50000 60999: the range lies outside it.
    Outside,
    /// `ip_local_reserved_ports` 41000-41015.
    Reserved,
}

const SETUPS: [Setup; 3] = [Setup::Kernel, Setup::Outside, Setup::Reserved];

impl Setup {
    fn namespace(self) -> Netns {
        let ns = Netns::new("ports");
        match self {
            Setup::Kernel => {}
            Setup::Outside => ns.sysctl("net.ipv4.ip_local_port_range", "50000 60999"),
            Setup::Reserved => ns.sysctl("net.ipv4.ip_local_reserved_ports", "41000-41015"),
        }
        ns
    }

    fn refusal(self) -> Option<KernelRefusal> {
        match self {
            Setup::Kernel => None,
            Setup::Outside => Some(KernelRefusal::OutsideLocalPortRange {
                lo: 50000,
                hi: 60999,
            }),
            Setup::Reserved => Some(KernelRefusal::Reserved {
                ports: "41000-41015".into(),
            }),
        }
    }

    /// What IP_LOCAL_PORT_RANGE reads on a socket the crate connected: set on the kernel path
    /// only.
    fn range_option(self) -> u32 {
        match self {
            Setup::Kernel => (u32::from(LAST) << 16) | u32::from(FIRST),
            _ => 0,
        }
    }
}

fn range_option(stream: &TcpStream) -> u32 {
    nix::sys::socket::getsockopt(stream, IpLocalPortRange).expect("getsockopt")
}

fn connect(remote: SocketAddr) -> bindpolicy::Result<TcpStream> {
    target(&format!("port:{FIRST}-{LAST}"))
        .connector()
        .timeout(Duration::from_secs(5))
        .connect(remote)
}

/// Sixteen connections take the sixteen ports of the range, each once, and the server sees
/// them; the seventeenth is `port_range_exhausted`, counting 16 live connections toward the
/// server and naming the sysctl that kept the kernel out.
fn fills_the_range_then_runs_out(setup: Setup, remote: SocketAddr) {
    let listener = TcpListener::bind(remote).expect("listen");
    let streams: Vec<TcpStream> = (0..16)
        .map(|n| connect(remote).unwrap_or_else(|e| panic!("{setup:?} connect {n}: {e}")))
        .collect();
    let mut ports: Vec<u16> = streams
        .iter()
        .map(|s| s.local_addr().expect("local").port())
        .collect();
    for stream in &streams {
        assert_eq!(range_option(stream), setup.range_option(), "{setup:?}");
    }
    ports.sort_unstable();
    assert_eq!(ports, (FIRST..=LAST).collect::<Vec<_>>(), "{setup:?}");
    let mut peers: Vec<u16> = (0..16)
        .map(|_| listener.accept().expect("accept").1.port())
        .collect();
    peers.sort_unstable();
    assert_eq!(peers, ports, "{setup:?}: the server saw each source port");

    let err = connect(remote).expect_err("every port is busy toward the server");
    assert_eq!(
        err.kind(),
        ErrorKind::PortRangeExhausted,
        "{setup:?}: {err}"
    );
    let Error::PortRangeExhausted {
        attempts,
        ports,
        kernel_refusal,
        remote: to,
        last,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*attempts, 16, "{setup:?}");
    assert_eq!(*to, remote);
    assert_eq!(*ports, Some(RangeUse::new(16, 0, 0)), "{setup:?}: {err}");
    assert_eq!(*kernel_refusal, setup.refusal(), "{setup:?}");
    // Live connections hold the 4-tuples: addr_in_use at connect, from the source address the
    // kernel used (loopback), never 0.0.0.0.
    let Error::AddrInUse { addr, phase, .. } = &**last else {
        panic!("{setup:?}: {last:?}")
    };
    assert_eq!(*phase, Phase::Connect);
    assert_eq!(addr.ip(), remote.ip(), "{setup:?}: {err}");
    assert!((FIRST..=LAST).contains(&addr.port()), "{setup:?}: {addr}");
    let text = err.to_string();
    let mut expected = format!(
        "every source port in {FIRST}-{LAST} failed toward {remote} (16 tried: 16 with a live \
         connection to it); widen the range, or close connections that hold it"
    );
    if let Some(refusal) = setup.refusal() {
        expected.push_str(&format!(
            ". The kernel's own port search (IP_LOCAL_PORT_RANGE) was not used: {refusal}"
        ));
    }
    assert_eq!(text, expected);

    // A port freed is found again, on either path. (The client closes with a reset, so no
    // TIME_WAIT entry keeps the port busy.)
    let mut streams = streams;
    let freed = streams.remove(7);
    let freed_port = freed.local_addr().unwrap().port();
    SockRef::from(&freed)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(freed);
    // The kernel releases the port as the reset is processed: wait (5 s at most) until no
    // socket of it is left, so the check below is about the search, not about that race.
    let filter = format!("( sport = :{freed_port} )");
    for _ in 0..500 {
        let out = std::process::Command::new("ss")
            .args(["-tanH", &filter])
            .output()
            .expect("ss");
        if String::from_utf8_lossy(&out.stdout).trim().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let again = connect(remote).expect("a port is free again");
    assert_eq!(again.local_addr().unwrap().port(), freed_port, "{setup:?}");
}

#[test]
fn every_port_of_the_range_serves_then_exhaustion_is_typed_ipv4() {
    require_netns!();
    for setup in SETUPS {
        let ns = setup.namespace();
        ns.run(|| fills_the_range_then_runs_out(setup, (Ipv4Addr::LOCALHOST, SERVER_PORT).into()));
    }
}

/// IP_LOCAL_PORT_RANGE is an IPPROTO_IP option, and IPv6 sockets take it too.
#[test]
fn every_port_of_the_range_serves_then_exhaustion_is_typed_ipv6() {
    require_netns!();
    for setup in SETUPS {
        let ns = setup.namespace();
        ns.run(|| fills_the_range_then_runs_out(setup, (Ipv6Addr::LOCALHOST, SERVER_PORT).into()));
    }
}

/// With TCP timestamps off, a 4-tuple in TIME_WAIT cannot be taken over: every port of a
/// range whose connections the client closed first is busy, and the error counts them as
/// TIME-WAIT (not live) and ends on `time_wait`.
#[test]
fn time_wait_ports_are_counted_and_typed() {
    require_netns!();
    for setup in SETUPS {
        let ns = setup.namespace();
        ns.sysctl("net.ipv4.tcp_timestamps", "0");
        ns.run(|| {
            let remote: SocketAddr = (Ipv4Addr::LOCALHOST, SERVER_PORT).into();
            let listener = TcpListener::bind(remote).expect("listen");
            for _ in 0..16 {
                let stream = connect(remote).unwrap_or_else(|e| panic!("{setup:?}: {e}"));
                let (server_side, _) = listener.accept().expect("accept");
                into_time_wait(stream, server_side);
            }
            wait_for_time_wait(16);
            let err = connect(remote).expect_err("every 4-tuple is in TIME_WAIT");
            let Error::PortRangeExhausted { ports, last, .. } = &err else {
                panic!("{setup:?}: {err:?}")
            };
            assert_eq!(*ports, Some(RangeUse::new(0, 16, 0)), "{setup:?}: {err}");
            assert_eq!(last.kind(), ErrorKind::TimeWait, "{setup:?}: {err}");
            assert!(
                err.to_string()
                    .contains("(16 tried: 16 in TIME-WAIT toward it)"),
                "{setup:?}: {err}"
            );
        });
    }
}

/// Half the range live toward the server, half in TIME_WAIT: each counted as what it is. The
/// kernel path names a live port (no wait frees it); the user-space path names the port it
/// tried last, with the connect's own OS error (EADDRNOTAVAIL) as the source.
#[test]
fn live_and_time_wait_ports_are_each_counted() {
    require_netns!();
    for setup in SETUPS {
        let ns = setup.namespace();
        ns.sysctl("net.ipv4.tcp_timestamps", "0");
        ns.run(|| {
            let remote: SocketAddr = (Ipv4Addr::LOCALHOST, SERVER_PORT).into();
            let listener = TcpListener::bind(remote).expect("listen");
            let mut live = Vec::new();
            for n in 0..16 {
                let stream = connect(remote).unwrap_or_else(|e| panic!("{setup:?}: {e}"));
                let (server_side, _) = listener.accept().expect("accept");
                if n % 2 == 0 {
                    live.push((stream, server_side));
                } else {
                    into_time_wait(stream, server_side);
                }
            }
            wait_for_time_wait(8);
            let err = connect(remote).expect_err("every port is busy toward the server");
            let Error::PortRangeExhausted { ports, last, .. } = &err else {
                panic!("{setup:?}: {err:?}")
            };
            assert_eq!(*ports, Some(RangeUse::new(8, 8, 0)), "{setup:?}: {err}");
            if setup == Setup::Kernel {
                assert_eq!(last.kind(), ErrorKind::AddrInUse, "{setup:?}: {err}");
            } else {
                let source = std::error::Error::source(&**last)
                    .and_then(|e| e.downcast_ref::<std::io::Error>())
                    .and_then(std::io::Error::raw_os_error);
                assert_eq!(source, Some(libc::EADDRNOTAVAIL), "{setup:?}: {last:?}");
            }
            drop(live);
        });
    }
}

/// Ports held by other sockets (bound without SO_REUSEADDR) are skipped on both paths; with
/// all held, the error counts them as held.
#[test]
fn ports_held_by_other_sockets_are_skipped_and_counted() {
    require_netns!();
    for setup in SETUPS {
        let ns = setup.namespace();
        ns.run(|| {
            let remote: SocketAddr = (Ipv4Addr::LOCALHOST, SERVER_PORT).into();
            let _listener = TcpListener::bind(remote).expect("listen");
            let hold = |port: u16| {
                let socket =
                    socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                        .expect("socket");
                socket
                    .bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())
                    .expect("hold");
                socket
            };
            let held: Vec<socket2::Socket> = (FIRST..LAST).map(hold).collect();
            let stream = connect(remote).unwrap_or_else(|e| panic!("{setup:?}: {e}"));
            assert_eq!(stream.local_addr().unwrap().port(), LAST, "{setup:?}");
            let _last = hold_or_skip(&stream);
            let err = connect(remote).expect_err("every port is held or busy");
            let Error::PortRangeExhausted { ports, .. } = &err else {
                panic!("{setup:?}: {err:?}")
            };
            assert_eq!(*ports, Some(RangeUse::new(1, 0, 15)), "{setup:?}: {err}");
            drop(held);
        });
    }
}

/// One thread, two namespaces: the kernel path's verdict is cached per thread *and
/// namespace*. After a kernel-path connect in a namespace with the default range, the same
/// thread enters one whose `ip_local_port_range` excludes the range and connects at once: it
/// must search in user space there, and the server must see one connection, from inside the
/// range; a verdict reused across namespaces would first connect from a port outside it.
#[test]
fn the_verdict_is_cached_per_namespace() {
    require_netns!();
    let kernel = Setup::Kernel.namespace();
    let outside = Setup::Outside.namespace();
    let (a, b) = (kernel.name().to_owned(), outside.name().to_owned());
    let listener = outside.run(|| TcpListener::bind((Ipv4Addr::LOCALHOST, SERVER_PORT)).unwrap());
    listener.set_nonblocking(true).unwrap();
    let (first, second) = std::thread::spawn(move || {
        let enter = |name: &str| {
            let file = std::fs::File::open(format!("/run/netns/{name}")).unwrap();
            nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        };
        enter(&a);
        let _server = TcpListener::bind((Ipv4Addr::LOCALHOST, SERVER_PORT)).unwrap();
        let first = connect((Ipv4Addr::LOCALHOST, SERVER_PORT).into()).unwrap();
        enter(&b);
        let second = connect((Ipv4Addr::LOCALHOST, SERVER_PORT).into()).unwrap();
        (
            range_option(&first),
            (range_option(&second), second.local_addr().unwrap().port()),
        )
    })
    .join()
    .unwrap();
    assert_eq!(
        first,
        Setup::Kernel.range_option(),
        "the kernel searched in the first"
    );
    let (option, port) = second;
    assert_eq!(option, 0, "user space searched in the second");
    assert!((FIRST..=LAST).contains(&port));
    let mut seen = Vec::new();
    while let Ok((_, peer)) = listener.accept() {
        seen.push(peer.port());
    }
    assert_eq!(seen, vec![port], "one connection, from inside the range");
}

/// Keeps the stream alive (and its port busy) for the rest of the test.
fn hold_or_skip(stream: &TcpStream) -> SockRef<'_> {
    SockRef::from(stream)
}

/// Waits (5 s at most) until `count` client sockets of the range are in TIME_WAIT: the last
/// ones pass through FIN-WAIT-2 first. `ss` runs in this thread's namespace (a child inherits
/// it).
/// Closes a connection client first, so that the client's 4-tuple goes to TIME_WAIT: the
/// server reads the FIN, then closes its side.
fn into_time_wait(client: TcpStream, server_side: TcpStream) {
    drop(client);
    let mut buf = [0u8; 1];
    let _ = std::io::Read::read(&mut &server_side, &mut buf);
    drop(server_side);
}

fn wait_for_time_wait(count: usize) {
    let filter = format!("( sport >= :{FIRST} and sport <= :{LAST} )");
    for _ in 0..500 {
        let out = std::process::Command::new("ss")
            .args(["-tanH", "state", "time-wait", &filter])
            .output()
            .expect("ss");
        if String::from_utf8_lossy(&out.stdout).lines().count() >= count {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{count} TIME_WAIT entries did not appear");
}

/// An unpinned source (`*:0`) whose ephemeral range is used up: the kernel's EADDRNOTAVAIL is
/// `port_range_exhausted` naming the sysctl and what holds it, not an address "not assigned to
/// this machine", nor the pinned path's "that exact connection exists". The namespace's
/// `ip_local_port_range` is two ports, both held by live connections to the server.
#[test]
fn an_unpinned_connect_out_of_ephemeral_ports_names_the_ephemeral_range() {
    require_netns!();
    let ns = Netns::new("ephemeral");
    ns.sysctl("net.ipv4.ip_local_port_range", "42000 42001");
    let (err, held) = ns.run(|| {
        let remote: SocketAddr = (Ipv4Addr::LOCALHOST, SERVER_PORT).into();
        let _listener = TcpListener::bind(remote).expect("listen");
        let held: Vec<TcpStream> = (0..2)
            .map(|_| TcpStream::connect(remote).expect("an ephemeral port is free"))
            .collect();
        let err = target("*:0")
            .connector()
            .timeout(Duration::from_secs(5))
            .connect(remote)
            .expect_err("both ephemeral ports are taken");
        let ports: Vec<u16> = held
            .iter()
            .map(|s| s.local_addr().unwrap().port())
            .collect();
        (err, ports)
    });
    assert_eq!(held, [42000, 42001]);
    assert_eq!(err.kind(), ErrorKind::PortRangeExhausted, "{err}");
    assert!(
        matches!(&err, Error::EphemeralPortsExhausted { range: Some(r), ports: Some(p), .. }
            if (r.first(), r.last()) == (42000, 42001) && *p == RangeUse::new(2, 0, 0)),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "cannot connect to 127.0.0.1:5000: no ephemeral source port is free toward it \
         (net.ipv4.ip_local_port_range is 42000-42001, 2 ports: 2 with a live connection to \
         it); reuse connections (keep-alive) or close idle ones, or widen \
         net.ipv4.ip_local_port_range"
    );
}

/// Only a TCP range goes to the kernel: a UDP range (its port is chosen at bind, not per
/// 4-tuple) and a single port leave IP_LOCAL_PORT_RANGE unset.
#[test]
fn only_a_tcp_range_is_searched_by_the_kernel() {
    require_netns!();
    let ns = Setup::Kernel.namespace();
    ns.run(|| {
        let remote: SocketAddr = (Ipv4Addr::LOCALHOST, SERVER_PORT).into();
        let _listener = TcpListener::bind(remote).expect("listen");
        let tcp_range = connect(remote).expect("TCP range");
        assert_eq!(range_option(&tcp_range), Setup::Kernel.range_option());
        // Outside the range: the range's connection holds one of its ports toward the server.
        let one = LAST + 1;
        let single = target(&format!("port:{one}"))
            .connector()
            .connect(remote)
            .expect("one port");
        assert_eq!(single.local_addr().unwrap().port(), one);
        assert_eq!(
            range_option(&single),
            0,
            "a single port is bound, not searched"
        );
        let udp = target(&format!("port:{FIRST}-{LAST}"))
            .connector()
            .connect_udp(remote)
            .expect("UDP range");
        assert!((FIRST..=LAST).contains(&udp.local_addr().unwrap().port()));
        let option: u32 = nix::sys::socket::getsockopt(&udp, IpLocalPortRange).unwrap();
        assert_eq!(option, 0, "a UDP range is searched in user space");
    });
}

/// The kernel path's verdict is cached for a second; if `ip_local_port_range` changes within
/// it so that it no longer holds the range, the kernel ignores IP_LOCAL_PORT_RANGE and picks a
/// port outside the range. The crate sees it (getsockname), drops that connection, reads the
/// sysctls again and searches in user space; here the range is used up, and the error names
/// the sysctl that now keeps the kernel out.
#[test]
fn a_range_the_sysctl_stops_holding_falls_back_to_user_space() {
    require_netns!();
    let ns = Setup::Kernel.namespace();
    let (first, err) = ns.run(|| {
        let remote: SocketAddr = (Ipv4Addr::LOCALHOST, SERVER_PORT).into();
        let _listener = TcpListener::bind(remote).expect("listen");
        // 41001 held by a listener: the range's second port is busy whatever the path.
        let _held = TcpListener::bind((Ipv4Addr::LOCALHOST, FIRST + 1)).expect("hold 41001");
        let two = || {
            target(&format!("port:{FIRST}-{}", FIRST + 1))
                .connector()
                .timeout(Duration::from_secs(5))
                .connect(remote)
        };
        let first = two().expect("the kernel finds 41000");
        // /proc/sys/net is this thread's namespace's.
        std::fs::write("/proc/sys/net/ipv4/ip_local_port_range", "50000 60999").unwrap();
        let err = two().expect_err("41000 is live toward the server, 41001 held");
        (first, err)
    });
    assert_eq!(first.local_addr().unwrap().port(), FIRST);
    assert_eq!(
        range_option(&first),
        (u32::from(FIRST + 1) << 16) | u32::from(FIRST)
    );
    let Error::PortRangeExhausted {
        ports,
        kernel_refusal,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        *kernel_refusal,
        Some(KernelRefusal::OutsideLocalPortRange {
            lo: 50000,
            hi: 60999
        }),
        "{err}"
    );
    assert_eq!(*ports, Some(RangeUse::new(1, 0, 1)), "{err}");
}

/// A range that holds the remote's own port, the remote being this machine: that port is
/// skipped (it would connect to itself), so the search is in user space, tries the other
/// ports, and counts what held them; the skipped port's listener is not counted as a holder.
#[test]
fn a_range_holding_the_remote_port_skips_it_and_counts_the_rest() {
    require_netns!();
    let ns = Setup::Kernel.namespace();
    let err = ns.run(|| {
        let remote: SocketAddr = (Ipv4Addr::LOCALHOST, FIRST + 1).into();
        let _listener = TcpListener::bind(remote).expect("listen on 41001");
        let three = || {
            target(&format!("port:{FIRST}-{}", FIRST + 2))
                .connector()
                .timeout(Duration::from_secs(5))
                .connect(remote)
        };
        let held: Vec<TcpStream> = (0..2).map(|_| three().expect("41000 and 41002")).collect();
        let mut ports: Vec<u16> = held
            .iter()
            .map(|s| s.local_addr().unwrap().port())
            .collect();
        ports.sort_unstable();
        assert_eq!(ports, [FIRST, FIRST + 2]);
        for stream in &held {
            assert_eq!(
                range_option(stream),
                0,
                "user space: the remote's port is inside"
            );
        }
        three().expect_err("both ports are live toward the server")
    });
    let Error::PortRangeExhausted {
        attempts, ports, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*attempts, 2, "{err}");
    assert_eq!(*ports, Some(RangeUse::new(2, 0, 0)), "{err}");
}

/// A pinned UDP port is bound without SO_REUSEADDR: a UDP socket already there (with
/// SO_REUSEADDR of its own) keeps it, and the connect is `addr_in_use`, not a second socket
/// sharing the port's datagrams.
#[test]
fn a_pinned_udp_port_is_not_shared() {
    let holder = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    holder.set_reuse_address(true).unwrap();
    holder
        .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
        .unwrap();
    let port = holder.local_addr().unwrap().as_socket().unwrap().port();
    let err = target(&format!("127.0.0.1:{port}"))
        .connector()
        .connect_udp((Ipv4Addr::LOCALHOST, 9).into())
        .expect_err("the port is the holder's");
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
}
