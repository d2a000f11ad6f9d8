//! Platforms without /proc: nothing beyond what if-addrs reports is known.

use std::net::{Ipv6Addr, SocketAddr};

/// IP_BIND_ADDRESS_NO_PORT is Linux-only; elsewhere a port-0 bind reserves a port, as usual.
pub(crate) fn set_bind_address_no_port(_socket: &socket2::Socket) -> std::io::Result<()> {
    Ok(())
}

/// Unknown: no /proc to read; the error says how to look.
pub(crate) fn port_holder(_addr: SocketAddr, _tcp: bool) -> Option<(u32, String, SocketAddr)> {
    None
}

/// Unknown: a busy pinned 4-tuple is reported as TIME_WAIT, the usual cause.
pub(crate) fn tuple_is_live(_port: u16, _remote: SocketAddr) -> Option<bool> {
    None
}

/// Every Unix but Linux has the classic fixed limit; Windows has none.
pub(crate) fn unprivileged_port_start() -> Option<u16> {
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
pub(crate) fn port_privilege(_port: Option<u16>) -> Option<(u16, bool)> {
    None
}
