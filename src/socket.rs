//! What the server and client sides share: making a socket, setting its options, and turning
//! an OS error into an [`Error`] that names the phase, the address and the fix.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::error::{self, Error, Phase, PortHolder, SocketState};
use crate::sys;
use crate::target::Family;

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    /// The public name of the protocol, for errors.
    pub(crate) fn protocol(self) -> error::Protocol {
        match self {
            Transport::Tcp => error::Protocol::Tcp,
            Transport::Udp => error::Protocol::Udp,
        }
    }
}

/// The public [`PortHolder`] of what sys found.
pub(crate) fn holder_of(row: sys::HolderRow) -> PortHolder {
    let mut holder = PortHolder::new(row.socket.local, SocketState::from_kernel(row.socket.state))
        .with_uid(row.socket.uid);
    if let Some(remote) = row.socket.remote {
        holder = holder.with_remote(remote);
    }
    if let Some(pid) = row.pid {
        holder = holder.with_process(pid, row.command.unwrap_or_default());
    }
    holder
}

/// An OS error and the syscall that returned it, before it is classified. Classifying can be
/// costly (finding a port's holder scans /proc), so retry loops decide on the raw error first.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) source: io::Error,
    pub(crate) phase: Phase,
}

impl Failure {
    pub(crate) fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }

    /// The typed error. `interface` is the SO_BINDTODEVICE name, if one was set.
    pub(crate) fn into_error(
        self,
        addr: SocketAddr,
        transport: Transport,
        interface: Option<&str>,
    ) -> Error {
        classify(self.source, addr, self.phase, transport, interface)
    }
}

/// A syscall result tagged with its phase.
pub(crate) fn step<T>(result: io::Result<T>, phase: Phase) -> Result<T, Failure> {
    result.map_err(|source| Failure { source, phase })
}

/// `socket()` for `addr`'s family. socket2 sets CLOEXEC (and SO_NOSIGPIPE on Apple) itself.
pub(crate) fn new_socket(addr: SocketAddr, transport: Transport) -> Result<Socket, Failure> {
    let (ty, protocol) = match transport {
        Transport::Tcp => (Type::STREAM, Protocol::TCP),
        Transport::Udp => (Type::DGRAM, Protocol::UDP),
    };
    step(
        Socket::new(Domain::for_address(addr), ty, Some(protocol)),
        Phase::Socket,
    )
}

/// SO_REUSEADDR where it means "may bind over TIME_WAIT" (every Unix; see
/// `sys::REUSE_ADDRESS_MEANS_TIME_WAIT` for why never on Windows).
pub(crate) fn set_reuse_address(socket: &Socket) -> Result<(), Failure> {
    if sys::REUSE_ADDRESS_MEANS_TIME_WAIT {
        step(
            socket.set_reuse_address(true),
            Phase::SetOption("SO_REUSEADDR"),
        )?;
    }
    Ok(())
}

/// IPV6_V6ONLY, always set explicitly: its default differs by OS (off on Linux and macOS, on
/// on Windows and the BSDs), and on Linux also by the `net.ipv6.bindv6only` sysctl.
pub(crate) fn set_only_v6(socket: &Socket, only_v6: bool) -> Result<(), Failure> {
    step(socket.set_only_v6(only_v6), Phase::SetOption("IPV6_V6ONLY"))
}

/// O_NONBLOCK, as event loops (and tokio's `from_std`) require.
pub(crate) fn set_nonblocking(socket: &Socket) -> Result<(), Failure> {
    step(socket.set_nonblocking(true), Phase::SetOption("O_NONBLOCK"))
}

/// `bind()`.
pub(crate) fn bind(socket: &Socket, addr: SocketAddr) -> Result<(), Failure> {
    step(socket.bind(&SockAddr::from(addr)), Phase::Bind)
}

/// IP_FREEBIND / IPV6_FREEBIND: bind an address that is not (yet) assigned.
pub(crate) fn set_freebind(socket: &Socket, addr: SocketAddr) -> Result<(), Failure> {
    let option = if addr.is_ipv4() {
        "IP_FREEBIND"
    } else {
        "IPV6_FREEBIND"
    };
    step(sys::set_freebind(socket, addr), Phase::SetOption(option))
}

/// SO_BINDTODEVICE: pins the socket's traffic to `interface`.
pub(crate) fn bind_device(socket: &Socket, interface: &str) -> Result<(), Failure> {
    step(
        sys::bind_device(socket, interface),
        Phase::SetOption("SO_BINDTODEVICE"),
    )
}

/// SO_REUSEPORT: another socket of the same user may bind the same port.
pub(crate) fn set_reuse_port(socket: &Socket) -> Result<(), Failure> {
    step(
        sys::set_reuse_port(socket),
        Phase::SetOption("SO_REUSEPORT"),
    )
}

/// IP_BIND_ADDRESS_NO_PORT (Linux): a bind with port 0 reserves no port; connect picks one for
/// the 4-tuple. A no-op elsewhere.
pub(crate) fn set_bind_address_no_port(socket: &Socket) -> Result<(), Failure> {
    step(
        sys::set_bind_address_no_port(socket),
        Phase::SetOption("IP_BIND_ADDRESS_NO_PORT"),
    )
}

/// Classifies by the raw OS error first (through `sys`): EAFNOSUPPORT and ENODEV have no
/// `io::ErrorKind` of their own on stable Rust.
pub(crate) fn classify(
    source: io::Error,
    addr: SocketAddr,
    phase: Phase,
    transport: Transport,
    interface: Option<&str>,
) -> Error {
    if source.kind() == io::ErrorKind::Unsupported {
        if let Phase::SetOption(option) = phase {
            return Error::Unsupported { option };
        }
    }
    if sys::is_family_unsupported(&source) {
        return Error::FamilyUnsupported {
            family: Family::of(addr.ip()),
            reason: format!(
                "{phase} for {addr} failed with EAFNOSUPPORT: the kernel has this family \
                 switched off (for IPv6: ipv6.disable=1 on the kernel command line); use the \
                 other family's address"
            ),
            source: Some(source),
        };
    }
    if sys::is_no_device(&source) {
        // SO_BINDTODEVICE to a missing device, or a bind/connect whose scope id names an
        // interface that is gone (deleted since resolve).
        let name = match (interface, addr) {
            (Some(name), _) => name.to_owned(),
            (None, SocketAddr::V6(v6)) if v6.scope_id() != 0 => v6.scope_id().to_string(),
            (None, _) => String::new(),
        };
        return Error::InterfaceNotFound {
            name,
            known: Vec::new(),
            source: Some(source),
        };
    }
    match source.kind() {
        io::ErrorKind::AddrInUse => Error::AddrInUse {
            addr,
            phase,
            protocol: transport.protocol(),
            holder: match phase {
                Phase::Bind => sys::port_holder(addr, transport == Transport::Tcp)
                    .map(|row| Box::new(holder_of(row))),
                _ => None,
            },
            source,
        },
        io::ErrorKind::PermissionDenied => Error::PermissionDenied {
            addr,
            phase,
            unprivileged_port_start: sys::unprivileged_port_start(),
            source,
        },
        io::ErrorKind::AddrNotAvailable => Error::AddrNotAvailable {
            addr,
            phase,
            source,
        },
        _ if sys::is_invalid_argument(&source) && phase == Phase::Bind => match addr {
            SocketAddr::V6(v6) if v6.ip().is_unicast_link_local() && v6.scope_id() == 0 => {
                Error::ZoneRequired {
                    addr: *v6.ip(),
                    port: v6.port(),
                    candidates: Vec::new(),
                    source: Some(source),
                }
            }
            _ => Error::Io {
                addr,
                phase,
                source,
            },
        },
        _ => Error::Io {
            addr,
            phase,
            source,
        },
    }
}
