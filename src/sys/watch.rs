//! Address and link events: what a wait blocks on between two checks.
//!
//! Linux: an rtnetlink socket in the calling thread's namespace, subscribed to RTMGRP_LINK,
//! RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR, and poll(2) on it: no wake-up without a
//! change. Elsewhere there is no such socket, and [`Watch::next`] answers
//! [`Event::Changed`] every [`POLL_INTERVAL`], so the caller checks again.

use std::io;
use std::time::Duration;

/// What [`Watch::next`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// A link or an address changed (or, without events, the polling interval passed): check
    /// again.
    Changed,
    /// Events were lost (ENOBUFS: the socket's buffer overflowed): re-read everything.
    Resync,
    /// The timeout passed without a change.
    Timeout,
}

/// Without rtnetlink, how often [`Watch::next`] wakes the caller to check again (unused on
/// Linux, which never polls).
#[cfg_attr(target_os = "linux", allow(dead_code))]
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A subscription to link and address changes.
pub(crate) struct Watch {
    #[cfg(target_os = "linux")]
    socket: netlink_sys::Socket,
    #[cfg(target_os = "linux")]
    buf: Vec<u8>,
}

/// RTMGRP_LINK, RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR from <linux/rtnetlink.h>.
#[cfg(target_os = "linux")]
const GROUPS: u32 = 0x1 | 0x10 | 0x100;

/// Subscribes, in the calling thread's network namespace. Events from the moment this returns
/// are kept until [`Watch::next`] reads them, so a check made after subscribing misses none.
#[cfg(target_os = "linux")]
pub(crate) fn watch() -> io::Result<Watch> {
    use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind(&SocketAddr::new(0, GROUPS))?;
    socket.set_non_blocking(true)?;
    Ok(Watch {
        socket,
        buf: Vec::with_capacity(64 * 1024),
    })
}

/// Nothing to subscribe to: [`Watch::next`] polls.
#[cfg(not(target_os = "linux"))]
pub(crate) fn watch() -> io::Result<Watch> {
    Ok(Watch {})
}

/// What a failed recv on the event socket means.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecvError {
    /// ENOBUFS: the socket's buffer overflowed and events were lost.
    Lost,
    /// EAGAIN: every queued event is read.
    Drained,
    /// EINTR: read again.
    Retry,
    /// Anything else is the caller's error.
    Fatal,
}

#[cfg(target_os = "linux")]
fn after_recv_error(err: &io::Error) -> RecvError {
    if err.raw_os_error() == Some(libc::ENOBUFS) {
        return RecvError::Lost;
    }
    match err.kind() {
        io::ErrorKind::WouldBlock => RecvError::Drained,
        io::ErrorKind::Interrupted => RecvError::Retry,
        _ => RecvError::Fatal,
    }
}

impl Watch {
    /// Blocks until a change, lost events, or `timeout`. Every event already queued is read,
    /// so a burst of changes gives one answer. `EINTR` is retried.
    #[cfg(target_os = "linux")]
    pub(crate) fn next(&mut self, timeout: Duration) -> io::Result<Event> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;

        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            // Rounded up, so that a sub-millisecond rest does not spin.
            let millis = left.as_micros().div_ceil(1000);
            let wait = PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX);
            let mut fds = [PollFd::new(self.socket.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, wait) {
                Ok(0) => return Ok(Event::Timeout),
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(errno) => return Err(io::Error::from(errno)),
            }
            let mut any = false;
            loop {
                self.buf.clear();
                let err = match self.socket.recv(&mut self.buf, 0) {
                    Ok(_) => {
                        any = true;
                        continue;
                    }
                    Err(err) => err,
                };
                match after_recv_error(&err) {
                    RecvError::Lost => {
                        self.drain();
                        return Ok(Event::Resync);
                    }
                    RecvError::Drained => break,
                    RecvError::Retry => {}
                    RecvError::Fatal => return Err(err),
                }
            }
            if any {
                return Ok(Event::Changed);
            }
        }
    }

    /// After ENOBUFS: what is queued is stale too, since everything is re-read.
    #[cfg(target_os = "linux")]
    fn drain(&mut self) {
        loop {
            self.buf.clear();
            if let Err(err) = self.socket.recv(&mut self.buf, 0) {
                match after_recv_error(&err) {
                    RecvError::Lost | RecvError::Retry => {}
                    RecvError::Drained | RecvError::Fatal => return,
                }
            }
        }
    }

    /// Sleeps [`POLL_INTERVAL`] (or less, to `timeout`) and says to check again.
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn next(&mut self, timeout: Duration) -> io::Result<Event> {
        if timeout <= POLL_INTERVAL {
            std::thread::sleep(timeout);
            return Ok(Event::Timeout);
        }
        std::thread::sleep(POLL_INTERVAL);
        Ok(Event::Changed)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_recv_error_is_lost_events_the_end_a_retry_or_fatal() {
        let of = |errno: i32| after_recv_error(&io::Error::from_raw_os_error(errno));
        assert_eq!(of(libc::ENOBUFS), RecvError::Lost);
        assert_eq!(of(libc::EAGAIN), RecvError::Drained);
        assert_eq!(of(libc::EINTR), RecvError::Retry);
        for errno in [libc::EBADF, libc::ENOMEM, libc::EPERM] {
            assert_eq!(of(errno), RecvError::Fatal, "errno {errno}");
        }
    }
}
