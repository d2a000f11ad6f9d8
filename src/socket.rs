//! What the server and client sides share: making a socket, setting its options, and turning
//! an OS error into an [`Error`] that names the phase, the address and the fix.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::error::{Error, Phase};
use crate::sys;
use crate::target::Family;

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Tcp,
    Udp,
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

/// SO_REUSEADDR where it means "may bind over TIME_WAIT": every Unix.
///
/// Never on Windows, where SO_REUSEADDR lets another process bind the same port while ours is
/// live (port hijacking), and where the default already tolerates TIME_WAIT. Windows' remedy,
/// SO_EXCLUSIVEADDRUSE, is not in socket2 and needs a raw setsockopt, i.e. `unsafe`, which this
/// crate forbids; the CHANGELOG says so.
pub(crate) fn set_reuse_address(socket: &Socket) -> Result<(), Failure> {
    if cfg!(unix) {
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
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn set_freebind(socket: &Socket, addr: SocketAddr) -> Result<(), Failure> {
    if addr.is_ipv4() {
        step(
            socket.set_freebind_v4(true),
            Phase::SetOption("IP_FREEBIND"),
        )
    } else {
        step(
            socket.set_freebind_v6(true),
            Phase::SetOption("IPV6_FREEBIND"),
        )
    }
}

/// Freebind does not exist here.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn set_freebind(_socket: &Socket, _addr: SocketAddr) -> Result<(), Failure> {
    Err(unsupported("IP_FREEBIND"))
}

/// SO_BINDTODEVICE (Linux): pins the socket's traffic to `interface`, which binding one of its
/// addresses does not (Linux accepts a packet for any local address on any interface).
#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
pub(crate) fn bind_device(socket: &Socket, interface: &str) -> Result<(), Failure> {
    step(
        socket.bind_device(Some(interface.as_bytes())),
        Phase::SetOption("SO_BINDTODEVICE"),
    )
}

/// SO_BINDTODEVICE does not exist here.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
pub(crate) fn bind_device(_socket: &Socket, _interface: &str) -> Result<(), Failure> {
    Err(unsupported("SO_BINDTODEVICE"))
}

/// SO_REUSEPORT: another socket of the same user may then bind the same port, and the kernel
/// spreads connections between them.
#[cfg(all(
    unix,
    not(any(
        target_os = "solaris",
        target_os = "illumos",
        target_os = "cygwin",
        target_os = "nuttx"
    ))
))]
pub(crate) fn set_reuse_port(socket: &Socket) -> Result<(), Failure> {
    step(
        socket.set_reuse_port(true),
        Phase::SetOption("SO_REUSEPORT"),
    )
}

/// SO_REUSEPORT does not exist here.
#[cfg(not(all(
    unix,
    not(any(
        target_os = "solaris",
        target_os = "illumos",
        target_os = "cygwin",
        target_os = "nuttx"
    ))
)))]
pub(crate) fn set_reuse_port(_socket: &Socket) -> Result<(), Failure> {
    Err(unsupported("SO_REUSEPORT"))
}

#[allow(dead_code, reason = "used only on platforms that lack an option")]
fn unsupported(option: &'static str) -> Failure {
    Failure {
        source: io::Error::new(io::ErrorKind::Unsupported, option),
        phase: Phase::SetOption(option),
    }
}

/// Classifies by the raw OS error first: EAFNOSUPPORT and ENODEV have no `io::ErrorKind` of
/// their own on stable Rust.
pub(crate) fn classify(
    source: io::Error,
    addr: SocketAddr,
    phase: Phase,
    transport: Transport,
    interface: Option<&str>,
) -> Error {
    let raw = source.raw_os_error();
    if source.kind() == io::ErrorKind::Unsupported {
        if let Phase::SetOption(option) = phase {
            return Error::Unsupported { option };
        }
    }
    if raw == Some(sys::EAFNOSUPPORT) {
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
    if raw == Some(sys::ENODEV) {
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
            holder: match phase {
                Phase::Bind => sys::port_holder(addr, transport == Transport::Tcp).map(Box::new),
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
        _ if raw == Some(sys::EINVAL) && phase == Phase::Bind => match addr {
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
