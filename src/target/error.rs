//! [`ParseError`]: why a bind target string (or a port, port range or interface name) was
//! rejected, and where. It sits beside the grammar that raises it.

use std::fmt;
use std::io;

/// Why a bind target string was rejected, and where.
///
/// The message names the input, the byte offset and the reason, and ends with a did-you-mean
/// where one exists:
///
/// ```
/// let err = "8080".parse::<bindpolicy::BindTarget>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid bind target \"8080\" at byte 0: a bare port is not a bind target; did you mean \
///      \":8080\" (all interfaces), \"localhost:8080\" (this machine only) or \"port:8080\" \
///      (client source port)?"
/// );
/// assert_eq!(err.offset(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    what: Subject,
    input: String,
    offset: usize,
    kind: ParseErrorKind,
    suggestions: Vec<(String, &'static str)>,
}

impl ParseError {
    pub(crate) fn new(input: impl Into<String>, offset: usize, kind: ParseErrorKind) -> Self {
        ParseError {
            what: Subject::BindTarget,
            input: input.into(),
            offset,
            kind,
            suggestions: Vec::new(),
        }
    }

    /// The same error about another kind of value, e.g. "interface name".
    pub(crate) fn of(mut self, what: Subject) -> Self {
        self.what = what;
        self
    }

    /// Adds a did-you-mean: a spec that parses, and a short note on what it means ("" for none).
    pub(crate) fn suggest(mut self, spec: impl Into<String>, note: &'static str) -> Self {
        self.suggestions.push((spec.into(), note));
        self
    }

    /// The rejected input, as given.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The byte offset in [`ParseError::input`] where the problem starts.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What is wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }

    /// Specs the input may have meant, each of which parses.
    pub fn suggestions(&self) -> impl ExactSizeIterator<Item = &str> {
        self.suggestions.iter().map(|(spec, _)| spec.as_str())
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} {:?} at byte {}: {}",
            self.what.as_str(),
            self.input,
            self.offset,
            self.kind
        )?;
        let count = self.suggestions.len();
        for (i, (spec, note)) in self.suggestions.iter().enumerate() {
            let sep = match i {
                0 => "; did you mean ",
                _ if i + 1 == count => " or ",
                _ => ", ",
            };
            write!(f, "{sep}{spec:?}")?;
            if !note.is_empty() {
                write!(f, " ({note})")?;
            }
        }
        if count > 0 {
            f.write_str("?")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// What kind of value a [`ParseError`] is about, for its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    BindTarget,
    InterfaceName,
    PortRange,
    Port,
    Address,
}

impl Subject {
    const fn as_str(self) -> &'static str {
        match self {
            Subject::BindTarget => "bind target",
            Subject::InterfaceName => "interface name",
            Subject::PortRange => "port range",
            Subject::Port => "port",
            Subject::Address => "address",
        }
    }
}

/// What is wrong with a rejected bind target string. See [`ParseError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input is empty.
    #[error("the input is empty; write HOST:PORT, e.g. localhost:8080")]
    Empty,
    /// The input holds whitespace; it is never trimmed silently.
    #[error("whitespace is not allowed (nothing is trimmed)")]
    Whitespace,
    /// A port with no host, e.g. `8080`.
    #[error("a bare port is not a bind target")]
    BarePort,
    /// A host with no `:PORT`.
    #[error("no port; add :PORT (0 lets the OS pick one)")]
    MissingPort,
    /// `HOST:` with nothing after the colon.
    #[error("the port is empty")]
    EmptyPort,
    /// A port above 65535.
    #[error("port {0} is out of range (0-65535)")]
    PortOutOfRange(String),
    /// A port with a sign, e.g. `-1` or `+80`.
    #[error("a port has no sign")]
    SignedPort,
    /// A port with leading zeros, e.g. `080`.
    #[error("port {0} has a leading zero")]
    LeadingZero(String),
    /// A port with digits outside ASCII, e.g. `٨٠`.
    #[error("port {0:?} has digits outside ASCII 0-9")]
    NonAsciiDigit(String),
    /// A service name in place of a port number, e.g. `http`.
    #[error("{0:?} looks like a service name; ports are numbers (names are never looked up)")]
    ServiceName(String),
    /// A port that is not a number.
    #[error("{0:?} is not a port number")]
    InvalidPort(String),
    /// A range whose first port is above its last.
    #[error("the range is reversed (first port above last)")]
    ReversedRange,
    /// A range with a missing end, e.g. `port:40000-`.
    #[error("the range has an empty end")]
    EmptyRange,
    /// A range of several ports that starts at 0.
    #[error("a range cannot include port 0 (0 already means: the OS picks)")]
    RangeIncludesZero,
    /// A range on a target other than `port:`.
    #[error(
        "a port range is only allowed as a client source range (port:FIRST-LAST); a listener has one port"
    )]
    RangeNotAllowed,
    /// An IPv6 address with a port but no brackets, e.g. `::1:80`.
    #[error("an IPv6 address must be written in brackets, with a port: [ADDRESS]:PORT")]
    UnbracketedIpv6,
    /// `[` with no matching `]`.
    #[error("missing ']'")]
    MissingBracket,
    /// `[]`.
    #[error("empty brackets; write [::] for every IPv6 address")]
    EmptyBrackets,
    /// Brackets around an IPv4 address.
    #[error("brackets are only for IPv6 addresses")]
    BracketedIpv4,
    /// Something other than `:PORT` after `]`.
    #[error("only :PORT may follow ']'")]
    TrailingAfterBracket,
    /// A host of digits and dots that is not a valid IPv4 address.
    #[error("invalid IPv4 address: {0}")]
    InvalidIpv4(String),
    /// Text in brackets that is not an IPv6 address.
    #[error("invalid IPv6 address {0:?}")]
    InvalidIpv6(String),
    /// An IPv4-mapped IPv6 address, e.g. `::ffff:127.0.0.1`.
    #[error("an IPv4-mapped IPv6 address binds an IPv6 socket; write the IPv4 address")]
    Ipv4Mapped,
    /// A URL-escaped zone, `%25eth0`.
    #[error("the zone is URL-escaped (%25); write the interface name or index after a bare %")]
    EscapedZone,
    /// A zone on an address that is not link-local.
    #[error("only a link-local address (fe80::/10) takes a zone")]
    ZoneNotLinkLocal,
    /// An empty zone, zone 0, or a zone index with a leading zero.
    #[error("invalid zone {0:?}; write an interface name or a non-zero index")]
    InvalidZone(String),
    /// A multicast address.
    #[error(
        "a multicast address is not a local address to bind; bind the wildcard and join the group"
    )]
    Multicast,
    /// A broadcast address.
    #[error("a broadcast address is not a local address to bind")]
    Broadcast,
    /// The wildcard address where only a specific address is allowed.
    #[error("the wildcard address is not a specific address; use BindTarget::any_v4 or any_v6")]
    UnspecifiedAddress,
    /// 127.0.0.1 or ::1 where only a specific address is allowed.
    #[error("127.0.0.1 and ::1 are loopback targets; use BindTarget::loopback_v4 or loopback_v6")]
    LoopbackAddress,
    /// A URL scheme, e.g. `tcp://`.
    #[error("a scheme is not part of a bind target")]
    Scheme,
    /// A `$VARIABLE`, which is never expanded.
    #[error(
        "'$' starts a variable, which is never expanded here; expand it first (see BindTarget::from_env)"
    )]
    Variable,
    /// A second `:` after the port, e.g. Docker's `127.0.0.1:8080:80`.
    #[error("an extra ':' (Docker's HOST:PORT:CONTAINER_PORT is another grammar)")]
    ExtraColon,
    /// A word after a [`Binding`](crate::Binding)'s target that is not one of its options.
    #[error(
        "unknown binding option {0:?}; the options are udp, dual_stack, reuse_port, backlog=N, \
         freebind=always, freebind=on_addr_not_available, bind_device and nonblocking"
    )]
    UnknownOption(String),
    /// An interface name Linux could not have.
    #[error("invalid interface name: {0}")]
    InvalidInterfaceName(&'static str),
    /// What follows `fd:` is neither an fd number of 3 or more nor a `FileDescriptorName=`.
    #[error(
        "{0:?} names no inherited socket; write fd:N (N from 3, as LISTEN_FDS counts) or fd:NAME (the .socket unit's FileDescriptorName=, 1-255 printable ASCII characters, not only digits)"
    )]
    InvalidInherited(String),
}

impl From<ParseError> for io::Error {
    /// `InvalidInput`, with the whole [`ParseError`] as the inner error (`downcast` gives it
    /// back), so `?` works in `io::Result` code.
    fn from(err: ParseError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, err)
    }
}
