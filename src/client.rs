//! The client side: bind a source address or port (or a port range) before connect.
//!
//! Cost rule: a `port:`, wildcard, loopback or literal-address target makes no interface
//! enumeration; the kernel's answer to `bind()` is the check. Only an interface-name target
//! (or a zone given by name) enumerates, to find its address.

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6, TcpStream, UdpSocket};
use std::time::Duration;

use socket2::{SockAddr, Socket};

use crate::error::{Cause, Error, Phase, Result};
use crate::interfaces::Interfaces;
use crate::socket::{self, Failure, Transport, step};
use crate::sys;
use crate::target::{BindTarget, Family, LocalInterface, PortRange, Zone, is_link_local_v6};

/// Options for a pinned-source connection: made by [`BindTarget::connector`].
///
/// ```no_run
/// use bindpolicy::BindTarget;
/// use std::time::Duration;
///
/// let source: BindTarget = "port:40000-40010".parse()?;
/// let stream = source
///     .connector()
///     .timeout(Duration::from_secs(3))
///     .connect("192.0.2.10:5000".parse()?)?;
/// println!("{} -> {}", stream.local_addr()?, stream.peer_addr()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connector {
    source: BindTarget,
    timeout: Option<Duration>,
    bind_device: bool,
}

impl BindTarget {
    /// The builder for connecting from this source.
    pub fn connector(&self) -> Connector {
        Connector {
            source: self.clone(),
            timeout: None,
            bind_device: false,
        }
    }

    /// Connects to `remote` from this source, with the OS's connect timeout.
    ///
    /// # Errors
    ///
    /// As [`Connector::connect`].
    pub fn connect(&self, remote: SocketAddr) -> Result<TcpStream> {
        self.connector().connect(remote)
    }

    /// Connects to `remote` from this source, giving up after `timeout`.
    ///
    /// # Errors
    ///
    /// As [`Connector::connect`].
    pub fn connect_timeout(&self, remote: SocketAddr, timeout: Duration) -> Result<TcpStream> {
        self.connector().timeout(timeout).connect(remote)
    }

    /// A UDP socket bound to this source and connected to `remote`.
    ///
    /// # Errors
    ///
    /// As [`Connector::connect_udp`].
    pub fn connect_udp(&self, remote: SocketAddr) -> Result<UdpSocket> {
        self.connector().connect_udp(remote)
    }
}

impl Connector {
    /// Gives up connecting after `timeout` (default: the OS's, about two minutes on Linux).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// SO_BINDTODEVICE to the source's interface, for an interface-name source (Linux): the
    /// connection then leaves through that interface whatever the routing table says.
    #[must_use]
    pub fn bind_device(mut self, bind_device: bool) -> Self {
        self.bind_device = bind_device;
        self
    }

    /// Binds the source, then connects to `remote`.
    ///
    /// Steps: `socket()` of the remote's family; with a pinned port, SO_REUSEADDR (Unix), so
    /// the port can be taken while an earlier connection from it sits in TIME_WAIT; with a
    /// pinned address and port 0 on Linux, IP_BIND_ADDRESS_NO_PORT, so the port is chosen at
    /// connect and the 4-tuple space is shared; SO_BINDTODEVICE if asked; `bind()`;
    /// `connect()`. A wildcard source with port 0 skips `bind()`: the kernel does the same.
    ///
    /// A range starts at a random port of the range and tries each port once, moving on when
    /// bind says EADDRINUSE or connect says EADDRINUSE or EADDRNOTAVAIL (that 4-tuple is
    /// busy), so concurrent clients spread over the range rather than collide on its start.
    ///
    /// TIME_WAIT: after a connection from a pinned port closes, its 4-tuple stays in TIME_WAIT
    /// for 60 s on Linux. A new connection from the same port to the same destination takes
    /// it over only when TCP timestamps are on (`net.ipv4.tcp_timestamps`, on by default);
    /// with them off, connect fails with EADDRNOTAVAIL, reported as `time_wait`.
    ///
    /// # Errors
    ///
    /// - `family_mismatch`: the source's family is not the remote's.
    /// - `self_connect`: the remote is this machine on the pinned source port.
    /// - `addr_in_use`: a single pinned port is held by another socket (bind).
    /// - `time_wait`: a single pinned port's 4-tuple is still in TIME_WAIT (connect).
    /// - `port_range_exhausted`: every port of the range failed; carries the last error.
    /// - `connection_refused`, `timed_out`, `network_unreachable`, `host_unreachable`: the
    ///   connect failed; each names both addresses, and a time-out hints at a firewall.
    /// - `addr_not_available`, `interface_not_found`, `no_address`, `zone_required`: the
    ///   source is not usable here.
    pub fn connect(&self, remote: SocketAddr) -> Result<TcpStream> {
        let plan = self.plan(remote, Transport::Tcp)?;
        plan.run(remote, |socket, local| {
            let result = match self.timeout {
                Some(timeout) => socket.connect_timeout(&SockAddr::from(remote), timeout),
                None => socket.connect(&SockAddr::from(remote)),
            };
            step(result, Phase::Connect)?;
            if let Some(local) = local.filter(|l| l.port() == remote.port()) {
                // A remote on this machine, on the pinned port: TCP simultaneous open can
                // connect the socket to itself.
                if step(socket.local_addr(), Phase::Connect)?.as_socket() == Some(remote) {
                    return Err(self_connect_failure(local));
                }
            }
            Ok(())
        })
        .map(TcpStream::from)
        .map_err(|e| with_timeout(e, self.timeout))
    }

    /// Binds the source, then connects a UDP socket to `remote` (sets its default peer and
    /// filters datagrams from others). Ports of a range are tried as for TCP, moving on when
    /// bind says EADDRINUSE. No SO_REUSEADDR: for UDP it would let two sockets share a port.
    ///
    /// # Errors
    ///
    /// As [`Connector::connect`], less the TCP-only ones.
    pub fn connect_udp(&self, remote: SocketAddr) -> Result<UdpSocket> {
        let plan = self.plan(remote, Transport::Udp)?;
        plan.run(remote, |socket, _| {
            step(socket.connect(&SockAddr::from(remote)), Phase::Connect)
        })
        .map(UdpSocket::from)
    }

    /// Connects asynchronously (feature `tokio`), as [`Connector::connect`] does, and returns
    /// a `tokio::net::TcpStream`. The socket is made nonblocking before tokio takes it.
    /// [`Connector::timeout`] bounds each connect attempt, as in the blocking connect: a
    /// remote that does not answer in time is `timed_out`, naming the timeout.
    ///
    /// # Errors
    ///
    /// As [`Connector::connect`].
    #[cfg(feature = "tokio")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub async fn connect_tokio(&self, remote: SocketAddr) -> Result<tokio::net::TcpStream> {
        let plan = self.plan(remote, Transport::Tcp)?;
        let mut last: Option<Error> = None;
        for (n, port) in plan.port_order().enumerate() {
            let (socket, local) = match plan.bind(port) {
                Ok(bound) => bound,
                Err((failure, addr)) => match plan.bind_failed(failure, addr, n) {
                    Attempt::Retry(err) => {
                        last = Some(err);
                        continue;
                    }
                    Attempt::Stop(err) => return Err(err),
                },
            };
            let tokio_socket = socket::set_nonblocking(&socket)
                .map(|()| tokio::net::TcpSocket::from_std_stream(TcpStream::from(socket)))
                .map_err(|f| f.into_error(remote, Transport::Tcp, None))?;
            let connected = match self.timeout {
                Some(timeout) => tokio::time::timeout(timeout, tokio_socket.connect(remote))
                    .await
                    .unwrap_or_else(|_| {
                        Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("connect() did not finish in {timeout:?}"),
                        ))
                    }),
                None => tokio_socket.connect(remote).await,
            };
            match connected {
                Ok(stream) => return Ok(stream),
                Err(source) => {
                    let failure = Failure {
                        source,
                        phase: Phase::Connect,
                    };
                    match plan.connect_failed(failure, local, remote, n) {
                        Attempt::Retry(err) => last = Some(err),
                        Attempt::Stop(err) => return Err(with_timeout(err, self.timeout)),
                    }
                }
            }
        }
        Err(plan.ran_out(last)).map_err(|e| with_timeout(e, self.timeout))
    }

    /// Picks the source for `remote`: no enumeration unless the source is an interface name.
    fn plan(&self, remote: SocketAddr, transport: Transport) -> Result<Plan> {
        let remote_family = Family::of(remote.ip());
        let wildcard = match remote {
            SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        let mismatch = |local: IpAddr| Error::FamilyMismatch { local, remote };
        let (ip, scope_id, device, ports) = match &self.source {
            BindTarget::Any { family, port } => {
                if !family.includes(remote.ip()) {
                    return Err(mismatch(family_wildcard(*family)));
                }
                (wildcard, 0, None, PortRange::single(*port))
            }
            BindTarget::Port(range) => (wildcard, 0, None, *range),
            BindTarget::Inherited(_) => {
                return Err(Error::inherited_not_a_source(&self.source));
            }
            BindTarget::Loopback { family, port } => {
                if !family.includes(remote.ip()) {
                    return Err(mismatch(family_loopback(*family)));
                }
                let ip = match remote {
                    SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                    SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
                };
                (ip, 0, None, PortRange::single(*port))
            }
            BindTarget::SpecificInterface {
                interface: LocalInterface::Address(addr),
                port,
            } => {
                if Family::of(addr.ip()) != remote_family {
                    return Err(mismatch(addr.ip()));
                }
                let scope_id = match addr.zone() {
                    None => 0,
                    Some(Zone::Index(index)) => index.get(),
                    Some(Zone::Name(name)) => {
                        let interfaces = Interfaces::for_client(&self.source)?;
                        let iface = interfaces.get(name.as_str()).ok_or_else(|| {
                            Error::InterfaceNotFound {
                                name: name.to_string(),
                                known: interfaces.iter().map(|i| i.name().to_owned()).collect(),
                                source: None,
                            }
                        })?;
                        iface.index().unwrap_or(0)
                    }
                };
                (addr.ip(), scope_id, None, PortRange::single(*port))
            }
            BindTarget::SpecificInterface {
                interface: LocalInterface::Name(name),
                port,
            } => {
                let interfaces = Interfaces::for_client(&self.source)?;
                let (ip, scope_id) = interface_source(&interfaces, name.as_str(), remote)?;
                let device = self.bind_device.then(|| name.to_string());
                (ip, scope_id, device, PortRange::single(*port))
            }
        };
        let local = match ip {
            IpAddr::V6(v6) => SocketAddr::V6(SocketAddrV6::new(v6, 0, 0, scope_id)),
            IpAddr::V4(_) => SocketAddr::new(ip, 0),
        };
        // A self-connect needs the same address and port on both ends: 127.0.0.1:P to
        // 127.0.0.2:P is none. A wildcard source toward its family's loopback address leaves
        // from that very address; toward another address of this machine it leaves from that
        // one, which the check after connect() catches.
        let primary_loopback = remote.ip() == IpAddr::V4(Ipv4Addr::LOCALHOST)
            || remote.ip() == IpAddr::V6(Ipv6Addr::LOCALHOST);
        let remote_is_source = remote.ip() == ip || (ip.is_unspecified() && primary_loopback);
        if ports.len() == 1
            && ports.first() != 0
            && ports.first() == remote.port()
            && (remote_is_source || remote.ip().is_unspecified())
        {
            let mut pinned = local;
            pinned.set_port(ports.first());
            return Err(Error::SelfConnect {
                local: pinned,
                remote,
            });
        }
        Ok(Plan {
            local,
            ports,
            device,
            transport,
            skip_port: remote_is_source.then_some(remote.port()),
        })
    }
}

/// What [`Connector::plan`] decided: the source address, the ports to try, the device.
struct Plan {
    local: SocketAddr,
    ports: PortRange,
    device: Option<String>,
    transport: Transport,
    /// A port of a range that would connect to itself: skipped.
    skip_port: Option<u16>,
}

impl Plan {
    fn pinned(&self) -> bool {
        self.ports.first() != 0
    }

    fn is_range(&self) -> bool {
        self.ports.len() > 1
    }

    /// The ports to try, lazily: the whole range once, from a random start, less a port that
    /// would connect to itself.
    fn port_order(&self) -> impl Iterator<Item = u16> + '_ {
        let len = self.ports.len();
        let first = u32::from(self.ports.first());
        let start = match len {
            1 => 0,
            _ => u32::try_from(random_u64() % u64::from(len)).unwrap_or(0),
        };
        (0..len)
            .filter_map(move |i| u16::try_from(first + (start + i) % len).ok())
            .filter(|p| !(self.is_range() && Some(*p) == self.skip_port))
    }

    /// How many ports [`Plan::port_order`] yields.
    fn attempts(&self) -> usize {
        let skipped = self.is_range() && self.skip_port.is_some_and(|p| self.ports.contains(p));
        usize::try_from(self.ports.len()).unwrap_or(usize::MAX) - usize::from(skipped)
    }

    /// socket, options and bind for one port; `None` local when no bind was needed.
    fn bind(
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

    /// The typed error for a failed bind. In a range, the holder lookup is skipped (`cheap`).
    fn bind_error(&self, failure: Failure, addr: SocketAddr, cheap: bool) -> Error {
        if cheap {
            return Error::AddrInUse {
                addr,
                phase: failure.phase,
                holder: None,
                source: failure.source,
            };
        }
        failure.into_error(addr, self.transport, self.device.as_deref())
    }

    /// Wraps the last error of a range that ran out.
    fn finish(&self, err: Error, attempts: usize, exhausted: bool) -> Error {
        if self.is_range() && exhausted {
            Error::PortRangeExhausted {
                range: self.ports,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                last: Cause::new(err),
            }
        } else {
            err
        }
    }

    /// After attempt `n` (from 0) failed to bind: the next port of a range when the port was
    /// taken, else stop. Both connect loops (blocking and tokio) decide here.
    fn bind_failed(&self, failure: Failure, addr: SocketAddr, n: usize) -> Attempt {
        let retry = self.is_range() && failure.kind() == io::ErrorKind::AddrInUse;
        let more = n + 1 < self.attempts();
        // A port that is only skipped needs no holder lookup (a scan of /proc).
        let err = self.bind_error(failure, addr, retry && more);
        self.next(err, n, retry, more)
    }

    /// After attempt `n` failed to connect: the next port of a TCP range when the 4-tuple was
    /// taken, else stop.
    fn connect_failed(
        &self,
        failure: Failure,
        local: Option<SocketAddr>,
        remote: SocketAddr,
        n: usize,
    ) -> Attempt {
        let retry = self.transport == Transport::Tcp && self.is_range() && is_tuple_busy(&failure);
        let more = n + 1 < self.attempts();
        let err = connect_error(failure, local, remote, self.pinned(), None);
        self.next(err, n, retry, more)
    }

    fn next(&self, err: Error, n: usize, retry: bool, more: bool) -> Attempt {
        if retry && more {
            Attempt::Retry(err)
        } else {
            Attempt::Stop(self.finish(err, n + 1, retry))
        }
    }

    /// The error when the loop ends without a verdict. Not reached: a range yields at least
    /// one port, and the last attempt stops.
    fn ran_out(&self, last: Option<Error>) -> Error {
        self.finish(
            last.unwrap_or(Error::Unsupported {
                option: "empty port range",
            }),
            self.attempts(),
            true,
        )
    }

    /// Tries each port in turn with `connect`, as [`Connector::connect`] documents.
    fn run(
        &self,
        remote: SocketAddr,
        connect: impl Fn(&Socket, Option<SocketAddr>) -> std::result::Result<(), Failure>,
    ) -> Result<Socket> {
        let mut last: Option<Error> = None;
        for (n, port) in self.port_order().enumerate() {
            let (socket, local) = match self.bind(port) {
                Ok(bound) => bound,
                Err((failure, addr)) => match self.bind_failed(failure, addr, n) {
                    Attempt::Retry(err) => {
                        last = Some(err);
                        continue;
                    }
                    Attempt::Stop(err) => return Err(err),
                },
            };
            match connect(&socket, local) {
                Ok(()) => return Ok(socket),
                Err(failure) => {
                    drop(socket);
                    match self.connect_failed(failure, local, remote, n) {
                        Attempt::Retry(err) => last = Some(err),
                        Attempt::Stop(err) => return Err(err),
                    }
                }
            }
        }
        Err(self.ran_out(last))
    }
}

/// What a connect loop does after a failed attempt.
enum Attempt {
    /// Try the next port; the error is kept in case it was the last.
    Retry(Error),
    /// Stop with this error.
    Stop(Error),
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

/// The typed error for a failed connect.
fn connect_error(
    failure: Failure,
    local: Option<SocketAddr>,
    remote: SocketAddr,
    pinned: bool,
    timeout: Option<Duration>,
) -> Error {
    if failure.phase != Phase::Connect {
        return failure.into_error(local.unwrap_or(remote), Transport::Tcp, None);
    }
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
            timeout,
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
        io::ErrorKind::AddrInUse | io::ErrorKind::AddrNotAvailable if pinned => {
            let local = local.unwrap_or(remote);
            match sys::tuple_is_live(local.port(), remote) {
                // A live connection holds the 4-tuple: no wait will free it.
                Some(true) => Error::AddrInUse {
                    addr: local,
                    phase: Phase::Connect,
                    holder: None,
                    source,
                },
                _ => Error::TimeWait {
                    local,
                    remote,
                    source,
                },
            }
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

/// A connection that came back to itself, as a failure to classify like the others.
fn self_connect_failure(local: SocketAddr) -> Failure {
    Failure {
        source: io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{local} connected to itself"),
        ),
        phase: Phase::Connect,
    }
}

/// Adds the caller's timeout to a `timed_out` error.
fn with_timeout(err: Error, timeout: Option<Duration>) -> Error {
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
            attempts,
            last,
        } => Error::PortRangeExhausted {
            range,
            attempts,
            last: Cause::new(with_timeout(last.into_inner(), timeout)),
        },
        other => other,
    }
}

/// The source address of an interface-name target for `remote`: an address in the remote's
/// family, a global one preferred, a link-local one only toward a link-local remote.
fn interface_source(
    interfaces: &Interfaces,
    name: &str,
    remote: SocketAddr,
) -> Result<(IpAddr, u32)> {
    let iface = interfaces
        .get(name)
        .ok_or_else(|| Error::InterfaceNotFound {
            name: name.to_owned(),
            known: interfaces.iter().map(|i| i.name().to_owned()).collect(),
            source: None,
        })?;
    let remote_link_local = is_link_local_v6(remote.ip());
    let same_family = || {
        iface
            .addrs()
            .iter()
            .filter(|a| a.ip().is_ipv4() == remote.is_ipv4())
    };
    let chosen = same_family()
        .find(|a| is_link_local_v6(a.ip()) == remote_link_local && !a.is_tentative())
        .or_else(|| same_family().find(|a| is_link_local_v6(a.ip()) == remote_link_local));
    let Some(chosen) = chosen else {
        return Err(Error::NoAddress {
            interface: name.to_owned(),
            family: Family::of(remote.ip()),
            state: iface.state().to_owned(),
        });
    };
    let scope_id = if is_link_local_v6(chosen.ip()) {
        iface.index().unwrap_or(0)
    } else {
        0
    };
    Ok((chosen.ip(), scope_id))
}

fn family_wildcard(family: Family) -> IpAddr {
    match family {
        Family::Ipv6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

fn family_loopback(family: Family) -> IpAddr {
    match family {
        Family::Ipv6 => IpAddr::V6(Ipv6Addr::LOCALHOST),
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}

/// A random number from std's per-process random hash keys: enough to spread concurrent
/// clients over a range, without a dependency.
fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    hasher.finish()
}
