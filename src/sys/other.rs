//! Platforms without rtnetlink or /proc: interfaces and addresses from if-addrs, nothing
//! beyond what it reports.

use std::io;
use std::net::{IpAddr, SocketAddr};

use super::{AddrRow, Ask, LinkRow, MachineRows};

/// Every interface and address, whatever was asked: getifaddrs(3) (GetAdaptersAddresses on
/// Windows) lists them all in one call. Interface state is its running flag; no DAD state is
/// known (macOS and the BSDs do not expose it cheaply; Windows' list skips such addresses).
pub(crate) fn read(_asks: &[Ask<'_>]) -> io::Result<MachineRows> {
    let mut rows = MachineRows {
        complete: true,
        ..MachineRows::default()
    };
    for row in if_addrs::get_if_addrs()? {
        let (ip, prefix_len) = match &row.addr {
            if_addrs::IfAddr::V4(v4) => (IpAddr::V4(v4.ip), v4.prefixlen),
            if_addrs::IfAddr::V6(v6) => (IpAddr::V6(v6.ip), v6.prefixlen),
        };
        // Rows are grouped by name: some platforms give no index (0 then).
        let running = row.is_oper_up();
        let index = match rows.links.iter_mut().find(|l| l.name == row.name) {
            Some(link) => {
                link.up |= running;
                link.carrier |= running;
                link.index
            }
            None => {
                let index = row.index.unwrap_or(0);
                rows.links.push(LinkRow {
                    index,
                    name: row.name.clone(),
                    up: running,
                    carrier: running,
                    loopback: row.is_loopback(),
                });
                index
            }
        };
        rows.addrs.push(AddrRow {
            index,
            ip,
            prefix_len,
            tentative: false,
            optimistic: false,
            dad_failed: false,
            deprecated: false,
            label: None,
        });
    }
    Ok(rows)
}

/// Unknown here: non-local binding is Linux's sysctl.
pub(crate) fn nonlocal_bind() -> (bool, bool) {
    (false, false)
}

/// IP_BIND_ADDRESS_NO_PORT is Linux-only; elsewhere a port-0 bind reserves a port, as usual.
pub(crate) fn set_bind_address_no_port(_socket: &socket2::Socket) -> io::Result<()> {
    Ok(())
}

/// Unknown: no /proc to read; the error says how to look.
pub(crate) fn port_holder(_addr: SocketAddr, _tcp: bool) -> Option<super::HolderRow> {
    None
}

/// Unknown.
pub(crate) fn holder_among(
    _addr: SocketAddr,
    _tcp: bool,
    _rows: Vec<super::SocketRow>,
) -> Option<super::HolderRow> {
    None
}

/// IP_LOCAL_PORT_RANGE is Linux's (6.3); the user-space port search runs elsewhere.
pub(crate) fn set_local_port_range(
    _socket: &socket2::Socket,
    _lo: u16,
    _hi: u16,
) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "IP_LOCAL_PORT_RANGE",
    ))
}

/// Unknown.
pub(crate) fn ephemeral_ports() -> Option<super::EphemeralRow> {
    None
}

/// No namespaces to tell apart.
pub(crate) fn netns_id() -> Option<u64> {
    None
}

/// Unknown: the connect paths then report a busy pinned 4-tuple as TIME_WAIT, the usual cause.
pub(crate) fn sockets_on_ports(_lo: u16, _hi: u16, _tcp: bool) -> Vec<super::SocketRow> {
    Vec::new()
}

/// Every Unix but Linux has the classic fixed limit; Windows has none.
pub(crate) fn unprivileged_port_start() -> Option<u16> {
    if cfg!(unix) { Some(1024) } else { None }
}

/// Unknown: no privileged-port warning is given.
pub(crate) fn port_privilege(_port: Option<u16>) -> Option<(u16, bool)> {
    None
}

/// Unknown: IPv6 is taken to be on (an IPv6-only target waits, then times out).
pub(crate) fn ipv6_disabled() -> bool {
    false
}
