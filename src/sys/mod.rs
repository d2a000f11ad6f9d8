//! The platform seam. Every `cfg(target_os)`/`cfg(unix)`/`cfg(windows)` decision of the crate
//! lives under this module (tests/layers.rs fails the build otherwise), so the layers above
//! read the same on every OS.
//!
//! # Contract
//!
//! `sys` speaks std types, socket2's `Socket`, libc's constants and plain data only: it never
//! imports a type of the crate, and the crate's types are built from its answers above it.
//! Every backend provides each item below with the same signature:
//!
//! | item | answers |
//! |---|---|
//! | [`enumerate`] | every interface address: [`IfAddrRow`]s in the OS's order (if-addrs, shared) |
//! | `interface_is_up(name)` | IFF_UP of an interface without an address or carrier; `None`: unknown |
//! | `tentative_ipv6()` | IPv6 addresses still in duplicate address detection, with their interface index |
//! | `port_privilege(port)` | `(ip_unprivileged_port_start, holds CAP_NET_BIND_SERVICE)`, read only as far as `port` needs |
//! | `unprivileged_port_start()` | the first unprivileged port, to explain an EACCES |
//! | `port_holder(addr, tcp)` | `(pid, command, bound address)` of the socket that conflicts with binding `addr` |
//! | `tuple_is_live(port, remote)` | whether a socket from local `port` to `remote` is open; `None`: unknown |
//! | `set_bind_address_no_port(socket)` | IP_BIND_ADDRESS_NO_PORT where it exists; a no-op elsewhere |
//! | [`WHOLE_LOOPBACK_BLOCK_IS_LOCAL`] | whether every 127/8 address binds without an alias |
//! | `wait_readable(sockets)` | blocks until one of `sockets` is readable and says which; `None`: no safe poll here (poll.rs: poll(2) on Unix, `None` on Windows) |
//! | `HAS_POLL` | whether `wait_readable` waits; without it the merged accept tries each socket nonblocking, pausing between rounds |
//! | `ACCEPT_INHERITS_NONBLOCKING` | whether accept(2) copies O_NONBLOCK to the new socket (not on Linux) |
//!
//! plus, shared by every backend, the socket options of `options.rs` (an `io::Error` of kind
//! `Unsupported` where the OS lacks one) and the errno tests of `errno.rs` (libc's constants,
//! right on every architecture). A backend that cannot know a fact answers `None` or nothing;
//! the kernel's answer to the real syscall stays the authority.
//!
//! Backends: `linux.rs` reads /proc and /sys (and uses nix for the options socket2 lacks);
//! `other.rs` answers "unknown" where the OS has no such source.

use std::io;
use std::net::IpAddr;

mod errno;
mod options;
mod poll;

pub(crate) use errno::{is_family_unsupported, is_invalid_argument, is_no_device};
pub(crate) use options::{
    REUSE_ADDRESS_MEANS_TIME_WAIT, bind_device, set_freebind, set_reuse_port,
};
pub(crate) use poll::{ACCEPT_INHERITS_NONBLOCKING, HAS_POLL, wait_readable};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::{
    interface_is_up, port_holder, port_privilege, set_bind_address_no_port, tentative_ipv6,
    tuple_is_live, unprivileged_port_start,
};

#[cfg(not(target_os = "linux"))]
mod other;
#[cfg(not(target_os = "linux"))]
pub(crate) use other::{
    interface_is_up, port_holder, port_privilege, set_bind_address_no_port, tentative_ipv6,
    tuple_is_live, unprivileged_port_start,
};

/// Linux routes all of 127.0.0.0/8 to `lo` (a `local` route), so 127.0.0.2 binds without being
/// listed on any interface; macOS and the BSDs need an alias first (`ifconfig lo0 alias
/// 127.0.0.2`), and Windows binds only the listed 127.0.0.1.
pub(crate) const WHOLE_LOOPBACK_BLOCK_IS_LOCAL: bool = cfg!(target_os = "linux");

/// One address of one interface, as the OS lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IfAddrRow {
    /// The interface's name.
    pub(crate) name: String,
    /// The interface's index, where the OS gives one.
    pub(crate) index: Option<u32>,
    /// The address.
    pub(crate) ip: IpAddr,
    /// Its prefix length.
    pub(crate) prefix_len: u8,
    /// Whether the interface is running (IFF_RUNNING, or the OS's equivalent).
    pub(crate) running: bool,
}

/// Every interface address, through if-addrs (getifaddrs(3), or GetAdaptersAddresses on
/// Windows), link-local ones included.
pub(crate) fn enumerate() -> io::Result<Vec<IfAddrRow>> {
    Ok(if_addrs::get_if_addrs()?
        .into_iter()
        .map(|row| {
            let (ip, prefix_len) = match &row.addr {
                if_addrs::IfAddr::V4(v4) => (IpAddr::V4(v4.ip), v4.prefixlen),
                if_addrs::IfAddr::V6(v6) => (IpAddr::V6(v6.ip), v6.prefixlen),
            };
            IfAddrRow {
                running: row.is_oper_up(),
                name: row.name,
                index: row.index,
                ip,
                prefix_len,
            }
        })
        .collect())
}
