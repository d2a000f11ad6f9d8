//! `BindTarget::resolve`: from a target and a snapshot of the interfaces to the concrete
//! addresses to bind, who can reach them, and what to warn about. Pure over the snapshot.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

mod exposure;
mod warning;

pub use self::exposure::{Exposure, Network, Reach, Reachable};
pub use self::warning::Warning;

use crate::error::{Error, Result};
use crate::interfaces::{Dad, Interface, InterfaceAddr, Interfaces, Scope};
use crate::target::{BindTarget, Family, LocalAddress, LocalInterface, Zone, is_link_local_v6};

impl BindTarget {
    /// Resolves the target against this machine's interfaces, enumerated once.
    ///
    /// This is exactly `resolve_with(&Interfaces::for_target(self)?)`: the pure resolver over
    /// the facts the target needs (see [`Interfaces::for_target`] for what is read), so every
    /// path that resolves a target gives the same verdict. For `*:8080` that is the bare
    /// enumeration and nothing else.
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
        self.resolve_with(&Interfaces::for_target(self)?)
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
            } => vec![address(addr, *port, interfaces, &mut warnings)?],
            BindTarget::SpecificInterface {
                interface: LocalInterface::Name(name),
                port,
            } => by_name(name.as_str(), *port, interfaces)?,
            BindTarget::Inherited(_) => return Err(Error::inherited_not_a_source(self)),
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
    let v4_name = interfaces.loopback_name(false);
    let v4 = ResolvedAddr::new(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port), v4_name);
    let has_v6 = interfaces.loopback_name(true).is_some();
    let v6 = ResolvedAddr::new(
        SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port),
        interfaces.loopback_name(true),
    );
    let lo = interfaces.loopback();
    let lo_down = lo.is_some_and(|lo| !lo.is_up());
    // 127.0.0.1 binds where lo carries it, or where IPv4 has no local table at all.
    let v4_binds = v4_name.is_some()
        || interfaces.has_no_ipv4_table()
        || interfaces
            .unlisted_local(IpAddr::V4(Ipv4Addr::LOCALHOST))
            .is_some();
    if family != Family::Ipv6 && !v4_binds {
        return Err(Error::NoAddress {
            interface: lo.map_or("lo", |lo| lo.name()).to_owned(),
            family: Family::Ipv4,
            state: if lo_down { "down" } else { "up" }.to_owned(),
        });
    }
    let addrs = match family {
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
    };
    if interfaces.has_no_ipv4_table() && family != Family::Ipv6 {
        warnings.push(Warning::NoLocalTable);
    }
    if lo_down || (v4_name.is_none() && family != Family::Ipv6) {
        warnings.push(Warning::LoopbackDown {
            target: target.clone(),
            interface: lo.map_or("lo", |lo| lo.name()).to_owned(),
        });
    }
    Ok(addrs)
}

/// One address, by the kernel's rules: IPv4 binds where an interface lists it (up or down: its
/// local route stays), where a local or broadcast route covers it, or where IPv4 has no local
/// table; IPv6 where an interface carries it and DAD allows (tentative is a warning, failed an
/// error). Failing those, `ip_nonlocal_bind` of the family allows it, with a warning.
fn address(
    addr: &LocalAddress,
    port: u16,
    interfaces: &Interfaces,
    warnings: &mut Vec<Warning>,
) -> Result<ResolvedAddr> {
    let ip = addr.ip();
    if let IpAddr::V6(v6) = ip {
        if is_link_local_v6(ip) {
            return link_local(v6, addr.zone(), port, interfaces);
        }
    }
    if let Some((iface, a)) = interfaces.carriers(ip).next() {
        if a.dad() == Dad::Failed {
            return Err(dad_failed(ip, iface.name(), a.prefix_len()));
        }
        return Ok(ResolvedAddr::new(
            SocketAddr::new(ip, port),
            Some(iface.name()),
        ));
    }
    if let Some(interface) = interfaces.unlisted_local(ip) {
        return Ok(ResolvedAddr::new(SocketAddr::new(ip, port), interface));
    }
    if ip.is_ipv4() && interfaces.has_no_ipv4_table() {
        warnings.push(Warning::NoLocalTable);
        return Ok(ResolvedAddr::new(SocketAddr::new(ip, port), None));
    }
    if let Some(sysctl) = interfaces.nonlocal_bind().allowing(ip) {
        warnings.push(Warning::NonlocalBind { addr: ip, sysctl });
        return Ok(ResolvedAddr::new(SocketAddr::new(ip, port), None));
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

fn dad_failed(ip: IpAddr, interface: &str, prefix_len: u8) -> Error {
    Error::DadFailed {
        addr: ip,
        interface: interface.to_owned(),
        prefix_len,
    }
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
    if let Some(a) = chosen.addrs().iter().find(|a| a.ip() == IpAddr::V6(ip)) {
        if a.dad() == Dad::Failed {
            return Err(dad_failed(IpAddr::V6(ip), chosen.name(), a.prefix_len()));
        }
    }
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
    // Where the process runs comes first: it changes what every other line means.
    let at_front: Vec<Warning> = deployment_warnings(target, addrs, exposure, interfaces);
    warnings.splice(0..0, at_front);
    if exposure.reach() == Reach::AllNetworks {
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
        let entry = iface.addrs().iter().find(|a| a.ip() == resolved.addr.ip());
        if entry.is_some_and(InterfaceAddr::is_tentative) {
            warnings.push(Warning::Tentative {
                addr: resolved.addr.ip(),
                interface: name.to_owned(),
            });
        }
        if entry.is_some_and(InterfaceAddr::is_deprecated) {
            warnings.push(Warning::Deprecated {
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

/// The warnings of the [`Deployment`](crate::Deployment): a loopback listener in a container,
/// a listener WSL 2 does not forward to Windows' localhost, an AirPlay port on macOS.
fn deployment_warnings(
    target: &BindTarget,
    addrs: &[ResolvedAddr],
    exposure: &Exposure,
    interfaces: &Interfaces,
) -> Vec<Warning> {
    let deployment = interfaces.deployment();
    let mut warnings = Vec::new();
    if let Some(container) = deployment.container() {
        if exposure.reach() == Reach::ThisMachine {
            warnings.push(Warning::LoopbackInContainer {
                target: target.clone(),
                container: container.to_owned(),
            });
        }
    }
    // WSL 2's localhost forwarding relays Windows' localhost to Linux listeners on 127.0.0.1
    // and 0.0.0.0 only.
    let forwarded = |a: &ResolvedAddr| {
        a.addr.ip() == IpAddr::V4(Ipv4Addr::LOCALHOST)
            || a.addr.ip() == IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    };
    if deployment.wsl() == Some(2) && !addrs.is_empty() && !addrs.iter().any(forwarded) {
        warnings.push(Warning::WslNotForwarded {
            target: target.clone(),
        });
    }
    let port = target.port();
    if deployment.is_macos() && (port == 5000 || port == 7000) {
        warnings.push(Warning::AirPlayPort { port });
    }
    warnings
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
