//! Fake interface snapshots for `BindTarget::resolve_with`, and what tests read off the result.

#![allow(dead_code)]

use bindpolicy::{Interface, InterfaceAddr, Interfaces, Network, Resolved};

use super::values::{ip, target};

/// The link-local address of the seed's `eth0`.
pub const LINK_LOCAL: &str = "fe80::5054:ff:fe12:3456";

/// An interface address: `addr("192.168.71.67", 24)`.
#[track_caller]
pub fn addr(text: &str, prefix_len: u8) -> InterfaceAddr {
    InterfaceAddr::new(ip(text), prefix_len)
}

/// `lo` (index 1) with 127.0.0.1/8 and ::1/128.
pub fn lo() -> Interface {
    Interface::new("lo", 1)
        .with_addr(addr("127.0.0.1", 8))
        .with_addr(addr("::1", 128))
}

/// The seed snapshot: `lo` with 127.0.0.1/8 and ::1/128, `eth0` (2) with 192.168.71.67/24 and
/// [`LINK_LOCAL`]/64.
pub fn seed() -> Interfaces {
    Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0", 2)
            .with_addr(addr("192.168.71.67", 24))
            .with_addr(addr(LINK_LOCAL, 64)),
    ])
}

/// `spec` resolved against `snapshot`.
#[track_caller]
pub fn resolve(spec: &str, snapshot: &Interfaces) -> Resolved {
    target(spec)
        .resolve_with(snapshot)
        .unwrap_or_else(|e| panic!("{spec} must resolve: {e}"))
}

/// The resolved socket addresses as text, in order.
pub fn socket_addrs(resolved: &Resolved) -> Vec<String> {
    resolved.socket_addrs().map(|a| a.to_string()).collect()
}

/// A network of the exposure: `net("192.168.71.0/24", "eth0")`.
#[track_caller]
pub fn net(cidr: &str, interface: &str) -> Network {
    Network {
        interface: interface.to_owned(),
        net: cidr.parse().expect("CIDR"),
    }
}
