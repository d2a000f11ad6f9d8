//! The machine's facts, in the crate's own types: interfaces, their addresses with the
//! kernel's duplicate-address-detection state, the local routes beyond them, and the sysctls
//! the kernel's bind() rules read, and where the process runs ([`Deployment`]: a container,
//! WSL, macOS).
//!
//! On Linux they come from the kernel itself through rtnetlink, in the calling thread's
//! network namespace, and only as much as a target needs (see [`Interfaces::for_target`]).
//! Elsewhere, from if-addrs. Tests, and callers that already hold the list, build a snapshot
//! from data instead; the resolver is pure over it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::error::{Error, Result};
use crate::sys;
use crate::target::{BindTarget, LocalInterface, Zone};

mod deployment;
mod scope;

pub use self::deployment::Deployment;
pub use self::scope::{Scope, ScopeError};

/// This machine's interfaces at one moment: the input of
/// [`BindTarget::resolve_with`](crate::BindTarget::resolve_with).
///
/// ```
/// use bindpolicy::{Interface, InterfaceAddr, Interfaces};
///
/// let snapshot = Interfaces::from_interfaces([
///     Interface::new("lo", 1)
///         .with_addr(InterfaceAddr::new([127, 0, 0, 1].into(), 8))
///         .with_addr(InterfaceAddr::new("::1".parse()?, 128)),
///     Interface::new("eth0", 2).with_addr(InterfaceAddr::new([192, 168, 71, 67].into(), 24)),
/// ]);
/// assert!(snapshot.has_ipv6());
/// assert_eq!(snapshot.get("eth0").map(|i| i.index()), Some(Some(2)));
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interfaces {
    list: Vec<Interface>,
    privilege: Option<PortPrivilege>,
    local_routes: Vec<LocalRoute>,
    nonlocal_bind: NonlocalBind,
    deployment: Deployment,
    /// Whether `list` holds every interface (a snapshot made of data always does).
    complete: bool,
}

impl Default for Interfaces {
    fn default() -> Self {
        Interfaces::from_interfaces([])
    }
}

impl Interfaces {
    /// Every interface and address of this machine, with every fact (link state, DAD flags,
    /// the privileged-port limit and capability, the non-local-bind sysctls, the
    /// [`Deployment`]).
    ///
    /// Interfaces come in the order the OS lists them; addresses within one interface
    /// likewise. On Linux this is one rtnetlink dump of links and one of addresses. Local
    /// routes beyond the addresses (AnyIP) are read only for a target that names an address
    /// ([`Interfaces::for_target`]).
    ///
    /// # Errors
    ///
    /// [`Error::Interfaces`] when the OS enumeration fails.
    pub fn current() -> Result<Interfaces> {
        Interfaces::read(&[sys::Ask::Everything], None)
    }

    /// The facts [`BindTarget::resolve`](crate::BindTarget::resolve) reads for `target`, and
    /// no more: `resolve()` is exactly `resolve_with(&Interfaces::for_target(self)?)`.
    ///
    /// On Linux, through rtnetlink:
    /// - an address: the kernel's own verdict (the local or broadcast route that covers it,
    ///   as `ip route get fibmatch` shows it), and the one interface that carries it, read by a
    ///   dump filtered in the kernel; an address that is not local reads everything (its error
    ///   lists this machine's addresses) and the `ip_nonlocal_bind` sysctls;
    /// - an interface name or a zone: that interface and its addresses;
    /// - `localhost`: `lo` and its addresses;
    /// - a wildcard or `port:`: every address (one dump), the interfaces named from the
    ///   addresses' labels (their up/down state is not read: a wildcard needs none).
    ///
    /// and the privileged-port facts as far as the port needs them (the capability, and the
    /// limit where the process lacks it; nothing for port 0), and the [`Deployment`], detected
    /// once per process (the first call reads a few small files; later ones nothing).
    ///
    /// # Errors
    ///
    /// [`Error::Interfaces`] when the OS enumeration fails.
    pub fn for_target(target: &BindTarget) -> Result<Interfaces> {
        Interfaces::for_targets(std::slice::from_ref(target))
    }

    /// [`Interfaces::for_target`] for several targets at once, through one socket: what
    /// [`ListenConfig::listen`](crate::ListenConfig::listen) reads.
    ///
    /// # Errors
    ///
    /// [`Error::Interfaces`] when the OS enumeration fails.
    pub fn for_targets(targets: &[BindTarget]) -> Result<Interfaces> {
        // A client bind (`port:`) gets no privileged-port warning: no need to look. Several
        // targets: the lowest port's needs cover the others'.
        let port = targets
            .iter()
            .map(|t| if t.is_port_only() { 0 } else { t.port() })
            .filter(|p| *p != 0)
            .min()
            .unwrap_or(0);
        let asks: Vec<sys::Ask<'_>> = targets.iter().map(ask).collect();
        Interfaces::read(&asks, Some(port))
    }

    /// Every fact [`Interfaces::current`] reads, and what `targets` need beyond it (the
    /// local route that makes an address literal local): a superset of
    /// [`Interfaces::for_targets`], so each target gets the same verdict, for callers that
    /// also want the rest of the machine, e.g. to offer a policy's alternatives.
    ///
    /// # Errors
    ///
    /// [`Error::Interfaces`] when the OS enumeration fails.
    pub fn current_for(targets: &[BindTarget]) -> Result<Interfaces> {
        let mut asks = vec![sys::Ask::Everything];
        asks.extend(targets.iter().map(ask));
        Interfaces::read(&asks, None)
    }

    /// The facts a client bound to `source` needs: no privileged-port facts (a client port is
    /// the kernel's to refuse), and the interface `source` names, if any.
    pub(crate) fn for_client(source: &BindTarget) -> Result<Interfaces> {
        Interfaces::read(&[ask(source)], Some(0))
    }

    /// Reads what `asks` need, and the privileged-port facts as far as `port` needs them
    /// (`None`: all of them).
    fn read(asks: &[sys::Ask<'_>], port: Option<u16>) -> Result<Interfaces> {
        let rows = sys::read(asks).map_err(|source| Error::Interfaces { source })?;
        // The sysctls matter only where an address may not be local: reading everything,
        // which the not-local path does.
        let (ipv4, ipv6) = if rows.complete {
            sys::nonlocal_bind()
        } else {
            (false, false)
        };
        let mut snapshot = Interfaces::from_rows(rows);
        snapshot.nonlocal_bind = NonlocalBind { ipv4, ipv6 };
        snapshot.privilege = sys::port_privilege(port).map(|(start, capable)| PortPrivilege {
            unprivileged_port_start: start,
            can_bind_privileged: capable,
        });
        snapshot.deployment = Deployment::current();
        Ok(snapshot)
    }

    pub(crate) fn from_rows(rows: sys::MachineRows) -> Interfaces {
        let mut list: Vec<Interface> = rows
            .links
            .iter()
            .map(|link| Interface {
                name: link.name.as_str().into(),
                index: Some(link.index),
                up: link.up,
                carrier: link.carrier,
                loopback: link.loopback,
                addrs: Vec::new(),
            })
            .collect();
        let at: std::collections::HashMap<u32, usize> = rows
            .links
            .iter()
            .enumerate()
            .map(|(at, link)| (link.index, at))
            .collect();
        for row in &rows.addrs {
            let Some(iface) = at.get(&row.index).and_then(|at| list.get_mut(*at)) else {
                continue; // an address whose link vanished between the two replies
            };
            let dad = if row.dad_failed {
                Dad::Failed
            } else if row.tentative {
                Dad::Tentative
            } else if row.optimistic {
                Dad::Optimistic
            } else {
                Dad::Done
            };
            iface.addrs.push(
                InterfaceAddr::new(row.ip, row.prefix_len)
                    .with_dad(dad)
                    .with_deprecated(row.deprecated),
            );
        }
        let local_routes = rows
            .local_routes
            .iter()
            .filter_map(|route| {
                let net = IpNet::new(route.dst, route.prefix_len).ok()?.trunc();
                let interface = route
                    .index
                    .and_then(|index| list.iter().find(|i| i.index == Some(index)))
                    .map(|i| i.name.to_string());
                Some(LocalRoute {
                    net,
                    broadcast: route.broadcast,
                    interface,
                })
            })
            .collect();
        Interfaces {
            list,
            privilege: None,
            local_routes,
            nonlocal_bind: NonlocalBind::default(),
            deployment: Deployment::host(),
            complete: rows.complete,
        }
    }

    /// A snapshot made of data, for tests and for callers that already hold the list. It
    /// holds every interface there is; the kernel's local routes follow from the addresses
    /// (add others, such as an AnyIP route, with [`Interfaces::with_local_route`]). Its
    /// [`Deployment`] is [`Deployment::host`]; set another with
    /// [`Interfaces::with_deployment`].
    pub fn from_interfaces(interfaces: impl IntoIterator<Item = Interface>) -> Interfaces {
        Interfaces {
            list: interfaces.into_iter().collect(),
            privilege: None,
            local_routes: Vec::new(),
            nonlocal_bind: NonlocalBind::default(),
            deployment: Deployment::host(),
            complete: true,
        }
    }

    /// The same snapshot with one more local route: every address it covers binds, as for
    /// `ip route add local 198.19.200.0/24 dev lo` (IPv4 only: the kernel does not bind IPv6
    /// addresses through a local route).
    ///
    /// ```
    /// use bindpolicy::{BindTarget, Interface, InterfaceAddr, Interfaces, LocalRoute};
    ///
    /// let snapshot = Interfaces::from_interfaces([
    ///     Interface::new("lo", 1).with_addr(InterfaceAddr::new([127, 0, 0, 1].into(), 8)),
    /// ])
    /// .with_local_route(LocalRoute::new("198.19.200.0/24".parse()?, Some("lo")));
    /// let resolved = "198.19.200.77:80".parse::<BindTarget>()?.resolve_with(&snapshot)?;
    /// assert_eq!(resolved.addrs()[0].interface(), Some("lo"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_local_route(mut self, route: LocalRoute) -> Interfaces {
        self.local_routes.push(route);
        self
    }

    /// The local routes the kernel reported (or the snapshot was given) beyond those the
    /// addresses imply.
    pub fn local_routes(&self) -> &[LocalRoute] {
        &self.local_routes
    }

    /// The same snapshot with the `ip_nonlocal_bind` sysctls set.
    #[must_use]
    pub fn with_nonlocal_bind(mut self, nonlocal_bind: NonlocalBind) -> Interfaces {
        self.nonlocal_bind = nonlocal_bind;
        self
    }

    /// `net.ipv4.ip_nonlocal_bind` and `net.ipv6.ip_nonlocal_bind`, where read (false where
    /// not: they are read when an address is not local, and by [`Interfaces::current`]).
    pub fn nonlocal_bind(&self) -> NonlocalBind {
        self.nonlocal_bind
    }

    /// The same snapshot, of a process that runs where `deployment` says: resolve warns
    /// from it (a loopback target in a container, an IPv6-only one under WSL 2, port 5000 on
    /// macOS).
    #[must_use]
    pub fn with_deployment(mut self, deployment: Deployment) -> Interfaces {
        self.deployment = deployment;
        self
    }

    /// Where the process runs: [`Deployment::current`] for a snapshot read from the OS,
    /// [`Deployment::host`] for one made of data unless set.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// Whether the snapshot holds every interface of the machine, not only those a target
    /// needed.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The same snapshot with the privileged-port facts set, which resolve uses for its
    /// privileged-port warning. [`Interfaces::current`] reads them from the OS.
    #[must_use]
    pub fn with_port_privilege(mut self, privilege: PortPrivilege) -> Interfaces {
        self.privilege = Some(privilege);
        self
    }

    /// The privileged-port facts, where known.
    pub fn port_privilege(&self) -> Option<PortPrivilege> {
        self.privilege
    }

    /// The interfaces, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Interface> {
        self.list.iter()
    }

    /// How many interfaces the snapshot holds.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the snapshot holds no interface.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The interface with this name.
    pub fn get(&self, name: &str) -> Option<&Interface> {
        self.list.iter().find(|i| &*i.name == name)
    }

    /// The interface with this index.
    pub fn by_index(&self, index: u32) -> Option<&Interface> {
        self.list.iter().find(|i| i.index == Some(index))
    }

    /// Every interface that carries `ip`, with that address's entry.
    pub fn carriers(&self, ip: IpAddr) -> impl Iterator<Item = (&Interface, &InterfaceAddr)> {
        self.list
            .iter()
            .flat_map(|i| i.addrs.iter().map(move |a| (i, a)))
            .filter(move |(_, a)| a.ip == ip)
    }

    /// Whether any interface has an IPv6 address, `::1` included.
    pub fn has_ipv6(&self) -> bool {
        self.addresses().any(|(_, a)| a.ip.is_ipv6())
    }

    /// Every address, with its interface, in snapshot order.
    pub fn addresses(&self) -> impl Iterator<Item = (&Interface, &InterfaceAddr)> {
        self.list
            .iter()
            .flat_map(|i| i.addrs.iter().map(move |a| (i, a)))
    }

    /// Whether `ip` binds although no interface lists it, by the kernel's rules, and the
    /// interface it belongs to where one does: a local route covers it (127.0.0.0/8 on `lo`, an
    /// AnyIP route), or, on Linux, it is in the prefix of an address on a loopback interface
    /// (127.0.0.2 through lo's 127.0.0.1/8) or it is the directed broadcast address of a
    /// subnet on an interface that is up. macOS and the BSDs need an alias for 127.0.0.2
    /// first (`ifconfig lo0 alias 127.0.0.2`). IPv4 only: the kernel binds an IPv6 address only
    /// where an interface carries it.
    ///
    /// ```
    /// use bindpolicy::{Interface, InterfaceAddr, Interfaces};
    ///
    /// let snapshot = Interfaces::from_interfaces([
    ///     Interface::new("lo", 1).with_addr(InterfaceAddr::new([127, 0, 0, 1].into(), 8)),
    ///     Interface::new("eth0", 2).with_addr(InterfaceAddr::new([10, 0, 0, 5].into(), 24)),
    /// ]);
    /// let linux = cfg!(target_os = "linux");
    /// assert_eq!(snapshot.is_local_unlisted([127, 0, 0, 2].into()), linux);
    /// assert_eq!(snapshot.is_local_unlisted([10, 0, 0, 255].into()), linux);
    /// assert!(!snapshot.is_local_unlisted([10, 0, 0, 0].into()));
    /// assert!(!snapshot.is_local_unlisted([192, 0, 2, 1].into()));
    /// ```
    pub fn is_local_unlisted(&self, ip: IpAddr) -> bool {
        self.unlisted_local(ip).is_some()
    }

    /// The interface of an address that [`Interfaces::is_local_unlisted`]: `Some(None)` for a
    /// local route that names no interface this snapshot holds.
    pub(crate) fn unlisted_local(&self, ip: IpAddr) -> Option<Option<&str>> {
        let IpAddr::V4(v4) = ip else {
            return None;
        };
        if let Some(route) = self.local_routes.iter().find(|r| r.net.contains(&ip)) {
            return Some(route.interface.as_deref());
        }
        if !sys::LINUX_LOCAL_RULES {
            return None;
        }
        self.addresses().find_map(|(iface, a)| {
            let IpNet::V4(net) = a.network() else {
                return None;
            };
            let in_prefix = iface.is_loopback() && net.contains(&v4);
            // A /31 or /32 has no broadcast address (RFC 3021).
            let broadcast = iface.up && net.prefix_len() < 31 && net.broadcast() == v4;
            (in_prefix || broadcast).then_some(Some(iface.name()))
        })
    }

    /// Whether IPv4 has no local table at all: no interface has an IPv4 address and no local
    /// route exists (a network namespace whose `lo` was never brought up). The kernel then
    /// accepts a bind of any IPv4 address, and nothing can reach it.
    pub(crate) fn has_no_ipv4_table(&self) -> bool {
        sys::LINUX_LOCAL_RULES
            && self.complete
            && self.local_routes.iter().all(|r| !r.net.addr().is_ipv4())
            && self.addresses().all(|(_, a)| !a.ip.is_ipv4())
    }

    /// The loopback interface: flagged so by the OS, else the carrier of 127.0.0.1 or ::1.
    pub(crate) fn loopback(&self) -> Option<&Interface> {
        self.list
            .iter()
            .find(|i| i.loopback)
            .or_else(|| self.list.iter().find(|i| i.is_loopback()))
    }

    /// The interface that carries the loopback address of `ip`'s family, for naming it.
    pub(crate) fn loopback_name(&self, v6: bool) -> Option<&str> {
        let ip = if v6 {
            IpAddr::V6(Ipv6Addr::LOCALHOST)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        };
        self.carriers(ip).next().map(|(i, _)| &*i.name)
    }
}

impl<'a> IntoIterator for &'a Interfaces {
    type Item = &'a Interface;
    type IntoIter = std::slice::Iter<'a, Interface>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

/// One network interface: its name, index, state and addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Shared with every `Reachable` made from this interface: a wildcard on a host with
    /// thousands of addresses clones it once per address.
    name: std::sync::Arc<str>,
    index: Option<u32>,
    up: bool,
    carrier: bool,
    loopback: bool,
    addrs: Vec<InterfaceAddr>,
}

impl Interface {
    /// An interface that is up and has no address yet; add them with [`Interface::with_addr`].
    pub fn new(name: impl Into<String>, index: u32) -> Interface {
        Interface::named(name.into(), Some(index))
    }

    fn named(name: String, index: Option<u32>) -> Interface {
        Interface {
            name: name.into(),
            index,
            up: true,
            carrier: true,
            loopback: false,
            addrs: Vec::new(),
        }
    }

    /// The same interface with one more address.
    #[must_use]
    pub fn with_addr(mut self, addr: InterfaceAddr) -> Interface {
        self.addrs.push(addr);
        self
    }

    /// The same interface, administratively up or down.
    #[must_use]
    pub fn with_up(mut self, up: bool) -> Interface {
        self.up = up;
        self
    }

    /// The same interface, with or without carrier (IFF_LOWER_UP: a cable, a peer).
    #[must_use]
    pub fn with_carrier(mut self, carrier: bool) -> Interface {
        self.carrier = carrier;
        self
    }

    /// The same interface, flagged a loopback interface (IFF_LOOPBACK) or not.
    #[must_use]
    pub fn with_loopback(mut self, loopback: bool) -> Interface {
        self.loopback = loopback;
        self
    }

    /// Whether the link has carrier (IFF_LOWER_UP); true where the OS does not say.
    pub fn has_carrier(&self) -> bool {
        self.carrier
    }

    /// The name, shared rather than copied.
    pub(crate) fn shared_name(&self) -> std::sync::Arc<str> {
        self.name.clone()
    }

    /// The name, e.g. `eth0`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The OS's index, which is also the zone of its link-local addresses.
    pub fn index(&self) -> Option<u32> {
        self.index
    }

    /// Whether the interface is administratively up.
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Whether this is a loopback interface: flagged IFF_LOOPBACK by the OS, or (in a snapshot
    /// made of data) every address is a loopback address and there is at least one.
    pub fn is_loopback(&self) -> bool {
        self.loopback || (!self.addrs.is_empty() && self.addrs.iter().all(|a| a.ip.is_loopback()))
    }

    /// The addresses, in the OS's order.
    pub fn addrs(&self) -> &[InterfaceAddr] {
        &self.addrs
    }

    /// `up` or `down`, for messages.
    pub fn state(&self) -> &'static str {
        if self.up { "up" } else { "down" }
    }
}

/// One address of an interface, with its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InterfaceAddr {
    ip: IpAddr,
    prefix_len: u8,
    dad: Dad,
    deprecated: bool,
}

/// Where an IPv6 address is in duplicate address detection (RFC 4862), as the kernel flags it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Dad {
    /// Done, or never needed (IPv4, `nodad`, loopback): the address binds.
    #[default]
    Done,
    /// Still running (IFA_F_TENTATIVE): the kernel refuses to bind it until DAD ends, about
    /// one second after the address was added (`dad_transmits` × `retrans_time_ms`, 1 × 1000
    /// ms by default), longer on a link slow to come up.
    Tentative,
    /// Running, but usable meanwhile (IFA_F_OPTIMISTIC, RFC 4429): the address binds.
    Optimistic,
    /// Failed (IFA_F_DADFAILED): another host on the link has the address. It never becomes
    /// usable; waiting does not help.
    Failed,
}

impl InterfaceAddr {
    /// An address with its prefix length (e.g. 24 for a /24). A prefix longer than the address
    /// (33 for IPv4, 129 for IPv6) is clamped to the address's length.
    pub fn new(ip: IpAddr, prefix_len: u8) -> InterfaceAddr {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        InterfaceAddr {
            ip,
            prefix_len: prefix_len.min(max),
            dad: Dad::Done,
            deprecated: false,
        }
    }

    /// The same address, marked tentative (or not): IPv6 duplicate address detection has not
    /// finished, and the kernel refuses to bind it for now. Shorthand for
    /// [`InterfaceAddr::with_dad`] with [`Dad::Tentative`] or [`Dad::Done`].
    #[must_use]
    pub fn with_tentative(self, tentative: bool) -> InterfaceAddr {
        self.with_dad(if tentative { Dad::Tentative } else { Dad::Done })
    }

    /// The same address in another DAD state.
    #[must_use]
    pub fn with_dad(mut self, dad: Dad) -> InterfaceAddr {
        self.dad = dad;
        self
    }

    /// The same address, deprecated (or not): its preferred lifetime is over, so new outgoing
    /// connections avoid it; it still binds and accepts.
    #[must_use]
    pub fn with_deprecated(mut self, deprecated: bool) -> InterfaceAddr {
        self.deprecated = deprecated;
        self
    }

    /// The address.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether duplicate address detection is still running and the address does not bind
    /// yet ([`Dad::Tentative`]; an optimistic address binds). Linux; false elsewhere.
    pub fn is_tentative(&self) -> bool {
        self.dad == Dad::Tentative
    }

    /// The DAD state (Linux; [`Dad::Done`] elsewhere).
    pub fn dad(&self) -> Dad {
        self.dad
    }

    /// Whether the address is deprecated (Linux; false elsewhere).
    pub fn is_deprecated(&self) -> bool {
        self.deprecated
    }

    /// The network the address is on, host bits cleared: `192.168.71.0/24` for
    /// 192.168.71.67/24.
    pub fn network(&self) -> IpNet {
        // The prefix is clamped to the family's width in `new`, so this cannot fail.
        IpNet::new(self.ip, self.prefix_len)
            .map(|net| net.trunc())
            .unwrap_or_else(|_| IpNet::from(self.ip))
    }

    /// Who can reach this address, by its range.
    pub fn scope(&self) -> Scope {
        Scope::of(self.ip)
    }
}

/// What decides whether this process may bind a port below 1024 (Linux).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortPrivilege {
    /// `net.ipv4.ip_unprivileged_port_start`: ports below it are privileged.
    pub unprivileged_port_start: u16,
    /// Whether the process holds CAP_NET_BIND_SERVICE (effective set).
    pub can_bind_privileged: bool,
}

/// What resolving `target` needs to know about the machine.
fn ask(target: &BindTarget) -> sys::Ask<'_> {
    match target {
        BindTarget::Any { .. } | BindTarget::Port(_) => sys::Ask::Addresses,
        BindTarget::Loopback { .. } | BindTarget::Inherited(_) => sys::Ask::Loopback,
        BindTarget::SpecificInterface {
            interface: LocalInterface::Name(name),
            ..
        } => sys::Ask::Interface(name.as_str()),
        BindTarget::SpecificInterface {
            interface: LocalInterface::Address(addr),
            ..
        } => match addr.zone() {
            Some(Zone::Name(name)) => sys::Ask::Interface(name.as_str()),
            Some(Zone::Index(index)) => sys::Ask::InterfaceIndex(index.get()),
            None => sys::Ask::Address(addr.ip()),
        },
    }
}

/// A local (or broadcast) route: the kernel accepts every address it covers as its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalRoute {
    net: IpNet,
    broadcast: bool,
    interface: Option<String>,
}

impl LocalRoute {
    /// A local route over `net` (host bits cleared), on `interface` where it names one.
    pub fn new(net: IpNet, interface: Option<&str>) -> LocalRoute {
        LocalRoute {
            net: net.trunc(),
            broadcast: false,
            interface: interface.map(str::to_owned),
        }
    }

    /// The addresses it covers.
    pub fn net(&self) -> IpNet {
        self.net
    }

    /// Whether it is a broadcast route (RTN_BROADCAST) rather than a local one (RTN_LOCAL).
    pub fn is_broadcast(&self) -> bool {
        self.broadcast
    }

    /// The interface it names.
    pub fn interface(&self) -> Option<&str> {
        self.interface.as_deref()
    }
}

/// `net.ipv4.ip_nonlocal_bind` and `net.ipv6.ip_nonlocal_bind`: with one on, the kernel binds
/// an address of that family that is not (yet) this machine's, as keepalived, HAProxy and
/// Pacemaker set it up for a floating address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NonlocalBind {
    /// `net.ipv4.ip_nonlocal_bind`.
    pub ipv4: bool,
    /// `net.ipv6.ip_nonlocal_bind`.
    pub ipv6: bool,
}

impl NonlocalBind {
    /// The sysctl that allows `ip`'s family, if it is on.
    pub(crate) fn allowing(self, ip: IpAddr) -> Option<&'static str> {
        match ip {
            IpAddr::V4(_) if self.ipv4 => Some("net.ipv4.ip_nonlocal_bind"),
            IpAddr::V6(_) if self.ipv6 => Some("net.ipv6.ip_nonlocal_bind"),
            _ => None,
        }
    }
}
