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
//! | `read(asks)` | the [`MachineRows`] the [`Ask`]s need: links, addresses with their DAD flags, local routes |
//! | `nonlocal_bind()` | `(net.ipv4.ip_nonlocal_bind, net.ipv6.ip_nonlocal_bind)`; `(false, false)` where unknown |
//! | `port_privilege(port)` | `(ip_unprivileged_port_start, holds CAP_NET_BIND_SERVICE)`, read only as far as `port` needs |
//! | `unprivileged_port_start()` | the first unprivileged port, to explain an EACCES |
//! | `sockets_on_ports(lo, hi, tcp)` | every [`SocketRow`] (TCP or UDP, both families, every state) on a local port in `lo..=hi`: sock_diag filtered in the kernel, or /proc/net where sock_diag is missing; empty where unknown |
//! | `port_holder(addr, tcp)` | the [`HolderRow`] (socket, pid, command) that conflicts with binding `addr`: a listener first, then a bound or connected socket, then a TIME_WAIT entry; `None` where unknown |
//! | `holder_among(addr, tcp, rows)` | the same choice over rows already read (one lookup serves a whole range's verdict) |
//! | `set_bind_address_no_port(socket)` | IP_BIND_ADDRESS_NO_PORT where it exists; a no-op elsewhere |
//! | `set_local_port_range(socket, lo, hi)` | IP_LOCAL_PORT_RANGE (Linux 6.3): connect() picks a port in `lo..=hi` that makes the 4-tuple unique; an `io::Error` (ENOPROTOOPT, or `Unsupported` off Linux) where missing |
//! | `ephemeral_ports()` | the [`EphemeralRow`]: `ip_local_port_range` and `ip_local_reserved_ports`; `None` where unknown |
//! | `SOCKETS_LISTED` | whether `sockets_on_ports` knows (an empty answer is then "none") |
//! | `netns_id()` | the inode of this thread's network namespace, to key facts cached per namespace; `None` off Linux |
//! | [`LINUX_LOCAL_RULES`] | whether the loopback-prefix and directed-broadcast rules hold |
//! | `watch()` | a [`Watch`] on link and address changes: rtnetlink events (RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR) on Linux, whose `next(timeout)` polls its socket and answers [`Event`] `Changed`, `Resync` (ENOBUFS: events were lost) or `Timeout`; elsewhere `next` sleeps `POLL_INTERVAL` (250 ms) and answers `Changed` (watch.rs) |
//! | `ipv6_disabled()` | whether IPv6 is off in this namespace (no /proc/sys/net/ipv6, or `conf.all.disable_ipv6=1`); `false` where unknown |
//! | `wait_readable(sockets)` | blocks until one of `sockets` is readable and says which; `None`: no safe poll here (poll.rs: poll(2) on Unix, `None` on Windows) |
//! | `HAS_POLL` | whether `wait_readable` waits; without it the merged accept tries each socket nonblocking, pausing between rounds |
//! | `ACCEPT_INHERITS_NONBLOCKING` | whether accept(2) is known to copy O_NONBLOCK to the new socket (BSDs, macOS, Windows; not Linux or Android) |
//! | `take_listen_fds(first, count)` | the fds a service manager handed over, each a socket or what it is instead: fstat(2) S_IFSOCK through /dev/fd, then listenfd's safe take (SO_TYPE, getsockname, FD_CLOEXEC); the first fd that is not open ends the list as [`NOT_OPEN`]; empty off Unix |
//! | `socket_facts(socket)` | SO_TYPE (stream or datagram), getsockname(2) (family, address, port), IPV6_V6ONLY, SO_ACCEPTCONN (`None` where absent: macOS, OpenBSD), SO_BINDTODEVICE (`None` off Linux) |
//! | `set_cloexec(socket)` | FD_CLOEXEC on Unix; a no-op on Windows |
//! | `own_pidfd_id()` | the pidfs inode of a pidfd of this process (what `LISTEN_PIDFDID` names), through rustix; `None` off Linux or before pidfs (6.9) |
//! | `deployment()` | a `DeploymentRow`: the container marker that fired (`podman (/run/.containerenv)`), why a `/.dockerenv` was discounted, the WSL version, macOS; read at the first call (a few small files of /proc and /, Linux only) and cached per process (deployment.rs states the rules) |
//! | [`MACOS`] | whether this is macOS (AirPlay Receiver holds ports 5000 and 7000 there) |
//!
//! plus, shared by every backend, the socket options of `options.rs` (an `io::Error` of kind
//! `Unsupported` where the OS lacks one) and the errno tests of `errno.rs` (libc's constants,
//! right on every architecture). A backend that cannot know a fact answers `None` or nothing;
//! the kernel's answer to the real syscall stays the authority.
//!
//! Backends: `linux.rs` asks the kernel through rtnetlink (`netlink.rs`) and reads /proc (and
//! uses nix for the options socket2 lacks); `other.rs` enumerates through if-addrs
//! (getifaddrs(3), GetAdaptersAddresses on Windows) and answers "unknown" where the OS has no
//! other source.

use std::net::IpAddr;

mod activation;
mod deployment;
mod errno;
mod options;
mod poll;
mod watch;

pub(crate) use activation::{
    DUPLICATE, NOT_OPEN, SocketFacts, own_pidfd_id, set_cloexec, socket_facts, take_listen_fds,
};
pub(crate) use deployment::{MACOS, deployment};
pub(crate) use errno::{
    is_family_unsupported, is_invalid_argument, is_no_device, is_option_missing,
    is_resource_exhausted,
};
pub(crate) use options::{
    REUSE_ADDRESS_MEANS_TIME_WAIT, bind_device, set_freebind, set_reuse_port,
};
pub(crate) use poll::{ACCEPT_INHERITS_NONBLOCKING, HAS_POLL, wait_readable};
pub(crate) use watch::{Event, watch};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod netlink;
#[cfg(target_os = "linux")]
mod sock_diag;
#[cfg(target_os = "linux")]
pub(crate) use linux::{
    ephemeral_ports, holder_among, ipv6_disabled, netns_id, nonlocal_bind, port_holder,
    port_privilege, read, set_bind_address_no_port, set_local_port_range, sockets_on_ports,
    unprivileged_port_start,
};

#[cfg(not(target_os = "linux"))]
mod other;
#[cfg(not(target_os = "linux"))]
pub(crate) use other::{
    ephemeral_ports, holder_among, ipv6_disabled, netns_id, nonlocal_bind, port_holder,
    port_privilege, read, set_bind_address_no_port, set_local_port_range, sockets_on_ports,
    unprivileged_port_start,
};

/// The kernel's IPv4 rules for what is local beyond the listed addresses (Linux, fib_add_ifaddr
/// and inet_addr_type): an address on a loopback interface makes its whole prefix local
/// (`127.0.0.1/8` on `lo`: all of 127/8), and the directed broadcast of a subnet on an
/// interface that is up binds. macOS and the BSDs need an alias for 127.0.0.2 (`ifconfig lo0
/// alias 127.0.0.2`), and Windows binds only the listed addresses.
pub(crate) const LINUX_LOCAL_RULES: bool = cfg!(target_os = "linux");

/// The kernel-message parsers over arbitrary bytes, for the fuzz targets (cargo-fuzz builds
/// with `--cfg fuzzing`): the rows of one netlink datagram, and the sockets in it.
#[cfg(all(fuzzing, target_os = "linux"))]
pub(crate) fn parse_datagram(bytes: &[u8]) -> (MachineRows, Vec<SocketRow>) {
    netlink::parse_datagram(bytes)
}

/// No netlink here: nothing to parse.
#[cfg(all(fuzzing, not(target_os = "linux")))]
pub(crate) fn parse_datagram(_bytes: &[u8]) -> (MachineRows, Vec<SocketRow>) {
    (MachineRows::default(), Vec::new())
}

/// Whether `sockets_on_ports` can list sockets here (sock_diag or /proc on Linux): where it
/// cannot, an empty answer means "unknown", not "none".
pub(crate) const SOCKETS_LISTED: bool = cfg!(target_os = "linux");

/// What a caller needs to know about the machine: the backend reads that, and no more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ask<'a> {
    /// Every link and address: `Interfaces::current()`.
    Everything,
    /// Every address and the names of their interfaces (a wildcard's exposure). The links'
    /// state is not read: such links are reported up.
    Addresses,
    /// One interface by name, with its addresses.
    Interface(&'a str),
    /// One interface by index (a numeric zone), with its addresses.
    InterfaceIndex(u32),
    /// The interface that carries `ip`, with its addresses, and the local route that covers
    /// `ip` where there is one. Where nothing carries it, everything (the error lists it).
    Address(IpAddr),
    /// The loopback interface, with its addresses.
    Loopback,
}

/// One interface, as the OS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkRow {
    pub(crate) index: u32,
    pub(crate) name: String,
    /// IFF_UP: administratively up.
    pub(crate) up: bool,
    /// IFF_LOWER_UP: the link has carrier.
    pub(crate) carrier: bool,
    /// IFF_LOOPBACK.
    pub(crate) loopback: bool,
}

/// One address of one interface, with its duplicate-address-detection state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AddrRow {
    pub(crate) index: u32,
    pub(crate) ip: IpAddr,
    pub(crate) prefix_len: u8,
    /// IFA_F_TENTATIVE without IFA_F_OPTIMISTIC: the kernel refuses to bind it for now.
    pub(crate) tentative: bool,
    /// IFA_F_OPTIMISTIC: still in DAD, but usable (RFC 4429).
    pub(crate) optimistic: bool,
    /// IFA_F_DADFAILED: a duplicate exists on the link; it never becomes usable.
    pub(crate) dad_failed: bool,
    /// IFA_F_DEPRECATED: new outgoing connections avoid it.
    pub(crate) deprecated: bool,
    /// IFA_LABEL (IPv4 only): the interface's name, or `NAME:ALIAS`.
    pub(crate) label: Option<String>,
}

/// A local or broadcast route: every address it covers binds (an AnyIP route such as `local
/// 198.19.200.0/24 dev lo`, 127.0.0.0/8 on lo, a subnet's broadcast address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalRouteRow {
    pub(crate) dst: IpAddr,
    pub(crate) prefix_len: u8,
    pub(crate) broadcast: bool,
    /// The interface the route names.
    pub(crate) index: Option<u32>,
}

/// One TCP or UDP socket on a local port, as the kernel lists it (sock_diag on Linux, or
/// /proc/net/{tcp,udp}{,6} where sock_diag is missing). IPv4-mapped addresses are given as IPv4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SocketRow {
    pub(crate) local: std::net::SocketAddr,
    /// The peer, for a connected socket (TCP in any state but LISTEN, a connected UDP socket).
    pub(crate) remote: Option<std::net::SocketAddr>,
    /// TCP_* from <net/tcp_states.h> (1 ESTABLISHED, 6 TIME_WAIT, 7 CLOSE: an unconnected
    /// UDP socket or a bound TCP one, 10 LISTEN, ...).
    pub(crate) state: u8,
    /// The socket's inode, to find the process that holds it; 0 for TIME_WAIT (no socket).
    pub(crate) inode: u64,
    pub(crate) uid: u32,
}

/// The namespace's ephemeral ports: `net.ipv4.ip_local_port_range` (`lo..=hi`, which also
/// covers IPv6) and the ranges of `net.ipv4.ip_local_reserved_ports`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EphemeralRow {
    pub(crate) lo: u16,
    pub(crate) hi: u16,
    pub(crate) reserved: Vec<(u16, u16)>,
}

/// The socket [`port_holder`] found, and its process where this user can see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HolderRow {
    pub(crate) socket: SocketRow,
    pub(crate) pid: Option<u32>,
    pub(crate) command: Option<String>,
}

/// What [`read`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MachineRows {
    pub(crate) links: Vec<LinkRow>,
    pub(crate) addrs: Vec<AddrRow>,
    pub(crate) local_routes: Vec<LocalRouteRow>,
    /// Whether `links` and `addrs` hold every interface and address, not only those asked for.
    pub(crate) complete: bool,
}

impl MachineRows {
    /// Adds `other`'s rows that are not here yet.
    pub(crate) fn merge(&mut self, other: MachineRows) {
        if self.links.is_empty() && self.addrs.is_empty() && self.local_routes.is_empty() {
            *self = other;
            return;
        }
        let links: std::collections::HashSet<u32> = self.links.iter().map(|l| l.index).collect();
        self.links.extend(
            other
                .links
                .into_iter()
                .filter(|l| !links.contains(&l.index)),
        );
        let addrs: std::collections::HashSet<(u32, IpAddr)> =
            self.addrs.iter().map(|a| (a.index, a.ip)).collect();
        self.addrs.extend(
            other
                .addrs
                .into_iter()
                .filter(|a| !addrs.contains(&(a.index, a.ip))),
        );
        for route in other.local_routes {
            if !self.local_routes.contains(&route) {
                self.local_routes.push(route);
            }
        }
        self.complete |= other.complete;
    }
}
