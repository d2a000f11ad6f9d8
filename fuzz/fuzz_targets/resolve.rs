//! `BindTarget::resolve_with` against an arbitrary interface snapshot.
//!
//! The snapshot is realistic in two ways a real one always is: names are unique and indices are
//! unique and non-zero. Everything else is arbitrary: up/down, addresses of both families
//! (biased towards 127.0.0.1, 127/8, ::1, 169.254/16 and a few shared fe80:: addresses),
//! prefix lengths (past 32/128 too), tentative flags, the privileged-port facts. The spec is
//! either arbitrary text or built from the snapshot's names and addresses, so it often resolves.
//!
//! Invariants, on every spec that parses:
//! - resolve_with never panics; on error, the error's Display does not panic either;
//! - every resolved IP is in the snapshot, a wildcard (0.0.0.0, ::) or a loopback address
//!   (127.0.0.0/8 on Linux, 127.0.0.1 elsewhere, ::1);
//! - every resolved port is the target's port (the first port of a `port:` range);
//! - a link-local IPv6 result carries a non-zero scope id, the index of an interface that
//!   carries the address;
//! - a result's interface, where named, is an interface of the snapshot;
//! - the warnings' Display, the exposure's networks and `urls("http")` do not panic.
#![no_main]

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use arbitrary::Arbitrary;
use bindpolicy::{BindTarget, Interface, InterfaceAddr, Interfaces, PortPrivilege, Warning};
use libfuzzer_sys::fuzz_target;

const MAX_INTERFACES: usize = 8;
const MAX_ADDRS: usize = 6;

#[derive(Arbitrary, Debug)]
struct Input {
    interfaces: Vec<IfaceSpec>,
    privilege: Option<(u16, bool)>,
    spec: Spec,
}

#[derive(Arbitrary, Debug)]
struct IfaceSpec {
    name: NameSpec,
    index: u8,
    up: bool,
    addrs: Vec<AddrSpec>,
}

#[derive(Arbitrary, Debug)]
enum NameSpec {
    Lo,
    Eth0,
    Eth0Vlan,
    Wlan0,
    /// 1 to 4 characters of a small alphabet (digits and dots included, so names that the
    /// grammar would read as an IPv4 address or an index appear too).
    Short(u8, [u8; 4]),
    Raw(String),
}

const ALPHABET: &[u8] = b"eth01lo.-_";

impl NameSpec {
    fn build(&self) -> String {
        match self {
            NameSpec::Lo => "lo".into(),
            NameSpec::Eth0 => "eth0".into(),
            NameSpec::Eth0Vlan => "eth0.100".into(),
            NameSpec::Wlan0 => "wlan0".into(),
            NameSpec::Short(len, chars) => chars
                .iter()
                .take(usize::from(len % 4) + 1)
                .map(|c| char::from(ALPHABET[usize::from(*c) % ALPHABET.len()]))
                .collect(),
            NameSpec::Raw(text) => text.chars().take(16).collect(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum AddrSpec {
    V4([u8; 4], u8, bool),
    V6([u8; 16], u8, bool),
    Loopback4,
    Loopback6,
    /// 127.x.y.z.
    Loopback4Block([u8; 3]),
    /// fe80::0 to fe80::3, so that several interfaces share one.
    LinkLocal6(u8, bool),
    /// fe80::/64 with an arbitrary interface identifier.
    LinkLocal6Any(u64, bool),
    /// 169.254.x.y.
    LinkLocal4(u8, u8),
    /// 192.168.71.x/24.
    Private4(u8),
}

impl AddrSpec {
    fn build(&self) -> InterfaceAddr {
        match *self {
            AddrSpec::V4(octets, prefix, tentative) => {
                InterfaceAddr::new(Ipv4Addr::from(octets).into(), prefix).with_tentative(tentative)
            }
            AddrSpec::V6(octets, prefix, tentative) => {
                InterfaceAddr::new(Ipv6Addr::from(octets).into(), prefix).with_tentative(tentative)
            }
            AddrSpec::Loopback4 => InterfaceAddr::new(Ipv4Addr::LOCALHOST.into(), 8),
            AddrSpec::Loopback6 => InterfaceAddr::new(Ipv6Addr::LOCALHOST.into(), 128),
            AddrSpec::Loopback4Block([a, b, c]) => {
                InterfaceAddr::new(Ipv4Addr::new(127, a, b, c).into(), 8)
            }
            AddrSpec::LinkLocal6(x, tentative) => InterfaceAddr::new(
                Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(x % 4)).into(),
                64,
            )
            .with_tentative(tentative),
            AddrSpec::LinkLocal6Any(id, tentative) => InterfaceAddr::new(
                Ipv6Addr::from((0xfe80_u128 << 112) | u128::from(id)).into(),
                64,
            )
            .with_tentative(tentative),
            AddrSpec::LinkLocal4(c, d) => {
                InterfaceAddr::new(Ipv4Addr::new(169, 254, c, d).into(), 16)
            }
            AddrSpec::Private4(d) => InterfaceAddr::new(Ipv4Addr::new(192, 168, 71, d).into(), 24),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Spec {
    Raw(String),
    Keyword(u8, u16),
    /// An interface of the snapshot (by position), or "nope0" when there is none.
    Name(u8, u16),
    /// An address of the snapshot (by position), with a zone.
    Addr(u8, ZoneSpec, u16),
    Ports(u16, u16),
}

#[derive(Arbitrary, Debug)]
enum ZoneSpec {
    None,
    /// The carrier's name.
    OwnName,
    /// The carrier's index.
    OwnIndex,
    /// Another interface's name (by position).
    OtherName(u8),
    /// Any index.
    Index(u32),
    Raw(String),
}

const KEYWORDS: &[&str] = &[
    "*",
    "",
    "any",
    "ANY",
    "localhost",
    "loopback",
    "0.0.0.0",
    "[::]",
    "127.0.0.1",
    "127.0.0.2",
    "[::1]",
    "port",
    "lo",
    "eth0",
];

impl Spec {
    fn build(&self, snapshot: &Interfaces) -> String {
        let list: Vec<&Interface> = snapshot.iter().collect();
        let nth = |i: u8| list.get(usize::from(i) % list.len().max(1)).copied();
        match self {
            Spec::Raw(text) => text.clone(),
            Spec::Keyword(k, port) => {
                format!("{}:{port}", KEYWORDS[usize::from(*k) % KEYWORDS.len()])
            }
            Spec::Name(i, port) => match nth(*i) {
                Some(iface) => format!("{}:{port}", iface.name()),
                None => format!("nope0:{port}"),
            },
            Spec::Addr(i, zone, port) => {
                let addrs: Vec<(&Interface, &InterfaceAddr)> = snapshot.addresses().collect();
                let Some((iface, addr)) = addrs.get(usize::from(*i) % addrs.len().max(1)) else {
                    return format!("192.0.2.1:{port}");
                };
                match addr.ip() {
                    IpAddr::V4(v4) => format!("{v4}:{port}"),
                    IpAddr::V6(v6) => {
                        let zone = match zone {
                            ZoneSpec::None => String::new(),
                            ZoneSpec::OwnName => format!("%{}", iface.name()),
                            ZoneSpec::OwnIndex => format!("%{}", iface.index().unwrap_or(0)),
                            ZoneSpec::OtherName(j) => {
                                format!("%{}", nth(*j).map_or("nope0", |i| i.name()))
                            }
                            ZoneSpec::Index(index) => format!("%{index}"),
                            ZoneSpec::Raw(text) => format!("%{text}"),
                        };
                        format!("[{v6}{zone}]:{port}")
                    }
                }
            }
            Spec::Ports(first, last) => format!("port:{first}-{last}"),
        }
    }
}

fn snapshot(input: &Input) -> Interfaces {
    let mut names = BTreeSet::new();
    let mut indices = BTreeSet::new();
    let mut list = Vec::new();
    for spec in input.interfaces.iter().take(MAX_INTERFACES) {
        let name = spec.name.build();
        if !names.insert(name.clone()) {
            continue;
        }
        // Unique and non-zero, as the OS's are.
        let mut index = u32::from(spec.index).max(1);
        while !indices.insert(index) {
            index += 1;
        }
        let mut iface = Interface::new(name, index).with_up(spec.up);
        for addr in spec.addrs.iter().take(MAX_ADDRS) {
            iface = iface.with_addr(addr.build());
        }
        list.push(iface);
    }
    let snapshot = Interfaces::from_interfaces(list);
    match input.privilege {
        Some((unprivileged_port_start, can_bind_privileged)) => {
            snapshot.with_port_privilege(PortPrivilege {
                unprivileged_port_start,
                can_bind_privileged,
            })
        }
        None => snapshot,
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) if cfg!(target_os = "linux") => v4.is_loopback(),
        IpAddr::V4(v4) => v4 == Ipv4Addr::LOCALHOST,
        IpAddr::V6(v6) => v6 == Ipv6Addr::LOCALHOST,
    }
}

fuzz_target!(|input: Input| {
    let snapshot = snapshot(&input);
    let spec = input.spec.build(&snapshot);
    let target = match spec.parse::<BindTarget>() {
        Ok(target) => target,
        Err(err) => {
            let _ = err.to_string();
            return;
        }
    };
    let resolved = match target.resolve_with(&snapshot) {
        Ok(resolved) => resolved,
        Err(err) => {
            let _ = err.to_string();
            let _ = err.kind();
            return;
        }
    };
    assert_eq!(resolved.target(), &target);
    let port = target.port();
    for resolved_addr in resolved.addrs() {
        let addr = resolved_addr.addr();
        let ip = addr.ip();
        assert_eq!(
            addr.port(),
            port,
            "{spec:?} resolved to {addr} with another port"
        );
        let in_snapshot = snapshot.addresses().any(|(_, a)| a.ip() == ip);
        // The kernel's rules beyond the listed addresses: a local route covers it, or a
        // warning says why it binds anyway (no IPv4 local table at all, ip_nonlocal_bind).
        let routed = snapshot.local_routes().iter().any(|r| r.net().contains(&ip));
        let warned = resolved.warnings().iter().any(|w| {
            matches!(w, Warning::NoLocalTable | Warning::NonlocalBind { .. })
        });
        assert!(
            in_snapshot || ip.is_unspecified() || is_loopback(ip) || routed || warned,
            "{spec:?} resolved to {addr}, which is not in the snapshot {snapshot:?}"
        );
        if let SocketAddr::V6(v6) = addr {
            if v6.ip().is_unicast_link_local() {
                let scope = v6.scope_id();
                assert_ne!(scope, 0, "{spec:?}: link-local {addr} without a scope id");
                assert!(
                    snapshot
                        .carriers(ip)
                        .any(|(iface, _)| iface.index() == Some(scope)),
                    "{spec:?}: link-local {addr} has scope id {scope}, the index of no \
                     interface that carries it, in {snapshot:?}"
                );
            }
        }
        if let Some(name) = resolved_addr.interface() {
            assert!(
                snapshot.get(name).is_some(),
                "{spec:?}: {addr} names interface {name:?}, which is not in the snapshot"
            );
        }
    }
    for warning in resolved.warnings() {
        let _ = warning.to_string();
    }
    let exposure = resolved.exposure();
    let _ = exposure.reach();
    for network in exposure.networks() {
        let _ = network.to_string();
    }
    let _ = exposure.urls("http");
});
