//! Linux: interfaces, addresses and local routes from rtnetlink (`netlink.rs`), the rest from
//! /proc. Each /proc reader returns `None` (or nothing) when the file is missing or malformed;
//! the kernel's answer to the real syscall stays the authority.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::netlink::Rtnl;
use super::{Ask, LinkRow, MachineRows};

/// CAP_NET_BIND_SERVICE from <linux/capability.h>.
const CAP_NET_BIND_SERVICE: u32 = 10;
/// LOOPBACK_IFINDEX from <net/net_namespace.h>: every namespace's `lo` is index 1.
const LOOPBACK_INDEX: u32 = 1;

/// The rows the asks need, through one rtnetlink socket in this thread's namespace.
pub(crate) fn read(asks: &[Ask<'_>]) -> io::Result<MachineRows> {
    let mut rtnl = Rtnl::open()?;
    let mut rows = if asks.contains(&Ask::Everything) {
        everything(&mut rtnl)?
    } else {
        MachineRows::default()
    };
    for ask in asks {
        if rows.complete {
            // Everything is read; an address may still be local through a route no address
            // implies (AnyIP).
            if let Ask::Address(ip) = *ask {
                rows.local_routes.extend(rtnl.local_route(ip)?);
            }
            continue;
        }
        let more = match *ask {
            Ask::Everything => everything(&mut rtnl)?,
            Ask::Addresses => addresses(&mut rtnl)?,
            Ask::Interface(name) => match rtnl.link_by_name(name)? {
                Some(link) => one_link(&mut rtnl, link)?,
                // The error names the interfaces there are.
                None => everything(&mut rtnl)?,
            },
            Ask::InterfaceIndex(index) => match rtnl.link_by_index(index)? {
                Some(link) => one_link(&mut rtnl, link)?,
                None => everything(&mut rtnl)?,
            },
            Ask::Loopback => match rtnl.link_by_index(LOOPBACK_INDEX)? {
                Some(link) if link.loopback => {
                    let rows = one_link(&mut rtnl, link)?;
                    // Without 127.0.0.1 (lo never up) whether IPv4 binds at all depends on
                    // every other address: read them.
                    if rows.addrs.iter().any(|a| a.ip.is_ipv4()) {
                        rows
                    } else {
                        everything(&mut rtnl)?
                    }
                }
                _ => everything(&mut rtnl)?,
            },
            Ask::Address(ip) => address(&mut rtnl, ip)?,
        };
        rows.merge(more);
    }
    Ok(rows)
}

/// One dump of links and one of addresses.
fn everything(rtnl: &mut Rtnl) -> io::Result<MachineRows> {
    Ok(MachineRows {
        links: rtnl.links()?,
        addrs: rtnl.addrs(None, None)?,
        local_routes: Vec::new(),
        complete: true,
    })
}

/// One link and its addresses: a dump filtered in the kernel.
fn one_link(rtnl: &mut Rtnl, link: LinkRow) -> io::Result<MachineRows> {
    Ok(MachineRows {
        addrs: rtnl.addrs(None, Some(link.index))?,
        links: vec![link],
        local_routes: Vec::new(),
        complete: false,
    })
}

/// Every address, and names for their interfaces from the IPv4 labels (a label is the
/// interface's name, or `NAME:ALIAS`; names never hold ':'); a link message only for an
/// interface without an IPv4 address. A link dump costs about four address dumps, and a
/// wildcard needs no link's state.
fn addresses(rtnl: &mut Rtnl) -> io::Result<MachineRows> {
    let addrs = rtnl.addrs(None, None)?;
    // One pass: each interface's name from its first labelled address.
    let mut names: std::collections::HashMap<u32, Option<&str>> = std::collections::HashMap::new();
    for addr in &addrs {
        let label = addr.label.as_deref().and_then(|l| l.split(':').next());
        let name = names.entry(addr.index).or_insert(None);
        if name.is_none() {
            *name = label;
        }
    }
    let mut links: Vec<LinkRow> = Vec::with_capacity(names.len());
    let mut unnamed = Vec::new();
    for addr in &addrs {
        match names.remove(&addr.index) {
            Some(Some(name)) => links.push(LinkRow {
                index: addr.index,
                name: name.to_owned(),
                up: true,
                carrier: true,
                loopback: addr.index == LOOPBACK_INDEX,
            }),
            Some(None) => unnamed.push(addr.index),
            None => {} // listed already
        }
    }
    for index in unnamed {
        links.extend(rtnl.link_by_index(index)?);
    }
    Ok(MachineRows {
        links,
        addrs,
        local_routes: Vec::new(),
        complete: false,
    })
}

/// The kernel's verdict on `ip` (its local or broadcast route), and the interface that
/// carries it. A link-local address may be on several links, and one that is not local needs
/// the whole list for its error: both read everything.
fn address(rtnl: &mut Rtnl, ip: IpAddr) -> io::Result<MachineRows> {
    let link_local = matches!(ip, IpAddr::V6(v6) if v6.is_unicast_link_local());
    if link_local {
        return everything(rtnl);
    }
    let Some(route) = rtnl.local_route(ip)? else {
        return everything(rtnl);
    };
    let link = match route.index {
        Some(index) => rtnl.link_by_index(index)?,
        None => None,
    };
    let Some(link) = link else {
        return everything(rtnl).map(|mut rows| {
            rows.local_routes.push(route);
            rows
        });
    };
    let mut rows = one_link(rtnl, link)?;
    rows.local_routes.push(route);
    Ok(rows)
}

/// `(net.ipv4.ip_nonlocal_bind, net.ipv6.ip_nonlocal_bind)` of this thread's namespace
/// (/proc/sys/net follows the reading thread's namespace).
pub(crate) fn nonlocal_bind() -> (bool, bool) {
    let on = |path: &str| read_proc(path).is_some_and(|text| text.trim() == "1");
    (
        on("/proc/sys/net/ipv4/ip_nonlocal_bind"),
        on("/proc/sys/net/ipv6/ip_nonlocal_bind"),
    )
}

/// Whether IPv6 is off in this namespace: the kernel has no IPv6 (`ipv6.disable=1` at boot:
/// no /proc/sys/net/ipv6) or `net.ipv6.conf.all.disable_ipv6` is 1. No address appears then,
/// however long one waits.
pub(crate) fn ipv6_disabled() -> bool {
    match read_proc("/proc/sys/net/ipv6/conf/all/disable_ipv6") {
        Some(text) => text.trim() == "1",
        None => !std::path::Path::new("/proc/sys/net/ipv6").exists(),
    }
}

/// A file of the calling thread's network namespace: /proc/net is the main thread's, which
/// differs from the caller's after a setns(2) on one thread (a namespace-hopping test, or a
/// program that serves several namespaces). /proc/thread-self exists since Linux 3.17.
fn read_net_file(name: &str) -> Option<String> {
    read_proc(&format!("/proc/thread-self/net/{name}"))
        .or_else(|| read_proc(&format!("/proc/net/{name}")))
}

/// A /proc file in as few syscalls as it takes: open, page-sized reads, close.
/// (`fs::read_to_string` first asks the size, which procfs reports as 0, then reads in
/// growing chunks from 32 bytes: twice the syscalls for /proc/self/status.) A read that
/// leaves the page part empty is the last one: procfs files this size come whole.
fn read_proc(path: &str) -> Option<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) if n < chunk.len() / 2 && bytes.is_empty() => {
                bytes.extend_from_slice(chunk.get(..n)?);
                break;
            }
            Ok(n) => bytes.extend_from_slice(chunk.get(..n)?),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    String::from_utf8(bytes).ok()
}

/// `(net.ipv4.ip_unprivileged_port_start, CAP_NET_BIND_SERVICE in the effective set)`.
///
/// For `Some(port)` it reads only what that port needs: nothing for port 0 (never
/// privileged); the limit whatever the port (it is per namespace, and may be above 1024); the
/// capability only for a port below the limit (`false` is reported otherwise: not read, and
/// not needed). For `None` (every fact, `Interfaces::current()`) it reads both.
pub(crate) fn port_privilege(port: Option<u16>) -> Option<(u16, bool)> {
    if port == Some(0) {
        return None;
    }
    let start = unprivileged_port_start()?;
    let needed = port.is_none_or(|p| p < start);
    Some((
        start,
        needed && has_capability(CAP_NET_BIND_SERVICE).unwrap_or(false),
    ))
}

/// Whether the effective capability set holds `cap`, from /proc/self/status.
fn has_capability(cap: u32) -> Option<bool> {
    let status = read_proc("/proc/self/status")?;
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))?
        .trim();
    let caps = u64::from_str_radix(hex, 16).ok()?;
    Some(caps.checked_shr(cap).is_some_and(|bits| bits & 1 == 1))
}

/// `(pid, command, bound address)` of the process whose socket conflicts with binding `addr`,
/// from /proc/net and /proc/PID/fd.
///
/// Reads the socket tables for the sockets bound to the port (listening ones for TCP) that
/// could conflict with `addr`, best match first: the same address, then a wildcard of the
/// same family (or `addr` is one), then the other family's wildcard (a dual-stack `[::]`).
/// Then it looks for a file descriptor that points at one of their inodes. Only processes of
/// the same user are visible without root; `None` when nothing is found.
pub(crate) fn port_holder(addr: SocketAddr, tcp: bool) -> Option<(u32, String, SocketAddr)> {
    let port = addr.port();
    let tables: [(&str, bool); 2] = if tcp {
        [("tcp", false), ("tcp6", true)]
    } else {
        [("udp", false), ("udp6", true)]
    };
    let mut sockets: Vec<(u64, SocketAddr)> = Vec::new();
    for (name, v6) in tables {
        if let Some(text) = read_net_file(name) {
            sockets.extend(parse_socket_table(&text, port, v6, tcp));
        }
    }
    let mut sockets: Vec<(u8, u64, SocketAddr)> = sockets
        .into_iter()
        .filter_map(|(inode, local)| conflict_rank(addr, local).map(|rank| (rank, inode, local)))
        .collect();
    sockets.sort_by_key(|(rank, ..)| *rank);
    let best_rank = sockets.first()?.0;
    let mut found: Option<(u8, (u32, String, SocketAddr))> = None;
    for proc_entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = proc_entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(proc_entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(link) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let Some(inode) = link
                .to_str()
                .and_then(|l| l.strip_prefix("socket:["))
                .and_then(|l| l.strip_suffix(']'))
                .and_then(|l| l.parse::<u64>().ok())
            else {
                continue;
            };
            let Some((rank, _, local)) = sockets.iter().find(|(_, i, _)| *i == inode) else {
                continue;
            };
            if found.as_ref().is_some_and(|(best, _)| best <= rank) {
                continue;
            }
            let command = std::fs::read_to_string(proc_entry.path().join("comm"))
                .map(|c| c.trim().to_owned())
                .unwrap_or_default();
            found = Some((*rank, (pid, command, *local)));
            if *rank == best_rank {
                return found.map(|(_, holder)| holder);
            }
        }
    }
    found.map(|(_, holder)| holder)
}

/// How well a socket bound to `local` explains a bind of `addr` failing: 0 the same address,
/// 1 a wildcard of the same family on either side, 2 the other family's wildcard (dual stack).
fn conflict_rank(addr: SocketAddr, local: SocketAddr) -> Option<u8> {
    let same_family = addr.is_ipv4() == local.is_ipv4();
    let wildcard = addr.ip().is_unspecified() || local.ip().is_unspecified();
    match (addr.ip() == local.ip(), same_family, wildcard) {
        (true, _, _) => Some(0),
        (false, true, true) => Some(1),
        (false, false, true) if addr.is_ipv6() || local.is_ipv6() => Some(2),
        _ => None,
    }
}

/// Whether the TCP 4-tuple from local `port` to `remote` is held by a live connection
/// (`Some(true)`), only by TIME_WAIT (`Some(false)`), or not seen (`None`).
pub(crate) fn tuple_is_live(port: u16, remote: SocketAddr) -> Option<bool> {
    let mut seen = None;
    for (name, v6) in [("tcp", false), ("tcp6", true)] {
        let Some(text) = read_net_file(name) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(peer), Some(state)) =
                (fields.get(1), fields.get(2), fields.get(3))
            else {
                continue;
            };
            let matches = local
                .split_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
                == Some(port)
                && peer.split_once(':').and_then(|(ip, p)| {
                    Some(SocketAddr::new(
                        parse_proc_ip(ip, v6)?,
                        u16::from_str_radix(p, 16).ok()?,
                    ))
                }) == Some(remote);
            if matches {
                // 06 is TCP_TIME_WAIT in include/net/tcp_states.h.
                if *state != "06" {
                    return Some(true);
                }
                seen = Some(false);
            }
        }
    }
    seen
}

/// Rows of /proc/net/{tcp,tcp6,udp,udp6} bound to `port`: `(inode, local address)`. TCP rows
/// count only in LISTEN (state 0A); a connected socket does not block a listener's bind.
fn parse_socket_table(text: &str, port: u16, v6: bool, tcp: bool) -> Vec<(u64, SocketAddr)> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (ip_hex, port_hex) = fields.get(1)?.split_once(':')?;
            if u16::from_str_radix(port_hex, 16).ok()? != port {
                return None;
            }
            if tcp && *fields.get(3)? != "0A" {
                return None;
            }
            let inode = fields.get(9)?.parse::<u64>().ok()?;
            let ip = parse_proc_ip(ip_hex, v6)?;
            Some((inode, SocketAddr::new(ip, port)))
        })
        .collect()
}

/// /proc/net writes addresses as 32-bit words in host byte order.
fn parse_proc_ip(hex: &str, v6: bool) -> Option<IpAddr> {
    if !v6 {
        let word = u32::from_str_radix(hex, 16).ok()?;
        return Some(IpAddr::V4(Ipv4Addr::from(word.to_ne_bytes())));
    }
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(4).enumerate() {
        let word = u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok()?;
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    Some(IpAddr::V6(Ipv6Addr::from(bytes)))
}

/// IP_BIND_ADDRESS_NO_PORT: a bind with port 0 reserves no port; connect picks one for the
/// 4-tuple, so many clients pinned to one source address share the ephemeral range.
pub(crate) fn set_bind_address_no_port(socket: &socket2::Socket) -> std::io::Result<()> {
    nix::sys::socket::setsockopt(
        socket,
        nix::sys::socket::sockopt::IpBindAddressNoPort,
        &true,
    )
    .map_err(std::io::Error::from)
}

/// `net.ipv4.ip_unprivileged_port_start`, read when explaining an EACCES.
pub(crate) fn unprivileged_port_start() -> Option<u16> {
    read_proc("/proc/sys/net/ipv4/ip_unprivileged_port_start")?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn socket_tables_parse_in_host_order() {
        let text = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1
   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1
";
        assert_eq!(
            parse_socket_table(text, 8080, false, true),
            vec![(4242, "127.0.0.1:8080".parse().unwrap())]
        );
        assert_eq!(
            parse_proc_ip("00000000000000000000000001000000", true),
            Some("::1".parse().unwrap())
        );
    }
}
