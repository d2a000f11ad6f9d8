//! `BindTarget` and the small value types it is made of.
//!
//! Every value type here is validated on construction, so that every value that exists prints
//! (through `Display`) a canonical string that parses back to an equal value.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;

mod error;
mod parse;

pub(crate) use self::error::Subject;
pub use self::error::{ParseError, ParseErrorKind};
pub(crate) use self::parse::port as parse_port;

/// What a server or client should bind: the value a config file's `listen = "..."` holds.
///
/// Parse one from its string form (see the [grammar](crate#the-grammar)) or build one with the
/// constructors. `Display` writes the canonical form, which parses back to an equal value.
///
/// ```
/// use bindpolicy::{BindTarget, Family};
///
/// let target: BindTarget = "*:8080".parse()?;
/// assert_eq!(target, BindTarget::any(8080));
/// assert_eq!(target.family(), Some(Family::Both));
/// assert_eq!("0.0.0.0:8080".parse::<BindTarget>()?, BindTarget::any_v4(8080));
/// assert_eq!(BindTarget::loopback(5000).to_string(), "localhost:5000");
/// # Ok::<(), bindpolicy::ParseError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BindTarget {
    /// Every address of this machine (`*`, `0.0.0.0`, `[::]`).
    Any {
        /// Which address families: `*` is both, `0.0.0.0` IPv4 only, `[::]` IPv6 only.
        family: Family,
        /// The port; 0 lets the OS pick one.
        port: u16,
    },
    /// This machine only (`localhost`, `127.0.0.1`, `[::1]`), never resolved through DNS.
    Loopback {
        /// Which address families: `localhost` is both, `127.0.0.1` IPv4, `[::1]` IPv6.
        family: Family,
        /// The port; 0 lets the OS pick one.
        port: u16,
    },
    /// One local address, or every address of one named interface.
    SpecificInterface {
        /// The address or interface name.
        interface: LocalInterface,
        /// The port; 0 lets the OS pick one.
        port: u16,
    },
    /// A client bind that pins only the local source port (`port:40000`, `port:40000-40100`)
    /// and lets the OS pick the source address.
    Port(PortRange),
    /// The socket a service manager hands over (socket activation): `fd:3` by fd number, or
    /// `fd:web` by the `.socket` unit's `FileDescriptorName=`. It has no address of its own:
    /// `listen()` takes the socket as it is bound (see [`Inherited`]), and `resolve()` refuses
    /// it.
    Inherited(Inherited),
}

impl Default for BindTarget {
    /// `localhost:0`: loopback on both families with an OS-chosen port. Secure by default: nothing
    /// outside this machine can connect.
    fn default() -> Self {
        BindTarget::loopback(0)
    }
}

impl BindTarget {
    /// `*:port`: every address, both families.
    pub const fn any(port: u16) -> Self {
        BindTarget::Any {
            family: Family::Both,
            port,
        }
    }

    /// `0.0.0.0:port`: every IPv4 address.
    pub const fn any_v4(port: u16) -> Self {
        BindTarget::Any {
            family: Family::Ipv4,
            port,
        }
    }

    /// `[::]:port`: every IPv6 address.
    pub const fn any_v6(port: u16) -> Self {
        BindTarget::Any {
            family: Family::Ipv6,
            port,
        }
    }

    /// `localhost:port`: 127.0.0.1 and ::1.
    pub const fn loopback(port: u16) -> Self {
        BindTarget::Loopback {
            family: Family::Both,
            port,
        }
    }

    /// `127.0.0.1:port`.
    pub const fn loopback_v4(port: u16) -> Self {
        BindTarget::Loopback {
            family: Family::Ipv4,
            port,
        }
    }

    /// `[::1]:port`.
    pub const fn loopback_v6(port: u16) -> Self {
        BindTarget::Loopback {
            family: Family::Ipv6,
            port,
        }
    }

    /// The target for one IP address, normalised the way the parser does it: `0.0.0.0` and `::`
    /// become [`BindTarget::Any`], `127.0.0.1` and `::1` become [`BindTarget::Loopback`], and
    /// any other address becomes [`BindTarget::SpecificInterface`].
    ///
    /// # Errors
    ///
    /// A multicast or broadcast address, or an IPv4-mapped IPv6 address, cannot be bound as a
    /// local address; the [`ParseError`] says why.
    ///
    /// ```
    /// use bindpolicy::BindTarget;
    /// use std::net::Ipv4Addr;
    ///
    /// assert_eq!(BindTarget::ip(Ipv4Addr::UNSPECIFIED.into(), 80)?, BindTarget::any_v4(80));
    /// assert_eq!(BindTarget::ip([192, 168, 1, 5].into(), 80)?.to_string(), "192.168.1.5:80");
    /// assert!(BindTarget::ip([224, 0, 0, 1].into(), 80).is_err());
    /// # Ok::<(), bindpolicy::ParseError>(())
    /// ```
    pub fn ip(ip: IpAddr, port: u16) -> Result<Self, ParseError> {
        Ok(match ip {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED) => BindTarget::any_v4(port),
            IpAddr::V6(Ipv6Addr::UNSPECIFIED) => BindTarget::any_v6(port),
            IpAddr::V4(Ipv4Addr::LOCALHOST) => BindTarget::loopback_v4(port),
            IpAddr::V6(Ipv6Addr::LOCALHOST) => BindTarget::loopback_v6(port),
            _ => BindTarget::SpecificInterface {
                interface: LocalInterface::Address(LocalAddress::new(ip, None)?),
                port,
            },
        })
    }

    /// The target for a socket address; an IPv6 scope id becomes a numeric zone.
    ///
    /// # Errors
    ///
    /// As [`BindTarget::ip`], and a scope id on an address that is not link-local.
    pub fn socket_addr(addr: SocketAddr) -> Result<Self, ParseError> {
        match addr {
            SocketAddr::V6(v6) if v6.scope_id() != 0 => {
                let zone = NonZeroU32::new(v6.scope_id()).map(Zone::Index);
                Ok(BindTarget::SpecificInterface {
                    interface: LocalInterface::Address(LocalAddress::new(
                        IpAddr::V6(*v6.ip()),
                        zone,
                    )?),
                    port: v6.port(),
                })
            }
            _ => BindTarget::ip(addr.ip(), addr.port()),
        }
    }

    /// Every address of the named interface, e.g. `eth0:8080`.
    ///
    /// # Errors
    ///
    /// A name no Linux interface could have (see [`InterfaceName::new`]).
    pub fn interface(name: &str, port: u16) -> Result<Self, ParseError> {
        Ok(BindTarget::SpecificInterface {
            interface: LocalInterface::Name(InterfaceName::new(name)?),
            port,
        })
    }

    /// A client bind pinned to `ports`, any source address: `port:40000` or `port:40000-40100`.
    pub const fn source_ports(ports: PortRange) -> Self {
        BindTarget::Port(ports)
    }

    /// The socket a service manager hands over: `fd:3` or `fd:web`.
    pub const fn inherited(which: Inherited) -> Self {
        BindTarget::Inherited(which)
    }

    /// True for [`BindTarget::Inherited`].
    pub const fn is_inherited(&self) -> bool {
        matches!(self, BindTarget::Inherited(_))
    }

    /// True for [`BindTarget::Any`].
    pub const fn is_any(&self) -> bool {
        matches!(self, BindTarget::Any { .. })
    }

    /// True for [`BindTarget::Loopback`].
    pub const fn is_loopback(&self) -> bool {
        matches!(self, BindTarget::Loopback { .. })
    }

    /// True for [`BindTarget::SpecificInterface`], by address or by name.
    pub const fn is_specific_interface(&self) -> bool {
        matches!(self, BindTarget::SpecificInterface { .. })
    }

    /// True for a [`BindTarget::Port`] client bind.
    pub const fn is_port_only(&self) -> bool {
        matches!(self, BindTarget::Port(_))
    }

    /// The port to bind. For a [`BindTarget::Port`] range this is its first port; see
    /// [`BindTarget::ports`].
    pub const fn port(&self) -> u16 {
        match self {
            BindTarget::Any { port, .. }
            | BindTarget::Loopback { port, .. }
            | BindTarget::SpecificInterface { port, .. } => *port,
            BindTarget::Port(range) => range.first(),
            BindTarget::Inherited(_) => 0,
        }
    }

    /// The ports this target may bind: one port, or a [`BindTarget::Port`] range.
    pub const fn ports(&self) -> PortRange {
        match self {
            BindTarget::Port(range) => *range,
            _ => PortRange::single(self.port()),
        }
    }

    /// The same target on another port. A [`BindTarget::Port`] range becomes that single port;
    /// a [`BindTarget::Inherited`] socket is bound already and stays as it is.
    #[must_use]
    pub fn with_port(&self, port: u16) -> Self {
        let mut target = self.clone();
        match &mut target {
            BindTarget::Any { port: p, .. }
            | BindTarget::Loopback { port: p, .. }
            | BindTarget::SpecificInterface { port: p, .. } => *p = port,
            BindTarget::Port(range) => *range = PortRange::single(port),
            BindTarget::Inherited(_) => {}
        }
        target
    }

    /// The local address of a [`BindTarget::SpecificInterface`] given by address, e.g.
    /// `192.168.1.5` of `192.168.1.5:80`; `None` for every other target.
    ///
    /// ```
    /// use bindpolicy::BindTarget;
    ///
    /// let target: BindTarget = "[fe80::1%eth0]:80".parse()?;
    /// assert_eq!(target.address().map(|a| a.to_string()).as_deref(), Some("fe80::1%eth0"));
    /// assert_eq!("eth0:80".parse::<BindTarget>()?.address(), None);
    /// # Ok::<(), bindpolicy::ParseError>(())
    /// ```
    pub const fn address(&self) -> Option<&LocalAddress> {
        match self {
            BindTarget::SpecificInterface {
                interface: LocalInterface::Address(addr),
                ..
            } => Some(addr),
            _ => None,
        }
    }

    /// The interface name of a [`BindTarget::SpecificInterface`] given by name, e.g. `eth0` of
    /// `eth0:8080`; `None` for every other target (a zone is the address's, see
    /// [`LocalAddress::zone`]).
    pub const fn interface_name(&self) -> Option<&InterfaceName> {
        match self {
            BindTarget::SpecificInterface {
                interface: LocalInterface::Name(name),
                ..
            } => Some(name),
            _ => None,
        }
    }

    /// The address family the target names, where it names one: `None` for an interface name
    /// (it may have addresses of either), for a [`BindTarget::Port`] (the remote decides) and
    /// for a [`BindTarget::Inherited`] socket (the service manager decides).
    pub fn family(&self) -> Option<Family> {
        match self {
            BindTarget::Any { family, .. } | BindTarget::Loopback { family, .. } => Some(*family),
            BindTarget::SpecificInterface {
                interface: LocalInterface::Address(addr),
                ..
            } => Some(Family::of(addr.ip())),
            BindTarget::SpecificInterface { .. }
            | BindTarget::Port(_)
            | BindTarget::Inherited(_) => None,
        }
    }
}

impl fmt::Display for BindTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindTarget::Any { family, port } => match family {
                Family::Both => write!(f, "*:{port}"),
                Family::Ipv4 => write!(f, "0.0.0.0:{port}"),
                Family::Ipv6 => write!(f, "[::]:{port}"),
            },
            BindTarget::Loopback { family, port } => match family {
                Family::Both => write!(f, "localhost:{port}"),
                Family::Ipv4 => write!(f, "127.0.0.1:{port}"),
                Family::Ipv6 => write!(f, "[::1]:{port}"),
            },
            BindTarget::SpecificInterface { interface, port } => match interface {
                LocalInterface::Address(addr) if addr.ip().is_ipv6() => {
                    write!(f, "[{addr}]:{port}")
                }
                LocalInterface::Address(addr) => write!(f, "{addr}:{port}"),
                LocalInterface::Name(name) => write!(f, "{name}:{port}"),
            },
            BindTarget::Port(range) => write!(f, "port:{range}"),
            BindTarget::Inherited(which) => write!(f, "{which}"),
        }
    }
}

impl fmt::Debug for BindTarget {
    /// The canonical form, as `Display` writes it: `localhost:0`, not
    /// `Loopback { family: Both, port: 0 }`, so config dumps read as the config.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl TryFrom<SocketAddr> for BindTarget {
    type Error = ParseError;

    /// [`BindTarget::socket_addr`]: `0.0.0.0:80` is [`BindTarget::any_v4`], `127.0.0.1:80`
    /// [`BindTarget::loopback_v4`], another address one [`BindTarget::SpecificInterface`].
    ///
    /// ```
    /// use bindpolicy::BindTarget;
    /// use std::net::SocketAddr;
    ///
    /// let addr: SocketAddr = "[::]:8080".parse()?;
    /// assert_eq!(BindTarget::try_from(addr)?, BindTarget::any_v6(8080));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn try_from(addr: SocketAddr) -> Result<Self, ParseError> {
        BindTarget::socket_addr(addr)
    }
}

impl From<PortRange> for BindTarget {
    /// [`BindTarget::source_ports`]: a client bind pinned to the range.
    fn from(ports: PortRange) -> Self {
        BindTarget::source_ports(ports)
    }
}

/// Which address families a target covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4 and IPv6, each on its own socket.
    Both,
    /// IPv4 only.
    Ipv4,
    /// IPv6 only.
    Ipv6,
}

impl Family {
    /// The family of one address.
    pub const fn of(ip: IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        }
    }

    /// Whether this family covers the family of `ip`.
    pub const fn includes(self, ip: IpAddr) -> bool {
        matches!(
            (self, ip),
            (Family::Both, _) | (Family::Ipv4, IpAddr::V4(_)) | (Family::Ipv6, IpAddr::V6(_))
        )
    }

    /// The stable lower-case name: `both`, `ipv4` or `ipv6`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Family::Both => "both",
            Family::Ipv4 => "ipv4",
            Family::Ipv6 => "ipv6",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Both => "IPv4 and IPv6",
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        })
    }
}

/// The payload of [`BindTarget::SpecificInterface`]: one address, or an interface by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LocalInterface {
    /// One address, e.g. `192.168.1.5` or `fe80::1%eth0`.
    Address(LocalAddress),
    /// Every address of the named interface, e.g. `eth0`.
    Name(InterfaceName),
}

/// An IP address that a socket could bind as its local address: unicast, not the wildcard, not
/// 127.0.0.1 or ::1 (those are [`BindTarget::Loopback`]), not IPv4-mapped, with an optional zone
/// on a link-local IPv6 address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalAddress {
    // pub(crate) for the parser's fast path, which has checked what `new` checks.
    pub(crate) ip: IpAddr,
    pub(crate) zone: Option<Zone>,
}

impl LocalAddress {
    /// Validates `ip` and `zone`.
    ///
    /// # Errors
    ///
    /// A wildcard, 127.0.0.1 or ::1 (use [`BindTarget::any_v4`] and friends or
    /// [`BindTarget::ip`]), a multicast, broadcast or IPv4-mapped address, or a zone on an
    /// address that is not IPv6 link-local. The error's input is the address as written.
    pub fn new(ip: IpAddr, zone: Option<Zone>) -> Result<Self, ParseError> {
        let fail = |kind| {
            let text = match &zone {
                Some(zone) => format!("{ip}%{zone}"),
                None => ip.to_string(),
            };
            Err(ParseError::new(text, 0, kind).of(Subject::Address))
        };
        if ip.is_unspecified() {
            return fail(ParseErrorKind::UnspecifiedAddress);
        }
        if ip == IpAddr::V4(Ipv4Addr::LOCALHOST) || ip == IpAddr::V6(Ipv6Addr::LOCALHOST) {
            return fail(ParseErrorKind::LoopbackAddress);
        }
        if let Some(kind) = parse::reject_ip(ip) {
            return fail(kind);
        }
        if zone.is_some() && !is_link_local_v6(ip) {
            return fail(ParseErrorKind::ZoneNotLinkLocal);
        }
        if let Some(Zone::Name(name)) = &zone {
            // `%25eth0` reads as a URL-escaped zone, so such a name could not print back.
            if name.as_str().len() > 2 && name.as_str().starts_with("25") {
                return fail(ParseErrorKind::EscapedZone);
            }
        }
        Ok(LocalAddress { ip, zone })
    }

    /// The address.
    pub const fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The zone of a link-local IPv6 address, as written.
    pub const fn zone(&self) -> Option<&Zone> {
        self.zone.as_ref()
    }
}

impl fmt::Display for LocalAddress {
    /// `192.168.1.5`, `2001:db8::5` or `fe80::1%eth0`, without brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.zone {
            Some(zone) => write!(f, "{}%{zone}", self.ip),
            None => write!(f, "{}", self.ip),
        }
    }
}

/// The zone (scope) of a link-local IPv6 address: an interface name or a non-zero index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Zone {
    /// `%eth0`.
    Name(InterfaceName),
    /// `%3`, the interface index.
    Index(NonZeroU32),
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Name(name) => write!(f, "{name}"),
            Zone::Index(index) => write!(f, "{index}"),
        }
    }
}

/// Which of the sockets a service manager handed over a [`BindTarget::Inherited`] takes: by
/// fd number (`fd:3`; systemd hands them over from fd 3 on) or by name (`fd:web`, the `.socket`
/// unit's `FileDescriptorName=`, as `LISTEN_FDNAMES` lists it).
///
/// `sd-listen:NAME` (tokio-listener's spelling) is read as `fd:NAME`.
///
/// ```
/// use bindpolicy::{BindTarget, Inherited};
///
/// let target: BindTarget = "fd:3".parse()?;
/// assert_eq!(target, BindTarget::inherited(Inherited::fd(3)?));
/// assert_eq!("sd-listen:web".parse::<BindTarget>()?.to_string(), "fd:web");
/// assert!(Inherited::fd(2).is_err());
/// # Ok::<(), bindpolicy::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Inherited(Which);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Which {
    Fd(u32),
    Name(String),
}

impl Inherited {
    /// By fd number: 3 or more.
    ///
    /// # Errors
    ///
    /// Below 3: 0, 1 and 2 are standard input, output and error, never a handed-over socket.
    pub fn fd(fd: u32) -> Result<Self, ParseError> {
        if fd < 3 {
            let text = fd.to_string();
            return Err(ParseError::new(
                format!("fd:{text}"),
                3,
                ParseErrorKind::InvalidInherited(text),
            ));
        }
        Ok(Inherited(Which::Fd(fd)))
    }

    /// By `FileDescriptorName=`: 1 to 255 printable ASCII characters but `:`, `$` and space,
    /// not only digits (that is an fd number).
    ///
    /// # Errors
    ///
    /// A name systemd would not hand over, or one made only of digits.
    pub fn name(name: &str) -> Result<Self, ParseError> {
        let valid = !name.is_empty()
            && name.len() <= 255
            && !name.bytes().all(|b| b.is_ascii_digit())
            && name
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b':' && b != b'$');
        if !valid {
            return Err(ParseError::new(
                format!("fd:{name}"),
                3,
                ParseErrorKind::InvalidInherited(name.to_owned()),
            ));
        }
        Ok(Inherited(Which::Name(name.to_owned())))
    }

    /// The fd number, for `fd:N`.
    pub fn fd_number(&self) -> Option<u32> {
        match &self.0 {
            Which::Fd(fd) => Some(*fd),
            Which::Name(_) => None,
        }
    }

    /// The name, for `fd:NAME`.
    pub fn fd_name(&self) -> Option<&str> {
        match &self.0 {
            Which::Fd(_) => None,
            Which::Name(name) => Some(name),
        }
    }
}

impl fmt::Display for Inherited {
    /// `fd:3` or `fd:web`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Which::Fd(fd) => write!(f, "fd:{fd}"),
            Which::Name(name) => write!(f, "fd:{name}"),
        }
    }
}

/// A name a Linux interface could have: 1 to 15 bytes, no `/`, whitespace, `:` or `%`, not `.`
/// or `..`, and not made only of digits and dots (that is an IPv4 literal or an index).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InterfaceName(pub(crate) String);

impl InterfaceName {
    /// The longest name Linux accepts: IFNAMSIZ (16) less the terminating NUL.
    pub const MAX_LEN: usize = 15;

    /// Validates a name.
    ///
    /// # Errors
    ///
    /// A name Linux could not have; the error says which rule it breaks.
    ///
    /// ```
    /// use bindpolicy::InterfaceName;
    ///
    /// assert_eq!(InterfaceName::new("eth0.100")?.as_str(), "eth0.100");
    /// assert!(InterfaceName::new("a-name-far-too-long").is_err());
    /// # Ok::<(), bindpolicy::ParseError>(())
    /// ```
    pub fn new(name: &str) -> Result<Self, ParseError> {
        match parse::check_interface_name(name) {
            Ok(()) => Ok(InterfaceName(name.to_owned())),
            Err((offset, kind)) => {
                Err(ParseError::new(name, offset, kind).of(Subject::InterfaceName))
            }
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InterfaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for InterfaceName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An inclusive range of ports, `first..=last`, with `first <= last`. A range of more than one
/// port never includes port 0. `Debug` and `Display` write `40000` or `40000-40100`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    first: u16,
    last: u16,
}

impl PortRange {
    /// One port.
    pub const fn single(port: u16) -> Self {
        PortRange {
            first: port,
            last: port,
        }
    }

    /// `first..=last`.
    ///
    /// # Errors
    ///
    /// `first > last`, or a range of several ports that starts at 0.
    pub fn new(first: u16, last: u16) -> Result<Self, ParseError> {
        let fail =
            |kind| Err(ParseError::new(format!("{first}-{last}"), 0, kind).of(Subject::PortRange));
        if first > last {
            return fail(ParseErrorKind::ReversedRange);
        }
        if first == 0 && last != 0 {
            return fail(ParseErrorKind::RangeIncludesZero);
        }
        Ok(PortRange { first, last })
    }

    /// The first port.
    pub const fn first(&self) -> u16 {
        self.first
    }

    /// The last port, inclusive.
    pub const fn last(&self) -> u16 {
        self.last
    }

    /// How many ports the range holds (1 to 65535).
    pub const fn len(&self) -> u32 {
        self.last as u32 - self.first as u32 + 1
    }

    /// Always false: a range holds at least one port. Present for clippy's `len_without_is_empty`.
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// Whether `port` is in the range.
    pub const fn contains(&self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }

    /// The ports of the range, in order.
    pub fn iter(&self) -> std::ops::RangeInclusive<u16> {
        self.first..=self.last
    }
}

impl fmt::Display for PortRange {
    /// `40000` for one port, `40000-40100` for several.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

impl fmt::Debug for PortRange {
    /// The canonical form, as `Display` writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// fe80::/10, the range std's `Ipv6Addr::is_unicast_link_local` tests.
pub(crate) fn is_link_local_v6(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => v6.is_unicast_link_local(),
        IpAddr::V4(_) => false,
    }
}
