//! Waiting on several sockets at once: poll(2) through nix's safe wrapper on Unix; elsewhere
//! (Windows: WSAPoll needs unsafe code, which the crate forbids) the answer is "unknown", and the
//! caller tries each socket nonblocking in turn.

use std::io;

use socket2::SockRef;

/// Whether [`wait_readable`] really waits (poll(2)); where it does not, it answers `None` and
/// the merged accept falls back to a nonblocking round robin.
pub(crate) const HAS_POLL: bool = cfg!(unix);

/// Blocks until at least one of `sockets` is readable (a listener: a connection waits in its
/// queue; a UDP socket: a datagram waits), then says which are. An error or hang-up counts as
/// readable, so that the caller's accept or receive reports it. `EINTR` is retried.
///
/// `None` where the OS has no safe poll; see [`HAS_POLL`].
#[cfg(unix)]
pub(crate) fn wait_readable(sockets: &[SockRef<'_>]) -> Option<io::Result<Vec<bool>>> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;

    let mut fds: Vec<PollFd<'_>> = sockets
        .iter()
        .map(|socket| PollFd::new((**socket).as_fd(), PollFlags::POLLIN))
        .collect();
    loop {
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(errno) => return Some(Err(io::Error::from(errno))),
        }
        return Some(Ok(fds
            .iter()
            .map(|fd| fd.revents().is_some_and(|events| !events.is_empty()))
            .collect()));
    }
}

/// Unknown: no safe poll on this OS.
#[cfg(not(unix))]
pub(crate) fn wait_readable(_sockets: &[SockRef<'_>]) -> Option<io::Result<Vec<bool>>> {
    None
}

/// Whether an accepted socket is known to inherit O_NONBLOCK from its listener: yes on macOS,
/// iOS, the BSDs and Windows; not on Linux and Android, where accept(2) gives a blocking socket
/// whatever the listener's mode. Elsewhere `false` too, so that the caller sets the mode it
/// wants (one harmless call where the OS already did).
pub(crate) const ACCEPT_INHERITS_NONBLOCKING: bool = cfg!(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    windows
));
