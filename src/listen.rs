//! The server side: TCP listeners and UDP sockets from a resolved target, all or nothing.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU32, AtomicUsize};
use std::time::Duration;

use socket2::Socket;

use crate::activation::{self, Inherit};
use crate::error::{Error, Phase, PortHolder, Result};
use crate::resolve::{Exposure, Resolved, Warning};
use crate::socket::{self, Failure, Transport, step};
use crate::target::BindTarget;

/// How often a port-0 target with several addresses retries when the port the OS picked for
/// the first address is taken in another family.
const SHARED_PORT_ATTEMPTS: u32 = 8;

/// Options for [`Resolved::listen_with`] and [`Resolved::bind_udp_with`].
///
/// The defaults: backlog 1024, blocking sockets, no SO_REUSEPORT, one socket per family
/// (IPV6_V6ONLY on), no freebind, no device binding.
///
/// ```
/// use bindpolicy::{FreeBind, ListenOptions};
///
/// let options = ListenOptions::new()
///     .backlog(4096)
///     .nonblocking(true)
///     .freebind(FreeBind::OnAddrNotAvailable);
/// assert_eq!(options.get_backlog(), 4096);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct ListenOptions {
    backlog: u32,
    nonblocking: bool,
    reuse_port: bool,
    dual_stack: bool,
    freebind: FreeBind,
    bind_device: bool,
    inherit: Inherit,
    /// Not read from or written to config files (yet): set it in code.
    #[cfg_attr(feature = "serde", serde(skip))]
    wait: Option<Duration>,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            backlog: 1024,
            nonblocking: false,
            reuse_port: false,
            dual_stack: false,
            freebind: FreeBind::Never,
            bind_device: false,
            inherit: Inherit::On,
            wait: None,
        }
    }
}

impl ListenOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The accept queue's length (default 1024). The kernel caps it silently at
    /// `net.core.somaxconn` (4096 on Linux since 5.4).
    #[must_use]
    pub fn backlog(mut self, backlog: u32) -> Self {
        self.backlog = backlog;
        self
    }

    /// Sockets in nonblocking mode (default off), as an event loop wants them.
    #[must_use]
    pub fn nonblocking(mut self, nonblocking: bool) -> Self {
        self.nonblocking = nonblocking;
        self
    }

    /// SO_REUSEPORT (default off; Unix only). With it, any socket of the same effective user
    /// that also sets it can bind the same address and port, and the kernel spreads the
    /// connections between them: right for several workers of one service, wrong where
    /// another program of that user must not take a share.
    #[must_use]
    pub fn reuse_port(mut self, reuse_port: bool) -> Self {
        self.reuse_port = reuse_port;
        self
    }

    /// One `[::]` socket with IPV6_V6ONLY off instead of separate `0.0.0.0` and `[::]` sockets
    /// (default off). IPv4 clients then appear as `::ffff:a.b.c.d`. OpenBSD cannot do this;
    /// the bind fails there with the OS's error.
    #[must_use]
    pub fn dual_stack(mut self, dual_stack: bool) -> Self {
        self.dual_stack = dual_stack;
        self
    }

    /// When to bind an address that is not assigned yet (Linux; default [`FreeBind::Never`]).
    #[must_use]
    pub fn freebind(mut self, freebind: FreeBind) -> Self {
        self.freebind = freebind;
        self
    }

    /// SO_BINDTODEVICE to the interface of a [`BindTarget::SpecificInterface`] (Linux; default
    /// off): only packets that arrive on that interface reach the socket. Without it, Linux
    /// accepts a packet for any local address on any interface. Wildcard and loopback targets
    /// have no one interface, and this option leaves them alone.
    #[must_use]
    pub fn bind_device(mut self, bind_device: bool) -> Self {
        self.bind_device = bind_device;
        self
    }

    /// Whether to use the sockets a service manager handed over (default [`Inherit::On`]).
    /// With inheriting on and the process socket-activated, a listen or bind uses the
    /// handed-over sockets that match what the target resolves to (a dual-stack `[::]:P`
    /// covers `*:P`) instead of binding, and fails with `inherited_mismatch` when they do
    /// not; see [`Inherit`].
    #[must_use]
    pub fn inherit(mut self, inherit: Inherit) -> Self {
        self.inherit = inherit;
        self
    }

    /// The inherit setting.
    pub fn get_inherit(&self) -> Inherit {
        self.inherit
    }

    /// Wait up to `timeout` for the target's addresses before binding (default: no wait), as
    /// [`BindTarget::wait`] does: [`BindTarget::listen_with`] and [`BindTarget::bind_udp_with`]
    /// then wait, then bind, all or nothing as always. What no wait can cure (a failed
    /// duplicate address detection, a privileged port without the privilege, IPv6 disabled
    /// for an IPv6 target) fails at once; at the deadline the error is
    /// [`Error::AddressWaitTimedOut`]. With a freebind mode too, the wait comes first, and an
    /// address still missing at the deadline is the wait's error: freebind does not take over.
    ///
    /// ```
    /// use bindpolicy::{BindTarget, ListenOptions};
    /// use std::time::Duration;
    ///
    /// let options = ListenOptions::new().wait(Duration::from_secs(30));
    /// let listeners = "127.0.0.1:0".parse::<BindTarget>()?.listen_with(&options)?;
    /// assert_eq!(listeners.len(), 1);
    /// # Ok::<(), bindpolicy::Error>(())
    /// ```
    #[must_use]
    pub fn wait(mut self, timeout: Duration) -> Self {
        self.wait = Some(timeout);
        self
    }

    /// How long [`BindTarget::listen_with`] waits for the addresses; `None`: no wait.
    pub fn get_wait(&self) -> Option<Duration> {
        self.wait
    }

    /// The backlog.
    pub fn get_backlog(&self) -> u32 {
        self.backlog
    }

    /// Whether sockets are nonblocking.
    pub fn is_nonblocking(&self) -> bool {
        self.nonblocking
    }

    /// Whether SO_REUSEPORT is set.
    pub fn is_reuse_port(&self) -> bool {
        self.reuse_port
    }

    /// Whether `[::]` is one dual-stack socket.
    pub fn is_dual_stack(&self) -> bool {
        self.dual_stack
    }

    /// The freebind mode.
    pub fn get_freebind(&self) -> FreeBind {
        self.freebind
    }

    /// Whether SO_BINDTODEVICE is set for interface targets.
    pub fn is_bind_device(&self) -> bool {
        self.bind_device
    }
}

/// When to set IP_FREEBIND / IPV6_FREEBIND (Linux only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum FreeBind {
    /// Never: an address that is not assigned fails with `addr_not_available`.
    #[default]
    Never,
    /// Only when bind fails with EADDRNOTAVAIL: retry once with freebind and warn. For services
    /// that start before DHCP or keepalived has assigned their address.
    OnAddrNotAvailable,
    /// Always, before bind.
    Always,
}

/// Sockets bound for one target, all on one port, with their real addresses.
///
/// [`Listeners`] and [`UdpSockets`] are the two kinds; with the `tokio` feature,
/// `TokioListeners` and `TokioUdpSockets` are their tokio twins, with the same addresses,
/// exposure and warnings. Each kind waits on every socket at once: [`Listeners::accept`],
/// [`UdpSockets::recv_from`] and their async twins.
#[derive(Debug)]
pub struct Bound<S> {
    pub(crate) target: BindTarget,
    pub(crate) sockets: Vec<S>,
    pub(crate) addrs: Vec<SocketAddr>,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) exposure: Exposure,
    /// Whether the sockets were bound nonblocking ([`ListenOptions::nonblocking`]).
    pub(crate) nonblocking: bool,
    /// The fd of each socket a service manager handed over, in order; empty when bound here.
    pub(crate) inherited: Vec<i32>,
    /// The socket the merged accept (or receive) tries first next time: one past the last one
    /// served, so that no socket starves another.
    pub(crate) next: AtomicUsize,
    /// Accept errors in a row that were about this process's resources (EMFILE, ENFILE,
    /// ENOBUFS, ENOMEM): the merged accept's pause grows with it (serve.rs).
    pub(crate) exhausted: AtomicU32,
}

/// TCP listeners for one target.
pub type Listeners = Bound<TcpListener>;

/// UDP sockets for one target.
pub type UdpSockets = Bound<UdpSocket>;

impl<S> Bound<S> {
    /// The target they were bound for.
    pub fn target(&self) -> &BindTarget {
        &self.target
    }

    /// The sockets, in the order of [`Bound::local_addrs`].
    pub fn sockets(&self) -> &[S] {
        &self.sockets
    }

    /// The bound addresses, port 0 replaced by the OS's choice.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The fd of each socket, in the order of [`Bound::local_addrs`], when a service manager
    /// handed them over (socket activation, see [`ListenOptions::inherit`]); empty when they
    /// were bound here.
    pub fn inherited_fds(&self) -> &[i32] {
        &self.inherited
    }

    /// The port every socket is bound to.
    pub fn port(&self) -> u16 {
        self.addrs.first().map_or(0, SocketAddr::port)
    }

    /// The warnings of resolve and bind.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Who can connect, with the bound port (so its URLs are ready to print).
    pub fn exposure(&self) -> &Exposure {
        &self.exposure
    }

    /// The sockets with their addresses.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&S, SocketAddr)> {
        self.sockets.iter().zip(self.addrs.iter().copied())
    }

    /// How many sockets.
    pub fn len(&self) -> usize {
        self.sockets.len()
    }

    /// Whether there is no socket (never, for a successful bind).
    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// The sockets alone.
    pub fn into_sockets(self) -> Vec<S> {
        self.sockets
    }

    /// The same set with each socket converted by `f`; all or nothing: on the first error the
    /// sockets converted so far and those not yet converted are closed.
    pub(crate) fn try_map<T, E>(
        self,
        f: impl FnMut(S) -> std::result::Result<T, E>,
    ) -> std::result::Result<Bound<T>, E> {
        Ok(Bound {
            sockets: self
                .sockets
                .into_iter()
                .map(f)
                .collect::<std::result::Result<_, E>>()?,
            target: self.target,
            addrs: self.addrs,
            warnings: self.warnings,
            exposure: self.exposure,
            nonblocking: self.nonblocking,
            inherited: self.inherited,
            next: self.next,
            exhausted: self.exhausted,
        })
    }
}

impl<S> IntoIterator for Bound<S> {
    type Item = S;
    type IntoIter = std::vec::IntoIter<S>;

    fn into_iter(self) -> Self::IntoIter {
        self.sockets.into_iter()
    }
}

impl BindTarget {
    /// Resolves the target and listens on TCP with default options: `resolve()?.listen()`.
    ///
    /// # Errors
    ///
    /// Those of [`BindTarget::resolve`] and [`Resolved::listen_with`].
    ///
    /// ```
    /// use bindpolicy::BindTarget;
    /// use std::net::TcpStream;
    ///
    /// let listeners = "127.0.0.1:0".parse::<BindTarget>()?.listen()?;
    /// let addr = listeners.local_addrs()[0];
    /// let _client = TcpStream::connect(addr)?;
    /// let (_conn, peer) = listeners.sockets()[0].accept()?;
    /// assert!(peer.ip().is_loopback());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn listen(&self) -> Result<Listeners> {
        self.listen_with(&ListenOptions::default())
    }

    /// Resolves the target and listens on TCP with `options`.
    ///
    /// With [`ListenOptions::freebind`] other than [`FreeBind::Never`], an address that is not
    /// assigned to this machine (yet) is not an error at resolve: it goes to bind, which
    /// binds it with IP_FREEBIND.
    ///
    /// With [`ListenOptions::wait`], it first waits for the addresses ([`BindTarget::wait`]).
    ///
    /// # Errors
    ///
    /// Those of [`BindTarget::resolve`] (or [`BindTarget::wait`]) and
    /// [`Resolved::listen_with`].
    pub fn listen_with(&self, options: &ListenOptions) -> Result<Listeners> {
        if let BindTarget::Inherited(which) = self {
            return inherited_set(self, which, options, Transport::Tcp)
                .map(|b| b.map(TcpListener::from));
        }
        freebind_fallback(self.resolve_or_wait(options), self, options)?.listen_with(options)
    }

    /// Resolves the target and binds UDP sockets with default options.
    ///
    /// # Errors
    ///
    /// Those of [`BindTarget::resolve`] and [`Resolved::bind_udp_with`].
    pub fn bind_udp(&self) -> Result<UdpSockets> {
        self.bind_udp_with(&ListenOptions::default())
    }

    /// Resolves the target and binds UDP sockets with `options`.
    ///
    /// # Errors
    ///
    /// Those of [`BindTarget::resolve`] (or [`BindTarget::wait`], with
    /// [`ListenOptions::wait`]) and [`Resolved::bind_udp_with`].
    pub fn bind_udp_with(&self, options: &ListenOptions) -> Result<UdpSockets> {
        if let BindTarget::Inherited(which) = self {
            return inherited_set(self, which, options, Transport::Udp)
                .map(|b| b.map(UdpSocket::from));
        }
        freebind_fallback(self.resolve_or_wait(options), self, options)?.bind_udp_with(options)
    }

    /// The wait of `options`, or a plain resolve.
    fn resolve_or_wait(&self, options: &ListenOptions) -> Result<Resolved> {
        match options.wait {
            Some(timeout) => self.wait(timeout),
            None => self.resolve(),
        }
    }
}

/// The one socket an `fd:N` or `fd:NAME` target names, with the exposure and warnings of the
/// address it is bound to (a dual-stack `[::]:P` counts as `*:P`).
fn inherited_set(
    target: &BindTarget,
    which: &crate::target::Inherited,
    options: &ListenOptions,
    transport: Transport,
) -> Result<Bound<Socket>> {
    inherited_resolved(target, which, options, transport, None).map(|(bound, _)| bound)
}

/// An `fd:N` or `fd:NAME` target's listener, and its socket's address resolved against
/// `interfaces` as a target of its own (a dual-stack `[::]:P` as `*:P`), for a policy to
/// check: what [`ListenConfig::listen`](crate::ListenConfig::listen) takes for such a target.
pub(crate) fn inherited_listen(
    target: &BindTarget,
    which: &crate::target::Inherited,
    options: &ListenOptions,
    interfaces: &crate::interfaces::Interfaces,
) -> Result<(Listeners, Resolved)> {
    inherited_resolved(target, which, options, Transport::Tcp, Some(interfaces))
        .map(|(bound, resolved)| (bound.map(TcpListener::from), resolved))
}

/// [`inherited_set`], with the [`Resolved`] of the socket's address: against `interfaces`,
/// or, without them, what [`BindTarget::resolve`] reads.
fn inherited_resolved(
    target: &BindTarget,
    which: &crate::target::Inherited,
    options: &ListenOptions,
    transport: Transport,
    interfaces: Option<&crate::interfaces::Interfaces>,
) -> Result<(Bound<Socket>, Resolved)> {
    let (socket, local, fd) = activation::claim_one(
        target,
        which,
        transport,
        options.inherit,
        options.nonblocking,
    )?;
    let dual = local.is_ipv6() && local.ip().is_unspecified() && !socket.only_v6().unwrap_or(true);
    let as_bound = if dual {
        Ok(BindTarget::any(local.port()))
    } else {
        BindTarget::socket_addr(local)
    };
    let resolved = as_bound
        .map_err(Error::from)
        .and_then(|t| match interfaces {
            Some(interfaces) => t.resolve_with(interfaces),
            None => t.resolve(),
        })
        .unwrap_or_else(|_| Resolved::unassigned(target, local));
    let mut warnings = resolved.warnings().to_vec();
    warnings.retain(|w| *w != Warning::EphemeralPort);
    let bound = Bound {
        target: target.clone(),
        sockets: vec![socket],
        addrs: vec![local],
        warnings,
        exposure: resolved.exposure().clone().with_port(local.port()),
        nonblocking: options.nonblocking,
        inherited: vec![fd],
        next: AtomicUsize::new(0),
        exhausted: AtomicU32::new(0),
    };
    Ok((bound, resolved))
}

/// With freebind asked for, an address that is not this machine's yet resolves to itself: the
/// kernel will take it with IP_FREEBIND.
pub(crate) fn freebind_fallback(
    resolved: Result<Resolved>,
    target: &BindTarget,
    options: &ListenOptions,
) -> Result<Resolved> {
    match resolved {
        Err(Error::AddrNotLocal { addr, port, .. }) if options.freebind != FreeBind::Never => {
            Ok(Resolved::unassigned(target, SocketAddr::new(addr, port)))
        }
        other => other,
    }
}

impl Resolved {
    /// TCP listeners with default options. See [`Resolved::listen_with`].
    ///
    /// # Errors
    ///
    /// As [`Resolved::listen_with`].
    pub fn listen(&self) -> Result<Listeners> {
        self.listen_with(&ListenOptions::default())
    }

    /// One TCP listener per resolved address, all on one port.
    ///
    /// For each address, in order:
    /// 1. `socket()` of its family (CLOEXEC; SO_NOSIGPIPE on Apple).
    /// 2. Unix: SO_REUSEADDR, so a restart binds over connections in TIME_WAIT. Windows: none
    ///    (SO_REUSEADDR there would let another process share the port).
    /// 3. IPv6: IPV6_V6ONLY on (off for [`ListenOptions::dual_stack`]), never left to the OS
    ///    default.
    /// 4. The options asked for: SO_REUSEPORT, SO_BINDTODEVICE, IP_FREEBIND, O_NONBLOCK.
    /// 5. `bind()`; with [`FreeBind::OnAddrNotAvailable`], an EADDRNOTAVAIL retries once with
    ///    IP_FREEBIND and warns.
    /// 6. `listen(backlog)`.
    /// 7. `getsockname()`, only for port 0, to learn the port.
    ///
    /// With port 0 and several addresses, the first address's port is reused for the others;
    /// if it is taken in another family, all close and the set retries with a new port (8
    /// times at most). If any socket fails, those already bound are closed before the error
    /// returns: never a half-bound set.
    ///
    /// # Errors
    ///
    /// - `not_listenable`: a `port:` target.
    /// - `addr_in_use`: the port is taken; the holder is named where Linux shows it.
    /// - `permission_denied`: a privileged port, or SO_BINDTODEVICE without privilege.
    /// - `addr_not_available`: the address vanished since resolve, or is tentative.
    /// - `family_unsupported`: the kernel has IPv6 switched off.
    /// - `zone_required`: a link-local address without a zone.
    /// - `interface_not_found`: SO_BINDTODEVICE to an interface that is gone.
    /// - `unsupported`: an option this OS lacks.
    /// - `io`: anything else, with the phase and address.
    pub fn listen_with(&self, options: &ListenOptions) -> Result<Listeners> {
        bind_set(self, options, Transport::Tcp).map(|b| b.map(TcpListener::from))
    }

    /// UDP sockets with default options. See [`Resolved::bind_udp_with`].
    ///
    /// # Errors
    ///
    /// As [`Resolved::bind_udp_with`].
    pub fn bind_udp(&self) -> Result<UdpSockets> {
        self.bind_udp_with(&ListenOptions::default())
    }

    /// One UDP socket per resolved address, as [`Resolved::listen_with`] does for TCP, except:
    /// no SO_REUSEADDR (for UDP it would let a second socket bind the same port and take
    /// datagrams), no `listen()`, and no backlog.
    ///
    /// # Errors
    ///
    /// As [`Resolved::listen_with`].
    pub fn bind_udp_with(&self, options: &ListenOptions) -> Result<UdpSockets> {
        bind_set(self, options, Transport::Udp).map(|b| b.map(UdpSocket::from))
    }
}

impl Bound<Socket> {
    fn map<S>(self, f: impl Fn(Socket) -> S) -> Bound<S> {
        match self.try_map(|socket| Ok::<S, std::convert::Infallible>(f(socket))) {
            Ok(bound) => bound,
            Err(never) => match never {},
        }
    }
}

/// Whether a resolved target's port is free right now, from [`Resolved::port_status`].
///
/// A snapshot: another process may take the port (or free it) a moment later, so `listen()`
/// stays the authority and reports its own `addr_in_use`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PortStatus {
    /// Port 0: the OS picks a free port at bind, so it cannot be busy.
    Ephemeral,
    /// No socket holds the port on any of the target's addresses: a bind would not fail with
    /// `addr_in_use` now. (It may still fail for another reason, e.g. a privileged port.)
    Free,
    /// The port is taken on these addresses, each with its holder where the OS shows it.
    InUse(Vec<PortInUse>),
}

impl PortStatus {
    /// Whether the port is taken on at least one address.
    ///
    /// ```
    /// use bindpolicy::BindTarget;
    ///
    /// let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let target = BindTarget::try_from(taken.local_addr()?)?;
    /// assert!(target.resolve()?.port_status().is_in_use());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_in_use(&self) -> bool {
        matches!(self, PortStatus::InUse(_))
    }
}

/// One address whose port is taken, from [`PortStatus::InUse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PortInUse {
    /// The address that a bind would fail on.
    pub addr: SocketAddr,
    /// The socket that holds it and its process, where the OS lets us see them (on Linux,
    /// sock_diag and /proc/PID/fd: processes of the same user, or all of them as root).
    pub holder: Option<PortHolder>,
}

impl Resolved {
    /// Whether the target's TCP port is free now on every resolved address and, where it is
    /// not, who holds it. [`BindTarget::resolve`] never looks (it reads only the interfaces);
    /// this call asks the kernel by binding each address as [`Resolved::listen`] would
    /// (SO_REUSEADDR on Unix, so a port in TIME_WAIT counts as free), without `listen()`, and
    /// closes the probe at once. The holder comes from the same lookup as `addr_in_use`'s.
    ///
    /// ```
    /// use bindpolicy::{BindTarget, PortStatus};
    ///
    /// let taken = "127.0.0.1:0".parse::<BindTarget>()?.listen()?;
    /// let target = BindTarget::try_from(taken.local_addrs()[0])?;
    /// match target.resolve()?.port_status() {
    ///     PortStatus::InUse(busy) => {
    ///         for b in &busy {
    ///             if let Some(holder) = &b.holder {
    ///                 // e.g. "127.0.0.1:41234 is held by pid 812 (app) on 127.0.0.1:41234 (LISTEN)"
    ///                 println!("{} is held by {holder}", b.addr);
    ///                 assert_eq!(holder.pid, Some(std::process::id()));
    ///             }
    ///         }
    ///     }
    ///     other => panic!("expected in use, got {other:?}"),
    /// }
    /// assert_eq!("localhost:0".parse::<BindTarget>()?.resolve()?.port_status(), PortStatus::Ephemeral);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn port_status(&self) -> PortStatus {
        port_status(self, Transport::Tcp)
    }

    /// As [`Resolved::port_status`], for the UDP port (no SO_REUSEADDR, as
    /// [`Resolved::bind_udp`] binds).
    pub fn udp_port_status(&self) -> PortStatus {
        port_status(self, Transport::Udp)
    }
}

fn port_status(resolved: &Resolved, transport: Transport) -> PortStatus {
    if resolved.target().port() == 0 || resolved.target().is_port_only() {
        return PortStatus::Ephemeral;
    }
    let busy: Vec<PortInUse> = resolved
        .socket_addrs()
        .filter_map(|addr| match probe(addr, transport) {
            Err(failure) if failure.kind() == std::io::ErrorKind::AddrInUse => {
                let holder = match failure.into_error(addr, transport, None) {
                    Error::AddrInUse { holder, .. } => holder.map(|h| *h),
                    _ => None,
                };
                Some(PortInUse { addr, holder })
            }
            _ => None,
        })
        .collect();
    if busy.is_empty() {
        PortStatus::Free
    } else {
        PortStatus::InUse(busy)
    }
}

/// Binds one socket as [`open`] would for a default listener, then drops (closes) it.
fn probe(addr: SocketAddr, transport: Transport) -> std::result::Result<(), Failure> {
    let socket = socket::new_socket(addr, transport)?;
    if transport == Transport::Tcp {
        socket::set_reuse_address(&socket)?;
    }
    if addr.is_ipv6() {
        socket::set_only_v6(&socket, true)?;
    }
    socket::bind(&socket, addr)
}

/// One address of the plan: where to bind, the interface for SO_BINDTODEVICE, and whether an
/// IPv6 socket is dual-stack.
struct Planned {
    addr: SocketAddr,
    device: Option<String>,
    dual_stack: bool,
}

fn bind_set(
    resolved: &Resolved,
    options: &ListenOptions,
    transport: Transport,
) -> Result<Bound<Socket>> {
    let target = resolved.target();
    if target.is_port_only() {
        return Err(Error::NotListenable {
            target: target.clone(),
        });
    }
    let plan = plan(resolved, options);
    let wanted: Vec<(SocketAddr, bool, Option<String>)> = plan
        .iter()
        .map(|p| (p.addr, p.dual_stack, p.device.clone()))
        .collect();
    if let Some(taken) = activation::claim(
        target,
        &wanted,
        transport,
        options.inherit,
        options.nonblocking,
    )? {
        let port = taken.first().map_or(target.port(), |(_, a, _)| a.port());
        let mut sockets = Vec::with_capacity(taken.len());
        let mut addrs = Vec::with_capacity(taken.len());
        let mut inherited = Vec::with_capacity(taken.len());
        for (socket, addr, fd) in taken {
            sockets.push(socket);
            addrs.push(addr);
            inherited.push(fd);
        }
        let warnings = resolved.warnings().to_vec();
        return Ok(bound(
            resolved,
            options,
            port,
            (sockets, addrs, warnings),
            inherited,
        ));
    }
    let shared_port = target.port() == 0 && plan.len() > 1;
    let mut attempt = 0;
    'attempts: loop {
        attempt += 1;
        let mut sockets: Vec<Socket> = Vec::with_capacity(plan.len());
        let mut addrs: Vec<SocketAddr> = Vec::with_capacity(plan.len());
        let mut warnings: Vec<Warning> = resolved.warnings().to_vec();
        let mut port = target.port();
        for (i, planned) in plan.iter().enumerate() {
            let mut addr = planned.addr;
            addr.set_port(port);
            match open(&addr, planned, options, transport, &mut warnings) {
                Ok((socket, local)) => {
                    port = local.port();
                    sockets.push(socket);
                    addrs.push(local);
                }
                Err(failure)
                    if shared_port
                        && i > 0
                        && failure.kind() == std::io::ErrorKind::AddrInUse
                        && attempt < SHARED_PORT_ATTEMPTS =>
                {
                    // `sockets` drops here: every socket of this attempt closes.
                    continue 'attempts;
                }
                Err(failure) => {
                    drop(sockets);
                    return Err(failure.into_error(addr, transport, planned.device.as_deref()));
                }
            }
        }
        return Ok(bound(
            resolved,
            options,
            port,
            (sockets, addrs, warnings),
            Vec::new(),
        ));
    }
}

/// The bound set: its sockets and real addresses, the resolve's warnings less `ephemeral_port`
/// (the port is known now: `port`), and the exposure on that port.
fn bound(
    resolved: &Resolved,
    options: &ListenOptions,
    port: u16,
    (sockets, addrs, mut warnings): (Vec<Socket>, Vec<SocketAddr>, Vec<Warning>),
    inherited: Vec<i32>,
) -> Bound<Socket> {
    warnings.retain(|w| *w != Warning::EphemeralPort);
    Bound {
        target: resolved.target().clone(),
        sockets,
        addrs,
        warnings,
        exposure: resolved.exposure().clone().with_port(port),
        nonblocking: options.nonblocking,
        inherited,
        next: AtomicUsize::new(0),
        exhausted: AtomicU32::new(0),
    }
}

fn plan(resolved: &Resolved, options: &ListenOptions) -> Vec<Planned> {
    let device_target = resolved.target().is_specific_interface() && options.bind_device;
    let has_v6_wildcard = resolved
        .socket_addrs()
        .any(|a| a.is_ipv6() && a.ip().is_unspecified());
    resolved
        .addrs()
        .iter()
        .filter(|r| {
            // A dual-stack [::] socket covers 0.0.0.0 too; binding both would collide.
            !(options.dual_stack
                && has_v6_wildcard
                && r.addr().is_ipv4()
                && r.addr().ip().is_unspecified())
        })
        .map(|r| Planned {
            addr: r.addr(),
            device: r.interface().filter(|_| device_target).map(str::to_owned),
            dual_stack: options.dual_stack && r.addr().is_ipv6() && r.addr().ip().is_unspecified(),
        })
        .collect()
}

/// One socket, through step 7 of [`Resolved::listen_with`]'s list.
fn open(
    addr: &SocketAddr,
    planned: &Planned,
    options: &ListenOptions,
    transport: Transport,
    warnings: &mut Vec<Warning>,
) -> std::result::Result<(Socket, SocketAddr), Failure> {
    let addr = *addr;
    let socket = socket::new_socket(addr, transport)?;
    if transport == Transport::Tcp {
        socket::set_reuse_address(&socket)?;
    }
    if addr.is_ipv6() {
        socket::set_only_v6(&socket, !planned.dual_stack)?;
    }
    if options.reuse_port {
        socket::set_reuse_port(&socket)?;
    }
    if let Some(device) = &planned.device {
        socket::bind_device(&socket, device)?;
    }
    if options.freebind == FreeBind::Always {
        socket::set_freebind(&socket, addr)?;
    }
    if options.nonblocking {
        socket::set_nonblocking(&socket)?;
    }
    let mut freebound = false;
    match socket::bind(&socket, addr) {
        Ok(()) => {}
        Err(failure)
            if failure.kind() == std::io::ErrorKind::AddrNotAvailable
                && options.freebind == FreeBind::OnAddrNotAvailable =>
        {
            if socket::set_freebind(&socket, addr).is_err() {
                return Err(failure);
            }
            socket::bind(&socket, addr)?;
            freebound = true;
        }
        Err(failure) => return Err(failure),
    }
    if transport == Transport::Tcp {
        let backlog = i32::try_from(options.backlog).unwrap_or(i32::MAX);
        step(socket.listen(backlog), Phase::Listen)?;
    }
    let local = if addr.port() == 0 {
        step(socket.local_addr(), Phase::Bind)?
            .as_socket()
            .unwrap_or(addr)
    } else {
        addr
    };
    if freebound {
        warnings.push(Warning::FreeBind { addr: local });
    }
    Ok((socket, local))
}
