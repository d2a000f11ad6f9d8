//! Platforms without /proc: nothing beyond what if-addrs reports is known.

use std::net::Ipv6Addr;

use crate::interfaces::PortPrivilege;

/// Unknown: if-addrs' running flag is all there is.
pub(crate) fn interface_is_up(_name: &str) -> Option<bool> {
    None
}

/// macOS and the BSDs do not expose DAD state cheaply; Windows' if-addrs skips such addresses.
pub(crate) fn tentative_ipv6() -> Vec<(Ipv6Addr, u32)> {
    Vec::new()
}

/// Unknown: no privileged-port warning is given.
pub(crate) fn port_privilege() -> Option<PortPrivilege> {
    None
}

/// Unknown.
pub(crate) fn has_capability(_cap: u32) -> Option<bool> {
    None
}
