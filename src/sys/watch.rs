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
                match self.socket.recv(&mut self.buf, 0) {
                    Ok(_) => any = true,
                    Err(err) if err.raw_os_error() == Some(libc::ENOBUFS) => {
                        self.drain();
                        return Ok(Event::Resync);
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
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
            match self.socket.recv(&mut self.buf, 0) {
                Ok(_) => {}
                Err(err) if err.raw_os_error() == Some(libc::ENOBUFS) => {}
                Err(_) => return,
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
