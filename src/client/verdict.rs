//! The typed error of a failed connect.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use super::ports::{Tally, source_ip, tuple_error};
use crate::error::{Cause, Error, Phase, SocketState};
use crate::socket::{self, Failure, Transport};
use crate::sys;
use crate::target::PortRange;

/// The typed error for a failed connect from `local` (`None`: no bind was made), naming the
/// source address the kernel used (the route's, for a wildcard bind). A single pinned port
/// whose 4-tuple is busy costs one lookup of that port's sockets, to tell a live connection
/// (no wait frees it) from a TIME_WAIT entry.
pub(super) fn connect_error(
    failure: Failure,
    local: Option<SocketAddr>,
    remote: SocketAddr,
    pinned: bool,
) -> Error {
    if failure.phase != Phase::Connect {
        return failure.into_error(local.unwrap_or(remote), Transport::Tcp, None);
    }
    // The source the kernel used: a wildcard bind left the choice to the route (and a failed
    // connect resets getsockname's answer to the wildcard, so ask the route).
    let local = local.map(|l| SocketAddr::new(source_ip(l.ip(), remote), l.port()));
    let source = failure.source;
    match source.kind() {
        io::ErrorKind::ConnectionRefused => Error::ConnectionRefused {
            local,
            remote,
            source,
        },
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::TimedOut {
            local,
            remote,
            timeout: None,
            source,
        },
        io::ErrorKind::NetworkUnreachable => Error::NetworkUnreachable {
            local,
            remote,
            source,
        },
        io::ErrorKind::HostUnreachable => Error::HostUnreachable {
            local,
            remote,
            source,
        },
        // A connect that left the port to the kernel: no ephemeral port was free toward
        // this destination (the address was checked at bind).
        io::ErrorKind::AddrNotAvailable if !pinned => ephemeral_exhausted(local, remote, source),
        io::ErrorKind::AddrInUse | io::ErrorKind::AddrNotAvailable if pinned => {
            let local = local.unwrap_or(remote);
            let live = sys::sockets_on_ports(local.port(), local.port(), true)
                .iter()
                .any(|row| {
                    row.remote == Some(remote)
                        && row.local.port() == local.port()
                        && SocketState::from_kernel(row.state) != SocketState::TimeWait
                });
            tuple_error(source, local, remote, live)
        }
        io::ErrorKind::AlreadyExists if source.raw_os_error().is_none() => {
            // Our own self-connect marker (see self_connect_failure).
            Error::SelfConnect {
                local: local.unwrap_or(remote),
                remote,
            }
        }
        _ => socket::classify(
            source,
            local.unwrap_or(remote),
            Phase::Connect,
            Transport::Tcp,
            None,
        ),
    }
}

/// EADDRNOTAVAIL from an unpinned connect: the kernel's ephemeral range, read once, and one
/// lookup of its sockets to say what holds it.
fn ephemeral_exhausted(local: Option<SocketAddr>, remote: SocketAddr, source: io::Error) -> Error {
    let range = sys::ephemeral_ports().and_then(|row| PortRange::new(row.lo, row.hi).ok());
    let ports = range.and_then(|range| {
        let rows = sys::sockets_on_ports(range.first(), range.last(), true);
        // No bind: any source address counts (an unspecified one matches every row).
        let any = match remote {
            SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        let source_ip = local.map_or(any, |l| l.ip());
        (!rows.is_empty() || sys::SOCKETS_LISTED)
            .then(|| Tally::of(&rows, range, source_ip, remote).range_use())
    });
    Error::EphemeralPortsExhausted {
        remote,
        range,
        ports,
        source,
    }
}

/// A connection that came back to itself, as a failure to classify like the others.
pub(super) fn self_connect_failure(local: SocketAddr) -> Failure {
    Failure {
        source: io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{local} connected to itself"),
        ),
        phase: Phase::Connect,
    }
}

/// The failure of a connect that did not finish within `timeout`.
#[cfg(feature = "tokio")]
pub(super) fn deadline_failure(timeout: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("connect() did not finish in {timeout:?}"),
    )
}

/// Adds the caller's timeout to a `timed_out` error.
pub(super) fn with_timeout(err: Error, timeout: Option<Duration>) -> Error {
    match err {
        Error::TimedOut {
            local,
            remote,
            source,
            ..
        } => Error::TimedOut {
            local,
            remote,
            timeout,
            source,
        },
        Error::PortRangeExhausted {
            range,
            remote,
            attempts,
            ports,
            kernel_refusal,
            last,
        } => Error::PortRangeExhausted {
            range,
            remote,
            attempts,
            ports,
            kernel_refusal,
            last: Cause::new(with_timeout(last.into_inner(), timeout)),
        },
        other => other,
    }
}
