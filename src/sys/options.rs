//! Socket options that exist on some platforms only. Each returns an `io::Error` of kind
//! `Unsupported` where the OS lacks the option; the layer above turns that into
//! `Error::Unsupported` naming it.

use std::io;
use std::net::SocketAddr;

use socket2::Socket;

/// Whether SO_REUSEADDR means "may bind over TIME_WAIT" (every Unix), so the crate sets it.
///
/// Not on Windows, where SO_REUSEADDR lets another process bind the same port while ours is
/// live (port hijacking), and where the default already tolerates TIME_WAIT. Windows' remedy,
/// SO_EXCLUSIVEADDRUSE, is not in socket2 and needs a raw setsockopt, i.e. `unsafe`, which this
/// crate forbids; the CHANGELOG says so.
pub(crate) const REUSE_ADDRESS_MEANS_TIME_WAIT: bool = cfg!(unix);

#[allow(dead_code, reason = "used only on platforms that lack an option")]
fn unsupported(option: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, option)
}

/// IP_FREEBIND / IPV6_FREEBIND: bind an address that is not (yet) assigned.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn set_freebind(socket: &Socket, addr: SocketAddr) -> io::Result<()> {
    if addr.is_ipv4() {
        socket.set_freebind_v4(true)
    } else {
        socket.set_freebind_v6(true)
    }
}

/// Freebind does not exist here.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn set_freebind(_socket: &Socket, addr: SocketAddr) -> io::Result<()> {
    Err(unsupported(if addr.is_ipv4() {
        "IP_FREEBIND"
    } else {
        "IPV6_FREEBIND"
    }))
}

/// SO_BINDTODEVICE (Linux): pins the socket's traffic to `interface`, which binding one of its
/// addresses does not (Linux accepts a packet for any local address on any interface).
#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
pub(crate) fn bind_device(socket: &Socket, interface: &str) -> io::Result<()> {
    socket.bind_device(Some(interface.as_bytes()))
}

/// SO_BINDTODEVICE does not exist here.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
pub(crate) fn bind_device(_socket: &Socket, _interface: &str) -> io::Result<()> {
    Err(unsupported("SO_BINDTODEVICE"))
}

/// SO_REUSEPORT: another socket of the same user may then bind the same port, and the kernel
/// spreads connections between them. (socket2 has it on every Unix but these.)
#[cfg(all(
    unix,
    not(any(
        target_os = "solaris",
        target_os = "illumos",
        target_os = "cygwin",
        target_os = "nuttx"
    ))
))]
pub(crate) fn set_reuse_port(socket: &Socket) -> io::Result<()> {
    socket.set_reuse_port(true)
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
pub(crate) fn set_reuse_port(_socket: &Socket) -> io::Result<()> {
    Err(unsupported("SO_REUSEPORT"))
}
