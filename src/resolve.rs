//! `BindTarget::resolve`: from a target and a snapshot of the interfaces to the concrete
//! addresses to bind, who can reach them, and what to warn about. Pure over the snapshot.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use crate::error::{Error, Result};
use crate::interfaces::{Interface, InterfaceAddr, Interfaces, Scope};
use crate::target::{BindTarget, Family, LocalAddress, LocalInterface, Zone, is_link_local_v6};
use crate::warning::Warning;

impl BindTarget {
    /// Resolves the target against this machine's interfaces, enumerated once.
    ///
    /// This is `resolve_with(&Interfaces::current()?)`, except that it reads from /proc only
    /// what the target needs: the privileged-port facts only for a port below 1024, and the
    /// tentative flags only for specific addresses (a wildcard gets no tentative warning).
    /// For `*:8080` that is the bare if-addrs enumeration and nothing else.
    ///
    /// # Errors
    ///
    /// [`Error::Interfaces`] when enumeration fails, and every error of
    /// [`BindTarget::resolve_with`].
    ///
    /// ```
    /// use bindpolicy::BindTarget;
    ///
    /// let resolved = "127.0.0.1:0".parse::<BindTarget>()?.resolve()?;
    /// assert_eq!(resolved.addrs()[0].addr().to_string(), "127.0.0.1:0");
    /// assert!(resolved.exposure().is_this_machine_only());
    /// # Ok::<(), bindpolicy::Error>(())
    /// ```
    pub fn resolve(&self) -> Result<Resolved> {
        // A client bind (`port:`) gets no privileged-port warning: no need to look.
        let port = if self.is_port_only() { 0 } else { self.port() };
        let interfaces = Interfaces::current_for(Some(port), self.is_specific_interface())?;
        match self.resolve_with(&interfaces) {
            // Enumeration lists only interfaces with an address; an interface the OS has
            // without one is `no_address`, not `interface_not_found`.
            Err(Error::InterfaceNotFound {
                name,
                known,
                source,
            }) => match crate::sys::interface_is_up(&name) {
                Some(up) => Err(Error::NoAddress {
                    interface: name,
                    family: Family::Both,
                    state: if up { "up" } else { "down" }.to_owned(),
                }),
                None => Err(Error::InterfaceNotFound {
                    name,
                    known,
                    source,
                }),
            },
            other => other,
        }
    }

    /// Resolves the target against a snapshot of the interfaces. No I/O.
    ///
    /// - `*:P`: `0.0.0.0:P` and `[::]:P`, two sockets; IPv4 only, with a warning, when the
    ///   machine has no IPv6 address at all.
    /// - `0.0.0.0:P`, `[::]:P`: that wildcard.
    /// - `localhost:P`: `127.0.0.1:P` and `[::1]:P`; IPv4 only, with a warning, without `::1`.
    /// - An address: it must be assigned to an interface. On Linux every address in
    ///   127.0.0.0/8 is local (the kernel routes the block to `lo`); macOS needs an alias
    ///   (`ifconfig lo0 alias 127.0.0.2`) first. A link-local address without a zone gets the
    ///   zone of the one interface that carries it.
    /// - An interface name: all its addresses, both families, link-local ones with their zone.
    /// - `port:`: the wildcards, for a client bind; the remote's family picks one.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::AddrNotAvailable`](crate::ErrorKind::AddrNotAvailable): an address that
    ///   is not this machine's, or a zone that names an interface without the address.
    /// - [`ErrorKind::InterfaceNotFound`](crate::ErrorKind::InterfaceNotFound): no interface
    ///   of that name (or zone).
    /// - [`ErrorKind::NoAddress`](crate::ErrorKind::NoAddress): the interface has no address.
    /// - [`ErrorKind::ZoneRequired`](crate::ErrorKind::ZoneRequired): a link-local address
    ///   without a zone on no interface, or on several.
    /// - [`ErrorKind::FamilyUnsupported`](crate::ErrorKind::FamilyUnsupported): `[::]` or
    ///   `[::1]` on a machine without IPv6.
    pub fn resolve_with(&self, interfaces: &Interfaces) -> Result<Resolved> {
        let mut warnings = Vec::new();
        let addrs = match self {
            BindTarget::Any { family, port } => {
                wildcards(self, *family, *port, interfaces, &mut warnings)?
            }
            BindTarget::Port(range) => wildcards(
                self,
                Family::Both,
                range.first(),
                interfaces,
                &mut Vec::new(),
            )?,
            BindTarget::Loopback { family, port } => {
                loopbacks(self, *family, *port, interfaces, &mut warnings)?
            }
            BindTarget::SpecificInterface {
                interface: LocalInterface::Address(addr),
                port,
            } => vec![address(addr, *port, interfaces)?],
            BindTarget::SpecificInterface {
                interface: LocalInterface::Name(name),
                port,
            } => by_name(name.as_str(), *port, interfaces)?,
        };
        let exposure = Exposure::of(self, &addrs, interfaces);
        if !self.is_port_only() {
            listen_warnings(self, &addrs, &exposure, interfaces, &mut warnings);
        }
        Ok(Resolved {
            target: self.clone(),
            addrs,
            warnings,
            exposure,
            machine: interfaces
                .addresses()
                .map(|(iface, a)| Reachable::of(iface, a))
                .collect(),
        })
    }
}

fn wildcards(
    target: &BindTarget,
    family: Family,
    port: u16,
    interfaces: &Interfaces,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<ResolvedAddr>> {
    let v4 = ResolvedAddr::new(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port), None);
    let v6 = ResolvedAddr::new(SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port), None);
    let has_ipv6 = interfaces.has_ipv6();
    Ok(match family {
        Family::Ipv4 => vec![v4],
        Family::Ipv6 if has_ipv6 => vec![v6],
        Family::Ipv6 => {
            return Err(no_ipv6(
                "it has no IPv6 address, not even ::1 (IPv6 is disabled: \
                 net.ipv6.conf.all.disable_ipv6=1, or ipv6.disable=1 at boot)",
            ));
        }
        Family::Both if has_ipv6 => vec![v4, v6],
        Family::Both => {
            if !target.is_port_only() {
                warnings.push(Warning::NoIpv6 {
                    target: target.clone(),
                });
            }
            vec![v4]
        }
    })
}

fn no_ipv6(reason: &str) -> Error {
    Error::FamilyUnsupported {
        family: Family::Ipv6,
        reason: format!("{reason}; use the IPv4 form"),
        source: None,
    }
}

fn loopbacks(
    target: &BindTarget,
    family: Family,
    port: u16,
    interfaces: &Interfaces,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<ResolvedAddr>> {
    let v4 = ResolvedAddr::new(
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
        interfaces.loopback_name(false),
    );
    let has_v6 = interfaces.loopback_name(true).is_some();
    let v6 = ResolvedAddr::new(
        SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port),
        interfaces.loopback_name(true),
    );
    Ok(match family {
        Family::Ipv4 => vec![v4],
        Family::Ipv6 if has_v6 => vec![v6],
        Family::Ipv6 => {
            return Err(no_ipv6(
                "::1 is not assigned to any interface (IPv6 is off on lo: \
                 net.ipv6.conf.lo.disable_ipv6=1)",
            ));
        }
        Family::Both if has_v6 => vec![v4, v6],
        Family::Both => {
            warnings.push(Warning::NoIpv6 {
                target: target.clone(),
            });
            vec![v4]
        }
    })
}

fn address(addr: &LocalAddress, port: u16, interfaces: &Interfaces) -> Result<ResolvedAddr> {
    let ip = addr.ip();
    if let IpAddr::V6(v6) = ip {
        if is_link_local_v6(ip) {
            return link_local(v6, addr.zone(), port, interfaces);
        }
    }
    if let Some((iface, _)) = interfaces.carriers(ip).next() {
        return Ok(ResolvedAddr::new(
            SocketAddr::new(ip, port),
            Some(iface.name()),
        ));
    }
    if cfg!(target_os = "linux") {
        if let IpAddr::V4(v4) = ip {
            if v4.is_loopback() {
                // Linux routes all of 127.0.0.0/8 to lo, so any address in it binds.
                return Ok(ResolvedAddr::new(
                    SocketAddr::new(ip, port),
                    interfaces.loopback_name(false),
                ));
            }
        }
    }
    Err(Error::AddrNotLocal {
        addr: ip,
        port,
        local: interfaces
            .addresses()
            .map(|(i, a)| (a.ip(), i.name().to_owned()))
            .collect(),
    })
}

fn link_local(
    ip: Ipv6Addr,
    zone: Option<&Zone>,
    port: u16,
    interfaces: &Interfaces,
) -> Result<ResolvedAddr> {
    let carriers: Vec<&Interface> = interfaces
        .carriers(IpAddr::V6(ip))
        .map(|(i, _)| i)
        .collect();
    let chosen = match zone {
        None => match carriers.as_slice() {
            [one] => *one,
            _ => {
                return Err(Error::ZoneRequired {
                    addr: ip,
                    port,
                    candidates: carriers.iter().map(|i| i.name().to_owned()).collect(),
                    source: None,
                });
            }
        },
        Some(zone) => {
            let named = match zone {
                Zone::Name(name) => interfaces.get(name.as_str()),
                Zone::Index(index) => interfaces.by_index(index.get()),
            };
            let Some(named) = named else {
                return Err(Error::InterfaceNotFound {
                    name: zone.to_string(),
                    known: interfaces.iter().map(|i| i.name().to_owned()).collect(),
                    source: None,
                });
            };
            if !carriers.iter().any(|c| c.name() == named.name()) {
                return Err(Error::ZoneMismatch {
                    addr: ip,
                    zone: zone.to_string(),
                    carriers: carriers.iter().map(|i| i.name().to_owned()).collect(),
                });
            }
            named
        }
    };
    Ok(ResolvedAddr::new(
        SocketAddr::V6(SocketAddrV6::new(ip, port, 0, chosen.index().unwrap_or(0))),
        Some(chosen.name()),
    ))
}

fn by_name(name: &str, port: u16, interfaces: &Interfaces) -> Result<Vec<ResolvedAddr>> {
    let Some(iface) = interfaces.get(name) else {
        return Err(Error::InterfaceNotFound {
            name: name.to_owned(),
            known: interfaces.iter().map(|i| i.name().to_owned()).collect(),
            source: None,
        });
    };
    if iface.addrs().is_empty() {
        return Err(Error::NoAddress {
            interface: name.to_owned(),
            family: Family::Both,
            state: iface.state().to_owned(),
        });
    }
    let mut addrs: Vec<ResolvedAddr> = iface
        .addrs()
        .iter()
        .map(|a| {
            let addr = match a.ip() {
                IpAddr::V6(v6) if is_link_local_v6(a.ip()) => {
                    SocketAddr::V6(SocketAddrV6::new(v6, port, 0, iface.index().unwrap_or(0)))
                }
                ip => SocketAddr::new(ip, port),
            };
            ResolvedAddr::new(addr, Some(iface.name()))
        })
        .collect();
    addrs.sort_by_key(|a| (a.addr.is_ipv6(), a.addr.ip()));
    addrs.dedup();
    Ok(addrs)
}

fn listen_warnings(
    target: &BindTarget,
    addrs: &[ResolvedAddr],
    exposure: &Exposure,
    interfaces: &Interfaces,
    warnings: &mut Vec<Warning>,
) {
    if exposure.reach == Reach::AllNetworks {
        warnings.push(Warning::AllNetworks {
            target: target.clone(),
            networks: exposure.networks(),
        });
    }
    let port = target.port();
    if port == 0 {
        warnings.push(Warning::EphemeralPort);
    } else if let Some(privilege) = interfaces.port_privilege() {
        if port < privilege.unprivileged_port_start && !privilege.can_bind_privileged {
            warnings.push(Warning::PrivilegedPort {
                port,
                unprivileged_port_start: privilege.unprivileged_port_start,
            });
        }
    }
    if !addrs.is_empty()
        && addrs
            .iter()
            .all(|a| Scope::of(a.addr.ip()) == Scope::LinkLocal)
    {
        warnings.push(Warning::LinkLocalOnly {
            addrs: addrs.iter().map(|a| a.addr).collect(),
        });
    }
    let mut down: Vec<&str> = Vec::new();
    for resolved in addrs {
        let Some(name) = resolved.interface.as_deref() else {
            continue;
        };
        let Some(iface) = interfaces.get(name) else {
            continue;
        };
        if iface
            .addrs()
            .iter()
            .any(|a| a.ip() == resolved.addr.ip() && a.is_tentative())
        {
            warnings.push(Warning::Tentative {
                addr: resolved.addr.ip(),
                interface: name.to_owned(),
            });
        }
        if !iface.is_up() && !down.contains(&name) {
            down.push(name);
            warnings.push(Warning::InterfaceDown {
                interface: name.to_owned(),
            });
        }
    }
}

/// A target resolved against the interfaces: what to bind, who can reach it, what to heed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    target: BindTarget,
    addrs: Vec<ResolvedAddr>,
    warnings: Vec<Warning>,
    exposure: Exposure,
    /// Every address of the snapshot, for suggesting alternatives (policy fixes).
    machine: Vec<Reachable>,
}

impl Resolved {
    /// The target this came from.
    pub fn target(&self) -> &BindTarget {
        &self.target
    }

    /// The addresses to bind, one socket each, IPv4 first, in a stable order.
    pub fn addrs(&self) -> &[ResolvedAddr] {
        &self.addrs
    }

    /// The socket addresses alone.
    pub fn socket_addrs(&self) -> impl ExactSizeIterator<Item = SocketAddr> + '_ {
        self.addrs.iter().map(|a| a.addr)
    }

    /// What the operator should know; empty when all is well.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Who can connect.
    pub fn exposure(&self) -> &Exposure {
        &self.exposure
    }

    /// Every address of the machine it was resolved on.
    pub(crate) fn machine(&self) -> &[Reachable] {
        &self.machine
    }

    /// An address target whose address is not assigned yet, for a listen with freebind: the
    /// one address, no interface.
    pub(crate) fn unassigned(target: &BindTarget, addr: SocketAddr) -> Resolved {
        let addrs = vec![ResolvedAddr::new(addr, None)];
        let exposure = Exposure::of(target, &addrs, &Interfaces::default());
        Resolved {
            target: target.clone(),
            addrs,
            warnings: Vec::new(),
            exposure,
            machine: Vec::new(),
        }
    }
}

/// One address to bind, and the interface it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResolvedAddr {
    addr: SocketAddr,
    interface: Option<String>,
}

impl ResolvedAddr {
    fn new(addr: SocketAddr, interface: Option<&str>) -> Self {
        ResolvedAddr {
            addr,
            interface: interface.map(str::to_owned),
        }
    }

    /// The socket address; a link-local IPv6 one carries its zone as the scope id.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The interface that carries the address; `None` for a wildcard, which belongs to all.
    pub fn interface(&self) -> Option<&str> {
        self.interface.as_deref()
    }
}

/// Who can connect to a resolved target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    reach: Reach,
    port: u16,
    reachable: Vec<Reachable>,
}

/// The verdict of an [`Exposure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reach {
    /// Only processes on this machine.
    ThisMachine,
    /// Hosts on the networks of the bound addresses (see [`Exposure::networks`]).
    Networks,
    /// Any host that can route to any address of this machine.
    AllNetworks,
    /// Nothing: a `port:` target is a client bind and accepts no connection.
    Nothing,
}

impl Reach {
    /// The stable snake_case name: `this_machine`, `networks`, `all_networks` or `nothing`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reach::ThisMachine => "this_machine",
            Reach::Networks => "networks",
            Reach::AllNetworks => "all_networks",
            Reach::Nothing => "nothing",
        }
    }
}

/// One address a client could connect to, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reachable {
    ip: IpAddr,
    interface: String,
    prefix_len: u8,
    zone: u32,
}

impl Reachable {
    /// The address.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// Its interface.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The network it is on, e.g. `192.168.71.0/24`.
    pub fn network(&self) -> Network {
        let addr = InterfaceAddr::new(self.ip, self.prefix_len);
        Network {
            interface: self.interface.clone(),
            network: addr.network(),
            prefix_len: addr.prefix_len(),
        }
    }

    /// Its class.
    pub fn scope(&self) -> Scope {
        Scope::of(self.ip)
    }

    /// The index of its interface: the zone of a link-local address (0 when unknown).
    pub(crate) fn zone(&self) -> u32 {
        self.zone
    }

    fn of(iface: &Interface, addr: &InterfaceAddr) -> Reachable {
        Reachable {
            ip: addr.ip(),
            interface: iface.name().to_owned(),
            prefix_len: addr.prefix_len(),
            zone: iface.index().unwrap_or(0),
        }
    }
}

/// A network a listener is reachable from: an interface and its subnet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Network {
    /// The interface.
    pub interface: String,
    /// The network address, e.g. 192.168.71.0.
    pub network: IpAddr,
    /// The prefix length, e.g. 24.
    pub prefix_len: u8,
}

impl fmt::Display for Network {
    /// `192.168.71.0/24 on eth0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} on {}",
            self.network, self.prefix_len, self.interface
        )
    }
}

impl Exposure {
    fn of(target: &BindTarget, addrs: &[ResolvedAddr], interfaces: &Interfaces) -> Exposure {
        let mut reachable: Vec<Reachable> = Vec::new();
        // A client bind (`port:`) accepts no connection: nothing is reachable through it.
        let listening = if target.is_port_only() {
            &[][..]
        } else {
            addrs
        };
        for resolved in listening {
            let ip = resolved.addr.ip();
            // A link-local address is reachable only on the link its zone names.
            let zone = match resolved.addr {
                SocketAddr::V6(v6) => v6.scope_id(),
                SocketAddr::V4(_) => 0,
            };
            let matching = interfaces.addresses().filter(|(iface, a)| {
                if ip.is_unspecified() {
                    a.ip().is_ipv4() == ip.is_ipv4()
                } else {
                    a.ip() == ip && (zone == 0 || iface.index() == Some(zone))
                }
            });
            let mut found = false;
            for (iface, a) in matching {
                found = true;
                reachable.push(Reachable::of(iface, a));
            }
            if !found && !ip.is_unspecified() {
                // 127.0.0.2 on Linux: local through lo's /8 route, absent from the list.
                reachable.push(Reachable {
                    ip,
                    interface: resolved.interface.clone().unwrap_or_default(),
                    prefix_len: if ip.is_ipv4() { 32 } else { 128 },
                    zone: 0,
                });
            }
        }
        reachable.sort_by_key(|r| (r.scope() != Scope::Loopback, r.ip.is_ipv6(), r.ip));
        reachable.dedup();
        let reach = if target.is_port_only() {
            Reach::Nothing
        } else if addrs.iter().any(|a| a.addr.ip().is_unspecified()) {
            Reach::AllNetworks
        } else if reachable.iter().all(|r| r.scope() == Scope::Loopback) {
            Reach::ThisMachine
        } else {
            Reach::Networks
        };
        Exposure {
            reach,
            port: target.port(),
            reachable,
        }
    }

    /// The same exposure with the bound port, once port 0 has been replaced by the OS's choice.
    pub(crate) fn with_port(mut self, port: u16) -> Exposure {
        self.port = port;
        self
    }

    /// The verdict.
    pub fn reach(&self) -> Reach {
        self.reach
    }

    /// Whether only this machine can connect.
    pub fn is_this_machine_only(&self) -> bool {
        self.reach == Reach::ThisMachine
    }

    /// Every address a client could connect to: loopback first, then IPv4, then IPv6.
    pub fn reachable(&self) -> &[Reachable] {
        &self.reachable
    }

    /// The networks a listener is reachable from (loopback excluded), without repeats.
    pub fn networks(&self) -> Vec<Network> {
        let all = self
            .reachable
            .iter()
            .filter(|r| r.scope() != Scope::Loopback)
            .map(Reachable::network);
        // A host has a handful of networks, where a scan beats hashing; a set keeps a host
        // with a thousand interfaces from a million comparisons.
        if self.reachable.len() <= 32 {
            let mut networks: Vec<Network> = Vec::new();
            for network in all {
                if !networks.contains(&network) {
                    networks.push(network);
                }
            }
            networks
        } else {
            let mut seen = std::collections::HashSet::new();
            all.filter(|network| seen.insert(network.clone())).collect()
        }
    }

    /// URLs a person could open, one per reachable address, loopback first: IPv6 in brackets,
    /// a link-local zone written `%25zone` (RFC 6874).
    ///
    /// ```
    /// use bindpolicy::{BindTarget, Interface, InterfaceAddr, Interfaces};
    ///
    /// let snapshot = Interfaces::from_interfaces([
    ///     Interface::new("lo", 1).with_addr(InterfaceAddr::new([127, 0, 0, 1].into(), 8)),
    ///     Interface::new("eth0", 2).with_addr(InterfaceAddr::new("fe80::1".parse()?, 64)),
    /// ]);
    /// let resolved = BindTarget::any(8000).resolve_with(&snapshot)?;
    /// assert_eq!(
    ///     resolved.exposure().urls("http"),
    ///     ["http://127.0.0.1:8000", "http://[fe80::1%25eth0]:8000"]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn urls(&self, scheme: &str) -> Vec<String> {
        if self.reach == Reach::Nothing {
            return Vec::new();
        }
        self.reachable
            .iter()
            .map(|r| match r.ip {
                IpAddr::V4(v4) => format!("{scheme}://{v4}:{}", self.port),
                IpAddr::V6(v6) if v6.is_unicast_link_local() => {
                    format!("{scheme}://[{v6}%25{}]:{}", r.interface, self.port)
                }
                IpAddr::V6(v6) => format!("{scheme}://[{v6}]:{}", self.port),
            })
            .collect()
    }
}
