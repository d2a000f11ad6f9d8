//! The sockets a service manager hands over (systemd's `sd_listen_fds(3)` protocol): taking
//! fds 3.. without `unsafe`, and the per-socket facts the activation layer checks.
//!
//! Taking an inherited fd means turning a number into an owned socket, which std only offers
//! through the unsafe `FromRawFd`. listenfd does it behind a safe API (`take_tcp_listener`,
//! `take_udp_socket`), after its own fstat S_IFSOCK, SO_TYPE and getsockname checks, and sets
//! FD_CLOEXEC; an fd it refuses stays where it is. listenfd 1.0 also removes `LISTEN_PID` and
//! `LISTEN_FDS` from the environment when it takes them; the layer above reads every variable
//! before, checks `LISTEN_PID` itself, and takes the fds once per process.

use std::io;
use std::net::SocketAddr;

use socket2::{Socket, Type};

/// One fd the service manager handed over, taken or not.
#[derive(Debug)]
pub(crate) struct HandedFd {
    /// The fd number in this process.
    pub(crate) fd: i32,
    /// The socket, or what the fd is instead (`"a pipe"`, `"a Unix socket"`).
    pub(crate) socket: Result<Socket, &'static str>,
}

/// What [`take_listen_fds`] says of an fd the variables name that is not open; the fds after
/// it are not looked at.
pub(crate) const NOT_OPEN: &str = "an fd that is not open";

/// What [`take_listen_fds`] says of an fd that is the same socket as an earlier one.
pub(crate) const DUPLICATE: &str = "the same socket as an earlier fd, taken there";

/// What the checks read from one inherited socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SocketFacts {
    /// SO_TYPE: `true` for SOCK_STREAM, `false` for SOCK_DGRAM.
    pub(crate) stream: bool,
    /// getsockname(2); the family is the address's.
    pub(crate) local: SocketAddr,
    /// IPV6_V6ONLY, for an IPv6 socket.
    pub(crate) only_v6: bool,
    /// SO_ACCEPTCONN; `None` where the OS lacks it (macOS, OpenBSD).
    pub(crate) listening: Option<bool>,
    /// SO_BINDTODEVICE; `None` where the OS lacks it.
    pub(crate) device: Option<String>,
}

/// Takes the `count` fds from `first` on, as `LISTEN_FDS` says. The caller has checked
/// `LISTEN_PID`.
#[cfg(unix)]
pub(crate) fn take_listen_fds(first: i32, count: usize) -> Vec<HandedFd> {
    let mut fds = listenfd::ListenFd::from_env();
    let count = count.min(fds.len());
    let fd_dir = ["/dev/fd", "/proc/self/fd"]
        .into_iter()
        .any(|dir| std::fs::metadata(dir).is_ok());
    let mut handed = Vec::with_capacity(count);
    // The same socket twice (a manager, or a wrapper, that dup'ed an fd): taken once, so no
    // listen runs two accepts on one queue; the second fd is named for what it is.
    let mut seen = Vec::with_capacity(count);
    for (idx, fd) in (first..).take(count).enumerate() {
        let socket = match file_type(fd) {
            Some((_, inode)) if seen.contains(&inode) => Err(DUPLICATE),
            Some((kind, _)) if kind != "a socket" => Err(kind),
            // The fd directory is there and has no such entry: the fd is closed. Nothing
            // after it is looked at (a count of 65,536 closed fds costs one stat).
            None if fd_dir => {
                handed.push(HandedFd {
                    fd,
                    socket: Err(NOT_OPEN),
                });
                break;
            }
            Some((_, inode)) => {
                seen.push(inode);
                take(&mut fds, idx)
            }
            None => take(&mut fds, idx),
        };
        handed.push(HandedFd { fd, socket });
    }
    handed
}

/// No service manager hands sockets over this way here (launchd and Windows have their own
/// APIs, not this protocol).
#[cfg(not(unix))]
pub(crate) fn take_listen_fds(_first: i32, _count: usize) -> Vec<HandedFd> {
    Vec::new()
}

#[cfg(unix)]
fn take(fds: &mut listenfd::ListenFd, idx: usize) -> Result<Socket, &'static str> {
    if let Ok(Some(listener)) = fds.take_tcp_listener(idx) {
        return Ok(Socket::from(listener));
    }
    if let Ok(Some(socket)) = fds.take_udp_socket(idx) {
        return Ok(Socket::from(socket));
    }
    Err("a socket that is not TCP or UDP over IP (a Unix or packet socket?)")
}

/// fstat(2) of an fd, through its /dev/fd (or /proc/self/fd) entry, which stat(2) follows to
/// the fd's own inode: what the fd is, in words, and its (device, inode), which two fds of
/// one socket share; `None` where neither can be read.
#[cfg(unix)]
fn file_type(fd: i32) -> Option<(&'static str, (u64, u64))> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let meta = std::fs::metadata(format!("/dev/fd/{fd}"))
        .or_else(|_| std::fs::metadata(format!("/proc/self/fd/{fd}")))
        .ok()?;
    let kind = meta.file_type();
    let name = if kind.is_socket() {
        "a socket"
    } else if kind.is_fifo() {
        "a pipe"
    } else if kind.is_file() {
        "a regular file"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a socket"
    };
    Some((name, (meta.dev(), meta.ino())))
}

/// Reads SO_TYPE, getsockname, IPV6_V6ONLY, SO_ACCEPTCONN and SO_BINDTODEVICE.
pub(crate) fn socket_facts(socket: &Socket) -> io::Result<SocketFacts> {
    let stream = socket.r#type()? == Type::STREAM;
    let local = socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not an IP socket"))?;
    let only_v6 = local.is_ipv6() && socket.only_v6()?;
    Ok(SocketFacts {
        stream,
        local,
        only_v6,
        listening: listening(socket),
        device: device(socket),
    })
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
fn listening(socket: &Socket) -> Option<bool> {
    socket.is_listener().ok()
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
fn listening(_socket: &Socket) -> Option<bool> {
    None
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
fn device(socket: &Socket) -> Option<String> {
    socket
        .device()
        .ok()
        .flatten()
        .map(|name| String::from_utf8_lossy(&name).into_owned())
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
fn device(_socket: &Socket) -> Option<String> {
    None
}

/// The pidfs inode of a pidfd of this process (Linux 6.9+), which systemd hands over as
/// `LISTEN_PIDFDID` to tell this process from one that reuses its pid; `None` where it cannot
/// be read.
#[cfg(target_os = "linux")]
#[allow(
    clippy::useless_conversion,
    reason = "st_ino is u64 on most targets, not on every one"
)]
pub(crate) fn own_pidfd_id() -> Option<u64> {
    use rustix::process::{PidfdFlags, getpid, pidfd_open};
    let pidfd = pidfd_open(getpid(), PidfdFlags::empty()).ok()?;
    u64::try_from(rustix::fs::fstat(&pidfd).ok()?.st_ino).ok()
}

/// No pidfds here.
#[cfg(not(target_os = "linux"))]
pub(crate) fn own_pidfd_id() -> Option<u64> {
    None
}

/// Close-on-exec, so a program the server starts does not hold the socket.
#[cfg(unix)]
pub(crate) fn set_cloexec(socket: &Socket) -> io::Result<()> {
    socket.set_cloexec(true)
}

/// Windows handles are not inherited unless asked for.
#[cfg(not(unix))]
pub(crate) fn set_cloexec(_socket: &Socket) -> io::Result<()> {
    Ok(())
}
