//! The client side: bind a source address or port (or a port range) before connect.
//!
//! Cost rule: a `port:`, wildcard, loopback or literal-address target makes no interface
//! enumeration; the kernel's answer to `bind()` is the check. Only an interface-name target
//! (or a zone given by name) enumerates, to find its address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6, TcpStream, UdpSocket};
use std::time::Duration;

use socket2::{SockAddr, Socket};

use crate::error::{Error, Phase, Result};
use crate::interfaces::Interfaces;
#[cfg(feature = "tokio")]
use crate::socket::{self, Failure};
use crate::socket::{Transport, step};
use crate::target::{BindTarget, Family, LocalInterface, PortRange, Zone, is_link_local_v6};

use ports::{Attempt, KernelEnd, Path, Plan, Search};

mod kernel;
mod ports;
mod verdict;

/// The user-space search, blocking: each port of the plan once, bound, then `connect`, until
/// one connects or the plan says stop. (The tokio twin is `connect_tokio`'s own loop: the
/// same decisions, awaited.)
fn search(
    plan: &Plan,
    refusal: Option<crate::error::KernelRefusal>,
    connect: impl Fn(&Socket, Option<SocketAddr>) -> std::result::Result<(), crate::socket::Failure>,
) -> Result<Socket> {
    let mut search = Search::new(refusal);
    for port in plan.port_order() {
        let (socket, local) = match plan.bind(port) {
            Ok(bound) => bound,
            Err((failure, addr)) => match plan.bind_failed(failure, addr, &mut search) {
                Attempt::Retry => continue,
                Attempt::Stop(err) => return Err(err),
            },
        };
        match connect(&socket, local) {
            Ok(()) => return Ok(socket),
            Err(failure) => {
                drop(socket);
                match plan.connect_failed(failure, local, &mut search) {
                    Attempt::Retry => {}
                    Attempt::Stop(err) => return Err(err),
                }
            }
        }
    }
    Err(plan.ran_out(&mut search))
}

/// Where a kernel-path attempt that did not connect leaves the search: a fallback to user
/// space (with the sysctl that refused, if one did), or the error to return.
fn kernel_fallback(end: KernelEnd) -> Result<Option<crate::error::KernelRefusal>> {
    match end {
        KernelEnd::Fallback(refusal) => Ok(refusal),
        KernelEnd::Stop(err) => Err(err),
    }
}

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
    /// A range (`port:A-B`): on Linux 6.3 and later, when the range lies inside
    /// `net.ipv4.ip_local_port_range` and none of it is in `net.ipv4.ip_local_reserved_ports`,
    /// the kernel searches it (IP_LOCAL_PORT_RANGE): one connect(), which picks a port of the
    /// range that makes the 4-tuple unique, at the cost of a plain connect; the port is
    /// checked with getsockname, and one outside the range is never returned. Otherwise the
    /// crate searches: it starts at a random port of the range and tries each port once,
    /// moving on when bind says EADDRINUSE or connect says EADDRINUSE or EADDRNOTAVAIL (that
    /// 4-tuple is busy), so concurrent clients spread over the range rather than collide on
    /// its start. (Reserving the range in `ip_local_reserved_ports`, to keep other programs'
    /// automatic ports out of it, therefore costs the kernel path.)
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
    /// - `addr_in_use`: a single pinned port is held by another socket (bind; the holder is
    ///   named), or has a live connection to the remote (connect).
    /// - `time_wait`: a single pinned port's 4-tuple is still in TIME_WAIT (connect).
    /// - `port_range_exhausted`: no port of the range could connect; says how many were
    ///   tried, how many were busy toward the remote (live or in TIME_WAIT) or held by other
    ///   sockets, which sysctl kept the kernel from searching, and carries the last error.
    /// - `connection_refused`, `timed_out`, `network_unreachable`, `host_unreachable`: the
    ///   connect failed; each names both addresses, and a time-out hints at a firewall.
    /// - `addr_not_available`, `interface_not_found`, `no_address`, `zone_required`: the
    ///   source is not usable here.
    pub fn connect(&self, remote: SocketAddr) -> Result<TcpStream> {
        let plan = self.plan(remote, Transport::Tcp)?;
        let connect = |socket: &Socket, local: Option<SocketAddr>| {
            let result = match self.timeout {
                Some(timeout) => socket.connect_timeout(&SockAddr::from(remote), timeout),
                None => socket.connect(&SockAddr::from(remote)),
            };
            step(result, Phase::Connect)?;
            // A remote on this machine, on the pinned port: TCP simultaneous open can
            // connect the socket to itself.
            if local.is_some_and(|l| l.port() == remote.port())
                && ports::local_of(socket) == Some(remote)
            {
                return Err(verdict::self_connect_failure(remote));
            }
            Ok(())
        };
        let refusal = match plan.path() {
            Path::Kernel => match plan.kernel_socket()? {
                Some(socket) => match connect(&socket, None) {
                    Ok(()) => match plan.kernel_kept_the_range(ports::local_of(&socket)) {
                        Ok(()) => return Ok(TcpStream::from(socket)),
                        Err(end) => kernel_fallback(end)?,
                    },
                    Err(failure) => {
                        let local = ports::local_of(&socket);
                        drop(socket);
                        kernel_fallback(plan.kernel_failed(failure, local))
                            .map_err(|e| verdict::with_timeout(e, self.timeout))?
                    }
                },
                None => None,
            },
            Path::UserSpace(refusal) => refusal,
        };
        search(&plan, refusal, connect)
            .map(TcpStream::from)
            .map_err(|e| verdict::with_timeout(e, self.timeout))
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
        search(&plan, None, |socket, _| {
            step(socket.connect(&SockAddr::from(remote)), Phase::Connect)
        })
        .map(UdpSocket::from)
    }

    /// Connects asynchronously (feature `tokio`), as [`Connector::connect`] does (the same
    /// kernel or user-space search), and returns a `tokio::net::TcpStream`. The socket is
    /// made nonblocking before tokio takes it. [`Connector::timeout`] bounds each connect
    /// attempt, as in the blocking connect: a remote that does not answer in time is
    /// `timed_out`, naming the timeout.
    ///
    /// # Errors
    ///
    /// As [`Connector::connect`].
    #[cfg(feature = "tokio")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub async fn connect_tokio(&self, remote: SocketAddr) -> Result<tokio::net::TcpStream> {
        let plan = self.plan(remote, Transport::Tcp)?;
        let refusal = match plan.path() {
            Path::Kernel => match plan.kernel_socket()? {
                Some(socket) => match self.connect_async(socket, remote).await {
                    Ok(stream) => {
                        let local = stream.local_addr().ok();
                        match plan.kernel_kept_the_range(local) {
                            Ok(()) => return Ok(stream),
                            Err(end) => kernel_fallback(end)?,
                        }
                    }
                    Err((failure, local)) => kernel_fallback(plan.kernel_failed(failure, local))
                        .map_err(|e| verdict::with_timeout(e, self.timeout))?,
                },
                None => None,
            },
            Path::UserSpace(refusal) => refusal,
        };
        let mut search = Search::new(refusal);
        for port in plan.port_order() {
            let (socket, local) = match plan.bind(port) {
                Ok(bound) => bound,
                Err((failure, addr)) => match plan.bind_failed(failure, addr, &mut search) {
                    Attempt::Retry => continue,
                    Attempt::Stop(err) => return Err(err),
                },
            };
            match self.connect_async(socket, remote).await {
                Ok(stream) => return Ok(stream),
                Err((failure, _)) => match plan.connect_failed(failure, local, &mut search) {
                    Attempt::Retry => {}
                    Attempt::Stop(err) => return Err(verdict::with_timeout(err, self.timeout)),
                },
            }
        }
        Err(plan.ran_out(&mut search))
    }

    /// One async connect of a bound (or unbound) socket, within the timeout: the stream, or
    /// the failure and the local address the socket had.
    #[cfg(feature = "tokio")]
    async fn connect_async(
        &self,
        socket: Socket,
        remote: SocketAddr,
    ) -> std::result::Result<tokio::net::TcpStream, (Failure, Option<SocketAddr>)> {
        socket::set_nonblocking(&socket).map_err(|f| (f, None))?;
        let tokio_socket = tokio::net::TcpSocket::from_std_stream(TcpStream::from(socket));
        let connect = tokio_socket.connect(remote);
        let connected = match self.timeout {
            Some(timeout) => tokio::time::timeout(timeout, connect)
                .await
                .unwrap_or_else(|_| Err(verdict::deadline_failure(timeout))),
            None => connect.await,
        };
        connected.map_err(|source| {
            (
                Failure {
                    source,
                    phase: Phase::Connect,
                },
                None,
            )
        })
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
            remote,
        })
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
