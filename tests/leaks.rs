//! Every error path of listen, bind_udp, connect and connect_udp leaves the process's file
//! descriptor count (the entries of /proc/self/fd) as it was.
//!
//! The fd count is process-wide and libtest runs the tests of one binary in parallel threads,
//! so this file holds exactly one `#[test]`, which runs each case in turn. Each case sets up
//! what makes the library fail (a held port, a fake interface snapshot, ...), then measures the
//! count right before and right after the failing call, and asserts the error's kind so that
//! a case cannot pass by not failing. A second measurement around the whole case (set-up and
//! tear-down included) catches a socket the library keeps alive elsewhere.
//!
//! Cases that cannot be built on this machine are skipped with their reason, printed to stderr.

mod support;
use support::fds;
use support::ports::free_port;
use support::random::random_u64;
use support::values::{sa, target};

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::time::{Duration, Instant};

use bindpolicy::{
    BindPolicy, Error, ErrorKind, Interface, InterfaceAddr, Interfaces, ListenConfig,
    ListenOptions, Phase,
};

use support::netns::{Netns, netns_available};

/// The outcome of one case that did not fail.
enum Done {
    Checked,
    Skipped(String),
}

type Case = Result<Done, String>;

/// A named case, run in turn by the one test.
type NamedCase = (&'static str, fn() -> Case);

/// Runs `call`, which must fail with `kind`, and checks that the fd count right after equals
/// the count right before. Returns the error for further checks.
/// An error with a stable kind: `Error`, and `ConfigError` for the listen-section cases.
trait Kinded: std::fmt::Display {
    fn kind(&self) -> ErrorKind;
}

impl Kinded for Error {
    fn kind(&self) -> ErrorKind {
        Error::kind(self)
    }
}

impl Kinded for bindpolicy::ConfigError {
    fn kind(&self) -> ErrorKind {
        bindpolicy::ConfigError::kind(self)
    }
}

fn failing<T, E: Kinded>(
    what: &str,
    kind: ErrorKind,
    call: impl FnOnce() -> Result<T, E>,
) -> Result<E, String> {
    let before = fds::count();
    let result = call();
    let err = match result {
        Ok(_) => return Err(format!("{what}: expected {kind}, but it succeeded")),
        Err(err) => err,
    };
    let after = fds::count();
    if err.kind() != kind {
        return Err(format!(
            "{what}: expected {kind}, got {} ({err})",
            err.kind()
        ));
    }
    if before != after {
        return Err(format!(
            "{what}: {kind} leaked fds: {before} open before the call, {after} after ({err})"
        ));
    }
    Ok(err)
}

/// A closed TCP port on 127.0.0.1: nothing listens there, so connect is refused.
fn closed_remote() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()))
}

/// `n` consecutive ports held on 0.0.0.0 by `hold`, below the kernel's ephemeral range so that
/// no other test's port-0 bind lands in them. Returns the first port and the holders.
fn hold_range<H>(
    n: u16,
    hold: impl Fn(u16) -> std::io::Result<H>,
) -> Result<(u16, Vec<H>), String> {
    for _ in 0..100 {
        let base = 20_000 + u16::try_from(random_u64() % 10_000).unwrap_or(0);
        let held: std::io::Result<Vec<H>> = (base..base + n).map(&hold).collect();
        if let Ok(held) = held {
            return Ok((base, held));
        }
    }
    Err(format!(
        "found no {n} consecutive free ports in 20000-30000"
    ))
}

fn has_ipv6_loopback() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

fn read_sysctl(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

/// Whether this process may bind ports below `ip_unprivileged_port_start`.
fn can_bind_privileged() -> bool {
    const CAP_NET_BIND_SERVICE: u32 = 10;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        })
        .is_none_or(|caps| (caps >> CAP_NET_BIND_SERVICE) & 1 == 1)
}

// ---------------------------------------------------------------------------------------------
// listen (TCP)
// ---------------------------------------------------------------------------------------------

fn listen_not_listenable() -> Case {
    failing("listen port:40000", ErrorKind::NotListenable, || {
        target("port:40000").listen()
    })?;
    Ok(Done::Checked)
}

fn listen_addr_in_use_single() -> Case {
    let holder = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = holder.local_addr().map_err(|e| e.to_string())?.port();
    let err = failing("listen on a held port", ErrorKind::AddrInUse, || {
        target(&format!("127.0.0.1:{port}")).listen()
    })?;
    match err {
        Error::AddrInUse {
            addr,
            phase: Phase::Bind,
            ..
        } if addr == SocketAddr::from((Ipv4Addr::LOCALHOST, port)) => Ok(Done::Checked),
        other => Err(format!("listen on a held port: wrong details: {other:?}")),
    }
}

/// `localhost:P` with [::1]:P held (V6ONLY on): 127.0.0.1:P binds, then ::1 fails, and the
/// first socket must be closed with the error.
fn listen_addr_in_use_second_address() -> Case {
    if !has_ipv6_loopback() {
        return Ok(Done::Skipped("this machine has no ::1".into()));
    }
    for _ in 0..20 {
        // The library sets IPV6_V6ONLY on, so the holder covers [::1] only.
        let holder = target("[::1]:0").listen().map_err(|e| e.to_string())?;
        let port = holder.port();
        // 127.0.0.1:P must be free for the first bind to succeed; retry another port if not.
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
            continue;
        }
        let err = failing(
            "listen localhost with ::1 held",
            ErrorKind::AddrInUse,
            || target(&format!("localhost:{port}")).listen(),
        )?;
        return match err {
            Error::AddrInUse { addr, .. } if addr == sa(&format!("[::1]:{port}")) => {
                // All or nothing: 127.0.0.1:P was closed again.
                TcpListener::bind((Ipv4Addr::LOCALHOST, port))
                    .map(|_| Done::Checked)
                    .map_err(|e| format!("127.0.0.1:{port} still bound after the error: {e}"))
            }
            other => Err(format!(
                "listen localhost with ::1 held: the error should name [::1]:{port}: {other:?}"
            )),
        };
    }
    Err("no port with [::1] free and 127.0.0.1 free in 20 tries".into())
}

/// A snapshot that claims 198.18.99.1 (TEST-NET benchmark range, not on this machine).
fn fake_snapshot(index: u32, addrs: &[(&str, u8)]) -> Interfaces {
    let mut iface = Interface::new("bpfake0", index);
    for (ip, prefix) in addrs {
        iface = iface.with_addr(InterfaceAddr::new(ip.parse().expect("test ip"), *prefix));
    }
    Interfaces::from_interfaces([iface])
}

fn listen_addr_not_available() -> Case {
    let snapshot = fake_snapshot(4242, &[("198.18.99.1", 24)]);
    let err = failing(
        "listen a vanished address",
        ErrorKind::AddrNotAvailable,
        || target("198.18.99.1:0").resolve_with(&snapshot)?.listen(),
    )?;
    match err {
        Error::AddrNotAvailable {
            phase: Phase::Bind, ..
        } => Ok(Done::Checked),
        other => Err(format!(
            "listen a vanished address: not from bind: {other:?}"
        )),
    }
}

/// An interface target whose second address (in bind order) is gone: the first socket, on
/// 127.0.0.1, binds and must be closed again.
fn listen_addr_not_available_second_address() -> Case {
    let snapshot = fake_snapshot(4242, &[("198.18.99.1", 24), ("127.0.0.1", 8)]);
    let resolved = target("bpfake0:0")
        .resolve_with(&snapshot)
        .map_err(|e| e.to_string())?;
    let order: Vec<SocketAddr> = resolved.socket_addrs().collect();
    if order.first() != Some(&sa("127.0.0.1:0")) {
        return Err(format!(
            "expected 127.0.0.1 to bind first, the plan is {order:?}"
        ));
    }
    failing(
        "listen an interface whose second address is gone",
        ErrorKind::AddrNotAvailable,
        || resolved.listen(),
    )?;
    Ok(Done::Checked)
}

/// A link-local address whose zone resolves to index 0 reaches bind() without a scope id:
/// Linux says EINVAL, classified as zone_required.
fn listen_zone_required_at_bind() -> Case {
    let snapshot = fake_snapshot(0, &[("fe80::1", 64)]);
    let resolved = target("[fe80::1]:0")
        .resolve_with(&snapshot)
        .map_err(|e| e.to_string())?;
    let err = failing(
        "listen link-local without scope id",
        ErrorKind::ZoneRequired,
        || resolved.listen(),
    )?;
    match err {
        Error::ZoneRequired {
            source: Some(_), ..
        } => Ok(Done::Checked),
        other => Err(format!("zone_required did not come from bind(): {other:?}")),
    }
}

/// SO_BINDTODEVICE to an interface the snapshot has and the kernel does not: the socket fails
/// at setsockopt, before bind.
fn listen_bind_device_missing() -> Case {
    let snapshot = fake_snapshot(4242, &[("127.0.0.1", 8)]);
    let resolved = target("bpfake0:0")
        .resolve_with(&snapshot)
        .map_err(|e| e.to_string())?;
    let options = ListenOptions::new().bind_device(true);
    let before = fds::count();
    let err = match resolved.listen_with(&options) {
        Ok(_) => return Err("SO_BINDTODEVICE to a missing interface succeeded".into()),
        Err(err) => err,
    };
    let after = fds::count();
    // Without CAP_NET_RAW an unprivileged process may get EPERM first.
    if !matches!(
        err.kind(),
        ErrorKind::InterfaceNotFound | ErrorKind::PermissionDenied
    ) {
        return Err(format!(
            "SO_BINDTODEVICE to a missing interface: expected interface_not_found, got {err:?}"
        ));
    }
    if before != after {
        return Err(format!(
            "SO_BINDTODEVICE failure leaked fds: {before} -> {after}"
        ));
    }
    Ok(Done::Checked)
}

fn listen_permission_denied() -> Case {
    let start: u16 = read_sysctl("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    if can_bind_privileged() || start <= 1 {
        return Ok(Done::Skipped(format!(
            "this process may bind privileged ports (CAP_NET_BIND_SERVICE, or \
             ip_unprivileged_port_start={start}), so permission_denied cannot happen"
        )));
    }
    failing(
        "listen a privileged port",
        ErrorKind::PermissionDenied,
        || target(&format!("127.0.0.1:{}", start - 1)).listen(),
    )?;
    Ok(Done::Checked)
}

// ---------------------------------------------------------------------------------------------
// bind_udp
// ---------------------------------------------------------------------------------------------

fn udp_not_listenable() -> Case {
    failing("bind_udp port:40000", ErrorKind::NotListenable, || {
        target("port:40000").bind_udp()
    })?;
    Ok(Done::Checked)
}

fn udp_addr_in_use_single() -> Case {
    let holder = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = holder.local_addr().map_err(|e| e.to_string())?.port();
    failing("bind_udp on a held port", ErrorKind::AddrInUse, || {
        target(&format!("127.0.0.1:{port}")).bind_udp()
    })?;
    Ok(Done::Checked)
}

fn udp_addr_in_use_second_address() -> Case {
    if !has_ipv6_loopback() {
        return Ok(Done::Skipped("this machine has no ::1".into()));
    }
    for _ in 0..20 {
        let holder = target("[::1]:0").bind_udp().map_err(|e| e.to_string())?;
        let port = holder.port();
        if UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
            continue;
        }
        let err = failing(
            "bind_udp localhost with ::1 held",
            ErrorKind::AddrInUse,
            || target(&format!("localhost:{port}")).bind_udp(),
        )?;
        return match err {
            Error::AddrInUse { addr, .. } if addr == sa(&format!("[::1]:{port}")) => {
                UdpSocket::bind((Ipv4Addr::LOCALHOST, port))
                    .map(|_| Done::Checked)
                    .map_err(|e| format!("UDP 127.0.0.1:{port} still bound after the error: {e}"))
            }
            other => Err(format!("bind_udp localhost with ::1 held: {other:?}")),
        };
    }
    Err("no UDP port with [::1] free and 127.0.0.1 free in 20 tries".into())
}

fn udp_addr_not_available() -> Case {
    let snapshot = fake_snapshot(4242, &[("198.18.99.1", 24), ("127.0.0.1", 8)]);
    failing(
        "bind_udp an interface whose second address is gone",
        ErrorKind::AddrNotAvailable,
        || target("bpfake0:0").resolve_with(&snapshot)?.bind_udp(),
    )?;
    Ok(Done::Checked)
}

// ---------------------------------------------------------------------------------------------
// connect (TCP) and connect_udp
// ---------------------------------------------------------------------------------------------

fn connect_family_mismatch() -> Case {
    failing("connect v4 source to v6", ErrorKind::FamilyMismatch, || {
        target("127.0.0.1:0").connect(sa("[::1]:9"))
    })?;
    failing(
        "connect_udp v6 source to v4",
        ErrorKind::FamilyMismatch,
        || target("[::]:0").connect_udp(sa("127.0.0.1:9")),
    )?;
    Ok(Done::Checked)
}

/// The plan refuses a loopback remote on the pinned port before any socket exists.
fn connect_self_connect_planned() -> Case {
    let port = free_port();
    failing("connect to itself (plan)", ErrorKind::SelfConnect, || {
        target(&format!("port:{port}")).connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
    })?;
    Ok(Done::Checked)
}

/// A non-loopback address of this machine on the pinned port passes the plan; the kernel's
/// simultaneous open connects the socket to itself, and the library must close it.
fn self_connect_at_runtime(local: Ipv4Addr, port: u16) -> Case {
    let remote = SocketAddr::from((local, port));
    failing(
        "connect to itself (runtime)",
        ErrorKind::SelfConnect,
        || target(&format!("port:{port}")).connect_timeout(remote, Duration::from_secs(3)),
    )?;
    Ok(Done::Checked)
}

fn connect_self_connect_runtime() -> Case {
    if netns_available().is_ok() {
        // Own namespace: a fresh port space and an address that is certainly not loopback.
        let ns = Netns::new("leak-self");
        ns.addr_add("lo", "198.18.5.1/32", false);
        return ns.run(|| self_connect_at_runtime(Ipv4Addr::new(198, 18, 5, 1), 5001));
    }
    let interfaces = Interfaces::current().map_err(|e| e.to_string())?;
    let local = interfaces.addresses().find_map(|(_, a)| match a.ip() {
        std::net::IpAddr::V4(v4) if !v4.is_loopback() && !v4.is_link_local() => Some(v4),
        _ => None,
    });
    match local {
        Some(local) => self_connect_at_runtime(local, free_port()),
        None => Ok(Done::Skipped(
            "no network namespaces and no non-loopback IPv4 address to connect to".into(),
        )),
    }
}

fn connect_refused() -> Case {
    let remote = closed_remote();
    failing(
        "connect to a closed port",
        ErrorKind::ConnectionRefused,
        || target("127.0.0.1:0").connect(remote),
    )?;
    let source = free_port();
    failing(
        "connect from a pinned port to a closed port",
        ErrorKind::ConnectionRefused,
        || target(&format!("port:{source}")).connect(remote),
    )?;
    let (base, held) = hold_range(4, |p| UdpSocket::bind((Ipv4Addr::UNSPECIFIED, p)))?;
    // A UDP hold does not block TCP: the range's first try reaches connect and is refused.
    failing(
        "connect from a range to a closed port",
        ErrorKind::ConnectionRefused,
        || target(&format!("port:{base}-{}", base + 3)).connect(remote),
    )?;
    drop(held);
    Ok(Done::Checked)
}

fn connect_addr_in_use_single() -> Case {
    let holder = TcpListener::bind("0.0.0.0:0").map_err(|e| e.to_string())?;
    let port = holder.local_addr().map_err(|e| e.to_string())?.port();
    let remote = closed_remote();
    let err = failing("connect from a held port", ErrorKind::AddrInUse, || {
        target(&format!("port:{port}")).connect(remote)
    })?;
    match err {
        Error::AddrInUse {
            phase: Phase::Bind, ..
        } => Ok(Done::Checked),
        other => Err(format!(
            "connect from a held port: not from bind: {other:?}"
        )),
    }
}

fn connect_range_exhausted() -> Case {
    let (base, held) = hold_range(4, |p| TcpListener::bind((Ipv4Addr::UNSPECIFIED, p)))?;
    let remote = closed_remote();
    let err = failing(
        "connect from a held range",
        ErrorKind::PortRangeExhausted,
        || target(&format!("port:{base}-{}", base + 3)).connect(remote),
    )?;
    drop(held);
    match err {
        Error::PortRangeExhausted {
            attempts: 4, last, ..
        } if last.kind() == ErrorKind::AddrInUse => Ok(Done::Checked),
        other => Err(format!(
            "connect from a held range: wrong details: {other:?}"
        )),
    }
}

fn connect_addr_not_available() -> Case {
    failing(
        "connect from an address not here",
        ErrorKind::AddrNotAvailable,
        || target("198.18.99.1:0").connect(closed_remote()),
    )?;
    Ok(Done::Checked)
}

fn connect_zone_required() -> Case {
    if !has_ipv6_loopback() {
        return Ok(Done::Skipped("this machine has no ::1".into()));
    }
    failing(
        "connect from link-local without zone",
        ErrorKind::ZoneRequired,
        || target("[fe80::1]:0").connect(sa("[::1]:9")),
    )?;
    Ok(Done::Checked)
}

/// Connect from `port:PORT`, close it client first (the client's 4-tuple enters TIME_WAIT),
/// and connect again from the same port to the same listener.
fn time_wait_case(port: u16) -> Case {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let remote = listener.local_addr().map_err(|e| e.to_string())?;
    let source = target(&format!("port:{port}"));
    let client = source.connect(remote).map_err(|e| e.to_string())?;
    let (server, _) = listener.accept().map_err(|e| e.to_string())?;
    drop(client);
    drop(server);
    // FIN_WAIT2 or TIME_WAIT: both hold the 4-tuple, and both fail the same way.
    failing("connect again over TIME_WAIT", ErrorKind::TimeWait, || {
        source.connect(remote)
    })?;
    Ok(Done::Checked)
}

fn connect_time_wait() -> Case {
    let host = read_sysctl("/proc/sys/net/ipv4/tcp_timestamps");
    if host.as_deref() == Some("0") {
        return time_wait_case(free_port());
    }
    if let Err(reason) = netns_available() {
        return Ok(Done::Skipped(format!(
            "net.ipv4.tcp_timestamps={} here, so a new connection takes over TIME_WAIT, and no \
             namespace to turn it off in: {reason}",
            host.unwrap_or_default()
        )));
    }
    // tcp_timestamps is per namespace: turn it off in a namespace of our own.
    let ns = Netns::new("leak-tw");
    ns.sysctl("net.ipv4.tcp_timestamps", "0");
    ns.run(|| time_wait_case(40_000))
}

fn udp_connect_errors() -> Case {
    let holder = UdpSocket::bind("0.0.0.0:0").map_err(|e| e.to_string())?;
    let port = holder.local_addr().map_err(|e| e.to_string())?.port();
    let remote = sa("127.0.0.1:9");
    failing("connect_udp from a held port", ErrorKind::AddrInUse, || {
        target(&format!("port:{port}")).connect_udp(remote)
    })?;
    let (base, held) = hold_range(4, |p| UdpSocket::bind((Ipv4Addr::UNSPECIFIED, p)))?;
    failing(
        "connect_udp from a held range",
        ErrorKind::PortRangeExhausted,
        || target(&format!("port:{base}-{}", base + 3)).connect_udp(remote),
    )?;
    drop(held);
    failing(
        "connect_udp from an address not here",
        ErrorKind::AddrNotAvailable,
        || target("198.18.99.1:0").connect_udp(remote),
    )?;
    Ok(Done::Checked)
}

#[cfg(feature = "tokio")]
fn tokio_connect_errors() -> Case {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| e.to_string())?;
    let remote = closed_remote();
    let holder = TcpListener::bind("0.0.0.0:0").map_err(|e| e.to_string())?;
    let held_port = holder.local_addr().map_err(|e| e.to_string())?.port();
    let (base, held) = hold_range(4, |p| TcpListener::bind((Ipv4Addr::UNSPECIFIED, p)))?;
    rt.block_on(async {
        let before = fds::count();
        let cases = [
            ("127.0.0.1:0".to_owned(), ErrorKind::ConnectionRefused),
            (format!("port:{held_port}"), ErrorKind::AddrInUse),
            (
                format!("port:{base}-{}", base + 3),
                ErrorKind::PortRangeExhausted,
            ),
            ("[::1]:0".to_owned(), ErrorKind::FamilyMismatch),
        ];
        for (source, kind) in cases {
            let result = target(&source).connector().connect_tokio(remote).await;
            match result {
                Err(err) if err.kind() == kind => {}
                Err(err) => {
                    return Err(format!(
                        "connect_tokio from {source}: expected {kind}: {err:?}"
                    ));
                }
                Ok(_) => {
                    return Err(format!(
                        "connect_tokio from {source}: expected {kind}, succeeded"
                    ));
                }
            }
        }
        let after = fds::count();
        if before != after {
            return Err(format!(
                "connect_tokio errors leaked fds: {before} -> {after}"
            ));
        }
        Ok(())
    })?;
    drop(held);
    Ok(Done::Checked)
}

// ---------------------------------------------------------------------------------------------
// ListenConfig
// ---------------------------------------------------------------------------------------------

fn config_overlap() -> Case {
    let config = ListenConfig::new([target("*:7001"), target("127.0.0.1:7001")]);
    failing("ListenConfig overlap", ErrorKind::Overlap, || {
        config.listen()
    })?;
    Ok(Done::Checked)
}

fn config_policy() -> Case {
    let mut config = ListenConfig::new([target("127.0.0.1:0"), target("0.0.0.0:0")]);
    config.policy = BindPolicy::local_only();
    failing("ListenConfig policy", ErrorKind::PolicyViolation, || {
        config.listen()
    })?;
    Ok(Done::Checked)
}

/// The first target binds (two sockets for `localhost:0`, one for a fixed port), the last
/// fails: every listener already bound must be closed.
fn config_all_or_nothing() -> Case {
    let holder = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let held = holder.local_addr().map_err(|e| e.to_string())?.port();
    let first = free_port();
    let config = ListenConfig::new([
        target("localhost:0"),
        target(&format!("127.0.0.1:{first}")),
        target(&format!("127.0.0.1:{held}")),
    ]);
    failing(
        "ListenConfig with the last port held",
        ErrorKind::AddrInUse,
        || config.listen(),
    )?;
    TcpListener::bind((Ipv4Addr::LOCALHOST, first))
        .map(|_| Done::Checked)
        .map_err(|e| format!("127.0.0.1:{first} still bound after the config failed: {e}"))
}

#[test]
fn error_paths_leave_the_fd_count_unchanged() {
    // With tokio's `signal` feature (the example servers' Ctrl-C turns it on for every test),
    // the process's first IO-enabled runtime opens tokio's global signal socket pair, which
    // lives until exit: open it before any case counts.
    #[cfg(feature = "tokio")]
    drop(
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("a tokio runtime"),
    );
    let cases: Vec<NamedCase> = vec![
        ("listen not_listenable", listen_not_listenable),
        ("listen addr_in_use (single)", listen_addr_in_use_single),
        (
            "listen addr_in_use (second address)",
            listen_addr_in_use_second_address,
        ),
        ("listen addr_not_available", listen_addr_not_available),
        (
            "listen addr_not_available (second address)",
            listen_addr_not_available_second_address,
        ),
        ("listen zone_required at bind", listen_zone_required_at_bind),
        (
            "listen SO_BINDTODEVICE missing interface",
            listen_bind_device_missing,
        ),
        ("listen permission_denied", listen_permission_denied),
        ("bind_udp not_listenable", udp_not_listenable),
        ("bind_udp addr_in_use (single)", udp_addr_in_use_single),
        (
            "bind_udp addr_in_use (second address)",
            udp_addr_in_use_second_address,
        ),
        ("bind_udp addr_not_available", udp_addr_not_available),
        ("connect family_mismatch", connect_family_mismatch),
        ("connect self_connect (plan)", connect_self_connect_planned),
        (
            "connect self_connect (runtime)",
            connect_self_connect_runtime,
        ),
        ("connect connection_refused", connect_refused),
        (
            "connect addr_in_use (single pinned port)",
            connect_addr_in_use_single,
        ),
        ("connect port_range_exhausted", connect_range_exhausted),
        ("connect addr_not_available", connect_addr_not_available),
        ("connect zone_required", connect_zone_required),
        ("connect time_wait", connect_time_wait),
        ("connect_udp errors", udp_connect_errors),
        #[cfg(feature = "tokio")]
        ("connect_tokio errors", tokio_connect_errors),
        ("ListenConfig overlap", config_overlap),
        ("ListenConfig policy_violation", config_policy),
        ("ListenConfig all or nothing", config_all_or_nothing),
    ];
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for (name, case) in cases {
        let started = Instant::now();
        let before = fds::count();
        // A case that runs in a namespace joins its thread before returning.
        let outcome = case();
        let after = fds::count();
        let took = started.elapsed();
        match outcome {
            Ok(Done::Checked) if before != after => failures.push(format!(
                "{name}: {before} fds before the case, {after} after"
            )),
            Ok(Done::Checked) => eprintln!("ok {name}: {before} fds before and after ({took:?})"),
            Ok(Done::Skipped(reason)) => skipped.push(format!("{name}: {reason}")),
            Err(failure) => failures.push(format!("{name}: {failure}")),
        }
    }
    for skip in &skipped {
        let _ = writeln!(std::io::stderr(), "SKIPPED {skip}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
