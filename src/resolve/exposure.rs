//! [`Exposure`]: who can connect to a resolved target, address by address and network by
//! network.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use super::ResolvedAddr;
use crate::interfaces::{Interface, InterfaceAddr, Interfaces, Scope};
use crate::target::BindTarget;

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
    interface: std::sync::Arc<str>,
    prefix_len: u8,
    zone: u32,
    /// `Scope::of(ip)`, computed once: sorting and filtering ask for it often.
    scope: Scope,
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

    /// The network it is on, e.g. `192.168.71.0/24 on eth0`.
    pub fn network(&self) -> Network {
        Network {
            interface: self.interface.to_string(),
            net: self.network_net(),
        }
    }

    /// The subnet alone, host bits cleared.
    fn network_net(&self) -> IpNet {
        InterfaceAddr::new(self.ip, self.prefix_len).network()
    }

    /// Its class.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The index of its interface: the zone of a link-local address (0 when unknown).
    pub(crate) fn zone(&self) -> u32 {
        self.zone
    }

    pub(super) fn of(iface: &Interface, addr: &InterfaceAddr) -> Reachable {
        Reachable {
            scope: Scope::of(addr.ip()),
            ip: addr.ip(),
            interface: iface.shared_name(),
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
    /// The subnet, host bits cleared, e.g. `192.168.71.0/24`.
    pub net: IpNet,
}

impl fmt::Display for Network {
    /// `192.168.71.0/24 on eth0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.net, self.interface)
    }
}

impl Exposure {
    pub(super) fn of(
        target: &BindTarget,
        addrs: &[ResolvedAddr],
        interfaces: &Interfaces,
    ) -> Exposure {
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
                    scope: Scope::of(ip),
                    ip,
                    interface: resolved.interface.as_deref().unwrap_or_default().into(),
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
            .map(|r| (r.interface(), r.network_net()));
        // A host has a handful of networks, where a scan is cheapest; a sort keeps a host with
        // a thousand interfaces from a million comparisons. Borrowed keys: a Network (and its
        // String) is made once per network kept.
        let unique: Vec<(&str, IpNet)> = if self.reachable.len() <= 32 {
            let mut kept: Vec<(&str, IpNet)> = Vec::new();
            for key in all {
                if !kept.contains(&key) {
                    kept.push(key);
                }
            }
            kept
        } else {
            // Sort by key, keep each key's first place, put the survivors back in order:
            // cheaper than hashing thousands of names.
            let mut keyed: Vec<((&str, IpNet), usize)> =
                all.enumerate().map(|(at, key)| (key, at)).collect();
            keyed.sort_unstable();
            keyed.dedup_by(|later, first| later.0 == first.0);
            keyed.sort_unstable_by_key(|(_, at)| *at);
            keyed.into_iter().map(|(key, _)| key).collect()
        };
        unique
            .into_iter()
            .map(|(interface, net)| Network {
                interface: interface.to_owned(),
                net,
            })
            .collect()
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
