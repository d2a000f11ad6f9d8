//! Linux: interfaces, addresses and local routes from rtnetlink (`netlink.rs`), the rest from
//! /proc. Each /proc reader returns `None` (or nothing) when the file is missing or malformed;
//! the kernel's answer to the real syscall stays the authority.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use nix::{getsockopt_impl, setsockopt_impl, sockopt_impl};

use super::netlink::Rtnl;
use super::sock_diag;
use super::{Ask, EphemeralRow, HolderRow, LinkRow, MachineRows, SocketRow};

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

/// A /proc file in as few syscalls as it takes, as UTF-8 (see [`read_proc_bytes`]).
fn read_proc(path: &str) -> Option<String> {
    String::from_utf8(read_proc_bytes(path)?).ok()
}

/// A /proc file's bytes in as few syscalls as it takes: open, page-sized reads, close.
/// (`fs::read_to_string` first asks the size, which procfs reports as 0, then reads in
/// growing chunks from 32 bytes: twice the syscalls for /proc/self/status.) A read that
/// leaves the page part empty is the last one: procfs files this size come whole.
pub(crate) fn read_proc_bytes(path: &str) -> Option<Vec<u8>> {
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
    Some(bytes)
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

/// Every TCP (or UDP) socket whose local port lies in `lo..=hi`, of both families and in
/// every state: sock_diag's answer (filtered in the kernel), or /proc/net's tables where the
/// kernel has no sock_diag for the protocol (no `udp_diag`, say).
pub(crate) fn sockets_on_ports(lo: u16, hi: u16, tcp: bool) -> Vec<SocketRow> {
    match sock_diag::sockets(lo, hi, tcp) {
        Ok(rows) => rows,
        Err(_) => proc_sockets(lo, hi, tcp),
    }
}

/// The /proc fallback of [`sockets_on_ports`].
fn proc_sockets(lo: u16, hi: u16, tcp: bool) -> Vec<SocketRow> {
    let tables: [(&str, bool); 2] = if tcp {
        [("tcp", false), ("tcp6", true)]
    } else {
        [("udp", false), ("udp6", true)]
    };
    tables
        .into_iter()
        .filter_map(|(name, v6)| read_net_file(name).map(|text| (text, v6)))
        .flat_map(|(text, v6)| parse_socket_table(&text, lo, hi, v6))
        .collect()
}

/// The socket that makes binding `addr` fail with EADDRINUSE, and its process where this
/// user can see it (every process as root; the same user's otherwise).
///
/// Candidates are the sockets on the port whose address overlaps `addr` (see
/// [`conflict_rank`]), ranked by that, then by state: a listener first, then a bound or
/// connected socket (an ephemeral port a connection took blocks a listener too), then a
/// TIME_WAIT entry (which has no process). The process is found by the socket's inode among
/// /proc/PID/fd, as `ss -p` does.
pub(crate) fn port_holder(addr: SocketAddr, tcp: bool) -> Option<HolderRow> {
    holder_among(addr, tcp, sockets_on_ports(addr.port(), addr.port(), tcp))
}

/// [`port_holder`] over rows already read.
pub(crate) fn holder_among(addr: SocketAddr, tcp: bool, rows: Vec<SocketRow>) -> Option<HolderRow> {
    let port = addr.port();
    let mut candidates: Vec<((u8, u8), SocketRow)> = rows
        .into_iter()
        .filter(|row| row.local.port() == port)
        .filter_map(|row| {
            let rank = conflict_rank(addr, row.local)?;
            Some(((rank, state_rank(row.state, tcp)), row))
        })
        .collect();
    candidates.sort_by_key(|(rank, _)| *rank);
    let (_, best) = candidates.into_iter().next()?;
    let owner = (best.inode != 0).then(|| process_of(best.inode)).flatten();
    Some(HolderRow {
        pid: owner.as_ref().map(|(pid, _)| *pid),
        command: owner.map(|(_, command)| command),
        socket: best,
    })
}

/// A socket that holds the port in a way that explains the failure best: 0 a listener (or
/// any UDP socket), 1 a bound or connected TCP socket, 2 a TIME_WAIT entry.
fn state_rank(state: u8, tcp: bool) -> u8 {
    match (tcp, state) {
        (false, _) | (true, TCP_LISTEN) => 0,
        (true, TCP_TIME_WAIT) => 2,
        (true, _) => 1,
    }
}

/// TCP states from <net/tcp_states.h>.
const TCP_TIME_WAIT: u8 = 6;
const TCP_LISTEN: u8 = 10;

/// `(pid, command)` of a process with a file descriptor on the socket `inode`.
fn process_of(inode: u64) -> Option<(u32, String)> {
    let wanted = format!("socket:[{inode}]");
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
            if std::fs::read_link(fd.path()).is_ok_and(|link| link.as_os_str() == wanted.as_str()) {
                let command = std::fs::read_to_string(proc_entry.path().join("comm"))
                    .map(|c| c.trim().to_owned())
                    .unwrap_or_default();
                return Some((pid, command));
            }
        }
    }
    None
}

/// How well a socket bound to `local` explains a bind of `addr` failing: 0 the same address,
/// 1 a wildcard of the same family on either side, 2 the other family's wildcard (dual stack).
/// Addresses come IPv4-mapped ones as IPv4 (sock_diag.rs), so `[::ffff:127.0.0.1]:P` is
/// 127.0.0.1:P here.
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

/// Rows of /proc/net/{tcp,tcp6,udp,udp6} whose local port lies in `lo..=hi`, in every state.
fn parse_socket_table(text: &str, lo: u16, hi: u16, v6: bool) -> Vec<SocketRow> {
    let addr = |field: &str| -> Option<SocketAddr> {
        let (ip_hex, port_hex) = field.split_once(':')?;
        Some(SocketAddr::new(
            parse_proc_ip(ip_hex, v6)?,
            u16::from_str_radix(port_hex, 16).ok()?,
        ))
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = addr(fields.get(1)?)?;
            if !(lo..=hi).contains(&local.port()) {
                return None;
            }
            let remote = addr(fields.get(2)?)?;
            Some(SocketRow {
                local: sock_diag::canonical(local),
                remote: (remote.port() != 0 || !remote.ip().is_unspecified())
                    .then(|| sock_diag::canonical(remote)),
                state: u8::from_str_radix(fields.get(3)?, 16).ok()?,
                uid: fields.get(7)?.parse().ok()?,
                inode: fields.get(9)?.parse().ok()?,
            })
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

/// IP_LOCAL_PORT_RANGE from <linux/in.h> (Linux 6.3, commit 91d0b78c5177); libc 0.2 lacks it.
const IP_LOCAL_PORT_RANGE: libc::c_int = 51;

// The option through nix's documented, exported macro for options nix lacks (nix#2244 added
// IpBindAddressNoPort the same way): it writes the setsockopt(2) call, whose `unsafe` block
// is nix's (a pointer to our u32 and its size), so this crate's forbid(unsafe_code) holds.
sockopt_impl!(
    /// IP_LOCAL_PORT_RANGE: the socket's own ephemeral range, `hi << 16 | lo`.
    IpLocalPortRange,
    Both,
    libc::IPPROTO_IP,
    IP_LOCAL_PORT_RANGE,
    u32
);

/// IP_LOCAL_PORT_RANGE (Linux 6.3): connect() (and a port-0 bind) then picks the port from
/// `lo..=hi` only, one that makes the 4-tuple unique. The kernel narrows the namespace's
/// `ip_local_port_range` with it: a range outside that one is ignored, a straddling one
/// clamped, and reserved ports are skipped. An IPv6 socket takes it too (SOL_IP options
/// reach ip_setsockopt through udp/tcp's handlers). ENOPROTOOPT before 6.3.
pub(crate) fn set_local_port_range(socket: &socket2::Socket, lo: u16, hi: u16) -> io::Result<()> {
    let value = (u32::from(hi) << 16) | u32::from(lo);
    nix::sys::socket::setsockopt(socket, IpLocalPortRange, &value).map_err(io::Error::from)
}

/// `net.ipv4.ip_local_port_range` and `net.ipv4.ip_local_reserved_ports` of this thread's
/// namespace: what connect() may pick from. `None` when unreadable.
pub(crate) fn ephemeral_ports() -> Option<EphemeralRow> {
    // /proc/sys/net answers for the opening thread's namespace.
    let range = read_proc("/proc/sys/net/ipv4/ip_local_port_range")?;
    let mut bounds = range.split_whitespace().map(str::parse::<u16>);
    let (Some(Ok(lo)), Some(Ok(hi))) = (bounds.next(), bounds.next()) else {
        return None;
    };
    let reserved = read_proc("/proc/sys/net/ipv4/ip_local_reserved_ports")
        .map(|text| parse_port_list(&text))
        .unwrap_or_default();
    Some(EphemeralRow { lo, hi, reserved })
}

/// `1000-2000,3000` as ranges; a malformed item is skipped.
fn parse_port_list(text: &str) -> Vec<(u16, u16)> {
    text.trim()
        .split(',')
        .filter(|item| !item.is_empty())
        .filter_map(|item| match item.split_once('-') {
            Some((lo, hi)) => Some((lo.trim().parse().ok()?, hi.trim().parse().ok()?)),
            None => {
                let port = item.trim().parse().ok()?;
                Some((port, port))
            }
        })
        .collect()
}

/// The inode of this thread's network namespace (what /proc/thread-self/ns/net names), to
/// tell namespaces apart: a fact cached for one must not answer for another.
pub(crate) fn netns_id() -> Option<u64> {
    let link = std::fs::read_link("/proc/thread-self/ns/net").ok()?;
    link.to_str()?
        .strip_prefix("net:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// `net.ipv4.ip_unprivileged_port_start`, read when explaining an EACCES.
pub(crate) fn unprivileged_port_start() -> Option<u16> {
    read_proc("/proc/sys/net/ipv4/ip_unprivileged_port_start")?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn socket_tables_parse_in_host_order() {
        let text = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1
   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1
   2: 0100007F:1F91 0100007F:9C40 06 00000000:00000000 00:00000000 00000000     0        0 0 1
";
        let rows = parse_socket_table(text, 8080, 8080, false);
        assert_eq!(
            rows,
            vec![
                SocketRow {
                    local: "127.0.0.1:8080".parse().unwrap(),
                    remote: None,
                    state: TCP_LISTEN,
                    inode: 4242,
                    uid: 0,
                },
                SocketRow {
                    local: "127.0.0.1:8080".parse().unwrap(),
                    remote: Some("127.0.0.1:40000".parse().unwrap()),
                    state: 1,
                    inode: 4343,
                    uid: 1000,
                },
            ]
        );
        assert_eq!(parse_socket_table(text, 8081, 8081, false).len(), 1);
        assert_eq!(
            parse_proc_ip("00000000000000000000000001000000", true),
            Some("::1".parse().unwrap())
        );
        // An IPv4-mapped bind in tcp6 is the IPv4 address.
        let mapped = "\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1
";
        assert_eq!(
            parse_socket_table(mapped, 8080, 8080, true)[0].local,
            "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
        );
    }

    #[test]
    fn reserved_ports_parse_as_ranges() {
        assert_eq!(
            parse_port_list("1000-2000,3000,x,4000-\n"),
            vec![(1000, 2000), (3000, 3000)]
        );
        assert_eq!(parse_port_list("\n"), vec![]);
    }

    #[test]
    fn this_threads_namespace_and_range_are_read() {
        assert!(netns_id().is_some());
        let range = ephemeral_ports().unwrap();
        assert!(range.lo <= range.hi, "{range:?}");
    }

    #[test]
    fn holders_rank_listeners_first_then_bound_then_time_wait() {
        assert!(state_rank(TCP_LISTEN, true) < state_rank(1, true));
        assert!(state_rank(1, true) < state_rank(TCP_TIME_WAIT, true));
        assert_eq!(state_rank(TCP_TIME_WAIT, false), 0);
    }
}
