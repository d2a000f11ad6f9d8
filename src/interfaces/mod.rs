//! A snapshot of this machine's interfaces, in the crate's own types.
//!
//! [`Interfaces::current`] enumerates once, through if-addrs (link-local addresses included),
//! and on Linux adds what getifaddrs(3) cannot tell: which IPv6 addresses are still tentative
//! (/proc/net/if_inet6), and whether an interface that is not running is administratively up.
//! Tests, and callers that already hold the list, build a snapshot from data instead.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::error::{Error, Result};
use crate::sys;
use crate::target::{BindTarget, LocalInterface, Zone};

mod scope;

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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interfaces {
    list: Vec<Interface>,
    privilege: Option<PortPrivilege>,
}

impl Interfaces {
    /// Enumerates this machine's interfaces once.
    ///
    /// Interfaces come in the order the OS lists them; addresses within one interface likewise.
    /// On Linux it also reads /proc/net/if_inet6 (only when there is an IPv6 address) to mark
    /// tentative addresses, /sys/class/net/NAME/flags for interfaces that are not running, and
    /// the privileged-port limit and this process's capabilities from /proc.
    ///
    /// # Errors
    ///
    /// [`Error::Interfaces`] when the OS enumeration fails.
    pub fn current() -> Result<Interfaces> {
        Interfaces::read(None, true, &[])
    }

    /// The facts [`BindTarget::resolve`](crate::BindTarget::resolve) reads for `target`, and
    /// no more: `resolve()` is exactly `resolve_with(&Interfaces::for_target(self)?)`.
    ///
    /// Beside the enumeration it reads the privileged-port facts only as far as the target's
    /// port needs them (nothing for port 0 or a port from 1024 on Linux's default), the
    /// tentative flags only for a target that names specific addresses (a wildcard gets no
    /// tentative warning), and, for an interface named by the target (or by a zone) that the
    /// enumeration does not list, whether the OS has it without an address, so that it is
    /// `no_address` rather than `interface_not_found`. For `*:8080` that is the bare
    /// enumeration and nothing else.
    ///
    /// # Errors
    ///
    /// [`Error::Interfaces`] when the OS enumeration fails.
    pub fn for_target(target: &BindTarget) -> Result<Interfaces> {
        Interfaces::for_targets(std::slice::from_ref(target))
    }

    /// [`Interfaces::for_target`] for several targets at once, enumerated once: what
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
        let tentative = targets.iter().any(BindTarget::is_specific_interface);
        let names: Vec<&str> = targets.iter().filter_map(named_interface).collect();
        Interfaces::read(Some(port), tentative, &names)
    }

    /// The facts a client bound to `source` needs: no privileged-port facts (a client port is
    /// the kernel's to refuse), the tentative flags, and the interface `source` names.
    pub(crate) fn for_client(source: &BindTarget) -> Result<Interfaces> {
        let names: Vec<&str> = named_interface(source).into_iter().collect();
        Interfaces::read(Some(0), true, &names)
    }

    /// Enumerates, then reads the facts beyond the enumeration that `port`, `tentative` and
    /// `names` call for (see [`Interfaces::for_target`]).
    fn read(port: Option<u16>, tentative: bool, names: &[&str]) -> Result<Interfaces> {
        let rows = sys::enumerate().map_err(|source| Error::Interfaces { source })?;
        let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
        let mut list: Vec<Interface> = Vec::new();
        let mut running: Vec<bool> = Vec::new();
        for row in rows {
            let at = match by_name.get(&row.name) {
                Some(at) => *at,
                None => {
                    by_name.insert(row.name.clone(), list.len());
                    list.push(Interface::named(row.name.clone(), row.index));
                    running.push(false);
                    list.len() - 1
                }
            };
            if let (Some(iface), Some(up)) = (list.get_mut(at), running.get_mut(at)) {
                iface.addrs.push(InterfaceAddr::new(row.ip, row.prefix_len));
                *up |= row.running;
            }
        }
        for (iface, running) in list.iter_mut().zip(running) {
            // if-addrs reports IFF_RUNNING only; an interface that is not running may still be
            // administratively up (no carrier), so ask the OS only for those.
            iface.up = running || sys::interface_is_up(&iface.name).unwrap_or(false);
        }
        // ::1 is never tentative; only other IPv6 addresses make the file worth reading.
        if tentative
            && list.iter().any(|i| {
                i.addrs
                    .iter()
                    .any(|a| a.ip.is_ipv6() && !a.ip.is_loopback())
            })
        {
            let tentative = sys::tentative_ipv6();
            for iface in &mut list {
                for addr in &mut iface.addrs {
                    if let IpAddr::V6(v6) = addr.ip {
                        addr.tentative = tentative.contains(&(v6, iface.index.unwrap_or(0)));
                    }
                }
            }
        }
        // getifaddrs lists only interfaces with an address; a named one the OS has without
        // any is a fact too (`no_address`, with its state).
        for name in names {
            if list.iter().all(|i| i.name != *name) {
                if let Some(up) = sys::interface_is_up(name) {
                    list.push(Interface::named((*name).to_owned(), None).with_up(up));
                }
            }
        }
        Ok(Interfaces {
            list,
            privilege: sys::port_privilege(port).map(|(start, capable)| PortPrivilege {
                unprivileged_port_start: start,
                can_bind_privileged: capable,
            }),
        })
    }

    /// A snapshot made of data, for tests and for callers that already hold the list.
    pub fn from_interfaces(interfaces: impl IntoIterator<Item = Interface>) -> Interfaces {
        Interfaces {
            list: interfaces.into_iter().collect(),
            privilege: None,
        }
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
        self.list.iter().find(|i| i.name == name)
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

    /// Whether `ip` is local although no interface lists it: on Linux every address of
    /// 127.0.0.0/8 (the kernel routes the whole block to `lo`); macOS and the BSDs need an
    /// alias first (`ifconfig lo0 alias 127.0.0.2`), and Windows binds only 127.0.0.1.
    ///
    /// ```
    /// use bindpolicy::Interfaces;
    ///
    /// let none = Interfaces::from_interfaces([]);
    /// assert_eq!(none.is_local_unlisted([127, 0, 0, 2].into()), cfg!(target_os = "linux"));
    /// assert!(!none.is_local_unlisted([192, 0, 2, 1].into()));
    /// ```
    pub fn is_local_unlisted(&self, ip: IpAddr) -> bool {
        sys::WHOLE_LOOPBACK_BLOCK_IS_LOCAL && matches!(ip, IpAddr::V4(v4) if v4.is_loopback())
    }

    /// The interface that carries the loopback address of `ip`'s family, for naming it.
    pub(crate) fn loopback_name(&self, v6: bool) -> Option<&str> {
        let ip = if v6 {
            IpAddr::V6(Ipv6Addr::LOCALHOST)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        };
        self.carriers(ip).next().map(|(i, _)| i.name.as_str())
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
    name: String,
    index: Option<u32>,
    up: bool,
    addrs: Vec<InterfaceAddr>,
}

impl Interface {
    /// An interface that is up and has no address yet; add them with [`Interface::with_addr`].
    pub fn new(name: impl Into<String>, index: u32) -> Interface {
        Interface::named(name.into(), Some(index))
    }

    fn named(name: String, index: Option<u32>) -> Interface {
        Interface {
            name,
            index,
            up: true,
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

    /// Whether every address is a loopback address (and there is at least one).
    pub fn is_loopback(&self) -> bool {
        !self.addrs.is_empty() && self.addrs.iter().all(|a| a.ip.is_loopback())
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
    tentative: bool,
}

impl InterfaceAddr {
    /// An address with its prefix length (e.g. 24 for a /24). A prefix longer than the address
    /// (33 for IPv4, 129 for IPv6) is clamped to the address's length.
    pub fn new(ip: IpAddr, prefix_len: u8) -> InterfaceAddr {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        InterfaceAddr {
            ip,
            prefix_len: prefix_len.min(max),
            tentative: false,
        }
    }

    /// The same address, marked tentative: IPv6 duplicate address detection has not finished,
    /// and the kernel refuses to bind it for now.
    #[must_use]
    pub fn with_tentative(mut self, tentative: bool) -> InterfaceAddr {
        self.tentative = tentative;
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

    /// Whether duplicate address detection is still running (Linux; false elsewhere).
    pub fn is_tentative(&self) -> bool {
        self.tentative
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

/// The interface a target names: its interface name, or the name in a link-local zone.
fn named_interface(target: &BindTarget) -> Option<&str> {
    match target {
        BindTarget::SpecificInterface {
            interface: LocalInterface::Name(name),
            ..
        } => Some(name.as_str()),
        BindTarget::SpecificInterface {
            interface: LocalInterface::Address(addr),
            ..
        } => match addr.zone() {
            Some(Zone::Name(name)) => Some(name.as_str()),
            _ => None,
        },
        _ => None,
    }
}
