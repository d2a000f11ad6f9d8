//! [`DialectError`]: why another tool's bind string was rejected, and where; [`WriteError`]:
//! why a binding cannot be said in a dialect. They sit beside the dialects' parsers and writers.

use std::fmt;

use super::{Binding, Dialect};
use crate::target::ParseErrorKind;

/// Why a dialect string was rejected, and where.
///
/// The message names the dialect's form, the input, the byte offset and the reason:
///
/// ```
/// use bindpolicy::{Dialect, DialectErrorKind};
///
/// let err = Dialect::Haproxy.read("bind abns@haproxy-peers").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid HAProxy bind \"bind abns@haproxy-peers\" at byte 5: an abstract Unix socket \
///      (abns@NAME) is not supported; bindpolicy binds IP sockets only"
/// );
/// assert_eq!(err.offset(), 5);
/// assert!(matches!(err.kind(), DialectErrorKind::Unsupported(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialectError {
    dialect: Dialect,
    input: String,
    offset: usize,
    kind: DialectErrorKind,
}

impl DialectError {
    pub(super) fn new(
        dialect: Dialect,
        input: &str,
        offset: usize,
        kind: DialectErrorKind,
    ) -> Self {
        // An offset always falls on a character boundary inside the input.
        let mut offset = offset.min(input.len());
        while !input.is_char_boundary(offset) {
            offset -= 1;
        }
        DialectError {
            dialect,
            input: input.to_owned(),
            offset,
            kind,
        }
    }

    /// The dialect read.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The rejected input, as given.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The byte offset in [`DialectError::input`] where the problem starts; always on a
    /// character boundary.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What is wrong.
    pub fn kind(&self) -> &DialectErrorKind {
        &self.kind
    }
}

impl fmt::Display for DialectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} {:?} at byte {}: {}",
            self.dialect.form(),
            self.input,
            self.offset,
            self.kind
        )
    }
}

impl std::error::Error for DialectError {}

/// What is wrong with a rejected dialect string. See [`DialectError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialectErrorKind {
    /// The input is empty (or only whitespace).
    #[error("the input is empty")]
    Empty,
    /// A port that is not a port: empty, signed, out of range, a name.
    #[error("{0}")]
    Port(ParseErrorKind),
    /// Port 0, which this tool rejects.
    #[error("port 0 is not allowed here (the tool takes 1-65535)")]
    PortZero,
    /// A range whose first port is above its last.
    #[error("the port range is reversed (first port above last)")]
    ReversedRange,
    /// No port where the tool needs one.
    #[error("no port")]
    MissingPort,
    /// An address bindpolicy cannot bind: multicast, broadcast, IPv4-mapped, a bad zone.
    #[error("{0}")]
    Address(ParseErrorKind),
    /// Text where an IP address belongs that is not one.
    #[error("{0:?} is not an IP address")]
    InvalidAddress(String),
    /// An IPv6 address with a port but no brackets, where the tool needs them.
    #[error("an IPv6 address must be written in brackets, with a port: [ADDRESS]:PORT")]
    UnbracketedIpv6,
    /// An IPv4 address in brackets.
    #[error("brackets are only for IPv6 addresses")]
    BracketedIpv4,
    /// `[` with no `]`.
    #[error("missing ']'")]
    MissingBracket,
    /// A host name, which the tool looks up when it starts.
    #[error(
        "{0:?} is a host name, which the tool looks up when it starts; bindpolicy never looks \
         names up: write the address"
    )]
    HostName(String),
    /// A name whose one bound address depends on the resolver's order.
    #[error(
        "{0:?} is looked up when the tool starts and only its first address is bound, 127.0.0.1 \
         or ::1 depending on the hosts file; write 127.0.0.1 or ::1"
    )]
    AmbiguousName(String),
    /// A form of the tool that is not an IP socket, e.g. `unix:PATH`.
    #[error("{0} is not supported; bindpolicy binds IP sockets only")]
    Unsupported(&'static str),
    /// A parameter or key the tool does not have (or bindpolicy does not know).
    #[error("unknown parameter {0:?}")]
    UnknownParameter(String),
    /// A parameter that takes a value, without one.
    #[error("{0} needs a value")]
    MissingValue(&'static str),
    /// A parameter's value that it does not take.
    #[error("invalid {parameter} value {value:?}")]
    InvalidValue {
        /// The parameter, e.g. `ipv6only`.
        parameter: &'static str,
        /// The value as written.
        value: String,
    },
    /// A parameter given twice.
    #[error("{0} is given twice")]
    Duplicate(&'static str),
    /// An address of the other family than the network, e.g. `tcp4` with `[::1]`.
    #[error("the address is not of the family {0} listens on")]
    FamilyMismatch(String),
    /// SO_BINDTODEVICE on an address, which bindpolicy does only for an interface's own
    /// addresses.
    #[error(
        "binding a socket to device {0:?} whatever its address is not expressible; write \
         {0}:PORT with ListenOptions::bind_device, which binds the device's own addresses"
    )]
    Device(String),
    /// Text where nothing more belongs.
    #[error("unexpected {0:?}")]
    Unexpected(String),
    /// An IPv6 zone (`%eth0`) in a tool that has none.
    #[error("the tool has no IPv6 zone (%ZONE); a link-local address cannot be said here")]
    NoZone,
    /// A host port range whose length differs from the container port range's.
    #[error(
        "the host port range and the container port range differ in length (Docker would pick \
         one host port of the range)"
    )]
    RangeMismatch,
    /// A required field that is not there.
    #[error("no {0} field")]
    MissingField(&'static str),
    /// Settings with no listen address among them.
    #[error("no listen address")]
    NoAddress,
}

/// Why a [`Binding`] cannot be written in a dialect.
///
/// ```
/// use bindpolicy::{BindTarget, Binding, Dialect};
///
/// let err = Dialect::Nginx.write(&Binding::new("eth0:80".parse()?)).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "cannot write \"eth0:80\" as nginx: nginx has no form for every address of an interface; \
///      write each address"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteError {
    dialect: Dialect,
    /// Boxed: a `Result<String, WriteError>` stays small (clippy's result_large_err).
    binding: Box<Binding>,
    kind: WriteErrorKind,
}

impl WriteError {
    pub(super) fn new(dialect: Dialect, binding: &Binding, kind: WriteErrorKind) -> Self {
        WriteError {
            dialect,
            binding: Box::new(binding.clone()),
            kind,
        }
    }

    /// The dialect asked for.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The binding that cannot be written.
    pub fn binding(&self) -> &Binding {
        &self.binding
    }

    /// Why.
    pub fn kind(&self) -> &WriteErrorKind {
        &self.kind
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tool = self.dialect.name();
        write!(f, "cannot write {:?} as {tool}: ", self.binding.to_string())?;
        match &self.kind {
            WriteErrorKind::NoWriter => write!(
                f,
                "{tool} is read only; bindpolicy writes nginx, haproxy, systemd and docker"
            ),
            WriteErrorKind::PortZero => write!(f, "{tool} has no port 0 (OS-chosen port)"),
            WriteErrorKind::InterfaceName => write!(
                f,
                "{tool} has no form for every address of an interface; write each address"
            ),
            WriteErrorKind::Zone => write!(f, "{tool} has no form for an IPv6 zone"),
            WriteErrorKind::SourcePorts => {
                f.write_str("a client source port range is not a listen address")
            }
            WriteErrorKind::Option(option) => write!(f, "{tool} cannot say {option}"),
            WriteErrorKind::Transport => write!(f, "{tool} has no UDP form here"),
        }
    }
}

impl std::error::Error for WriteError {}

/// What a dialect cannot say. See [`WriteError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteErrorKind {
    /// The dialect is read only (a command line or an API, not a config file bindpolicy writes).
    NoWriter,
    /// Port 0.
    PortZero,
    /// An interface target such as `eth0:80`.
    InterfaceName,
    /// A link-local address with a zone.
    Zone,
    /// A `port:` target.
    SourcePorts,
    /// An option the tool lacks, e.g. `freebind=on_addr_not_available`.
    Option(&'static str),
    /// UDP, where the tool has no form for it.
    Transport,
}
