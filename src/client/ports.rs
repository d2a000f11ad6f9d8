//! Finding a source port: the kernel's search where it can work, the crate's otherwise.
//!
//! - **Kernel path** (TCP, a `port:A-B` range, Linux 6.3+, the range inside
//!   `ip_local_port_range` with none of it reserved; see kernel.rs): IP_LOCAL_PORT_RANGE, and
//!   for a pinned address IP_BIND_ADDRESS_NO_PORT and a bind to port 0; then one connect(), in
//!   which the kernel picks a port of the range that makes the 4-tuple unique. The port is
//!   read back with getsockname: one outside the range means the kernel ignored the option
//!   (the sysctl changed since it was read), and the connection is dropped, never returned.
//! - **User-space path** (everything else): each port of the range once, from a random start,
//!   moving on when bind() says EADDRINUSE or connect() says EADDRINUSE or EADDRNOTAVAIL (that
//!   4-tuple is busy). No lookup per attempt: only the final failure is classified, with one
//!   lookup of the range's sockets (sock_diag on Linux).

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

use socket2::Socket;

use super::kernel::{self, Verdict};
use crate::error::{Cause, Error, KernelRefusal, Phase, RangeUse, SocketState};
use crate::socket::{self, Failure, Transport, holder_of, step};
use crate::sys;
use crate::target::PortRange;

/// What [`Connector::plan`](super::Connector) decided: the source address, the ports to try,
/// the device, and the destination.
pub(super) struct Plan {
    pub(super) local: SocketAddr,
    pub(super) ports: PortRange,
    pub(super) device: Option<String>,
    pub(super) transport: Transport,
    /// A port of a range that would connect to itself: skipped.
    pub(super) skip_port: Option<u16>,
    pub(super) remote: SocketAddr,
}

/// Which search a connect takes.
pub(super) enum Path {
    /// The kernel searches the range.
    Kernel,
    /// The crate does, and why the kernel does not when a sysctl is the reason.
    UserSpace(Option<KernelRefusal>),
}

/// How the kernel path ended, when it did not connect.
pub(super) enum KernelEnd {
    /// Search in user space instead, saying why when a sysctl was the reason.
    Fallback(Option<KernelRefusal>),
    /// The typed error: the connect itself failed.
    Stop(Error),
}

/// What a connect loop does after a failed attempt.
pub(super) enum Attempt {
    /// Try the next port.
    Retry,
    /// Stop with this error.
    Stop(Error),
}

/// The state of a user-space search: what it tried and why the kernel path was not taken.
pub(super) struct Search {
    tried: u32,
    /// The ports whose bind failed with EADDRINUSE.
    held: BTreeSet<u16>,
    refusal: Option<KernelRefusal>,
}

impl Search {
    pub(super) fn new(refusal: Option<KernelRefusal>) -> Search {
        Search {
            tried: 0,
            held: BTreeSet::new(),
            refusal,
        }
    }
}

impl Plan {
    fn pinned(&self) -> bool {
        self.ports.first() != 0
    }

    fn is_range(&self) -> bool {
        self.ports.len() > 1
    }

    /// Which search to take. Only TCP ranges go to the kernel: a UDP socket's port is
    /// chosen at bind, not per 4-tuple, and a single port needs no search.
    pub(super) fn path(&self) -> Path {
        let skip_inside = self.skip_port.is_some_and(|p| self.ports.contains(p));
        if self.transport != Transport::Tcp || !self.is_range() || skip_inside {
            return Path::UserSpace(None);
        }
        match kernel::verdict(self.ports, false) {
            Verdict::Kernel => Path::Kernel,
            Verdict::Refused(refusal) => Path::UserSpace(Some(refusal)),
            Verdict::Unavailable => Path::UserSpace(None),
        }
    }

    /// The kernel path's socket, ready to connect: `Ok(None)` when the kernel lacks the
    /// option (it is not asked again in this process).
    pub(super) fn kernel_socket(&self) -> Result<Option<Socket>, Error> {
        let local = self.local;
        let socket =
            socket::new_socket(local, self.transport).map_err(|f| self.error_at(f, local))?;
        if let Err(err) = sys::set_local_port_range(&socket, self.ports.first(), self.ports.last())
        {
            if sys::is_option_missing(&err) {
                kernel::option_missing();
            }
            return Ok(None);
        }
        if let Some(device) = &self.device {
            socket::bind_device(&socket, device).map_err(|f| self.error_at(f, local))?;
        }
        if local.is_ipv6() {
            socket::set_only_v6(&socket, true).map_err(|f| self.error_at(f, local))?;
        }
        if !local.ip().is_unspecified() {
            // A pinned address: bind it with port 0, leaving the port to connect().
            socket::set_bind_address_no_port(&socket).map_err(|f| self.error_at(f, local))?;
            socket::bind(&socket, local).map_err(|f| self.error_at(f, local))?;
        }
        // A wildcard source needs no bind: connect()'s automatic bind takes the range too.
        Ok(Some(socket))
    }

    /// After a kernel-path connect succeeded: whether the kernel kept to the range. When it
    /// did not (the sysctl changed since it was read), the caller drops the connection and
    /// searches in user space with the refusal this returns.
    pub(super) fn kernel_kept_the_range(&self, local: Option<SocketAddr>) -> Result<(), KernelEnd> {
        match local {
            Some(local) if self.ports.contains(local.port()) => Ok(()),
            _ => Err(KernelEnd::Fallback(
                match kernel::verdict(self.ports, true) {
                    Verdict::Refused(refusal) => Some(refusal),
                    _ => None,
                },
            )),
        }
    }

    /// After a kernel-path connect failed. EADDRNOTAVAIL means the kernel found no port of
    /// the range free for this destination, or a sysctl changed under a stale verdict: the
    /// sysctls are read again, and only an unchanged verdict makes it an exhaustion.
    pub(super) fn kernel_failed(&self, failure: Failure, local: Option<SocketAddr>) -> KernelEnd {
        let busy = failure.phase == Phase::Connect
            && matches!(
                failure.kind(),
                io::ErrorKind::AddrNotAvailable | io::ErrorKind::AddrInUse
            );
        if !busy {
            return KernelEnd::Stop(super::verdict::connect_error(
                failure,
                local,
                self.remote,
                self.pinned(),
            ));
        }
        match kernel::verdict(self.ports, true) {
            Verdict::Kernel => {
                let attempts = self.attempts();
                KernelEnd::Stop(self.exhausted(None, attempts, &BTreeSet::new(), None))
            }
            Verdict::Refused(refusal) => KernelEnd::Fallback(Some(refusal)),
            Verdict::Unavailable => KernelEnd::Fallback(None),
        }
    }

    /// The ports to try in user space, lazily: the whole range once, in an order of its own
    /// for each connect (a random start and a random step coprime with the range's length),
    /// less a port that would connect to itself.
    ///
    /// Why not a random start and then each next port: a connect that finds its start busy
    /// takes the first free port after it, so busy ports grow into runs, and a start that
    /// lands in a run walks all of it (linear probing's clustering). Measured at 900 live
    /// connections of a 1000-port range, that was 300 µs per connect; a random step spreads
    /// the probes, so the attempts are about 1 / (free share) whatever the history.
    pub(super) fn port_order(&self) -> impl Iterator<Item = u16> + '_ {
        let len = u64::from(self.ports.len());
        let first = u64::from(self.ports.first());
        let random = random_u64();
        let (start, step) = match len {
            0 | 1 => (0, 1),
            _ => (random % len, coprime_step(len, random >> 32)),
        };
        (0..len)
            .filter_map(move |i| u16::try_from(first + walk(len, start, step, i)).ok())
            .filter(|p| !(self.is_range() && Some(*p) == self.skip_port))
    }

    /// How many ports [`Plan::port_order`] yields.
    fn attempts(&self) -> u32 {
        let skipped = self.is_range() && self.skip_port.is_some_and(|p| self.ports.contains(p));
        self.ports.len() - u32::from(skipped)
    }

    /// socket, options and bind for one port; `None` local when no bind was needed.
    pub(super) fn bind(
        &self,
        port: u16,
    ) -> std::result::Result<(Socket, Option<SocketAddr>), (Failure, SocketAddr)> {
        let mut local = self.local;
        local.set_port(port);
        let socket = socket::new_socket(local, self.transport).map_err(|f| (f, local))?;
        let pinned_port = port != 0;
        if local.ip().is_unspecified() && !pinned_port && self.device.is_none() {
            return Ok((socket, None));
        }
        if pinned_port && self.transport == Transport::Tcp {
            // The port may be taken while an earlier connection from it sits in TIME_WAIT.
            socket::set_reuse_address(&socket).map_err(|f| (f, local))?;
        }
        if !pinned_port && self.transport == Transport::Tcp {
            socket::set_bind_address_no_port(&socket).map_err(|f| (f, local))?;
        }
        if let Some(device) = &self.device {
            socket::bind_device(&socket, device).map_err(|f| (f, local))?;
        }
        if local.is_ipv6() {
            socket::set_only_v6(&socket, true).map_err(|f| (f, local))?;
        }
        socket::bind(&socket, local).map_err(|f| (f, local))?;
        Ok((socket, Some(local)))
    }

    /// After a user-space attempt failed to bind: the next port of a range when the port was
    /// taken, else stop. Both connect loops (blocking and tokio) decide here.
    pub(super) fn bind_failed(
        &self,
        failure: Failure,
        addr: SocketAddr,
        search: &mut Search,
    ) -> Attempt {
        search.tried += 1;
        let taken = failure.kind() == io::ErrorKind::AddrInUse;
        if !(self.is_range() && taken) {
            return Attempt::Stop(self.error_at(failure, addr));
        }
        search.held.insert(addr.port());
        if search.tried < self.attempts() {
            return Attempt::Retry;
        }
        Attempt::Stop(self.exhausted(
            Some(Last::Bind(failure, addr)),
            search.tried,
            &search.held,
            search.refusal.take(),
        ))
    }

    /// After a user-space attempt failed to connect: the next port of a TCP range when the
    /// 4-tuple was taken, else stop.
    pub(super) fn connect_failed(
        &self,
        failure: Failure,
        local: Option<SocketAddr>,
        search: &mut Search,
    ) -> Attempt {
        search.tried += 1;
        let busy = self.transport == Transport::Tcp && self.is_range() && is_tuple_busy(&failure);
        if !busy {
            return Attempt::Stop(super::verdict::connect_error(
                failure,
                local,
                self.remote,
                self.pinned(),
            ));
        }
        if search.tried < self.attempts() {
            return Attempt::Retry;
        }
        Attempt::Stop(self.exhausted(
            Some(Last::Connect(failure, local)),
            search.tried,
            &search.held,
            search.refusal.take(),
        ))
    }

    /// The error when a user-space loop ends without a verdict. Not reached: a range yields
    /// at least one port, and the last attempt stops.
    pub(super) fn ran_out(&self, search: &mut Search) -> Error {
        self.exhausted(None, search.tried, &search.held, search.refusal.take())
    }

    /// The typed error of a failure outside the connect itself, at `addr`.
    fn error_at(&self, failure: Failure, addr: SocketAddr) -> Error {
        failure.into_error(addr, self.transport, self.device.as_deref())
    }

    /// `port_range_exhausted`, from one lookup of the range's sockets: how many ports are busy
    /// toward the destination (live or in TIME_WAIT) and how many other sockets hold, and the
    /// last port's own error (the holder of a bind, the state of a connect's 4-tuple). The
    /// source named is the one the kernel used: the route's address for a wildcard source.
    fn exhausted(
        &self,
        last: Option<Last>,
        attempts: u32,
        held_at_bind: &BTreeSet<u16>,
        refusal: Option<KernelRefusal>,
    ) -> Error {
        let tcp = self.transport == Transport::Tcp;
        let rows = sys::sockets_on_ports(self.ports.first(), self.ports.last(), tcp);
        let source_ip = source_ip(self.local.ip(), self.remote);
        let Tally {
            live,
            time_wait,
            held,
        } = Tally::of(&rows, self.ports, source_ip, self.remote);
        // In user space, the binds that failed name the held ports (the lookup sees only
        // sockets without a remote), less those that are busy toward this remote: a
        // connection the kernel path made holds its port without SO_REUSEADDR, so a bind
        // to it fails too, and it is counted once, as live.
        let held = match last {
            Some(_) => count(
                &held_at_bind
                    .iter()
                    .filter(|p| !live.contains(p) && !time_wait.contains(p))
                    .copied()
                    .collect(),
            ),
            None => count(&held),
        };
        let ports = (!rows.is_empty() || sys::SOCKETS_LISTED)
            .then(|| RangeUse::new(count(&live), count(&time_wait), held));
        let last = match last {
            Some(Last::Bind(failure, addr)) => {
                let holder =
                    sys::holder_among(addr, tcp, rows.clone()).map(|row| Box::new(holder_of(row)));
                Error::AddrInUse {
                    addr,
                    phase: failure.phase,
                    protocol: self.transport.protocol(),
                    holder,
                    source: failure.source,
                }
            }
            Some(Last::Connect(failure, local)) => {
                let local = SocketAddr::new(source_ip, local.map_or(0, |l| l.port()));
                tuple_error(
                    failure.source,
                    local,
                    self.remote,
                    live.contains(&local.port()),
                )
            }
            None => {
                // The kernel's search (or a loop that never ran): name a port it found busy.
                let port = live
                    .iter()
                    .chain(time_wait.iter())
                    .next()
                    .copied()
                    .unwrap_or(0);
                let local = SocketAddr::new(source_ip, port);
                let source = io::Error::from(io::ErrorKind::AddrNotAvailable);
                tuple_error(
                    source,
                    local,
                    self.remote,
                    !live.is_empty() || time_wait.is_empty(),
                )
            }
        };
        if !self.is_range() {
            return last;
        }
        Error::PortRangeExhausted {
            range: self.ports,
            remote: self.remote,
            attempts,
            ports,
            kernel_refusal: refusal,
            last: Cause::new(last),
        }
    }
}

/// How the ports of a range are used, from one lookup of its sockets: each port counted once,
/// a live connection before a TIME_WAIT entry before a holder.
pub(super) struct Tally {
    /// Ports with a live connection from `source_ip` to the destination.
    pub(super) live: BTreeSet<u16>,
    /// Ports whose connection to the destination is in TIME_WAIT.
    pub(super) time_wait: BTreeSet<u16>,
    /// Ports held by sockets with no remote: listeners, bound but unconnected sockets.
    pub(super) held: BTreeSet<u16>,
}

impl Tally {
    pub(super) fn of(
        rows: &[sys::SocketRow],
        ports: PortRange,
        source_ip: IpAddr,
        remote: SocketAddr,
    ) -> Tally {
        let toward_remote = |row: &sys::SocketRow| {
            row.remote == Some(remote)
                && (row.local.ip() == source_ip || source_ip.is_unspecified())
        };
        let mut live = BTreeSet::new();
        let mut time_wait = BTreeSet::new();
        let mut held = BTreeSet::new();
        for row in rows.iter().filter(|r| ports.contains(r.local.port())) {
            let port = row.local.port();
            if toward_remote(row) {
                if SocketState::from_kernel(row.state) == SocketState::TimeWait {
                    time_wait.insert(port);
                } else {
                    live.insert(port);
                }
            } else if row.remote.is_none() {
                held.insert(port);
            }
        }
        time_wait.retain(|p| !live.contains(p));
        held.retain(|p| !live.contains(p) && !time_wait.contains(p));
        Tally {
            live,
            time_wait,
            held,
        }
    }

    /// The counts, as an error reports them.
    pub(super) fn range_use(&self) -> RangeUse {
        RangeUse::new(count(&self.live), count(&self.time_wait), count(&self.held))
    }
}

pub(super) fn count(set: &BTreeSet<u16>) -> u32 {
    u32::try_from(set.len()).unwrap_or(u32::MAX)
}

/// The last failure of a user-space search, kept raw until the search is over.
enum Last {
    Bind(Failure, SocketAddr),
    Connect(Failure, Option<SocketAddr>),
}

/// A busy 4-tuple's error: `addr_in_use` at connect when a live connection holds it (no wait
/// frees it), `time_wait` otherwise.
pub(super) fn tuple_error(
    source: io::Error,
    local: SocketAddr,
    remote: SocketAddr,
    live: bool,
) -> Error {
    if live {
        Error::AddrInUse {
            addr: local,
            phase: Phase::Connect,
            protocol: Transport::Tcp.protocol(),
            holder: None,
            source,
        }
    } else {
        Error::TimeWait {
            local,
            remote,
            source,
        }
    }
}

/// The address a connection from `local` to `remote` leaves from: `local` itself, or for a
/// wildcard the route's preferred source, found as the kernel finds it (a UDP socket
/// connected to `remote` sends nothing and reports the source it would use).
pub(super) fn source_ip(local: IpAddr, remote: SocketAddr) -> IpAddr {
    if !local.is_unspecified() {
        return local;
    }
    let any: SocketAddr = match remote {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    UdpSocket::bind(any)
        .and_then(|probe| {
            probe.connect(remote)?;
            probe.local_addr()
        })
        .map_or(local, |addr| addr.ip())
}

/// connect() says the 4-tuple is taken: EADDRINUSE, or EADDRNOTAVAIL (Linux, for a TIME_WAIT
/// entry it may not take over).
fn is_tuple_busy(failure: &Failure) -> bool {
    failure.phase == Phase::Connect
        && matches!(
            failure.kind(),
            io::ErrorKind::AddrInUse | io::ErrorKind::AddrNotAvailable
        )
}

/// The local address of a connected socket.
pub(super) fn local_of(socket: &Socket) -> Option<SocketAddr> {
    step(socket.local_addr(), Phase::Connect)
        .ok()
        .and_then(|a| a.as_socket())
}

/// The `i`th offset of a walk over `len` slots: `start`, then `step` apart, around.
fn walk(len: u64, start: u64, step: u64, i: u64) -> u64 {
    (start + i * step) % len
}

/// A step in `1..len` coprime with `len` (so `i * step % len` visits every residue once),
/// from `random`.
fn coprime_step(len: u64, random: u64) -> u64 {
    let gcd = |mut a: u64, mut b: u64| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let mut step = 1 + random % (len - 1).max(1);
    while gcd(step, len) != 1 {
        step = step % (len - 1).max(1) + 1;
    }
    step
}

/// A random number from std's per-process random hash keys: enough to spread concurrent
/// clients over a range, without a dependency.
fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    hasher.finish()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(local: &str, remote: Option<&str>, state: u8) -> sys::SocketRow {
        sys::SocketRow {
            local: local.parse().unwrap(),
            remote: remote.map(|r| r.parse().unwrap()),
            state,
            inode: 1,
            uid: 0,
        }
    }

    /// Each port once: live toward the remote before TIME_WAIT before held; connections to
    /// other remotes, from other source addresses, or outside the range are not counted.
    #[test]
    fn a_tally_counts_each_port_once_toward_its_remote() {
        let remote: SocketAddr = "198.18.0.1:443".parse().unwrap();
        let source: IpAddr = "198.18.0.2".parse().unwrap();
        let rows = [
            row("198.18.0.2:41000", Some("198.18.0.1:443"), 1),
            row("198.18.0.2:41000", Some("198.18.0.1:443"), 6),
            row("0.0.0.0:41000", None, 10),
            row("198.18.0.2:41001", Some("198.18.0.1:443"), 6),
            row("0.0.0.0:41001", None, 10),
            row("0.0.0.0:41002", None, 10),
            // Another remote, another source address, outside the range: none counts.
            row("198.18.0.2:41003", Some("198.18.0.9:443"), 1),
            row("198.18.0.3:41004", Some("198.18.0.1:443"), 1),
            row("198.18.0.2:42000", Some("198.18.0.1:443"), 1),
        ];
        let range = PortRange::new(41000, 41009).unwrap();
        let tally = Tally::of(&rows, range, source, remote);
        assert_eq!(tally.live.iter().copied().collect::<Vec<_>>(), [41000]);
        assert_eq!(tally.time_wait.iter().copied().collect::<Vec<_>>(), [41001]);
        assert_eq!(tally.held.iter().copied().collect::<Vec<_>>(), [41002]);
        assert_eq!(tally.range_use(), RangeUse::new(1, 1, 1));
        // A wildcard source counts every source address.
        let any = Tally::of(&rows, range, "0.0.0.0".parse().unwrap(), remote);
        assert_eq!(any.live.iter().copied().collect::<Vec<_>>(), [41000, 41004]);
    }

    #[test]
    fn the_walk_starts_at_start_and_strides_by_step() {
        let offsets: Vec<u64> = (0..10).map(|i| walk(10, 3, 7, i)).collect();
        assert_eq!(offsets, [3, 0, 7, 4, 1, 8, 5, 2, 9, 6]);
    }

    /// Each search draws its own start and step: two connects from one range do not walk it
    /// in the same order.
    #[test]
    fn each_draw_is_new() {
        let draws: std::collections::BTreeSet<u64> = (0..8).map(|_| random_u64()).collect();
        assert!(draws.len() > 1, "{draws:?}");
    }

    /// The step is the random one when it is coprime, else the next coprime one up.
    #[test]
    fn the_step_is_the_first_coprime_from_the_random_one() {
        assert_eq!(coprime_step(10, 2), 3);
        assert_eq!(coprime_step(10, 3), 7, "4, 5 and 6 share a factor with 10");
        assert_eq!(coprime_step(1000, 998), 999);
        assert_eq!(coprime_step(10, 9), 1, "9 % 9 is 0: the step 1");
    }

    #[test]
    fn every_step_visits_every_port_once() {
        for len in [2u64, 3, 4, 10, 16, 1000, 65536] {
            for random in [0u64, 1, 7, 999, u64::MAX, 0x1234_5678_9abc] {
                let step = coprime_step(len, random);
                assert!((1..len.max(2)).contains(&step), "{len} {step}");
                let mut seen = vec![false; usize::try_from(len).unwrap_or(0)];
                for i in 0..len {
                    let slot = usize::try_from((i * step) % len).unwrap_or(0);
                    assert!(!seen[slot], "{len} {step}: {slot} twice");
                    seen[slot] = true;
                }
            }
        }
    }
}
