//! [`DialectWarning`]: where a tool's string means something other than a reader would
//! expect, kept apart from errors.

use std::fmt;
use std::net::Ipv4Addr;

use crate::target::BindTarget;

/// Something a reader of the tool's string would expect otherwise. The translation still
/// stands; the warning says what differs.
///
/// ```
/// use bindpolicy::Dialect;
///
/// let t = Dialect::Gunicorn.read("-b 8000")?;
/// assert_eq!(t.bindings()[0].target().to_string(), "0.0.31.64:8000");
/// assert_eq!(
///     t.warnings()[0].to_string(),
///     "\"8000\" is a host here, not a port: the resolver reads it as the IPv4 address \
///      0.0.31.64, and the port is the default 8000; write 0.0.0.0:8000 for port 8000 on every \
///      IPv4 address"
/// );
/// # Ok::<(), bindpolicy::DialectError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DialectWarning {
    /// A wildcard that looks like "every address" but is IPv4 only (nginx `8000`, `*:8000`;
    /// HAProxy `:80`).
    Ipv4Only {
        /// The address as written.
        written: String,
        /// The port.
        port: u16,
    },
    /// A form that also listens on IPv6 (Docker `-p 8080:80`, Go's `0.0.0.0:8080`, systemd's
    /// `8080`).
    AlsoIpv6 {
        /// The address as written.
        written: String,
    },
    /// IPV6_V6ONLY is left to `net.ipv6.bindv6only`: dual-stack with Linux's default.
    SystemDefault {
        /// The address as written.
        written: String,
    },
    /// gunicorn's (and hypercorn's) `-b 8000`: a host named "8000", not a port.
    HostIsPort {
        /// The host as written.
        written: String,
        /// What the resolver makes of it (inet_aton's one-number form).
        address: Ipv4Addr,
        /// The port used: the tool's default.
        port: u16,
    },
    /// No port was written: the tool's default applies.
    DefaultPort {
        /// The port.
        port: u16,
    },
    /// No address was written: the tool's default applies.
    DefaultAddress {
        /// The default, as a bindpolicy target.
        target: BindTarget,
    },
    /// `localhost`, which the tool looks up (every address of it is bound); bindpolicy's
    /// `localhost` is 127.0.0.1 and ::1 without a lookup.
    NameLookedUp {
        /// The name as written.
        name: String,
    },
    /// A name of which the tool binds only the first address.
    FirstAddressOfName {
        /// The name as written.
        name: String,
        /// The address bound with the usual hosts file.
        target: BindTarget,
    },
    /// A parameter that does not change which sockets are bound, or that has no effect here.
    Ignored {
        /// The parameter as written.
        parameter: String,
        /// Why it changes nothing.
        reason: &'static str,
    },
    /// Docker without a host port: it picks one (port 0 here).
    RandomHostPort,
    /// uvicorn's family depends on the worker count (Kludex/uvicorn#2945).
    DependsOnWorkers {
        /// The host as written.
        host: String,
    },
    /// kubectl's `localhost` succeeds when either 127.0.0.1 or ::1 binds.
    EitherFamily,
}

impl DialectWarning {
    /// A stable snake_case name, e.g. `ipv4_only`, for machine-readable output.
    ///
    /// ```
    /// assert_eq!(bindpolicy::DialectWarning::RandomHostPort.kind(), "random_host_port");
    /// ```
    pub const fn kind(&self) -> &'static str {
        match self {
            DialectWarning::Ipv4Only { .. } => "ipv4_only",
            DialectWarning::AlsoIpv6 { .. } => "also_ipv6",
            DialectWarning::SystemDefault { .. } => "system_default",
            DialectWarning::HostIsPort { .. } => "host_is_port",
            DialectWarning::DefaultPort { .. } => "default_port",
            DialectWarning::DefaultAddress { .. } => "default_address",
            DialectWarning::NameLookedUp { .. } => "name_looked_up",
            DialectWarning::FirstAddressOfName { .. } => "first_address_of_name",
            DialectWarning::Ignored { .. } => "ignored",
            DialectWarning::RandomHostPort => "random_host_port",
            DialectWarning::DependsOnWorkers { .. } => "depends_on_workers",
            DialectWarning::EitherFamily => "either_family",
        }
    }
}

impl fmt::Display for DialectWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialectWarning::Ipv4Only { written, port } => write!(
                f,
                "{written:?} is IPv4 only (0.0.0.0:{port}); for IPv6 too, add [::]:{port} \
                 (bindpolicy: *:{port})"
            ),
            DialectWarning::AlsoIpv6 { written } => {
                write!(f, "{written:?} listens on IPv6 as well as IPv4")
            }
            DialectWarning::SystemDefault { written } => write!(
                f,
                "{written:?} leaves IPV6_V6ONLY to net.ipv6.bindv6only: one dual-stack socket \
                 with Linux's default 0, IPv6 only where it is 1"
            ),
            DialectWarning::HostIsPort {
                written,
                address,
                port,
            } => write!(
                f,
                "{written:?} is a host here, not a port: the resolver reads it as the IPv4 \
                 address {address}, and the port is the default {port}; write 0.0.0.0:{written} \
                 for port {written} on every IPv4 address"
            ),
            DialectWarning::DefaultPort { port } => {
                write!(f, "no port given: the tool's default {port} applies")
            }
            DialectWarning::DefaultAddress { target } => {
                write!(f, "no address given: the tool's default {target} applies")
            }
            DialectWarning::NameLookedUp { name } => write!(
                f,
                "{name:?} is looked up when the tool starts and every address it has is bound; \
                 here it is 127.0.0.1 and ::1, without a lookup"
            ),
            DialectWarning::FirstAddressOfName { name, target } => write!(
                f,
                "{name:?} is looked up when the tool starts and only its first address is \
                 bound: {target} with the usual hosts file"
            ),
            DialectWarning::Ignored { parameter, reason } => {
                write!(f, "{parameter:?} is ignored: {reason}")
            }
            DialectWarning::RandomHostPort => {
                f.write_str("no host port: Docker picks a free one (port 0 here)")
            }
            DialectWarning::DependsOnWorkers { host } => write!(
                f,
                "--host {host} is IPv6 only with one worker but dual-stack with --workers above \
                 1 or --reload (Kludex/uvicorn#2945)"
            ),
            DialectWarning::EitherFamily => f.write_str(
                "kubectl's localhost succeeds when either 127.0.0.1 or ::1 binds; bindpolicy \
                 binds both, and warns when the machine has no ::1",
            ),
        }
    }
}
