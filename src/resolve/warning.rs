//! Warnings: things a resolve or a listen noticed that do not stop it, kept apart from errors.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use super::Network;
use crate::target::BindTarget;

/// Something worth telling the operator that does not stop the bind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// A wildcard accepts connections on every network this machine is on.
    AllNetworks {
        /// The target.
        target: BindTarget,
        /// The networks, e.g. 192.168.71.0/24 on eth0.
        networks: Vec<Network>,
    },
    /// The port is privileged and this process lacks CAP_NET_BIND_SERVICE: bind will fail.
    PrivilegedPort {
        /// The port.
        port: u16,
        /// `net.ipv4.ip_unprivileged_port_start`.
        unprivileged_port_start: u16,
    },
    /// Port 0: the OS picks the port at bind, so clients must learn it afterwards.
    EphemeralPort,
    /// The machine has no IPv6 (or, for `localhost`, no ::1), so a both-families target covers
    /// IPv4 only.
    NoIpv6 {
        /// The target.
        target: BindTarget,
    },
    /// Every address is link-local: only hosts on the same link can connect.
    LinkLocalOnly {
        /// The addresses.
        addrs: Vec<SocketAddr>,
    },
    /// An IPv6 address is still tentative (duplicate address detection running): binding it
    /// fails until that completes, about 1-2 s after it was added.
    Tentative {
        /// The address.
        addr: IpAddr,
        /// Its interface.
        interface: String,
    },
    /// The interface is down: the bind may succeed, but nothing arrives until it is up.
    InterfaceDown {
        /// The interface.
        interface: String,
    },
    /// The listener bound with IP_FREEBIND because the address was not (yet) assigned.
    FreeBind {
        /// The address.
        addr: SocketAddr,
    },
}

impl Warning {
    /// A stable snake_case name, e.g. `all_networks`, for machine-readable output.
    pub const fn kind(&self) -> &'static str {
        match self {
            Warning::AllNetworks { .. } => "all_networks",
            Warning::PrivilegedPort { .. } => "privileged_port",
            Warning::EphemeralPort => "ephemeral_port",
            Warning::NoIpv6 { .. } => "no_ipv6",
            Warning::LinkLocalOnly { .. } => "link_local_only",
            Warning::Tentative { .. } => "tentative",
            Warning::InterfaceDown { .. } => "interface_down",
            Warning::FreeBind { .. } => "freebind",
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::AllNetworks { target, networks } => {
                write!(
                    f,
                    "{target} accepts connections on every network this machine is on"
                )?;
                for (i, network) in networks.iter().enumerate() {
                    f.write_str(if i == 0 { " (" } else { ", " })?;
                    write!(f, "{network}")?;
                }
                if !networks.is_empty() {
                    f.write_str(")")?;
                }
                write!(
                    f,
                    "; to limit it, listen on localhost:{0} or one address",
                    target.port()
                )
            }
            Warning::PrivilegedPort {
                port,
                unprivileged_port_start,
            } => write!(
                f,
                "port {port} is below {unprivileged_port_start} \
                 (net.ipv4.ip_unprivileged_port_start) and this process lacks \
                 CAP_NET_BIND_SERVICE, so bind will fail with EACCES"
            ),
            Warning::EphemeralPort => f.write_str(
                "port 0: the OS picks a port at bind, so clients must learn it from the bound \
                 addresses",
            ),
            Warning::NoIpv6 { target } if target.is_loopback() => write!(
                f,
                "::1 is not assigned (IPv6 is off on lo), so {target} covers 127.0.0.1 only"
            ),
            Warning::NoIpv6 { target } => write!(
                f,
                "this machine has no IPv6 address, so {target} covers IPv4 only"
            ),
            Warning::LinkLocalOnly { addrs } => {
                let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "only link-local addresses ({}): only hosts on the same link can connect",
                    list.join(", ")
                )
            }
            Warning::Tentative { addr, interface } => write!(
                f,
                "{addr} on {interface} is tentative: binding it fails (EADDRNOTAVAIL) until \
                 duplicate address detection completes"
            ),
            Warning::InterfaceDown { interface } => write!(
                f,
                "interface {interface} is down: nothing arrives until it is up \
                 (ip link set {interface} up)"
            ),
            Warning::FreeBind { addr } => write!(
                f,
                "{addr} is not assigned to this machine yet; bound with IP_FREEBIND, so \
                 connections arrive once it is"
            ),
        }
    }
}
