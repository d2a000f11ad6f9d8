//! [`Error`], the core error of resolving, binding and connecting, and its [`ErrorKind`].
//!
//! Every variant carries the data a caller needs to act on, and its message ends with the fix.
//! An underlying `io::Error` is kept as the `source()`, never pasted into the message.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::target::{BindTarget, Family, ParseError, PortRange};
use crate::text::{did_you_mean, join_and, join_or};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The crate's main error: resolving, binding and connecting.
///
/// Match on [`Error::kind`] for a stable category; the variants carry the data. The message is
/// a full sentence that ends with the fix, and an OS error, where there is one, is the
/// [`source`](std::error::Error::source).
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The target string did not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),

    /// The machine's interfaces could not be enumerated.
    #[error("could not list this machine's network interfaces")]
    Interfaces {
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The address is not assigned to any interface of this machine.
    #[error("{}", not_local_message(.addr, *.port, .local))]
    AddrNotLocal {
        /// The address asked for.
        addr: IpAddr,
        /// The port asked for.
        port: u16,
        /// Every address of this machine, with its interface's name.
        local: Vec<(IpAddr, String)>,
    },

    /// A link-local address whose zone names an interface that does not carry it.
    #[error(
        "{addr} is not an address of {zone}{}; fix the zone after '%'",
        carriers_suffix(.carriers)
    )]
    ZoneMismatch {
        /// The address asked for.
        addr: Ipv6Addr,
        /// The zone given, as written.
        zone: String,
        /// The interfaces that do carry the address.
        carriers: Vec<String>,
    },

    /// No interface has this name.
    #[error("{}", interface_not_found_message(.name, .known))]
    InterfaceNotFound {
        /// The name asked for.
        name: String,
        /// The names of this machine's interfaces.
        known: Vec<String>,
        /// The OS error, when the kernel reported it (ENODEV).
        #[source]
        source: Option<io::Error>,
    },

    /// The interface exists but has no address to bind.
    #[error(
        "interface {interface} has no {}address to bind (it is {state}); assign one, or bring the interface up",
        family_prefix(*.family)
    )]
    NoAddress {
        /// The interface.
        interface: String,
        /// The family asked for.
        family: Family,
        /// The interface's state, e.g. `up` or `down`.
        state: String,
    },

    /// A link-local IPv6 address without a zone, and not exactly one interface carries it.
    #[error("{}", zone_required_message(.addr, *.port, .candidates))]
    ZoneRequired {
        /// The address.
        addr: Ipv6Addr,
        /// The port.
        port: u16,
        /// The interfaces that carry the address (none, or several).
        candidates: Vec<String>,
        /// The OS error, when the kernel reported it (EINVAL at bind).
        #[source]
        source: Option<io::Error>,
    },

    /// The address family is not available here: no IPv6 at all, or IPv6 disabled in the kernel.
    #[error("{family} is not available on this machine: {reason}")]
    FamilyUnsupported {
        /// The family asked for.
        family: Family,
        /// Why: what was found missing.
        reason: String,
        /// The OS error (EAFNOSUPPORT), when a socket call failed.
        #[source]
        source: Option<io::Error>,
    },

    /// The local address's family differs from the remote's.
    #[error(
        "cannot connect from {local} to {remote}: the source is {} and the remote is {}; pick a source of the remote's family (or * / localhost / port: to follow the remote)",
        Family::of(*.local), Family::of(.remote.ip())
    )]
    FamilyMismatch {
        /// The local address.
        local: IpAddr,
        /// The remote.
        remote: SocketAddr,
    },

    /// A `port:` target was asked to listen.
    #[error(
        "{target} pins a client's source port and cannot listen; to listen on every interface, write *:{}",
        .target.port()
    )]
    NotListenable {
        /// The target.
        target: BindTarget,
    },

    /// The port is taken (EADDRINUSE).
    #[error("{}", addr_in_use_message(.addr, .phase, *.protocol, .holder))]
    AddrInUse {
        /// The address that could not be bound. At connect, the source address the kernel
        /// used (the route's, for a wildcard source).
        addr: SocketAddr,
        /// Where it failed.
        phase: Phase,
        /// TCP or UDP.
        protocol: Protocol,
        /// The socket that holds the port, and its process, when the OS lets us see them.
        holder: Option<Box<PortHolder>>,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The OS refused for lack of privilege (EACCES, EPERM).
    #[error("{}", permission_message(.addr, .phase, *.unprivileged_port_start))]
    PermissionDenied {
        /// The address.
        addr: SocketAddr,
        /// Where it failed.
        phase: Phase,
        /// Linux's `net.ipv4.ip_unprivileged_port_start`, when known.
        unprivileged_port_start: Option<u16>,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The kernel refused the address at bind (EADDRNOTAVAIL): it vanished since resolve, or is
    /// still tentative.
    #[error(
        "{addr} cannot be bound now: the address is not assigned to this machine (it was removed since it was checked, or IPv6 duplicate address detection has not finished) (EADDRNOTAVAIL at {phase}); check `ip addr`, and for a server whose address is assigned later (DHCP, keepalived), set ListenOptions::freebind"
    )]
    AddrNotAvailable {
        /// The address.
        addr: SocketAddr,
        /// Where it failed.
        phase: Phase,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The pinned 4-tuple is still in TIME_WAIT from a previous connection (connect failed with
    /// EADDRNOTAVAIL or EADDRINUSE).
    #[error(
        "cannot connect from {local} to {remote}: that source port's previous connection to the same destination is still in TIME_WAIT (60 s on Linux; a new one may take it over only when TCP timestamps are on); wait, or pin a range such as port:{}-{}",
        .local.port(), .local.port().saturating_add(15)
    )]
    TimeWait {
        /// The local address.
        local: SocketAddr,
        /// The remote.
        remote: SocketAddr,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// Every port of a source-port range failed.
    #[error("{}", exhausted_message(.range, .remote, *.attempts, .ports, .kernel_refusal))]
    PortRangeExhausted {
        /// The range.
        range: PortRange,
        /// The destination.
        remote: SocketAddr,
        /// How many ports were tried (the kernel's search tries every port of the range).
        attempts: u32,
        /// What held the range's ports, from one lookup after the last attempt; `None` where
        /// the OS does not say (no sock_diag or /proc).
        ports: Option<RangeUse>,
        /// Why the kernel's own port search (IP_LOCAL_PORT_RANGE) was not used, when a sysctl
        /// stood in its way; the ports were then tried one by one.
        kernel_refusal: Option<KernelRefusal>,
        /// The last port's error, which is also the [`source`](std::error::Error::source):
        /// `source()` downcasts to [`Error`], and this field derefs to it.
        #[source]
        last: Cause,
    },

    /// A connect that left the source port to the kernel (no port pinned) found none free:
    /// the OS's ephemeral range (Linux: `net.ipv4.ip_local_port_range`) is used up toward this
    /// destination (connect failed with EADDRNOTAVAIL).
    #[error("{}", ephemeral_message(.remote, .range, .ports))]
    EphemeralPortsExhausted {
        /// The destination.
        remote: SocketAddr,
        /// The ephemeral range, where the OS says (Linux: `net.ipv4.ip_local_port_range`).
        range: Option<PortRange>,
        /// What held the range's ports, from one lookup after the failure; `None` where the OS
        /// does not say.
        ports: Option<RangeUse>,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The remote is this machine and its port equals the pinned source port: TCP would connect
    /// the socket to itself.
    #[error(
        "refusing to connect from {local} to {remote}: the remote is this machine on the pinned source port, so the socket would connect to itself; pin another source port"
    )]
    SelfConnect {
        /// The local address.
        local: SocketAddr,
        /// The remote.
        remote: SocketAddr,
    },

    /// The remote refused the connection (ECONNREFUSED).
    #[error(
        "{remote} refused the connection from {}: nothing listens there, or a firewall rejects it",
        display_local(.local)
    )]
    ConnectionRefused {
        /// The local address, when it was bound.
        local: Option<SocketAddr>,
        /// The remote.
        remote: SocketAddr,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The connection timed out.
    #[error("{}", timed_out_message(.local, .remote, .timeout))]
    TimedOut {
        /// The local address, when it was bound.
        local: Option<SocketAddr>,
        /// The remote.
        remote: SocketAddr,
        /// The timeout that expired, when the caller gave one.
        timeout: Option<Duration>,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// No route to the remote's network (ENETUNREACH).
    #[error(
        "{remote} is unreachable from {}: no route to its network; check the routes (ip route get {})",
        display_local(.local), .remote.ip()
    )]
    NetworkUnreachable {
        /// The local address, when it was bound.
        local: Option<SocketAddr>,
        /// The remote.
        remote: SocketAddr,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The remote host did not answer on its network (EHOSTUNREACH).
    #[error(
        "{remote} is unreachable from {}: the host does not answer on its network (down, or filtered)",
        display_local(.local)
    )]
    HostUnreachable {
        /// The local address, when it was bound.
        local: Option<SocketAddr>,
        /// The remote.
        remote: SocketAddr,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// An option this platform does not have.
    #[error("{option} is not supported on this platform")]
    Unsupported {
        /// The option, e.g. `SO_BINDTODEVICE`.
        option: &'static str,
    },

    /// The IPv6 address failed duplicate address detection: another host on the link has it,
    /// and the kernel never lets this machine bind it. Waiting does not help.
    #[error(
        "{addr} on {interface} failed duplicate address detection: another host on the link \
         already uses it, so the kernel will never bind it here (waiting does not help); find \
         that host (ip -6 neigh show {addr}), or remove the address (ip addr del \
         {addr}/{prefix_len} dev {interface}) and use another"
    )]
    DadFailed {
        /// The address.
        addr: IpAddr,
        /// Its interface.
        interface: String,
        /// Its prefix length.
        prefix_len: u8,
    },

    /// A wait for the target's addresses ([`BindTarget::wait`]) reached its deadline with
    /// something still missing.
    #[error("{}", wait_timed_out_message(.target, .waited, .missing))]
    AddressWaitTimedOut {
        /// The target waited for.
        target: BindTarget,
        /// The deadline that passed: how long the wait was allowed.
        waited: Duration,
        /// What was still missing at the last check, each in its state.
        missing: Vec<Pending>,
    },

    /// Any other OS error, with the phase and address.
    #[error("{phase} failed for {addr}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// Where it failed.
        phase: Phase,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// A URI to connect to has no host, e.g. a request's relative target `/index.html`: there
    /// is nothing to resolve (the `hyper` feature's `PinnedConnector`).
    #[error(
        "cannot connect to {uri:?}: it has no host; give an absolute URI such as http://example.com/"
    )]
    UriWithoutHost {
        /// The URI, as written.
        uri: String,
    },

    /// A host name resolved to no address (the `hyper` feature's `PinnedConnector`): the
    /// resolver failed (the OS error is the source), or it answered with no address.
    #[error(
        "the host name {host:?} did not resolve to any address; check the name and this machine's DNS setup, or connect to an IP address"
    )]
    HostNotFound {
        /// The host name, as the URI gave it.
        host: String,
        /// The port that was to be connected to.
        port: u16,
        /// The resolver's error; `None` when it answered with no address.
        #[source]
        source: Option<io::Error>,
    },

    /// The process was socket-activated, and the sockets the service manager handed over do not
    /// match what the target resolves to (or inheriting is required and nothing was handed
    /// over). The message names what was handed over, what the target wants, and the fix: the
    /// `.socket` unit's `ListenStream=` line or the config value.
    #[error("{}", inherited_message(&.0.target, &.0.handed, &.0.reason, &.0.fix))]
    InheritedMismatch(Box<ActivationMismatch>),
}

/// The data of [`Error::InheritedMismatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActivationMismatch {
    /// The target.
    pub target: BindTarget,
    /// Each socket (or other fd) the service manager handed over, in words, e.g.
    /// `fd 3 (TCP [::]:8080, IPv4 too)`; empty when none was.
    pub handed: Vec<String>,
    /// What does not match, e.g. `fd 3 is on port 9000, not 8080`.
    pub reason: String,
    /// How to make them match.
    pub fix: String,
}

impl Error {
    /// A [`BindTarget::Inherited`] where an address is needed: resolve, or a client source.
    pub(crate) fn inherited_not_a_source(target: &BindTarget) -> Error {
        Error::InheritedMismatch(Box::new(ActivationMismatch {
            target: target.clone(),
            handed: Vec::new(),
            reason: "a socket the service manager hands over has no address before a listen \
                takes it, and it is a listener, not a client's source"
                .to_owned(),
            fix: "listen on it (listen() takes it as the .socket unit bound it), or name the \
                address the unit binds, e.g. *:8080"
                .to_owned(),
        }))
    }
}

fn inherited_message(target: &BindTarget, handed: &[String], reason: &str, fix: &str) -> String {
    if handed.is_empty() {
        format!("{target}: {reason}; {fix}")
    } else {
        format!(
            "{target}: the service manager handed over {}, and {reason}; {fix}",
            crate::text::join_and(handed)
        )
    }
}

/// One thing a wait ([`BindTarget::wait`]) is still waiting for, in the state it was last
/// seen in. Its `Display` is the phrase the wait's status line and timeout message use.
///
/// ```
/// use bindpolicy::Pending;
/// use std::time::Duration;
///
/// let pending = Pending::Tentative {
///     addr: "fd00::5".parse()?,
///     interface: "eth1".into(),
///     since: Duration::from_millis(1200),
/// };
/// assert_eq!(
///     pending.to_string(),
///     "fd00::5 on eth1: tentative (duplicate address detection), for 1.2 s"
/// );
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Pending {
    /// No interface of this name exists (yet).
    InterfaceAbsent {
        /// The interface's name.
        interface: String,
    },
    /// The interface exists but is administratively down.
    InterfaceDown {
        /// The interface's name.
        interface: String,
    },
    /// The interface exists but has no address (of the family).
    NoAddress {
        /// The interface's name.
        interface: String,
        /// The family asked for ([`Family::Both`]: any).
        family: Family,
    },
    /// The address is on no interface of this machine (or not on the one its zone names).
    AddressAbsent {
        /// The address.
        addr: IpAddr,
        /// The interface it must be on, for a link-local address with a zone.
        interface: Option<String>,
    },
    /// The IPv6 address is tentative: duplicate address detection has not finished, and the
    /// kernel refuses to bind it until it has.
    Tentative {
        /// The address.
        addr: IpAddr,
        /// Its interface.
        interface: String,
        /// How long the wait has seen it tentative.
        since: Duration,
    },
    /// An IPv6-only target, and the machine has no IPv6 address yet (not even `::1`).
    NoIpv6,
}

impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pending::InterfaceAbsent { interface } => {
                write!(f, "interface {interface} does not exist")
            }
            Pending::InterfaceDown { interface } => write!(f, "interface {interface} is down"),
            Pending::NoAddress { interface, family } => write!(
                f,
                "interface {interface} has no {}address",
                family_prefix(*family)
            ),
            Pending::AddressAbsent {
                addr,
                interface: None,
            } => write!(f, "{addr} is not assigned to any interface"),
            Pending::AddressAbsent {
                addr,
                interface: Some(interface),
            } => write!(f, "{addr} is not assigned to {interface}"),
            Pending::Tentative {
                addr,
                interface,
                since,
            } => write!(
                f,
                "{addr} on {interface}: tentative (duplicate address detection), for {}",
                seconds(*since)
            ),
            Pending::NoIpv6 => f.write_str("this machine has no IPv6 address yet"),
        }
    }
}

/// A duration as seconds with one decimal: `1.2 s`.
pub(crate) fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

fn wait_timed_out_message(target: &BindTarget, waited: &Duration, missing: &[Pending]) -> String {
    let missing: Vec<String> = missing.iter().map(ToString::to_string).collect();
    format!(
        "gave up waiting for {target} after {}: {}; check `ip addr` and `ip link`, or wait longer",
        seconds(*waited),
        if missing.is_empty() {
            "it was not ready".to_owned()
        } else {
            missing.join("; ")
        }
    )
}

/// The system call where an OS error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// `socket()`.
    Socket,
    /// `setsockopt()` of the named option.
    SetOption(&'static str),
    /// `bind()`.
    Bind,
    /// `listen()`.
    Listen,
    /// `connect()`.
    Connect,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::Socket => f.write_str("socket()"),
            Phase::SetOption(option) => write!(f, "setsockopt({option})"),
            Phase::Bind => f.write_str("bind()"),
            Phase::Listen => f.write_str("listen()"),
            Phase::Connect => f.write_str("connect()"),
        }
    }
}

/// What held a source range's ports when a connect from it ran out: the one lookup made
/// after the last attempt (sock_diag on Linux).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct RangeUse {
    /// Ports with a live connection to the destination: no wait frees them.
    pub live: u32,
    /// Ports whose connection to the destination is in TIME_WAIT (free within 60 s).
    pub time_wait: u32,
    /// Ports held by other sockets: listeners, sockets bound without SO_REUSEADDR.
    pub held: u32,
}

impl RangeUse {
    /// Counts of live connections to the destination, TIME_WAIT entries toward it, and ports
    /// held by other sockets.
    pub fn new(live: u32, time_wait: u32, held: u32) -> RangeUse {
        RangeUse {
            live,
            time_wait,
            held,
        }
    }
}

/// Why a source range's connect could not leave the port search to the kernel
/// (IP_LOCAL_PORT_RANGE, Linux 6.3), naming the sysctl that stood in the way. The crate then
/// tries the ports itself, one by one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KernelRefusal {
    /// The range does not lie inside `net.ipv4.ip_local_port_range` (`lo..=hi`): the kernel
    /// would ignore or clamp it.
    OutsideLocalPortRange {
        /// The sysctl's first port.
        lo: u16,
        /// Its last port.
        hi: u16,
    },
    /// `net.ipv4.ip_local_reserved_ports` reserves ports of the range, which the kernel never
    /// picks.
    Reserved {
        /// The reserved ports inside the range, as the sysctl writes them (`40000-40009,40020`).
        ports: String,
    },
}

impl fmt::Display for KernelRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelRefusal::OutsideLocalPortRange { lo, hi } => write!(
                f,
                "net.ipv4.ip_local_port_range is {lo} {hi}, which does not hold the whole range"
            ),
            KernelRefusal::Reserved { ports } => {
                write!(f, "net.ipv4.ip_local_reserved_ports reserves {ports} of it")
            }
        }
    }
}

/// TCP or UDP: the protocol of the socket an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// `"tcp"` or `"udp"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }

    /// The `ss` command that lists every socket on `port` in every state, with its process:
    /// `ss -tanp 'sport = :8080'` (`-uanp` for UDP).
    pub fn ss_command(self, port: u16) -> String {
        let letter = match self {
            Protocol::Tcp => 't',
            Protocol::Udp => 'u',
        };
        format!("ss -{letter}anp 'sport = :{port}'")
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        })
    }
}

/// The state of a socket that holds a port, as the kernel reports it (`ss`'s names in
/// [`SocketState::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketState {
    /// A listening TCP socket.
    Listen,
    /// A connected TCP socket, or a connected UDP socket.
    Established,
    /// Connecting (SYN sent).
    SynSent,
    /// Being accepted (SYN received).
    SynReceived,
    /// Closing, our FIN sent.
    FinWait1,
    /// Closing, our FIN acknowledged.
    FinWait2,
    /// A closed connection's 4-tuple, kept so late packets are not taken for a new one (60 s
    /// on Linux). No process holds it.
    TimeWait,
    /// Bound and not connected: an unconnected UDP socket, or a TCP socket between bind and
    /// listen or connect.
    Unconnected,
    /// The peer closed; this end has not.
    CloseWait,
    /// Both closed, the last acknowledgement awaited.
    LastAck,
    /// Both sides closing at once.
    Closing,
    /// A state this crate does not name (its number from <net/tcp_states.h>).
    Other(u8),
}

impl SocketState {
    /// The state from its number in <net/tcp_states.h> (what sock_diag and /proc/net report).
    pub fn from_kernel(state: u8) -> SocketState {
        match state {
            1 => SocketState::Established,
            2 => SocketState::SynSent,
            3 => SocketState::SynReceived,
            4 => SocketState::FinWait1,
            5 => SocketState::FinWait2,
            6 => SocketState::TimeWait,
            7 => SocketState::Unconnected,
            8 => SocketState::CloseWait,
            9 => SocketState::LastAck,
            10 => SocketState::Listen,
            11 => SocketState::Closing,
            other => SocketState::Other(other),
        }
    }

    /// The name `ss` prints: `LISTEN`, `ESTAB`, `TIME-WAIT`, `UNCONN`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            SocketState::Listen => "LISTEN",
            SocketState::Established => "ESTAB",
            SocketState::SynSent => "SYN-SENT",
            SocketState::SynReceived => "SYN-RECV",
            SocketState::FinWait1 => "FIN-WAIT-1",
            SocketState::FinWait2 => "FIN-WAIT-2",
            SocketState::TimeWait => "TIME-WAIT",
            SocketState::Unconnected => "UNCONN",
            SocketState::CloseWait => "CLOSE-WAIT",
            SocketState::LastAck => "LAST-ACK",
            SocketState::Closing => "CLOSING",
            SocketState::Other(_) => "UNKNOWN",
        }
    }
}

impl fmt::Display for SocketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The socket that holds a port, as the kernel lists it (Linux: sock_diag, or /proc/net where
/// sock_diag is missing), and the process that owns it where this user may see it (every
/// process as root; the same user's otherwise). Its `Display` is the phrase the errors use:
/// `pid 812 (nginx) on 0.0.0.0:80 (LISTEN)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PortHolder {
    /// The address the holder's socket is bound to, e.g. `[::]:80`; an IPv4-mapped address
    /// (`[::ffff:127.0.0.1]:80`, a dual-stack socket) is given as IPv4.
    pub local: SocketAddr,
    /// The peer, for a connected socket or a TIME_WAIT entry.
    pub remote: Option<SocketAddr>,
    /// Its state.
    pub state: SocketState,
    /// The owner's user id, where the kernel said.
    pub uid: Option<u32>,
    /// The process id; `None` for a TIME_WAIT entry (no process holds one) or a process this
    /// user cannot see.
    pub pid: Option<u32>,
    /// The command name (`/proc/PID/comm`), with the pid.
    pub command: Option<String>,
}

impl PortHolder {
    /// A holder of `local` in `state`, with no peer and no process known; add them with the
    /// `with_*` methods.
    pub fn new(local: SocketAddr, state: SocketState) -> PortHolder {
        PortHolder {
            local,
            remote: None,
            state,
            uid: None,
            pid: None,
            command: None,
        }
    }

    /// The process that owns the socket.
    #[must_use]
    pub fn with_process(mut self, pid: u32, command: impl Into<String>) -> PortHolder {
        self.pid = Some(pid);
        self.command = Some(command.into());
        self
    }

    /// The peer of a connected socket.
    #[must_use]
    pub fn with_remote(mut self, remote: SocketAddr) -> PortHolder {
        self.remote = Some(remote);
        self
    }

    /// The owner's user id.
    #[must_use]
    pub fn with_uid(mut self, uid: u32) -> PortHolder {
        self.uid = Some(uid);
        self
    }
}

impl fmt::Display for PortHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = match self.remote {
            Some(remote) => format!("{} connected to {remote}", self.local),
            None => self.local.to_string(),
        };
        match (self.pid, &self.command, self.state) {
            (Some(pid), command, state) => write!(
                f,
                "pid {pid} ({}) on {on} ({state})",
                command.as_deref().unwrap_or("?")
            ),
            (None, _, SocketState::TimeWait) => write!(
                f,
                "a TIME-WAIT entry of {on}, a closed connection that no process holds; the \
                 kernel frees it within 60 s"
            ),
            (None, _, state) => {
                write!(
                    f,
                    "a socket on {on} ({state}) whose process this user cannot see"
                )?;
                match self.uid {
                    Some(uid) => write!(f, " (uid {uid}; as root, the error names it)"),
                    None => f.write_str(" (as root, the error names it)"),
                }
            }
        }
    }
}

/// A stable category of [`Error`], for matching and for machine-readable output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The target string did not parse.
    Parse,
    /// The interfaces could not be enumerated.
    Interfaces,
    /// The address is not (or no longer) an address of this machine.
    AddrNotAvailable,
    /// No interface has that name.
    InterfaceNotFound,
    /// The interface has no address to bind.
    NoAddress,
    /// A link-local address needs a zone.
    ZoneRequired,
    /// The address failed duplicate address detection.
    DadFailed,
    /// The address family is not available.
    FamilyUnsupported,
    /// The source and remote families differ.
    FamilyMismatch,
    /// A `port:` target cannot listen.
    NotListenable,
    /// The port is taken.
    AddrInUse,
    /// Privilege is missing.
    PermissionDenied,
    /// The pinned 4-tuple is in TIME_WAIT.
    TimeWait,
    /// Every port of a source range failed.
    PortRangeExhausted,
    /// The connection would connect to itself.
    SelfConnect,
    /// The remote refused.
    ConnectionRefused,
    /// The connection timed out.
    TimedOut,
    /// No route to the remote's network.
    NetworkUnreachable,
    /// The remote host is unreachable.
    HostUnreachable,
    /// The platform lacks an option.
    Unsupported,
    /// A policy rule is broken.
    PolicyViolation,
    /// Two listen targets collide.
    Overlap,
    /// An environment variable is unset.
    EnvNotSet,
    /// An environment variable holds no valid target.
    EnvInvalid,
    /// A wait for the target's addresses reached its deadline.
    AddressWaitTimedOut,
    /// Any other OS error.
    Io,
    /// The sockets a service manager handed over do not match the target.
    InheritedMismatch,
    /// A URI has no host to connect to.
    InvalidUri,
    /// A host name resolved to no address.
    HostNotFound,
}

impl ErrorKind {
    /// The stable snake_case name, e.g. `addr_not_available`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Parse => "parse",
            ErrorKind::Interfaces => "interfaces",
            ErrorKind::AddrNotAvailable => "addr_not_available",
            ErrorKind::InterfaceNotFound => "interface_not_found",
            ErrorKind::NoAddress => "no_address",
            ErrorKind::ZoneRequired => "zone_required",
            ErrorKind::DadFailed => "dad_failed",
            ErrorKind::FamilyUnsupported => "family_unsupported",
            ErrorKind::FamilyMismatch => "family_mismatch",
            ErrorKind::NotListenable => "not_listenable",
            ErrorKind::AddrInUse => "addr_in_use",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::TimeWait => "time_wait",
            ErrorKind::PortRangeExhausted => "port_range_exhausted",
            ErrorKind::SelfConnect => "self_connect",
            ErrorKind::ConnectionRefused => "connection_refused",
            ErrorKind::TimedOut => "timed_out",
            ErrorKind::NetworkUnreachable => "network_unreachable",
            ErrorKind::HostUnreachable => "host_unreachable",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::PolicyViolation => "policy_violation",
            ErrorKind::Overlap => "overlap",
            ErrorKind::EnvNotSet => "env_not_set",
            ErrorKind::EnvInvalid => "env_invalid",
            ErrorKind::AddressWaitTimedOut => "address_wait_timed_out",
            ErrorKind::Io => "io",
            ErrorKind::InheritedMismatch => "inherited_mismatch",
            ErrorKind::InvalidUri => "invalid_uri",
            ErrorKind::HostNotFound => "host_not_found",
        }
    }

    /// The matching `std::io::ErrorKind`.
    pub const fn io_kind(self) -> io::ErrorKind {
        match self {
            ErrorKind::Parse
            | ErrorKind::FamilyMismatch
            | ErrorKind::NotListenable
            | ErrorKind::Overlap
            | ErrorKind::EnvInvalid
            | ErrorKind::InheritedMismatch
            | ErrorKind::InvalidUri => io::ErrorKind::InvalidInput,
            ErrorKind::PolicyViolation => io::ErrorKind::PermissionDenied,
            ErrorKind::EnvNotSet => io::ErrorKind::NotFound,
            ErrorKind::AddrNotAvailable | ErrorKind::TimeWait | ErrorKind::DadFailed => {
                io::ErrorKind::AddrNotAvailable
            }
            ErrorKind::InterfaceNotFound | ErrorKind::NoAddress | ErrorKind::HostNotFound => {
                io::ErrorKind::NotFound
            }
            ErrorKind::ZoneRequired => io::ErrorKind::InvalidInput,
            ErrorKind::FamilyUnsupported | ErrorKind::Unsupported => io::ErrorKind::Unsupported,
            ErrorKind::AddrInUse | ErrorKind::PortRangeExhausted | ErrorKind::SelfConnect => {
                io::ErrorKind::AddrInUse
            }
            ErrorKind::PermissionDenied => io::ErrorKind::PermissionDenied,
            ErrorKind::ConnectionRefused => io::ErrorKind::ConnectionRefused,
            ErrorKind::TimedOut | ErrorKind::AddressWaitTimedOut => io::ErrorKind::TimedOut,
            ErrorKind::NetworkUnreachable => io::ErrorKind::NetworkUnreachable,
            ErrorKind::HostUnreachable => io::ErrorKind::HostUnreachable,
            ErrorKind::Interfaces | ErrorKind::Io => io::ErrorKind::Other,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The stable category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Parse(_) => ErrorKind::Parse,
            Error::Interfaces { .. } => ErrorKind::Interfaces,
            Error::AddrNotLocal { .. }
            | Error::ZoneMismatch { .. }
            | Error::AddrNotAvailable { .. } => ErrorKind::AddrNotAvailable,
            Error::InterfaceNotFound { .. } => ErrorKind::InterfaceNotFound,
            Error::NoAddress { .. } => ErrorKind::NoAddress,
            Error::ZoneRequired { .. } => ErrorKind::ZoneRequired,
            Error::DadFailed { .. } => ErrorKind::DadFailed,
            Error::FamilyUnsupported { .. } => ErrorKind::FamilyUnsupported,
            Error::FamilyMismatch { .. } => ErrorKind::FamilyMismatch,
            Error::NotListenable { .. } => ErrorKind::NotListenable,
            Error::AddrInUse { .. } => ErrorKind::AddrInUse,
            Error::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            Error::TimeWait { .. } => ErrorKind::TimeWait,
            Error::PortRangeExhausted { .. } | Error::EphemeralPortsExhausted { .. } => {
                ErrorKind::PortRangeExhausted
            }
            Error::SelfConnect { .. } => ErrorKind::SelfConnect,
            Error::ConnectionRefused { .. } => ErrorKind::ConnectionRefused,
            Error::TimedOut { .. } => ErrorKind::TimedOut,
            Error::NetworkUnreachable { .. } => ErrorKind::NetworkUnreachable,
            Error::HostUnreachable { .. } => ErrorKind::HostUnreachable,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::AddressWaitTimedOut { .. } => ErrorKind::AddressWaitTimedOut,
            Error::Io { .. } => ErrorKind::Io,
            Error::InheritedMismatch(_) => ErrorKind::InheritedMismatch,
            Error::UriWithoutHost { .. } => ErrorKind::InvalidUri,
            Error::HostNotFound { .. } => ErrorKind::HostNotFound,
        }
    }
}

impl fmt::Debug for Error {
    /// The kind, the message and the chain of causes, so that `fn main() -> Result<(),
    /// bindpolicy::Error>` prints the fix, e.g. `addr_in_use: 127.0.0.1:80 is already in use
    /// (…); stop it, or pick another port` and a `caused by:` line per underlying error. The
    /// variant's fields are there to match on.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {self}", self.kind())?;
        let mut cause = std::error::Error::source(self);
        while let Some(err) = cause {
            write!(f, "\n  caused by: {err}")?;
            cause = err.source();
        }
        Ok(())
    }
}

/// The error a [`Error::PortRangeExhausted`] ends on: the last port's [`Error`].
///
/// It derefs to the [`Error`], and `source()` of the range error gives it as `&Error`
/// (`downcast_ref::<bindpolicy::Error>()` works), which a `Box<Error>` would not: a box is an
/// error type of its own. It is not itself a `std::error::Error` for that reason.
pub struct Cause(Box<Error>);

impl Cause {
    pub(crate) fn new(err: Error) -> Cause {
        Cause(Box::new(err))
    }

    /// The error.
    pub fn get(&self) -> &Error {
        &self.0
    }

    /// The error, unboxed.
    pub fn into_inner(self) -> Error {
        *self.0
    }
}

impl std::ops::Deref for Cause {
    type Target = Error;

    fn deref(&self) -> &Error {
        &self.0
    }
}

impl From<Error> for Cause {
    fn from(err: Error) -> Cause {
        Cause::new(err)
    }
}

impl AsRef<Error> for Cause {
    fn as_ref(&self) -> &Error {
        &self.0
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl From<Error> for io::Error {
    /// Keeps the matching `io::ErrorKind` and the whole [`Error`] as the inner error, so `?`
    /// works in `io::Result` code and `downcast` gives it back.
    fn from(err: Error) -> io::Error {
        io::Error::new(err.kind().io_kind(), err)
    }
}

fn display_local(local: &Option<SocketAddr>) -> String {
    match local {
        Some(addr) => addr.to_string(),
        None => "an OS-chosen source".to_owned(),
    }
}

fn carriers_suffix(carriers: &[String]) -> String {
    match carriers {
        [] => " (no interface carries it)".to_owned(),
        _ => format!(" (it is on {})", carriers.join(", ")),
    }
}

/// The same-family addresses of `local`, or all of them where the family has none.
fn same_family<'a>(addr: &IpAddr, local: &'a [(IpAddr, String)]) -> Vec<&'a (IpAddr, String)> {
    let same: Vec<_> = local
        .iter()
        .filter(|(ip, _)| ip.is_ipv4() == addr.is_ipv4())
        .collect();
    if same.is_empty() {
        local.iter().collect()
    } else {
        same
    }
}

fn socket_text(ip: IpAddr, port: u16) -> String {
    SocketAddr::new(ip, port).to_string()
}

fn not_local_message(addr: &IpAddr, port: u16, local: &[(IpAddr, String)]) -> String {
    let same = same_family(addr, local);
    let listed: Vec<String> = same
        .iter()
        .map(|(ip, name)| format!("{ip} ({name})"))
        .collect();
    let wildcard = match addr {
        IpAddr::V4(_) => format!("0.0.0.0:{port}"),
        IpAddr::V6(_) => format!("[::]:{port}"),
    };
    let mut options = vec![format!("{wildcard} (every interface)")];
    options.extend(
        same.iter()
            .filter(|(ip, _)| {
                ip.is_ipv4() == addr.is_ipv4()
                    && !ip.is_loopback()
                    && !crate::target::is_link_local_v6(*ip)
            })
            .map(|(ip, name)| format!("{} ({name} only)", socket_text(*ip, port))),
    );
    format!(
        "{addr} is not an address of this machine, so the kernel would refuse to bind it \
         (EADDRNOTAVAIL, \"Cannot assign requested address\"). A server can only listen on its \
         own addresses: {}. To accept connections from {addr}, listen on {}.",
        if listed.is_empty() {
            "none found".to_owned()
        } else {
            listed.join(", ")
        },
        join_or(&options)
    )
}

/// "IPv4 " or "IPv6 " before "address"; nothing for both.
fn family_prefix(family: Family) -> &'static str {
    match family {
        Family::Ipv4 => "IPv4 ",
        Family::Ipv6 => "IPv6 ",
        Family::Both => "",
    }
}

fn interface_not_found_message(name: &str, known: &[String]) -> String {
    let mut msg = if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        format!("no interface has index {name}")
    } else {
        format!("no interface is named {name:?}")
    };
    match did_you_mean(name, known.iter().map(String::as_str)) {
        Some(close) => msg.push_str(&format!("; did you mean {close:?}?")),
        None => msg.push('.'),
    }
    if known.is_empty() {
        // The kernel said ENODEV (the interface is gone), or the snapshot holds none.
        msg.push_str(" Check `ip link` for the interfaces this machine has now.");
    } else {
        msg.push_str(&format!(" This machine has: {}.", known.join(", ")));
    }
    if name.contains('.')
        && !name
            .split('.')
            .all(|part| part.bytes().all(|b| b.is_ascii_digit()))
    {
        msg.push_str(
            " It looks like a host name: bindpolicy never resolves host names, since a name can \
             map to addresses this machine does not have. Write one of this machine's addresses \
             (e.g. 192.0.2.10:8080), localhost:PORT for this machine only, or *:PORT for every \
             interface.",
        );
    }
    msg
}

fn zone_required_message(addr: &Ipv6Addr, port: u16, candidates: &[String]) -> String {
    match candidates {
        [] => format!(
            "{addr} is link-local, and no interface of this machine carries it, so it needs a \
             zone naming the link: write [{addr}%IFACE]:{port}"
        ),
        _ => format!(
            "{addr} is link-local and is on several interfaces ({}); name one as its zone, e.g. \
             [{addr}%{}]:{port}",
            candidates.join(", "),
            candidates.first().map_or("IFACE", String::as_str)
        ),
    }
}

fn ephemeral_message(
    remote: &SocketAddr,
    range: &Option<PortRange>,
    ports: &Option<RangeUse>,
) -> String {
    let mut msg = format!("cannot connect to {remote}: no ephemeral source port is free toward it");
    match range {
        Some(range) => {
            msg.push_str(&format!(
                " (net.ipv4.ip_local_port_range is {range}, {} ports",
                range.len()
            ));
            push_counts(&mut msg, ports);
            msg.push_str(
                "); reuse connections (keep-alive) or close idle ones, or widen \
                 net.ipv4.ip_local_port_range",
            );
        }
        None => msg.push_str(
            " (EADDRNOTAVAIL at connect()); reuse connections (keep-alive) or close idle ones, \
             or widen the OS's ephemeral port range",
        ),
    }
    msg
}

/// `: 2 with a live connection to it and 1 held by other sockets`, the nonzero counts only;
/// nothing when all are zero or unknown.
fn push_counts(msg: &mut String, ports: &Option<RangeUse>) {
    let Some(ports) = ports else { return };
    let mut parts = Vec::new();
    if ports.live > 0 {
        parts.push(format!("{} with a live connection to it", ports.live));
    }
    if ports.time_wait > 0 {
        parts.push(format!("{} in TIME-WAIT toward it", ports.time_wait));
    }
    if ports.held > 0 {
        parts.push(format!("{} held by other sockets", ports.held));
    }
    if !parts.is_empty() {
        msg.push_str(": ");
        msg.push_str(&join_and(&parts));
    }
}

fn exhausted_message(
    range: &PortRange,
    remote: &SocketAddr,
    attempts: u32,
    ports: &Option<RangeUse>,
    refusal: &Option<KernelRefusal>,
) -> String {
    let mut msg = format!("every source port in {range} failed toward {remote} ({attempts} tried");
    push_counts(&mut msg, ports);
    msg.push_str("); widen the range, or close connections that hold it");
    if let Some(refusal) = refusal {
        msg.push_str(&format!(
            ". The kernel's own port search (IP_LOCAL_PORT_RANGE) was not used: {refusal}"
        ));
    }
    msg
}

fn addr_in_use_message(
    addr: &SocketAddr,
    phase: &Phase,
    protocol: Protocol,
    holder: &Option<Box<PortHolder>>,
) -> String {
    if *phase == Phase::Connect {
        return format!(
            "{addr} already has a live connection to that destination, so connect() finds the \
             4-tuple in use; close that connection, or pin a range such as port:{}-{} so \
             another source port is used",
            addr.port(),
            addr.port().saturating_add(15)
        );
    }
    let mut msg = format!("{addr} is already in use (EADDRINUSE at {phase})");
    match holder.as_deref() {
        Some(holder) => {
            msg.push_str(&format!(": held by {holder}"));
            if holder.local.ip().is_unspecified()
                && addr.ip().is_unspecified()
                && holder.local.is_ipv6() != addr.is_ipv6()
            {
                msg.push_str(
                    ". A [::] socket with IPV6_V6ONLY off (the Linux default) also covers \
                     0.0.0.0; bind both families with V6ONLY on, or only one",
                );
            }
            msg.push_str(match (holder.pid, holder.state) {
                (Some(_), _) => "; stop it, or pick another port",
                (None, SocketState::TimeWait) => "; wait for it, or pick another port",
                (None, _) => "; pick another port",
            });
        }
        None => msg.push_str(&format!(
            "; to see who holds it run `{}` (as root to see every process), or pick another \
             port",
            protocol.ss_command(addr.port())
        )),
    }
    msg.push_str(airplay_hint(addr.port(), crate::sys::MACOS));
    msg
}

/// On macOS, ports 5000 and 7000 are AirPlay Receiver's: how to turn it off.
fn airplay_hint(port: u16, macos: bool) -> &'static str {
    if macos && (port == 5000 || port == 7000) {
        ". On macOS, AirPlay Receiver listens on 5000 and 7000: turn it off in System Settings \
         → General → AirDrop & Handoff → AirPlay Receiver"
    } else {
        ""
    }
}

fn permission_message(addr: &SocketAddr, phase: &Phase, start: Option<u16>) -> String {
    match phase {
        Phase::SetOption(option) => format!(
            "{option} on the socket for {addr} needs privilege (CAP_NET_RAW for SO_BINDTODEVICE); \
             run with that capability, or drop the option"
        ),
        _ => match start {
            Some(start) if addr.port() < start => format!(
                "binding {addr} needs privilege: ports below {start} \
                 (net.ipv4.ip_unprivileged_port_start) are privileged, and this process lacks \
                 CAP_NET_BIND_SERVICE. Grant it (`setcap cap_net_bind_service=+ep BINARY`, or \
                 AmbientCapabilities=CAP_NET_BIND_SERVICE in a systemd unit), lower the limit \
                 (`sysctl net.ipv4.ip_unprivileged_port_start={}`), or use a port at or above \
                 {start}",
                addr.port()
            ),
            _ => format!(
                "the OS denied {phase} for {addr} (EACCES); a security module (SELinux, AppArmor) \
                 or, on Windows, a reserved port range (`netsh interface ipv4 show \
                 excludedportrange protocol=tcp`) may forbid it"
            ),
        },
    }
}

fn timed_out_message(
    local: &Option<SocketAddr>,
    remote: &SocketAddr,
    timeout: &Option<Duration>,
) -> String {
    let after = match timeout {
        Some(timeout) => format!(" after {timeout:?}"),
        None => String::new(),
    };
    let mut msg = format!(
        "connecting from {} to {remote} timed out{after}: nothing answered, so a firewall may be \
         dropping the packets",
        display_local(local)
    );
    if let Some(local) = local.filter(|local| local.port() != 0) {
        msg.push_str(&format!(
            "; check that it admits source port {}",
            local.port()
        ));
    }
    msg
}

#[cfg(test)]
mod airplay_tests {
    #[test]
    fn the_airplay_hint_is_for_5000_and_7000_on_macos_only() {
        let hint = ". On macOS, AirPlay Receiver listens on 5000 and 7000: turn it off in System \
                    Settings → General → AirDrop & Handoff → AirPlay Receiver";
        assert_eq!(super::airplay_hint(5000, true), hint);
        assert_eq!(super::airplay_hint(7000, true), hint);
        assert_eq!(super::airplay_hint(5001, true), "");
        assert_eq!(super::airplay_hint(5000, false), "");
    }
}
