//! sock_diag (NETLINK_SOCK_DIAG, inet_diag): the sockets on a range of local ports, asked of
//! the kernel the way `ss -tan 'sport >= :A and sport <= :B'` asks. The kernel runs the port
//! filter (an inet_diag bytecode program) over its socket tables, so the reply holds only the
//! sockets that matter, whatever the table's size: a question about one port costs one
//! round trip per family, not a read and parse of all of /proc/net/tcp.
//!
//! TCP needs `tcp_diag` (built in or autoloaded on every mainstream kernel), UDP `udp_diag`;
//! where the kernel lacks one the request fails, and linux.rs falls back to /proc.

use std::io;
use std::net::{IpAddr, SocketAddr};

use netlink_packet_core::{NLM_F_DUMP, NLM_F_REQUEST, Parseable};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::constants::{
    AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, SOCK_DIAG_BY_FAMILY,
};
use netlink_packet_sock_diag::inet::{
    ExtensionFlags, InetRequest, InetResponseHeader, SocketId, StateFlags,
};
use netlink_sys::protocols::NETLINK_SOCK_DIAG;

use super::SocketRow;
use super::netlink::Netlink;

/// INET_DIAG_REQ_BYTECODE from <linux/inet_diag.h>: the request attribute holding the filter.
const INET_DIAG_REQ_BYTECODE: u16 = 1;
/// Filter operations from <linux/inet_diag.h>: source port at least / at most the operand.
const INET_DIAG_BC_S_GE: u8 = 2;
const INET_DIAG_BC_S_LE: u8 = 3;

/// Every TCP or UDP socket, of both families, whose local port lies in `lo..=hi`, in every
/// state (UDP sockets are TCP_CLOSE when unconnected, TCP_ESTABLISHED when connected).
pub(crate) fn sockets(lo: u16, hi: u16, tcp: bool) -> io::Result<Vec<SocketRow>> {
    let mut link = Netlink::open(NETLINK_SOCK_DIAG)?;
    let filter = port_filter(lo, hi);
    let protocol = if tcp { IPPROTO_TCP } else { IPPROTO_UDP };
    let mut rows = Vec::new();
    for family in [AF_INET, AF_INET6] {
        let request = InetRequest {
            family,
            protocol,
            extensions: ExtensionFlags::empty(),
            // Every state, and bit 13 (TCP_BOUND_INACTIVE, Linux 6.3): a socket bound and not yet
            // listening or connected, which holds its port against a listener all the same.
            states: StateFlags::from_bits_retain(u32::MAX),
            socket_id: if family == AF_INET {
                SocketId::new_v4()
            } else {
                SocketId::new_v6()
            },
        };
        rows.extend(link.dump_retrying(
            &mut |link| {
                link.send(
                    SockDiagMessage::InetRequest(request.clone()),
                    NLM_F_REQUEST | NLM_F_DUMP,
                    &filter,
                )
            },
            SOCK_DIAG_BY_FAMILY,
            &mut |payload| parse_socket(payload),
        )?);
    }
    Ok(rows)
}

/// The request attribute for "source port in `lo..=hi`": two comparisons, each an op
/// (code, bytes to jump when true, bytes to jump when false) and an operand op whose `no`
/// field holds the port. A program accepts a socket when it runs off its exact end and
/// rejects it when a jump lands 4 bytes past the end (inet_diag_bc_run): so S_GE jumps 20
/// (16 + 4) when false, and S_LE, the last, jumps 12 (8 + 4). S_GE/S_LE date from Linux 2.6,
/// unlike S_EQ (4.16).
pub(crate) fn port_filter(lo: u16, hi: u16) -> Vec<u8> {
    let op = |code: u8, yes: u8, no: u16| {
        let mut bytes = vec![code, yes];
        bytes.extend_from_slice(&no.to_ne_bytes());
        bytes
    };
    let program: Vec<u8> = [
        op(INET_DIAG_BC_S_GE, 8, 20),
        op(0, 0, lo),
        op(INET_DIAG_BC_S_LE, 8, 12),
        op(0, 0, hi),
    ]
    .concat();
    let mut attribute = Vec::with_capacity(4 + program.len());
    let len = u16::try_from(4 + program.len()).unwrap_or(u16::MAX);
    attribute.extend_from_slice(&len.to_ne_bytes());
    attribute.extend_from_slice(&INET_DIAG_REQ_BYTECODE.to_ne_bytes());
    attribute.extend_from_slice(&program);
    attribute
}

/// One SOCK_DIAG_BY_FAMILY reply (an inet_diag_msg); `None` when it is malformed. An
/// unconnected socket's remote is all zeros, given as `None`.
pub(crate) fn parse_socket(payload: &[u8]) -> Option<SocketRow> {
    let header = InetResponseHeader::parse(payload).ok()?;
    let id = header.socket_id;
    let local = SocketAddr::new(id.source_address, id.source_port);
    let remote = (!id.destination_address.is_unspecified() || id.destination_port != 0)
        .then(|| SocketAddr::new(id.destination_address, id.destination_port));
    Some(SocketRow {
        local: canonical(local),
        remote: remote.map(canonical),
        state: header.state,
        inode: u64::from(header.inode),
        uid: header.uid,
    })
}

/// An IPv4-mapped IPv6 address (`[::ffff:127.0.0.1]:P`, a dual-stack socket's view of an
/// IPv4 peer or bind) as the IPv4 address it stands for, so it matches an IPv4 question.
pub(crate) fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), addr.port()),
            None => addr,
        },
        IpAddr::V4(_) => addr,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_is_the_kernels_layout() {
        let filter = port_filter(40000, 40099);
        assert_eq!(filter.len(), 20);
        assert_eq!(&filter[0..4], &[20, 0, 1, 0]);
        assert_eq!(&filter[4..8], &[2, 8, 20, 0]);
        assert_eq!(u16::from_ne_bytes([filter[10], filter[11]]), 40000);
        assert_eq!(&filter[12..16], &[3, 8, 12, 0]);
        assert_eq!(u16::from_ne_bytes([filter[18], filter[19]]), 40099);
    }

    #[test]
    fn malformed_replies_give_nothing_and_never_panic() {
        for len in 0..80 {
            let bytes = vec![0xffu8; len];
            let _ = parse_socket(&bytes);
        }
        assert_eq!(parse_socket(&[]), None);
        // Family 99: neither AF_INET nor AF_INET6.
        let mut bytes = vec![0u8; 72];
        bytes[0] = 99;
        assert_eq!(parse_socket(&bytes), None);
    }

    #[test]
    fn a_bound_socket_that_neither_listens_nor_connects_is_listed() {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket
            .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        let local = socket.local_addr().unwrap().as_socket().unwrap();
        let rows = sockets(local.port(), local.port(), true).unwrap();
        assert!(
            rows.iter().any(|r| r.local == local && r.remote.is_none()),
            "{rows:?}"
        );
        eprintln!("{rows:?}");
    }

    #[test]
    fn a_mapped_address_is_ipv4() {
        assert_eq!(
            canonical("[::ffff:127.0.0.1]:80".parse().unwrap()),
            "127.0.0.1:80".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            canonical("[::1]:80".parse().unwrap()),
            "[::1]:80".parse::<SocketAddr>().unwrap()
        );
    }

    #[test]
    fn a_real_query_finds_a_listener_and_its_peer() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let rows = sockets(port, port, true).unwrap();
        // The listener (LISTEN, 10) and the accepted end (ESTABLISHED, 1), both on `port`;
        // the client's own port lies outside the filter unless it happens to equal `port`.
        assert!(
            rows.iter().any(|r| r.state == 10 && r.remote.is_none()),
            "{rows:?}"
        );
        let peer = client.local_addr().unwrap();
        assert!(
            rows.iter().any(|r| r.state == 1 && r.remote == Some(peer)),
            "{rows:?}"
        );
        assert!(rows.iter().all(|r| r.local.port() == port), "{rows:?}");
    }
}
