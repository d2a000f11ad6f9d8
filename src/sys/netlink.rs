//! rtnetlink, the kernel's own answers: links, addresses with their IFA_F_* flags, and the
//! routing table's entry for one address (what `ip route get fibmatch ADDR` prints).
//!
//! The socket is opened in the calling thread's network namespace, so a thread that entered
//! another namespace with setns(2) reads that namespace. Requests are built with
//! netlink-packet-route's typed messages; replies are read lazily, header and the few
//! attributes the crate uses, with netlink-packet-core's buffer types, so a dump of thousands of
//! addresses costs little more than the kernel's own work.
//!
//! NETLINK_GET_STRICT_CHK (Linux 4.20) makes the kernel filter an address dump by interface;
//! without it the kernel ignores the filter, and so the rows are filtered here as well.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{
    NLA_TYPE_MASK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR,
    NLMSG_OVERRUN, NetlinkBuffer, NetlinkHeader, NetlinkMessage, NetlinkPayload,
    NetlinkSerializable,
};
use netlink_packet_route::address::{AddressHeader, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkHeader, LinkMessage};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use super::{AddrRow, LinkRow, LocalRouteRow};

/// RTM_NEWLINK, RTM_NEWADDR and RTM_NEWROUTE from <linux/rtnetlink.h>: the replies.
const RTM_NEWLINK: u16 = 16;
const RTM_NEWADDR: u16 = 20;
const RTM_NEWROUTE: u16 = 24;
/// The fixed headers before the attributes: ifinfomsg, ifaddrmsg, rtmsg.
const LINK_HEADER_LEN: usize = 16;
const ADDR_HEADER_LEN: usize = 8;
const ROUTE_HEADER_LEN: usize = 12;
/// Attribute types from <linux/if_link.h>, <linux/if_addr.h>, <linux/rtnetlink.h>.
const IFLA_IFNAME: u16 = 3;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_LABEL: u16 = 3;
const IFA_FLAGS: u16 = 8;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
/// Interface flags from <linux/if.h>.
const IFF_UP: u32 = 0x1;
const IFF_LOOPBACK: u32 = 0x8;
const IFF_LOWER_UP: u32 = 0x1_0000;
/// Address flags from <linux/if_addr.h>.
const IFA_F_OPTIMISTIC: u32 = 0x04;
const IFA_F_DADFAILED: u32 = 0x08;
const IFA_F_DEPRECATED: u32 = 0x20;
const IFA_F_TENTATIVE: u32 = 0x40;
/// A dump the kernel marks interrupted (the table changed under it) is read again, this
/// many times at the most, and never returned half: after the first retry each waits twice as
/// long as the one before (1 ms, 2 ms, … 256 ms: half a second in all), so a burst of changes,
/// such as a thousand links getting their IPv6 link-local addresses, can settle.
const DUMP_TRIES: u32 = 10;
/// How long one recv waits for the next datagram of a reply: the kernel answers in
/// microseconds, even a dump of thousands of addresses in milliseconds.
const RECV_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// The kernel sends at most 32 KiB per datagram (netlink_recvmsg caps max_recvmsg_len).
const RECV_BUFFER: usize = 64 * 1024;

/// One netlink socket connected to the kernel, with its sequence number and receive buffer:
/// the layer rtnetlink ([`Rtnl`]) and sock_diag (`sock_diag.rs`) share. Requests are typed
/// messages serialized by the rust-netlink crates; replies are read lazily, payload by
/// payload, with the dump's end, its interruption and the kernel's errors handled here.
pub(crate) struct Netlink {
    socket: Socket,
    seq: u32,
    buf: Vec<u8>,
}

/// How a request ended.
#[derive(Debug)]
pub(crate) enum Reply {
    /// Every message was read.
    Done,
    /// The kernel said the dump was interrupted: read it again.
    Interrupted,
}

impl Netlink {
    /// A socket of `protocol` (NETLINK_ROUTE, NETLINK_SOCK_DIAG), in this thread's network
    /// namespace.
    pub(crate) fn open(protocol: isize) -> io::Result<Netlink> {
        let socket = Socket::new(protocol)?;
        // Connected to the kernel (port 0), which also binds a port id: the kernel refuses
        // unicasts from any other sender, so no other process can write into our replies.
        socket.connect(&SocketAddr::new(0, 0))?;
        // A reply that never ends (a kernel bug, or a message this code misreads as not the
        // last) must not hang a server's start-up: recv gives up after RECV_TIMEOUT.
        socket2::SockRef::from(&socket).set_read_timeout(Some(RECV_TIMEOUT))?;
        Ok(Netlink {
            socket,
            seq: 0,
            buf: Vec::with_capacity(RECV_BUFFER),
        })
    }

    /// Sends `payload` with `flags` and the next sequence number; `extra` (whole attributes)
    /// goes after the serialized message, inside its length (a sock_diag filter, which
    /// netlink-packet-sock-diag's request type has no field for).
    pub(crate) fn send<T>(&mut self, payload: T, flags: u16, extra: &[u8]) -> io::Result<()>
    where
        T: NetlinkSerializable + std::fmt::Debug,
        NetlinkPayload<T>: From<T>,
    {
        self.seq = self.seq.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = flags;
        header.sequence_number = self.seq;
        let mut message = NetlinkMessage::new(header, NetlinkPayload::from(payload));
        message.finalize();
        let mut bytes = vec![0u8; message.buffer_len()];
        message.serialize(&mut bytes);
        if !extra.is_empty() {
            bytes.extend_from_slice(extra);
            let length = u32::try_from(bytes.len())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "request too long"))?;
            if let Some(field) = bytes.get_mut(0..4) {
                field.copy_from_slice(&length.to_ne_bytes());
            }
        }
        self.socket.send(&bytes, 0)?;
        Ok(())
    }

    /// A dump (sent by `send` each time), read again while the kernel marks it interrupted.
    pub(crate) fn dump_retrying<T>(
        &mut self,
        send: &mut dyn FnMut(&mut Netlink) -> io::Result<()>,
        reply_type: u16,
        parse: &mut dyn FnMut(&[u8]) -> Option<T>,
    ) -> io::Result<Vec<T>> {
        retry_interrupted(&mut || {
            let mut rows = Vec::new();
            send(self)?;
            let reply = self.receive(reply_type, &mut |payload| {
                rows.extend(parse(payload));
                true
            })?;
            Ok(match reply {
                Reply::Done => Some(rows),
                Reply::Interrupted => None,
            })
        })
    }

    /// Reads replies to the last request, handing each payload of `reply_type` to `each`
    /// (which says whether to go on), until the dump's end, an error, or `each` says stop.
    pub(crate) fn receive(
        &mut self,
        reply_type: u16,
        each: &mut dyn FnMut(&[u8]) -> bool,
    ) -> io::Result<Reply> {
        let mut interrupted = false;
        loop {
            self.buf.clear();
            // MSG_TRUNC: the datagram's real length, to notice one larger than the buffer.
            let received = self.socket.recv(&mut self.buf, libc::MSG_TRUNC);
            let len = datagram_len(received, self.buf.len())?;
            let datagram = self.buf.get(..len).unwrap_or_default();
            if let Some(reply) = walk(datagram, self.seq, reply_type, &mut interrupted, each)? {
                return Ok(reply);
            }
        }
    }
}

/// The length of a datagram `recv` read with MSG_TRUNC (which returns its real length) into a
/// buffer that now holds `kept` bytes. The receive timeout (SO_RCVTIMEO: EAGAIN) is a typed
/// TimedOut, and a datagram longer than the buffer is InvalidData, never parsed cut short.
fn datagram_len(received: io::Result<usize>, kept: usize) -> io::Result<usize> {
    let len = received.map_err(|err| match err.kind() {
        io::ErrorKind::WouldBlock => io::Error::new(
            io::ErrorKind::TimedOut,
            format!("the kernel did not finish a netlink reply within {RECV_TIMEOUT:?}"),
        ),
        _ => err,
    })?;
    if len > kept {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a netlink reply of {len} bytes did not fit {RECV_BUFFER}"),
        ));
    }
    Ok(len)
}

/// Whether a request for one object failed because there is none (ENODEV: no link of that
/// name or index); any other error is the caller's.
fn no_such_object(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::ENODEV)
}

/// Whether a route lookup's error says there is no route at all (no default route, or no
/// table yet), which makes the address not local; any other error is the caller's.
fn not_routed(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::ENETUNREACH | libc::EHOSTUNREACH | libc::ENOENT | libc::ESRCH)
    )
}

/// The pause before try `n` (from 0) of an interrupted dump: none before the first two (a
/// change during one dump rarely repeats), then 1 ms doubling, 255 ms in all over ten tries:
/// long enough for a burst of changes to pass, short against a start-up.
fn pause_before(n: u32) -> std::time::Duration {
    match n {
        0 | 1 => std::time::Duration::ZERO,
        n => std::time::Duration::from_millis(1 << (n - 2)),
    }
}

/// Runs `attempt` (one whole dump: `None` when the kernel marked it interrupted) until a dump
/// completes, [`DUMP_TRIES`] times at the most, never returning half a dump.
fn retry_interrupted<T>(attempt: &mut dyn FnMut() -> io::Result<Option<T>>) -> io::Result<T> {
    for n in 0..DUMP_TRIES {
        std::thread::sleep(pause_before(n));
        if let Some(done) = attempt()? {
            return Ok(done);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::Interrupted,
        format!(
            "the kernel interrupted {DUMP_TRIES} dumps in a row (NLM_F_DUMP_INTR): the tables \
             kept changing while they were read"
        ),
    ))
}

/// The messages of one datagram, in order: each payload of `reply_type` with sequence number
/// `seq` goes to `each` (which says whether to go on). `Some` when the reply ended in this
/// datagram (NLMSG_DONE, an acknowledgement, or `each` said stop; `interrupted` collects
/// NLM_F_DUMP_INTR across datagrams), `None` when more datagrams follow; an error for
/// NLMSG_ERROR, NLMSG_OVERRUN or a malformed message. Messages of another sequence number
/// (late replies to an earlier request) and of other types are skipped. Pure, so the unit
/// tests and the `netlink` fuzz target feed it crafted bytes.
pub(crate) fn walk(
    datagram: &[u8],
    seq: u32,
    reply_type: u16,
    interrupted: &mut bool,
    each: &mut dyn FnMut(&[u8]) -> bool,
) -> io::Result<Option<Reply>> {
    let mut offset = 0;
    while let Some(rest) = datagram.get(offset..).filter(|r| !r.is_empty()) {
        let message = NetlinkBuffer::new_checked(rest)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        let length = usize::try_from(message.length()).unwrap_or(usize::MAX);
        offset = offset.saturating_add(length.saturating_add(3) & !3);
        if message.sequence_number() != seq {
            continue;
        }
        *interrupted |= message.flags() & NLM_F_DUMP_INTR != 0;
        match message.message_type() {
            NLMSG_DONE => {
                return Ok(Some(if *interrupted {
                    Reply::Interrupted
                } else {
                    Reply::Done
                }));
            }
            NLMSG_ERROR => {
                let code = message
                    .payload()
                    .get(..4)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map_or(0, i32::from_ne_bytes);
                if code == 0 {
                    return Ok(Some(Reply::Done)); // an acknowledgement
                }
                return Err(io::Error::from_raw_os_error(code.saturating_neg()));
            }
            NLMSG_OVERRUN => {
                return Err(io::Error::other("netlink overrun: data was lost"));
            }
            t if t == reply_type && !each(message.payload()) => {
                return Ok(Some(Reply::Done));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// One rtnetlink socket: links, addresses and routes.
pub(crate) struct Rtnl {
    link: Netlink,
    /// Whether NETLINK_GET_STRICT_CHK took: the kernel filters dumps by interface.
    strict: bool,
}

impl Rtnl {
    /// A socket bound to the kernel, in this thread's network namespace.
    pub(crate) fn open() -> io::Result<Rtnl> {
        let link = Netlink::open(NETLINK_ROUTE)?;
        // Older kernels lack it and ignore a dump's filter; rows are filtered here then.
        let strict = link.socket.set_netlink_get_strict_chk(true).is_ok();
        Ok(Rtnl { link, strict })
    }

    /// Every link, without statistics (RTEXT_FILTER_SKIP_STATS halves a dump's bytes).
    pub(crate) fn links(&mut self) -> io::Result<Vec<LinkRow>> {
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        let request = RouteNetlinkMessage::GetLink(message);
        self.dump(&request, RTM_NEWLINK, parse_link)
    }

    /// The link named `name`, or `None` when the kernel has none (ENODEV).
    pub(crate) fn link_by_name(&mut self, name: &str) -> io::Result<Option<LinkRow>> {
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::IfName(name.to_owned()));
        self.get_link(message)
    }

    /// The link with index `index`, or `None` when the kernel has none.
    pub(crate) fn link_by_index(&mut self, index: u32) -> io::Result<Option<LinkRow>> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        self.get_link(message)
    }

    /// One link, by what `message` names, without statistics.
    fn get_link(&mut self, mut message: LinkMessage) -> io::Result<Option<LinkRow>> {
        message
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        self.get_one(
            &RouteNetlinkMessage::GetLink(message),
            RTM_NEWLINK,
            parse_link,
        )
    }

    /// The addresses of one family (`None`: both), of one interface (`None`: all). With strict
    /// checking the kernel filters by interface; without, the rows are filtered here.
    pub(crate) fn addrs(
        &mut self,
        ipv6: Option<bool>,
        index: Option<u32>,
    ) -> io::Result<Vec<AddrRow>> {
        let mut message = AddressMessage::default();
        message.header.family = match ipv6 {
            None => AddressFamily::Unspec,
            Some(false) => AddressFamily::Inet,
            Some(true) => AddressFamily::Inet6,
        };
        if self.strict {
            message.header.index = index.unwrap_or(0);
        }
        let request = RouteNetlinkMessage::GetAddress(message);
        let mut rows = self.dump(&request, RTM_NEWADDR, parse_addr)?;
        if let Some(index) = index {
            rows.retain(|row| row.index == index);
        }
        Ok(rows)
    }

    /// The local or broadcast route that makes `ip` an address of this machine, as the
    /// kernel's FIB finds it (RTM_F_FIB_MATCH, Linux 4.13): `None` when the address is not
    /// local (its route is unicast, or there is none).
    pub(crate) fn local_route(&mut self, ip: IpAddr) -> io::Result<Option<LocalRouteRow>> {
        let mut message = RouteMessage::default();
        message.header.address_family = match ip {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        };
        message.header.destination_prefix_length = if ip.is_ipv4() { 32 } else { 128 };
        message.header.flags = RouteFlags::FibMatch;
        message
            .attributes
            .push(RouteAttribute::Destination(RouteAddress::from(ip)));
        let route = match self.get_one(
            &RouteNetlinkMessage::GetRoute(message),
            RTM_NEWROUTE,
            parse_route,
        ) {
            Ok(route) => route,
            Err(err) => return if not_routed(&err) { Ok(None) } else { Err(err) },
        };
        Ok(route.filter(|r| r.broadcast || r.local).map(|r| r.row))
    }

    /// A dump of `request`, read again while the kernel marks it interrupted.
    fn dump<T>(
        &mut self,
        request: &RouteNetlinkMessage,
        reply_type: u16,
        parse: fn(&[u8]) -> Option<T>,
    ) -> io::Result<Vec<T>> {
        self.link.dump_retrying(
            &mut |link| link.send(request.clone(), NLM_F_REQUEST | NLM_F_DUMP, &[]),
            reply_type,
            &mut |payload| parse(payload),
        )
    }

    /// A request for one object: its reply, `None` when there is none (ENODEV).
    fn get_one<T>(
        &mut self,
        request: &RouteNetlinkMessage,
        reply_type: u16,
        parse: fn(&[u8]) -> Option<T>,
    ) -> io::Result<Option<T>> {
        self.link.send(request.clone(), NLM_F_REQUEST, &[])?;
        let mut found = None;
        let result = self.link.receive(reply_type, &mut |payload| {
            found = parse(payload);
            false
        });
        match result {
            Ok(_) => Ok(found),
            Err(err) => {
                if no_such_object(&err) {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }
}

/// The attributes after a fixed header, as (type, value) pairs; a malformed one ends them.
/// (NlaBuffer's accessors assume a checked buffer and index into it; these never panic.)
fn attributes(payload: &[u8], header_len: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = payload.get(header_len..).unwrap_or_default();
    std::iter::from_fn(move || {
        let len = usize::from(u16::from_ne_bytes(rest.get(0..2)?.try_into().ok()?));
        let kind = u16::from_ne_bytes(rest.get(2..4)?.try_into().ok()?) & NLA_TYPE_MASK;
        // A length under the 4-byte header, or past the end, gives None and ends the walk.
        let value = rest.get(4..len)?;
        rest = rest.get(len.saturating_add(3) & !3..).unwrap_or_default();
        Some((kind, value))
    })
}

/// A NUL-terminated string attribute.
fn string(value: &[u8]) -> Option<String> {
    let bytes = value.split(|b| *b == 0).next()?;
    std::str::from_utf8(bytes).ok().map(str::to_owned)
}

fn u32_of(value: &[u8]) -> Option<u32> {
    value
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_ne_bytes)
}

fn ip_of(value: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(value) {
        Some(IpAddr::V4(Ipv4Addr::from(v4)))
    } else if let Ok(v6) = <[u8; 16]>::try_from(value) {
        Some(IpAddr::V6(Ipv6Addr::from(v6)))
    } else {
        None
    }
}

/// An RTM_NEWLINK payload.
pub(crate) fn parse_link(payload: &[u8]) -> Option<LinkRow> {
    let header = LinkHeader::parse(payload).ok()?;
    let flags = header.flags.bits();
    let name = attributes(payload, LINK_HEADER_LEN)
        .find(|(kind, _)| *kind == IFLA_IFNAME)
        .and_then(|(_, value)| string(value))?;
    Some(LinkRow {
        index: header.index,
        name,
        up: flags & IFF_UP != 0,
        carrier: flags & IFF_LOWER_UP != 0,
        loopback: flags & IFF_LOOPBACK != 0,
    })
}

/// An RTM_NEWADDR payload. IPv4's own address is IFA_LOCAL (IFA_ADDRESS is the peer of a
/// point-to-point link); IPv6 has IFA_ADDRESS only. IFA_FLAGS (32 bits) supersedes the
/// header's 8.
pub(crate) fn parse_addr(payload: &[u8]) -> Option<AddrRow> {
    let header = AddressHeader::parse(payload).ok()?;
    let mut address = None;
    let mut local = None;
    let mut label = None;
    let mut flags = u32::from(header.flags.bits());
    for (kind, value) in attributes(payload, ADDR_HEADER_LEN) {
        match kind {
            IFA_ADDRESS => address = ip_of(value),
            IFA_LOCAL => local = ip_of(value),
            IFA_LABEL => label = string(value),
            IFA_FLAGS => flags = u32_of(value).unwrap_or(flags),
            _ => {}
        }
    }
    let ip = local.or(address)?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let tentative = flags & IFA_F_TENTATIVE != 0;
    let optimistic = flags & IFA_F_OPTIMISTIC != 0;
    Some(AddrRow {
        index: header.index,
        ip,
        prefix_len: header.prefix_len.min(max),
        // An optimistic address carries TENTATIVE too, and binds.
        tentative: tentative && !optimistic,
        optimistic,
        dad_failed: flags & IFA_F_DADFAILED != 0,
        deprecated: flags & IFA_F_DEPRECATED != 0,
        label,
    })
}

/// A route reply, with whether the kernel accepts its destination locally.
struct RouteReply {
    row: LocalRouteRow,
    local: bool,
    broadcast: bool,
}

/// Every parser over one datagram, as the live path runs them, for the `netlink` fuzz target:
/// the messages walked for each reply type (the sequence number taken from the first header),
/// each payload through its parser, and the rows kept.
#[cfg(fuzzing)]
pub(crate) fn parse_datagram(bytes: &[u8]) -> (super::MachineRows, Vec<super::SocketRow>) {
    let seq = bytes
        .get(8..12)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_ne_bytes);
    let mut rows = super::MachineRows::default();
    let mut sockets = Vec::new();
    let mut interrupted = false;
    let _ = walk(bytes, seq, RTM_NEWLINK, &mut interrupted, &mut |p| {
        rows.links.extend(parse_link(p));
        true
    });
    let _ = walk(bytes, seq, RTM_NEWADDR, &mut interrupted, &mut |p| {
        rows.addrs.extend(parse_addr(p));
        // SOCK_DIAG_BY_FAMILY is 20 too: the same payloads through the sock_diag parser.
        sockets.extend(super::sock_diag::parse_socket(p));
        true
    });
    let _ = walk(bytes, seq, RTM_NEWROUTE, &mut interrupted, &mut |p| {
        if let Some(route) = parse_route(p) {
            if route.local || route.broadcast {
                rows.local_routes.push(route.row);
            }
        }
        true
    });
    (rows, sockets)
}

/// An RTM_NEWROUTE payload.
fn parse_route(payload: &[u8]) -> Option<RouteReply> {
    let header = RouteHeader::parse(payload).ok()?;
    let mut dst = None;
    let mut index = None;
    for (kind, value) in attributes(payload, ROUTE_HEADER_LEN) {
        match kind {
            RTA_DST => dst = ip_of(value),
            RTA_OIF => index = u32_of(value),
            _ => {}
        }
    }
    let family_any = match header.address_family {
        AddressFamily::Inet6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    let broadcast = header.kind == RouteType::Broadcast;
    Some(RouteReply {
        row: LocalRouteRow {
            dst: dst.unwrap_or(family_any),
            prefix_len: header.destination_prefix_length,
            broadcast,
            index,
        },
        local: header.kind == RouteType::Local,
        broadcast,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn only_enodev_means_no_such_object() {
        assert!(no_such_object(&io::Error::from_raw_os_error(libc::ENODEV)));
        for errno in [libc::ENOENT, libc::EINVAL, libc::EPERM] {
            assert!(
                !no_such_object(&io::Error::from_raw_os_error(errno)),
                "{errno}"
            );
        }
    }

    #[test]
    fn only_a_missing_route_means_not_local() {
        for errno in [
            libc::ENETUNREACH,
            libc::EHOSTUNREACH,
            libc::ENOENT,
            libc::ESRCH,
        ] {
            assert!(not_routed(&io::Error::from_raw_os_error(errno)), "{errno}");
        }
        for errno in [libc::EINVAL, libc::EPERM, libc::ENOBUFS] {
            assert!(!not_routed(&io::Error::from_raw_os_error(errno)), "{errno}");
        }
        assert!(!not_routed(&io::Error::other("no errno")));
    }

    #[test]
    fn interrupted_dumps_pause_1_ms_doubling_after_the_second() {
        let pauses: Vec<u128> = (0..DUMP_TRIES)
            .map(|n| pause_before(n).as_millis())
            .collect();
        assert_eq!(pauses, [0, 0, 1, 2, 4, 8, 16, 32, 64, 128]);
    }

    /// The receive timeout is TimedOut, a truncated datagram InvalidData, other errors pass.
    #[test]
    fn a_datagram_length_is_checked_and_a_timeout_typed() {
        assert_eq!(datagram_len(Ok(100), 100).unwrap(), 100);
        assert_eq!(datagram_len(Ok(0), 0).unwrap(), 0);
        let cut = datagram_len(Ok(70_000), 65_536).unwrap_err();
        assert_eq!(cut.kind(), io::ErrorKind::InvalidData);
        assert!(
            cut.to_string()
                .starts_with("a netlink reply of 70000 bytes did not fit"),
            "{cut}"
        );
        let late = datagram_len(Err(io::Error::from(io::ErrorKind::WouldBlock)), 0).unwrap_err();
        assert_eq!(late.kind(), io::ErrorKind::TimedOut);
        assert_eq!(
            late.to_string(),
            "the kernel did not finish a netlink reply within 5s"
        );
        let other = datagram_len(Err(io::Error::from_raw_os_error(libc::EBADF)), 0).unwrap_err();
        assert_eq!(other.raw_os_error(), Some(libc::EBADF));
    }

    /// One netlink message: header (length, type, flags, sequence, port) and payload.
    fn message(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(16 + payload.len()).unwrap();
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&len.to_ne_bytes());
        bytes.extend_from_slice(&kind.to_ne_bytes());
        bytes.extend_from_slice(&flags.to_ne_bytes());
        bytes.extend_from_slice(&seq.to_ne_bytes());
        bytes.extend_from_slice(&0u32.to_ne_bytes());
        bytes.extend_from_slice(payload);
        while bytes.len() % 4 != 0 {
            bytes.push(0);
        }
        bytes
    }

    /// `walk` over `datagram` for request 7, replies of type RTM_NEWADDR: the payloads seen and
    /// how it ended.
    fn walk_all(datagram: &[u8]) -> (Vec<Vec<u8>>, io::Result<Option<Reply>>, bool) {
        let mut seen = Vec::new();
        let mut interrupted = false;
        let end = walk(datagram, 7, RTM_NEWADDR, &mut interrupted, &mut |p| {
            seen.push(p.to_vec());
            true
        });
        (seen, end, interrupted)
    }

    #[test]
    fn a_dump_marked_interrupted_ends_interrupted() {
        let mut datagram = message(RTM_NEWADDR, NLM_F_DUMP_INTR, 7, &[1, 2, 3, 4]);
        datagram.extend(message(NLMSG_DONE, 0, 7, &0i32.to_ne_bytes()));
        let (seen, end, interrupted) = walk_all(&datagram);
        assert_eq!(seen, vec![vec![1, 2, 3, 4]]);
        assert!(matches!(end, Ok(Some(Reply::Interrupted))));
        assert!(interrupted);
    }

    #[test]
    fn late_replies_and_unknown_types_are_skipped_and_a_reply_may_span_datagrams() {
        let mut datagram = message(RTM_NEWADDR, 0, 6, &[9; 4]); // an earlier request's
        datagram.extend(message(999, 0, 7, &[8; 4])); // a type nobody asked for
        datagram.extend(message(RTM_NEWADDR, 0, 7, &[5; 8]));
        let (seen, end, _) = walk_all(&datagram);
        assert_eq!(seen, vec![vec![5; 8]]);
        assert!(
            matches!(end, Ok(None)),
            "no DONE yet: read the next datagram"
        );
    }

    #[test]
    fn errors_acknowledgements_and_overruns() {
        let (_, end, _) = walk_all(&message(NLMSG_ERROR, 0, 7, &(-libc::ENOBUFS).to_ne_bytes()));
        assert_eq!(end.unwrap_err().raw_os_error(), Some(libc::ENOBUFS));
        let (_, end, _) = walk_all(&message(NLMSG_ERROR, 0, 7, &0i32.to_ne_bytes()));
        assert!(matches!(end, Ok(Some(Reply::Done))));
        let (_, end, _) = walk_all(&message(NLMSG_OVERRUN, 0, 7, &[]));
        assert_eq!(
            end.unwrap_err().to_string(),
            "netlink overrun: data was lost"
        );
        // An error message too short to hold its code: code 0, an acknowledgement.
        let (_, end, _) = walk_all(&message(NLMSG_ERROR, 0, 7, &[1]));
        assert!(matches!(end, Ok(Some(Reply::Done))));
    }

    #[test]
    fn malformed_datagrams_are_errors_never_panics() {
        let mut short = message(RTM_NEWADDR, 0, 7, &[1; 4]);
        short.truncate(10);
        assert_eq!(
            walk_all(&short).1.unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        // A length field past the end of the datagram.
        let mut long = message(RTM_NEWADDR, 0, 7, &[1; 4]);
        long[0] = 200;
        assert_eq!(
            walk_all(&long).1.unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        // A length under the header's 16 bytes.
        let mut tiny = message(RTM_NEWADDR, 0, 7, &[1; 4]);
        tiny[0..4].copy_from_slice(&4u32.to_ne_bytes());
        assert_eq!(
            walk_all(&tiny).1.unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        assert!(matches!(walk_all(&[]).1, Ok(None)));
        for len in 0..64 {
            let _ = walk_all(&vec![0xff; len]);
        }
    }

    #[test]
    fn interrupted_dumps_are_retried_a_bounded_number_of_times() {
        let mut tries = 0;
        let err = retry_interrupted::<()>(&mut || {
            tries += 1;
            Ok(None)
        })
        .unwrap_err();
        assert_eq!(tries, DUMP_TRIES);
        assert_eq!(err.kind(), io::ErrorKind::Interrupted);
        let mut tries = 0;
        let done = retry_interrupted(&mut || {
            tries += 1;
            Ok((tries == 3).then_some("whole"))
        })
        .unwrap();
        assert_eq!((done, tries), ("whole", 3));
    }

    #[test]
    fn unknown_attributes_are_ignored() {
        let payload = addr_payload(
            2,
            24,
            5,
            &[
                (999, &[1, 2, 3]),
                (IFA_LOCAL, &[198, 18, 0, 1]),
                (0x7fff, &[]),
            ],
        );
        let row = parse_addr(&payload).unwrap();
        assert_eq!(row.ip, IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1)));
        assert_eq!(row.index, 5);
    }

    /// An ifaddrmsg and its attributes, laid out as the kernel sends them.
    fn addr_payload(family: u8, prefix: u8, index: u32, attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut bytes = vec![family, prefix, 0, 0];
        bytes.extend_from_slice(&index.to_ne_bytes());
        for (kind, value) in attrs {
            let len = u16::try_from(4 + value.len()).unwrap();
            bytes.extend_from_slice(&len.to_ne_bytes());
            bytes.extend_from_slice(&kind.to_ne_bytes());
            bytes.extend_from_slice(value);
            while bytes.len() % 4 != 0 {
                bytes.push(0);
            }
        }
        bytes
    }

    #[test]
    fn an_optimistic_address_is_not_tentative() {
        let flags = (IFA_F_TENTATIVE | IFA_F_OPTIMISTIC).to_ne_bytes();
        let ip = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2).octets();
        let row = parse_addr(&addr_payload(
            10,
            64,
            3,
            &[(IFA_ADDRESS, &ip), (IFA_FLAGS, &flags)],
        ))
        .unwrap();
        assert!(row.optimistic && !row.tentative && !row.dad_failed);
        assert_eq!((row.index, row.prefix_len), (3, 64));
    }

    #[test]
    fn ipv4_prefers_the_local_address_over_the_peer() {
        let peer = [198, 18, 0, 2];
        let local = [198, 18, 0, 1];
        let row = parse_addr(&addr_payload(
            2,
            32,
            5,
            &[
                (IFA_ADDRESS, &peer),
                (IFA_LOCAL, &local),
                (IFA_LABEL, b"eth0:1\0"),
            ],
        ))
        .unwrap();
        assert_eq!(row.ip, IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1)));
        assert_eq!(row.label.as_deref(), Some("eth0:1"));
    }

    #[test]
    fn malformed_messages_give_nothing_and_never_panic() {
        assert!(parse_addr(&[]).is_none());
        assert!(parse_addr(&[2, 24, 0, 0]).is_none());
        // An attribute whose length runs past the end is dropped, not read.
        let mut bytes = addr_payload(2, 24, 1, &[]);
        bytes.extend_from_slice(&[200, 0, 2, 0, 1, 2]);
        assert!(parse_addr(&bytes).is_none());
        assert!(parse_link(&[0; 3]).is_none());
        assert!(parse_route(&[0; 5]).is_none());
        // Unknown attributes are skipped.
        let row = parse_addr(&addr_payload(
            2,
            24,
            1,
            &[(99, &[1, 2, 3]), (IFA_LOCAL, &[198, 18, 0, 1])],
        ))
        .unwrap();
        assert_eq!(row.prefix_len, 24);
    }

    #[test]
    fn a_real_dump_reads_this_namespace() {
        let mut rtnl = Rtnl::open().unwrap();
        let links = rtnl.links().unwrap();
        let lo = links
            .iter()
            .find(|l| l.loopback)
            .expect("every namespace has lo");
        assert_eq!(
            rtnl.link_by_name(&lo.name).unwrap().map(|l| l.index),
            Some(lo.index)
        );
        assert_eq!(
            rtnl.link_by_index(lo.index).unwrap().map(|l| l.name),
            Some(lo.name.clone())
        );
        assert!(rtnl.link_by_name("bp-no-such0").unwrap().is_none());
        let all = rtnl.addrs(None, None).unwrap();
        let lo_only = rtnl.addrs(None, Some(lo.index)).unwrap();
        assert!(lo_only.iter().all(|a| a.index == lo.index));
        assert_eq!(
            lo_only.len(),
            all.iter().filter(|a| a.index == lo.index).count()
        );
    }
}
