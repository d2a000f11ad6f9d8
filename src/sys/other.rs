//! Platforms without /proc: nothing beyond what if-addrs reports is known.

use std::net::Ipv6Addr;

use crate::error::PortHolder;
use crate::interfaces::PortPrivilege;

/// EAFNOSUPPORT: 47 on macOS and the BSDs, WSAEAFNOSUPPORT (10047) on Windows.
#[cfg(windows)]
pub(crate) const EAFNOSUPPORT: i32 = 10047;
#[cfg(not(windows))]
pub(crate) const EAFNOSUPPORT: i32 = 47;
/// ENODEV: 19 on macOS and the BSDs; Windows has no device binding.
pub(crate) const ENODEV: i32 = 19;
/// EINVAL: 22 on macOS and the BSDs, WSAEINVAL (10022) on Windows.
#[cfg(windows)]
pub(crate) const EINVAL: i32 = 10022;
#[cfg(not(windows))]
pub(crate) const EINVAL: i32 = 22;

/// IP_BIND_ADDRESS_NO_PORT is Linux-only; elsewhere a port-0 bind reserves a port, as usual.
pub(crate) fn set_bind_address_no_port(
    _socket: &socket2::Socket,
) -> Result<(), crate::socket::Failure> {
    Ok(())
}

/// Unknown: no /proc to read; the error says how to look.
pub(crate) fn port_holder(_addr: std::net::SocketAddr, _tcp: bool) -> Option<PortHolder> {
    None
}

/// Unknown: a busy pinned 4-tuple is reported as TIME_WAIT, the usual cause.
pub(crate) fn tuple_is_live(_port: u16, _remote: std::net::SocketAddr) -> Option<bool> {
    None
}

/// Unknown.
pub(crate) fn unprivileged_port_start() -> Option<u16> {
    // Every Unix but Linux has the classic fixed limit.
    if cfg!(unix) { Some(1024) } else { None }
}

/// Unknown: if-addrs' running flag is all there is.
pub(crate) fn interface_is_up(_name: &str) -> Option<bool> {
    None
}

/// macOS and the BSDs do not expose DAD state cheaply; Windows' if-addrs skips such addresses.
pub(crate) fn tentative_ipv6() -> Vec<(Ipv6Addr, u32)> {
    Vec::new()
}

/// Unknown: no privileged-port warning is given.
pub(crate) fn port_privilege(_port: Option<u16>) -> Option<PortPrivilege> {
    None
}

/// Unknown.
pub(crate) fn has_capability(_cap: u32) -> Option<bool> {
    None
}
