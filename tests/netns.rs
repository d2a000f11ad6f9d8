//! Network-namespace proofs: every case checks the crate's prediction (what `resolve` returns,
//! who the exposure says can reach it, which error kind) against what the kernel does on the
//! wire between two (or three) namespaces this test builds and deletes.
//!
//! # How code runs inside a namespace
//!
//! A network namespace is entered with `setns(2)` (through `nix`), and that switch applies to
//! the *calling thread only*. Switching a libtest worker would leak the namespace into the next
//! test that thread runs, so [`Netns::run`] / [`Netns::spawn`] start a fresh thread, enter the
//! namespace there, run the closure and join. A socket keeps the namespace it was *created* in
//! for its whole life, whichever thread uses it later: listeners are created inside
//! `server.run(..)` and may then be accepted on from the test's own thread, and every client
//! socket is created inside `laptop.run(..)` (or `far.run(..)`). `Interfaces::current()` asks
//! the kernel over a netlink socket, so it too must be called inside the namespace's thread.
//!
//! One catch, which `tentative_address_warns_then_bind_fails_thread` documents: `/proc/net`
//! is `/proc/self/net`, and `/proc/self` is the *process*, whose `net` follows the main
//! thread's namespace, not the calling thread's. `tentative_address_whole_process` therefore
//! re-runs this binary under `ip netns exec`, where the whole process lives in the namespace.
//!
//! # Topology
//!
//! ```text
//!   server (bp-<pid>-<n>-server)                   laptop (bp-<pid>-<n>-laptop)
//!   lo 127.0.0.1 ::1                               lo 127.0.0.1 ::1
//!   veth-srv 198.18.71.67/16  <---- veth ---->     veth-lap 198.18.158.94/16
//!            fd00:71::67/64                                 fd00:71::94/64
//!            fe80::.. (auto)                                fe80::.. (auto)
//!   veth-srv2 198.19.0.1/24   <---- veth ---->     far: veth-far 198.19.0.2/24
//!   (bind_device case only)                        route 198.18.0.0/16 via 198.19.0.1
//! ```
//!
//! Each test builds its own [`Lan`] (DAD off, so every address is usable at once) and deletes
//! it when it ends, also when it panics; [`Site`]'s last field then checks that `ip netns list`
//! no longer shows any of that test's namespaces. Only 198.18.0.0/15 and fd00::/8 addresses are
//! used, and no packet leaves the namespaces a test created. Without root, `ip` or `nft` every
//! test prints SKIPPED and passes, unless `BINDPOLICY_REQUIRE_NETNS=1`.
//!
//! Tests run in parallel; the one that counts `/proc/self/fd` (process-wide) takes [`FD_LOCK`]
//! exclusively, every other test shares it. No test re-binds a port it has just closed while
//! others may run: another thread's fork+exec (every `ip`, `nft`, `sysctl`) briefly holds a
//! copy of all descriptors in the child, so a closed socket can live on for a moment and the
//! re-bind fails with EADDRINUSE (measured: about 1 in 5 immediate re-binds while a thread
//! spawns commands, none without).

mod support;
use support::fds;
use support::values::{target, v4, v6};

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6, TcpListener, TcpStream};
use std::ops::Deref;
use std::process::Command;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread;
use std::time::{Duration, Instant};

use bindpolicy::{
    Error, ErrorKind, Interfaces, ListenOptions, Listeners, Phase, Reach, Resolved, Warning,
};
use socket2::{Domain, SockAddr, SockRef, Socket, Type};
use support::netns::*;

/// The port every listener uses: each test has its own namespaces, so they never collide.
const PORT: u16 = 5000;
/// Bound for a connect or an accept that should succeed (generous: the suite runs in parallel).
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// `EADDRNOTAVAIL` on Linux.
const EADDRNOTAVAIL: i32 = 99;
/// Set in the child process of [`tentative_address_whole_process`].
const CHILD_ENV: &str = "BINDPOLICY_NETNS_CHILD";

/// Shared by every test; taken exclusively by the one that counts open file descriptors.
static FD_LOCK: RwLock<()> = RwLock::new(());

fn shared() -> RwLockReadGuard<'static, ()> {
    FD_LOCK.read().unwrap_or_else(PoisonError::into_inner)
}

fn exclusive() -> RwLockWriteGuard<'static, ()> {
    FD_LOCK.write().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------------
// Topology guard
// ---------------------------------------------------------------------------------------------

/// One test's namespaces: the [`Lan`], any extra namespace, and, dropped last, the check that
/// all of them are gone.
struct Site {
    lan: Lan,
    extra: Vec<Netns>,
    gone: GoneCheck,
}

impl Site {
    fn new() -> Site {
        let lan = Lan::new();
        let gone = GoneCheck(lan.names().to_vec());
        Site {
            lan,
            extra: Vec::new(),
            gone,
        }
    }

    /// Adds a namespace that is deleted (and checked) with the rest.
    fn add(&mut self, role: &str) -> &Netns {
        let ns = Netns::new(role);
        self.gone.0.push(ns.name().to_owned());
        self.extra.push(ns);
        self.extra.last().expect("just pushed")
    }
}

impl Deref for Site {
    type Target = Lan;
    fn deref(&self) -> &Lan {
        &self.lan
    }
}

/// Dropped after the namespaces: panics (unless already unwinding) if any is still listed.
struct GoneCheck(Vec<String>);

impl Drop for GoneCheck {
    fn drop(&mut self) {
        let left: Vec<String> = our_namespaces()
            .into_iter()
            .filter(|n| self.0.contains(n))
            .collect();
        if left.is_empty() {
            return;
        }
        if thread::panicking() {
            eprintln!("namespaces left behind: {left:?}");
        } else {
            panic!("namespaces left behind: {left:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `resolve()` inside `ns`: the interface snapshot is that namespace's.
fn resolve_in(ns: &Netns, spec: &str) -> bindpolicy::Result<Resolved> {
    let target = target(spec);
    ns.run(move || target.resolve())
}

/// `listen_with()` inside `ns`; the listeners stay in `ns`.
fn listen_in(ns: &Netns, spec: &str, options: &ListenOptions) -> Listeners {
    let target = target(spec);
    let options = options.clone();
    ns.run(move || target.listen_with(&options))
        .unwrap_or_else(|e| panic!("listen {spec} in {}: {e}", ns.name()))
}

/// A plain `TcpStream::connect_timeout` created inside `ns`.
fn connect_from(ns: &Netns, remote: SocketAddr) -> io::Result<TcpStream> {
    ns.run(move || TcpStream::connect_timeout(&remote, IO_TIMEOUT))
}

/// The crate's `Connector` inside `ns`, from `source`.
fn crate_connect(
    ns: &Netns,
    source: &str,
    remote: SocketAddr,
    timeout: Duration,
) -> bindpolicy::Result<TcpStream> {
    let source = target(source);
    ns.run(move || source.connector().timeout(timeout).connect(remote))
}

/// Accepts one connection, giving up after [`IO_TIMEOUT`].
fn accept_within(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    listener.set_nonblocking(true).expect("O_NONBLOCK");
    let deadline = Instant::now() + IO_TIMEOUT;
    let result = loop {
        match listener.accept() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(10));
            }
            other => break other,
        }
    };
    listener.set_nonblocking(false).expect("O_NONBLOCK off");
    result.unwrap_or_else(|e| panic!("accept on {:?}: {e}", listener.local_addr()))
}

/// The listener of `listeners` that a connection to `remote` lands on.
fn listener_for(listeners: &Listeners, remote: SocketAddr) -> &TcpListener {
    listeners
        .iter()
        .find(|(_, a)| {
            a.ip() == remote.ip() || (a.ip().is_unspecified() && a.is_ipv4() == remote.is_ipv4())
        })
        .map(|(l, _)| l)
        .unwrap_or_else(|| {
            panic!(
                "no listener of {:?} serves {remote}",
                listeners.local_addrs()
            )
        })
}

/// Checks that the accepted peer is `client`'s own address (ip and port; the scope id of a
/// link-local address differs between the two ends).
fn assert_accepts(listeners: &Listeners, remote: SocketAddr, client: SocketAddr) -> SocketAddr {
    let (_conn, peer) = accept_within(listener_for(listeners, remote));
    assert_eq!(
        (peer.ip(), peer.port()),
        (client.ip(), client.port()),
        "the server saw {peer}, the client was {client}"
    );
    peer
}

/// Connects from `ns` to `remote` and checks that `listeners` accepts that very connection.
fn assert_connects(ns: &Netns, remote: SocketAddr, listeners: &Listeners) -> SocketAddr {
    let stream = connect_from(ns, remote)
        .unwrap_or_else(|e| panic!("{} should reach {remote}: {e}", ns.name()));
    let local = stream.local_addr().expect("local_addr");
    assert_accepts(listeners, remote, local)
}

/// Connects from `ns` to `remote` and checks that the kernel refuses (RST, ECONNREFUSED).
fn assert_refused(ns: &Netns, remote: SocketAddr) {
    match connect_from(ns, remote) {
        Ok(s) => panic!(
            "{} reached {remote} from {:?}; it should be refused",
            ns.name(),
            s.local_addr()
        ),
        Err(e) => assert_eq!(
            e.kind(),
            io::ErrorKind::ConnectionRefused,
            "{} -> {remote}: expected ECONNREFUSED, got {e} ({:?})",
            ns.name(),
            e.raw_os_error()
        ),
    }
}

/// A raw socket2 TCP socket bound to `addr` inside `ns`: the kernel's own verdict, no crate.
fn raw_bind(ns: &Netns, addr: SocketAddr) -> io::Result<Socket> {
    ns.run(move || {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
        if addr.is_ipv6() {
            socket.set_only_v6(true)?;
        }
        socket.bind(&SockAddr::from(addr))?;
        Ok(socket)
    })
}

fn network_names(resolved: &Resolved) -> Vec<String> {
    resolved
        .exposure()
        .networks()
        .iter()
        .map(ToString::to_string)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Wildcards, loopback, one address
// ---------------------------------------------------------------------------------------------

#[test]
fn any_v4_reaches_every_network() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let resolved = resolve_in(&site.server, "0.0.0.0:5000").expect("resolve");
    assert_eq!(
        resolved.socket_addrs().collect::<Vec<_>>(),
        [v4(Ipv4Addr::UNSPECIFIED, PORT)]
    );
    assert_eq!(resolved.exposure().reach(), Reach::AllNetworks);
    assert_eq!(network_names(&resolved), ["198.18.0.0/16 on veth-srv"]);
    assert!(
        resolved
            .warnings()
            .iter()
            .any(|w| matches!(w, Warning::AllNetworks { .. })),
        "{:?}",
        resolved.warnings()
    );

    let listeners = listen_in(&site.server, "0.0.0.0:5000", &ListenOptions::new());
    assert_connects(&site.laptop, v4(SERVER_V4, PORT), &listeners);
    assert_connects(&site.server, v4(Ipv4Addr::LOCALHOST, PORT), &listeners);
}

#[test]
fn loopback_v4_is_this_machine_only() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let resolved = resolve_in(&site.server, "127.0.0.1:5000").expect("resolve");
    assert_eq!(
        resolved.socket_addrs().collect::<Vec<_>>(),
        [v4(Ipv4Addr::LOCALHOST, PORT)]
    );
    assert_eq!(resolved.exposure().reach(), Reach::ThisMachine);
    assert!(resolved.exposure().networks().is_empty());

    let listeners = listen_in(&site.server, "127.0.0.1:5000", &ListenOptions::new());
    assert_refused(&site.laptop, v4(SERVER_V4, PORT));
    assert_connects(&site.server, v4(Ipv4Addr::LOCALHOST, PORT), &listeners);
}

#[test]
fn one_address_reaches_its_network_only() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let resolved = resolve_in(&site.server, "198.18.71.67:5000").expect("resolve");
    assert_eq!(
        resolved.socket_addrs().collect::<Vec<_>>(),
        [v4(SERVER_V4, PORT)]
    );
    assert_eq!(resolved.addrs()[0].interface(), Some(SERVER_DEV));
    assert_eq!(resolved.exposure().reach(), Reach::Networks);
    assert_eq!(network_names(&resolved), ["198.18.0.0/16 on veth-srv"]);

    let listeners = listen_in(&site.server, "198.18.71.67:5000", &ListenOptions::new());
    assert_connects(&site.laptop, v4(SERVER_V4, PORT), &listeners);
    assert_refused(&site.server, v4(Ipv4Addr::LOCALHOST, PORT));
}

#[test]
fn foreign_address_fails_before_bind() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    // The laptop's address, asked of the server.
    let err = resolve_in(&site.server, "198.18.158.94:5000").expect_err("not the server's");
    assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
    let Error::AddrNotLocal { addr, port, local } = &err else {
        panic!("expected AddrNotLocal (a resolve error, before any bind), got {err:?}");
    };
    assert_eq!((*addr, *port), (IpAddr::V4(LAPTOP_V4), PORT));
    assert!(local.contains(&(IpAddr::V4(SERVER_V4), SERVER_DEV.to_owned())));
    assert!(local.contains(&(IpAddr::V4(Ipv4Addr::LOCALHOST), "lo".to_owned())));
    let message = err.to_string();
    for needle in [
        "198.18.158.94 is not an address of this machine",
        "198.18.71.67 (veth-srv)",
        "0.0.0.0:5000",
        "198.18.71.67:5000",
    ] {
        assert!(
            message.contains(needle),
            "{needle:?} missing from: {message}"
        );
    }
    // listen() goes through resolve: same error, no socket made.
    let target = target("198.18.158.94:5000");
    let listen_err = site
        .server
        .run(move || target.listen())
        .expect_err("listen");
    assert!(
        matches!(listen_err, Error::AddrNotLocal { .. }),
        "{listen_err:?}"
    );

    // The kernel agrees.
    let raw = raw_bind(&site.server, v4(LAPTOP_V4, PORT)).expect_err("raw bind");
    assert_eq!(raw.raw_os_error(), Some(EADDRNOTAVAIL), "{raw}");
}

#[test]
fn both_families_wildcard_serves_ipv4_and_ipv6() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let resolved = resolve_in(&site.server, "*:5000").expect("resolve");
    assert_eq!(
        resolved.socket_addrs().collect::<Vec<_>>(),
        [
            v4(Ipv4Addr::UNSPECIFIED, PORT),
            v6(Ipv6Addr::UNSPECIFIED, PORT)
        ]
    );
    assert_eq!(resolved.exposure().reach(), Reach::AllNetworks);
    let networks = network_names(&resolved);
    assert!(
        networks.contains(&"198.18.0.0/16 on veth-srv".to_owned()),
        "{networks:?}"
    );
    assert!(
        networks.contains(&"fd00:71::/64 on veth-srv".to_owned()),
        "{networks:?}"
    );

    let listeners = listen_in(&site.server, "*:5000", &ListenOptions::new());
    assert_eq!(listeners.len(), 2);
    assert_connects(&site.laptop, v4(SERVER_V4, PORT), &listeners);
    assert_connects(&site.laptop, v6(SERVER_V6, PORT), &listeners);
}

#[test]
fn localhost_is_this_machine_only_in_both_families() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let resolved = resolve_in(&site.server, "localhost:5000").expect("resolve");
    assert_eq!(
        resolved.socket_addrs().collect::<Vec<_>>(),
        [v4(Ipv4Addr::LOCALHOST, PORT), v6(Ipv6Addr::LOCALHOST, PORT)]
    );
    assert_eq!(resolved.exposure().reach(), Reach::ThisMachine);
    assert!(resolved.warnings().is_empty(), "{:?}", resolved.warnings());

    let listeners = listen_in(&site.server, "localhost:5000", &ListenOptions::new());
    assert_connects(&site.server, v4(Ipv4Addr::LOCALHOST, PORT), &listeners);
    assert_connects(&site.server, v6(Ipv6Addr::LOCALHOST, PORT), &listeners);
    assert_refused(&site.laptop, v4(SERVER_V4, PORT));
    assert_refused(&site.laptop, v6(SERVER_V6, PORT));
}

#[test]
fn interface_name_binds_all_its_addresses() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let index = site.server.ifindex(SERVER_DEV);
    let link_local = site.server_link_local();
    let resolved = resolve_in(&site.server, "veth-srv:5000").expect("resolve");
    assert_eq!(
        resolved.socket_addrs().collect::<Vec<_>>(),
        [
            v4(SERVER_V4, PORT),
            v6(SERVER_V6, PORT),
            SocketAddr::V6(SocketAddrV6::new(link_local, PORT, 0, index)),
        ]
    );
    assert!(
        resolved
            .addrs()
            .iter()
            .all(|a| a.interface() == Some(SERVER_DEV))
    );
    assert_eq!(resolved.exposure().reach(), Reach::Networks);

    let listeners = listen_in(&site.server, "veth-srv:5000", &ListenOptions::new());
    assert_eq!(listeners.len(), 3);
    assert_connects(&site.laptop, v4(SERVER_V4, PORT), &listeners);
    assert_connects(&site.laptop, v6(SERVER_V6, PORT), &listeners);
    let lap_index = site.laptop.ifindex(LAPTOP_DEV);
    assert_connects(
        &site.laptop,
        SocketAddr::V6(SocketAddrV6::new(link_local, PORT, 0, lap_index)),
        &listeners,
    );
    // Not on lo.
    assert_refused(&site.server, v4(Ipv4Addr::LOCALHOST, PORT));
}

// ---------------------------------------------------------------------------------------------
// IPv6 switched off
// ---------------------------------------------------------------------------------------------

#[test]
fn ipv6_disabled_falls_back_to_ipv4() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    for key in [
        "net.ipv6.conf.all.disable_ipv6",
        "net.ipv6.conf.default.disable_ipv6",
        "net.ipv6.conf.lo.disable_ipv6",
    ] {
        site.server.sysctl(key, "1");
    }
    let snapshot = site.server.run(Interfaces::current).expect("interfaces");
    assert!(!snapshot.has_ipv6(), "{snapshot:?}");

    let resolved = resolve_in(&site.server, "*:5000").expect("resolve");
    assert_eq!(
        resolved.socket_addrs().collect::<Vec<_>>(),
        [v4(Ipv4Addr::UNSPECIFIED, PORT)]
    );
    assert!(
        resolved
            .warnings()
            .iter()
            .any(|w| matches!(w, Warning::NoIpv6 { .. }) && w.kind() == "no_ipv6"),
        "{:?}",
        resolved.warnings()
    );
    let err = resolve_in(&site.server, "[::]:5000").expect_err("[::] without IPv6");
    assert_eq!(err.kind(), ErrorKind::FamilyUnsupported, "{err}");
    let err = resolve_in(&site.server, "[::1]:5000").expect_err("[::1] without IPv6");
    assert_eq!(err.kind(), ErrorKind::FamilyUnsupported, "{err}");

    let listeners = listen_in(&site.server, "*:5000", &ListenOptions::new());
    assert_eq!(listeners.len(), 1);
    assert_connects(&site.laptop, v4(SERVER_V4, PORT), &listeners);

    // The kernel: ::1 is gone, so binding it fails ...
    let raw = raw_bind(&site.server, v6(Ipv6Addr::LOCALHOST, PORT)).expect_err("[::1]");
    assert_eq!(raw.raw_os_error(), Some(EADDRNOTAVAIL), "{raw}");
    // ... but socket(AF_INET6) and a bind (and listen) of [::] still succeed: the family is
    // there, only every address is gone. The crate refuses it before bind instead.
    let any6 = raw_bind(&site.server, v6(Ipv6Addr::UNSPECIFIED, PORT)).expect("raw [::] bind");
    any6.listen(16).expect("raw [::] listen");
    assert_eq!(
        any6.local_addr().ok().and_then(|a| a.as_socket()),
        Some(v6(Ipv6Addr::UNSPECIFIED, PORT))
    );
}

// ---------------------------------------------------------------------------------------------
// The address changes under our feet
// ---------------------------------------------------------------------------------------------

#[test]
fn address_deleted_between_resolve_and_listen() {
    require_netns!();
    // Counts the process's file descriptors: no other test may open or close any meanwhile.
    let _lock = exclusive();
    let site = Site::new();

    // One address.
    site.server.addr_add(SERVER_DEV, "198.18.200.1/16", false);
    let resolved = resolve_in(&site.server, "198.18.200.1:5000").expect("resolve");
    assert_eq!(resolved.exposure().reach(), Reach::Networks);
    site.server.addr_del(SERVER_DEV, "198.18.200.1/16");
    let (before, err, after) = site.server.run(move || {
        let before = fds::count();
        let err = resolved.listen().expect_err("the address is gone");
        (before, err, fds::count())
    });
    let Error::AddrNotAvailable {
        addr,
        phase: Phase::Bind,
        source,
    } = &err
    else {
        panic!("expected AddrNotAvailable at bind, got {err:?}");
    };
    assert_eq!(*addr, v4(Ipv4Addr::new(198, 18, 200, 1), PORT));
    assert_eq!(source.raw_os_error(), Some(EADDRNOTAVAIL));
    assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
    assert_eq!(before, after, "a socket was left open");

    // Several addresses, the last one gone: the sockets bound before it must close too.
    site.server.addr_add(SERVER_DEV, "fd00:71::200/64", true);
    let resolved = resolve_in(&site.server, "veth-srv:5000").expect("resolve");
    let wanted = v6("fd00:71::200".parse().expect("ip"), PORT);
    assert!(resolved.socket_addrs().any(|a| a == wanted));
    site.server.addr_del(SERVER_DEV, "fd00:71::200/64");
    let (before, err, after) = site.server.run(move || {
        let before = fds::count();
        let err = resolved.listen().expect_err("one address is gone");
        (before, err, fds::count())
    });
    assert!(
        matches!(err, Error::AddrNotAvailable { addr, phase: Phase::Bind, .. } if addr == wanted),
        "{err:?}"
    );
    assert_eq!(before, after, "a socket was left open");
    // And the port is free again on the addresses bound before the failure.
    let listeners = listen_in(&site.server, "198.18.71.67:5000", &ListenOptions::new());
    assert_connects(&site.laptop, v4(SERVER_V4, PORT), &listeners);
}

#[test]
fn link_local_without_zone_gets_its_zone() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let link_local = site.server_link_local();
    let spec = format!("[{link_local}]:5000");
    let resolved = resolve_in(&site.server, &spec).expect("resolve");
    let index = site.server.ifindex(SERVER_DEV);
    assert_eq!(
        resolved.socket_addrs().collect::<Vec<_>>(),
        [SocketAddr::V6(SocketAddrV6::new(
            link_local, PORT, 0, index
        ))]
    );
    assert_eq!(resolved.addrs()[0].interface(), Some(SERVER_DEV));
    assert!(
        resolved
            .warnings()
            .iter()
            .any(|w| matches!(w, Warning::LinkLocalOnly { .. })),
        "{:?}",
        resolved.warnings()
    );

    let listeners = site.server.run(move || resolved.listen()).expect("listen");
    let lap_index = site.laptop.ifindex(LAPTOP_DEV);
    assert_connects(
        &site.laptop,
        SocketAddr::V6(SocketAddrV6::new(link_local, PORT, 0, lap_index)),
        &listeners,
    );
}

/// Adds `fd00:72::67/64` to the server with DAD on (3 probes: tentative for about 3-4 s) and
/// `fd00:72::94/64` to the laptop without. Returns the tentative address.
fn add_tentative(site: &Site) -> Ipv6Addr {
    site.server.sysctl("net.ipv6.conf.veth-srv.accept_dad", "1");
    site.server
        .sysctl("net.ipv6.conf.veth-srv.dad_transmits", "3");
    site.laptop.addr_add(LAPTOP_DEV, "fd00:72::94/64", true);
    site.server.addr_add(SERVER_DEV, "fd00:72::67/64", false);
    let addr: Ipv6Addr = "fd00:72::67".parse().expect("ip");
    let shown = site.server.ip(&["-6", "addr", "show", "dev", SERVER_DEV]);
    assert!(
        shown.contains("fd00:72::67/64") && shown.contains("tentative"),
        "{shown}"
    );
    addr
}

/// After DAD: the address binds, and the laptop reaches it.
fn assert_binds_after_dad(site: &Site, addr: Ipv6Addr) {
    site.server
        .wait_not_tentative(SERVER_DEV, Duration::from_secs(30));
    let listeners = listen_in(
        &site.server,
        &format!("[{addr}]:5000"),
        &ListenOptions::new(),
    );
    assert_connects(&site.laptop, v6(addr, PORT), &listeners);
}

/// The kernel's side of a tentative address, from a thread that entered the namespace: bind
/// fails with EADDRNOTAVAIL until DAD is done (the warning: the next test).
#[test]
fn tentative_address_cannot_be_bound() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let addr = add_tentative(&site);

    // resolve accepts it: the address is assigned.
    let resolved = resolve_in(&site.server, &format!("[{addr}]:5000")).expect("resolve");
    let err = site
        .server
        .run(move || resolved.listen())
        .expect_err("tentative");
    assert!(
        matches!(
            err,
            Error::AddrNotAvailable {
                phase: Phase::Bind,
                ..
            }
        ),
        "{err:?}"
    );
    let raw = raw_bind(&site.server, v6(addr, PORT)).expect_err("raw bind of a tentative addr");
    assert_eq!(raw.raw_os_error(), Some(EADDRNOTAVAIL), "{raw}");
    assert_binds_after_dad(&site, addr);
}

/// The crate's prediction from a thread in the namespace: a `Tentative` warning. This needs
/// `/proc/thread-self/net/if_inet6`: `/proc/net` shows the main thread's namespace.
#[test]
fn tentative_address_warns_then_bind_fails_thread() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let addr = add_tentative(&site);
    let resolved = resolve_in(&site.server, &format!("[{addr}]:5000")).expect("resolve");
    assert!(
        resolved.warnings().contains(&Warning::Tentative {
            addr: IpAddr::V6(addr),
            interface: SERVER_DEV.to_owned(),
        }),
        "{:?}",
        resolved.warnings()
    );
    let err = site
        .server
        .run(move || resolved.listen())
        .expect_err("tentative");
    assert_eq!(err.kind(), ErrorKind::AddrNotAvailable, "{err}");
}

/// The same prediction where the whole process lives in the namespace, as a real service
/// does: this binary re-runs itself under `ip netns exec` for
/// [`child_tentative_address_in_whole_process`].
#[test]
fn tentative_address_whole_process() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let addr = add_tentative(&site);
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new("ip")
        .args(["netns", "exec", site.server.name()])
        .arg(exe)
        .args([
            "--exact",
            "child_tentative_address_in_whole_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, addr.to_string())
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("CHILD-OK"),
        "child did not run:\n{stdout}\n{stderr}"
    );
    assert_binds_after_dad(&site, addr);
}

/// Runs only as [`tentative_address_whole_process`]'s child (inside the server namespace, the
/// whole process); a no-op otherwise.
#[test]
fn child_tentative_address_in_whole_process() {
    let Ok(addr) = std::env::var(CHILD_ENV) else {
        return;
    };
    let addr: Ipv6Addr = addr.parse().expect("child address");
    let resolved = target(&format!("[{addr}]:5000"))
        .resolve()
        .expect("resolve");
    assert!(
        resolved.warnings().contains(&Warning::Tentative {
            addr: IpAddr::V6(addr),
            interface: SERVER_DEV.to_owned(),
        }),
        "{:?}",
        resolved.warnings()
    );
    let err = resolved.listen().expect_err("tentative");
    assert!(
        matches!(
            err,
            Error::AddrNotAvailable {
                phase: Phase::Bind,
                ..
            }
        ),
        "{err:?}"
    );
    println!("CHILD-OK");
}

// ---------------------------------------------------------------------------------------------
// SO_BINDTODEVICE
// ---------------------------------------------------------------------------------------------

#[test]
fn bind_device_admits_only_its_interface() {
    require_netns!();
    let _lock = shared();
    let mut site = Site::new();
    site.add("far");
    let far = &site.extra[0];
    veth(&site.server, "veth-srv2", far, "veth-far");
    site.server.addr_add("veth-srv2", "198.19.0.1/24", false);
    far.addr_add("veth-far", "198.19.0.2/24", false);
    far.ip(&["route", "add", "198.18.0.0/16", "via", "198.19.0.1"]);
    let remote = v4(SERVER_V4, PORT);

    // With SO_BINDTODEVICE: only what arrives on veth-srv.
    let options = ListenOptions::new().bind_device(true);
    let device_bound = listen_in(&site.server, "198.18.71.67:5000", &options);
    assert_eq!(
        SockRef::from(&device_bound.sockets()[0])
            .device()
            .expect("device")
            .as_deref(),
        Some(SERVER_DEV.as_bytes())
    );
    assert_connects(&site.laptop, remote, &device_bound);
    // No listener matches a SYN that came in on veth-srv2: the kernel answers with a RST.
    assert_refused(far, remote);

    // Without it, Linux accepts a packet for any local address on any interface. (Port 5001:
    // re-binding 5000 right after closing its listener races with other tests' fork+exec,
    // whose child briefly holds a copy of every descriptor.)
    let remote = v4(SERVER_V4, PORT + 1);
    let unbound = listen_in(&site.server, "198.18.71.67:5001", &ListenOptions::new());
    assert_eq!(
        SockRef::from(&unbound.sockets()[0])
            .device()
            .expect("device"),
        None
    );
    assert_connects(far, remote, &unbound);
    assert_connects(&site.laptop, remote, &unbound);
}

// ---------------------------------------------------------------------------------------------
// Pinned source ports through a firewall
// ---------------------------------------------------------------------------------------------

/// TCP to port 5000 only from source ports 40000-40010; the rest to 5000 is dropped.
const FIREWALL: &str = r#"
table inet bp {
    chain input {
        type filter hook input priority filter; policy accept;
        iif "lo" accept
        ct state established,related accept
        tcp dport 5000 tcp sport 40000-40010 accept
        tcp dport 5000 drop
    }
}
"#;

/// A LAN whose server runs [`FIREWALL`] and listens on `198.18.71.67:5000`, and whose laptop
/// picks ephemeral ports outside 40000-40010 (so an unpinned connect never slips through).
fn firewalled() -> (Site, Listeners) {
    let site = Site::new();
    site.server.nft(FIREWALL);
    site.laptop
        .sysctl("net.ipv4.ip_local_port_range", "50000 60000");
    let listeners = listen_in(&site.server, "198.18.71.67:5000", &ListenOptions::new());
    (site, listeners)
}

#[test]
fn firewall_admits_the_pinned_port() {
    require_netns!();
    let _lock = shared();
    let (site, listeners) = firewalled();
    let remote = v4(SERVER_V4, PORT);
    let stream = crate_connect(&site.laptop, "port:40000", remote, IO_TIMEOUT).expect("connect");
    let local = stream.local_addr().expect("local");
    assert_eq!(local, v4(LAPTOP_V4, 40000));
    let peer = assert_accepts(&listeners, remote, local);
    assert_eq!(peer.port(), 40000);
}

#[test]
fn firewall_drops_an_unpinned_source() {
    require_netns!();
    let _lock = shared();
    let (site, _listeners) = firewalled();
    let remote = v4(SERVER_V4, PORT);
    let timeout = Duration::from_secs(1);
    for source in ["*:0", "port:0"] {
        let err = crate_connect(&site.laptop, source, remote, timeout)
            .expect_err("the firewall drops it");
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{source}: {err}");
        assert!(
            matches!(err, Error::TimedOut { timeout: Some(t), remote: r, .. } if t == timeout && r == remote),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("firewall"), "{message}");
    }
}

/// `connect_tokio` honours `Connector::timeout` as the blocking connect does: the dropped SYN
/// ends in `timed_out` naming the timeout, per attempt, and a range's attempts stop there
/// (a time-out is no busy port).
#[cfg(feature = "tokio")]
#[test]
fn firewall_drops_an_unpinned_source_tokio() {
    require_netns!();
    let _lock = shared();
    let (site, _listeners) = firewalled();
    let remote = v4(SERVER_V4, PORT);
    let timeout = Duration::from_millis(400);
    for source in ["*:0", "port:0", "port:41000-41009"] {
        let connector = target(source).connector().timeout(timeout);
        let err = site
            .laptop
            .run(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(connector.connect_tokio(remote))
            })
            .expect_err("the firewall drops it");
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{source}: {err}");
        assert!(
            matches!(err, Error::TimedOut { timeout: Some(t), remote: r, .. } if t == timeout && r == remote),
            "{source}: {err:?}"
        );
        // Our deadline ended it, not the kernel's SYN retries (about two minutes).
        let cause = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            cause.as_deref(),
            Some("connect() did not finish in 400ms"),
            "{source}"
        );
    }
}

/// No route to the remote's network (the laptop has only its /16): `network_unreachable`,
/// naming both ends; and a firewall that rejects with ICMP host-unreachable:
/// `host_unreachable`. Neither is a busy port, so a range stops at the first.
#[test]
fn unreachable_networks_and_hosts_are_typed() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let off_link = v4(Ipv4Addr::new(198, 19, 7, 7), PORT);
    for source in ["*:0", "port:41000-41009"] {
        let err = crate_connect(&site.laptop, source, off_link, IO_TIMEOUT)
            .expect_err("no route to 198.19.0.0/16");
        assert_eq!(err.kind(), ErrorKind::NetworkUnreachable, "{source}: {err}");
        assert!(
            matches!(err, Error::NetworkUnreachable { remote, .. } if remote == off_link),
            "{err:?}"
        );
    }
    site.server.nft(
        "table inet bp {\n\
             chain input {\n\
                 type filter hook input priority 0;\n\
                 tcp dport 5000 reject with icmp host-unreachable\n\
             }\n\
         }\n",
    );
    let remote = v4(SERVER_V4, PORT);
    for source in ["*:0", "port:41000-41009"] {
        let err = crate_connect(&site.laptop, source, remote, IO_TIMEOUT)
            .expect_err("the server rejects with host-unreachable");
        assert_eq!(err.kind(), ErrorKind::HostUnreachable, "{source}: {err}");
        assert!(
            matches!(err, Error::HostUnreachable { remote: r, .. } if r == remote),
            "{err:?}"
        );
    }
}

#[test]
fn firewall_range_skips_a_held_port() {
    require_netns!();
    let _lock = shared();
    let (site, listeners) = firewalled();
    let remote = v4(SERVER_V4, PORT);
    // 40000 held by a socket bound without SO_REUSEADDR: the crate moves on in the range.
    let _holder = raw_bind(&site.laptop, v4(Ipv4Addr::UNSPECIFIED, 40000)).expect("hold 40000");
    let stream =
        crate_connect(&site.laptop, "port:40000-40010", remote, IO_TIMEOUT).expect("connect");
    let local = stream.local_addr().expect("local");
    assert!((40001..=40010).contains(&local.port()), "{local}");
    assert_eq!(
        assert_accepts(&listeners, remote, local).port(),
        local.port()
    );
}

#[test]
fn firewall_range_ends_on_the_last_free_port() {
    require_netns!();
    let _lock = shared();
    let (site, listeners) = firewalled();
    let remote = v4(SERVER_V4, PORT);
    // Every port but the last held: wherever the random start falls, it ends on 40010.
    let _holders: Vec<Socket> = (40000..40010)
        .map(|p| raw_bind(&site.laptop, v4(Ipv4Addr::UNSPECIFIED, p)).expect("hold"))
        .collect();
    let stream =
        crate_connect(&site.laptop, "port:40000-40010", remote, IO_TIMEOUT).expect("connect");
    let local = stream.local_addr().expect("local");
    assert_eq!(local.port(), 40010);
    assert_eq!(assert_accepts(&listeners, remote, local).port(), 40010);
}

/// Which holders of port 40000 stop the crate's pinned bind (which sets SO_REUSEADDR)? Linux
/// lets two SO_REUSEADDR sockets share a port as long as neither listens.
#[test]
fn which_holders_block_a_pinned_port() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let listeners = listen_in(&site.server, "198.18.71.67:5000", &ListenOptions::new());
    let remote = v4(SERVER_V4, PORT);
    let hold = |port: u16, reuse: bool, listen: bool| {
        site.laptop.run(move || {
            let s = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
            s.set_reuse_address(reuse).expect("SO_REUSEADDR");
            s.bind(&SockAddr::from(v4(Ipv4Addr::UNSPECIFIED, port)))
                .expect("hold the port");
            if listen {
                s.listen(1).expect("listen");
            }
            s
        })
    };
    // (source port, holder has SO_REUSEADDR, holder listens, the crate's bind fails). One
    // port per case: re-binding a port right after closing its holder races with other tests'
    // fork+exec, whose child briefly holds a copy of every descriptor.
    let mut kept = Vec::new();
    for (port, reuse, listen, blocks) in [
        (40000, false, false, true),
        (40001, false, true, true),
        (40002, true, true, true),
        (40003, true, false, false),
    ] {
        let holder = hold(port, reuse, listen);
        let result = crate_connect(&site.laptop, &format!("port:{port}"), remote, IO_TIMEOUT);
        match (&result, blocks) {
            (Err(err), true) => assert!(
                matches!(
                    err,
                    Error::AddrInUse {
                        phase: Phase::Bind,
                        ..
                    }
                ),
                "reuse={reuse} listen={listen}: {err:?}"
            ),
            (Ok(stream), false) => {
                let local = stream.local_addr().expect("local");
                assert_eq!(local.port(), port);
                assert_accepts(&listeners, remote, local);
            }
            _ => panic!("reuse={reuse} listen={listen}: expected blocks={blocks}, got {result:?}"),
        }
        kept.push((holder, result));
    }
}

/// A pinned port equal to the remote's port is no self-connect when the remote is another
/// host: the laptop connects from port 5000 to the server's port 5000.
#[test]
fn a_pinned_port_equal_to_a_remote_port_elsewhere_connects() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let listeners = listen_in(&site.server, &format!("*:{PORT}"), &ListenOptions::new());
    let remote = v4(SERVER_V4, PORT);
    let stream = crate_connect(&site.laptop, &format!("port:{PORT}"), remote, IO_TIMEOUT)
        .expect("another host's port 5000 is no self-connect");
    assert_eq!(stream.local_addr().unwrap(), v4(LAPTOP_V4, PORT));
    drop(listeners);
}

/// A wildcard source toward one of this machine's own addresses, on that same port, with
/// nothing listening: the kernel would connect the socket to itself (TCP simultaneous open).
/// The plan cannot see it (the remote is no loopback address); the check after connect() does.
#[test]
fn a_self_connect_through_an_own_address_is_caught_after_connect() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let remote = v4(SERVER_V4, 5999);
    let err = crate_connect(&site.server, "port:5999", remote, IO_TIMEOUT)
        .expect_err("the socket would be connected to itself");
    assert_eq!(err.kind(), ErrorKind::SelfConnect, "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "refusing to connect from {remote} to {remote}: the remote is this machine on the \
             pinned source port, so the socket would connect to itself; pin another source port"
        )
    );
}

/// An interface source picks, of the interface's addresses in the remote's family, a global
/// one toward a global remote and the link-local one toward a link-local remote, preferring
/// an address DAD has cleared; a tentative one is used only when nothing else is left, and
/// its failure is typed.
#[test]
fn an_interface_source_picks_the_address_the_remote_needs() {
    require_netns!();
    let _lock = shared();
    let site = Site::new();
    let listeners = listen_in(&site.server, &format!("*:{PORT}"), &ListenOptions::new());
    let source = format!("{LAPTOP_DEV}:0");
    let global = v6(SERVER_V6, PORT);
    let stream = crate_connect(&site.laptop, &source, global, IO_TIMEOUT).expect("global");
    assert_eq!(stream.local_addr().unwrap().ip(), IpAddr::V6(LAPTOP_V6));
    let link_local = SocketAddr::V6(SocketAddrV6::new(
        site.server_link_local(),
        PORT,
        0,
        site.laptop.ifindex(LAPTOP_DEV),
    ));
    let stream = crate_connect(&site.laptop, &source, link_local, IO_TIMEOUT).expect("ll");
    assert_eq!(
        stream.local_addr().unwrap().ip(),
        IpAddr::V6(site.laptop_link_local())
    );
    // A second global address, kept tentative (DAD on, 60 probes a second apart): listed
    // first, it is passed over for the one DAD has cleared.
    site.laptop
        .sysctl(&format!("net.ipv6.conf.{LAPTOP_DEV}.accept_dad"), "1");
    site.laptop
        .sysctl(&format!("net.ipv6.conf.{LAPTOP_DEV}.dad_transmits"), "60");
    site.laptop.addr_add(LAPTOP_DEV, "fd00:71::95/64", false);
    let stream = crate_connect(&site.laptop, &source, global, IO_TIMEOUT).expect("cleared");
    assert_eq!(stream.local_addr().unwrap().ip(), IpAddr::V6(LAPTOP_V6));
    // Only the tentative one left in the family's globals: it is chosen (the link-local one
    // would not do toward a global remote), and cannot be bound yet.
    site.laptop
        .ip(&["addr", "del", "fd00:71::94/64", "dev", LAPTOP_DEV]);
    let err = crate_connect(&site.laptop, &source, global, IO_TIMEOUT)
        .expect_err("the only global address is tentative");
    assert_eq!(err.kind(), ErrorKind::AddrNotAvailable, "{err}");
    assert!(err.to_string().contains("fd00:71::95"), "{err}");
    drop(listeners);
}
