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
    /// The interface is down: its IPv4 addresses stay this machine's (the bind succeeds), and
    /// traffic through that interface stops, while packets for them that reach another
    /// interface still arrive (Linux's weak host model).
    InterfaceDown {
        /// The interface.
        interface: String,
    },
    /// The address deprecated: its preferred lifetime is over. It binds and accepts, but new
    /// outgoing connections avoid it, and it goes when its valid lifetime ends.
    Deprecated {
        /// The address.
        addr: IpAddr,
        /// Its interface.
        interface: String,
    },
    /// The address is not this machine's (yet), and `ip_nonlocal_bind` lets the kernel bind it:
    /// connections arrive once the address is here (a floating address, keepalived).
    NonlocalBind {
        /// The address.
        addr: IpAddr,
        /// The sysctl that allows it, e.g. `net.ipv4.ip_nonlocal_bind`.
        sysctl: &'static str,
    },
    /// The loopback interface is down (or has no 127.0.0.1): nothing can connect to a
    /// loopback listener until it is up.
    LoopbackDown {
        /// The target.
        target: BindTarget,
        /// The loopback interface, `lo`.
        interface: String,
    },
    /// IPv4 has no local table yet (no interface has an IPv4 address: a network namespace
    /// whose `lo` was never brought up): the kernel accepts a bind of any IPv4 address, and
    /// nothing can reach it.
    NoLocalTable,
    /// The listener bound with IP_FREEBIND because the address was not (yet) assigned.
    FreeBind {
        /// The address.
        addr: SocketAddr,
    },
    /// A loopback target in a container: the container's loopback is its own, so nothing
    /// outside it can connect, `docker run -p` included (the published port is forwarded to
    /// the container's interface address, moby/moby#27315).
    LoopbackInContainer {
        /// The target.
        target: BindTarget,
        /// The marker that says this is a container, e.g. `podman (/run/.containerenv)`.
        container: String,
    },
    /// Under WSL 2, a target with neither 127.0.0.1 nor 0.0.0.0 (IPv6 only, or an interface's
    /// address): Windows forwards its localhost only to those IPv4 listeners
    /// (microsoft/WSL#10206), so programs on Windows cannot reach it as localhost.
    WslNotForwarded {
        /// The target.
        target: BindTarget,
    },
    /// Port 5000 or 7000 on macOS, where AirPlay Receiver listens by default
    /// (pallets/flask#4328, pallets/werkzeug#2321).
    AirPlayPort {
        /// The port.
        port: u16,
    },
}

impl Warning {
    /// Whether the warning comes from where the process runs (a container, WSL, macOS) rather
    /// than from the target and the interfaces: these lead an explanation.
    pub const fn is_deployment(&self) -> bool {
        matches!(
            self,
            Warning::LoopbackInContainer { .. }
                | Warning::WslNotForwarded { .. }
                | Warning::AirPlayPort { .. }
        )
    }

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
            Warning::Deprecated { .. } => "deprecated",
            Warning::NonlocalBind { .. } => "nonlocal_bind",
            Warning::LoopbackDown { .. } => "loopback_down",
            Warning::NoLocalTable => "no_local_table",
            Warning::FreeBind { .. } => "freebind",
            Warning::LoopbackInContainer { .. } => "loopback_in_container",
            Warning::WslNotForwarded { .. } => "wsl_not_forwarded",
            Warning::AirPlayPort { .. } => "airplay_port",
        }
    }
}

/// The port, or `PORT` for port 0 (the example must name one).
fn port_or_word(port: u16) -> String {
    if port == 0 {
        "PORT".to_owned()
    } else {
        port.to_string()
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
                 duplicate address detection completes, about 1 s after the address was added \
                 (dad_transmits × retrans_time_ms, 1 × 1000 ms by default)"
            ),
            Warning::InterfaceDown { interface } => write!(
                f,
                "interface {interface} is down: nothing comes in through it until it is up (ip \
                 link set {interface} up); its IPv4 addresses stay this machine's, so packets \
                 for them that reach another interface still arrive"
            ),
            Warning::Deprecated { addr, interface } => write!(
                f,
                "{addr} on {interface} is deprecated: it binds and accepts, but new outgoing \
                 connections avoid it, and it goes when its valid lifetime ends"
            ),
            Warning::NonlocalBind { addr, sysctl } => write!(
                f,
                "{addr} is not an address of this machine (yet); {sysctl}=1 lets the kernel \
                 bind it, and connections arrive only once the address is here"
            ),
            Warning::LoopbackDown { target, interface } => write!(
                f,
                "{interface} is down: {target} binds, but nothing can connect to it until \
                 {interface} is up (ip link set {interface} up)"
            ),
            Warning::NoLocalTable => f.write_str(
                "no interface has an IPv4 address (lo was never brought up), so the kernel \
                 accepts any IPv4 address and nothing can reach it; bring lo up (ip link set lo \
                 up)",
            ),
            Warning::FreeBind { addr } => write!(
                f,
                "{addr} is not assigned to this machine yet; bound with IP_FREEBIND, so \
                 connections arrive once it is"
            ),
            Warning::LoopbackInContainer { target, container } => {
                let port = port_or_word(target.port());
                write!(
                    f,
                    "this process runs in a container ({container}), so {target} is the \
                     container's own loopback: nothing outside the container can reach it, \
                     `docker run -p` included (the published port is forwarded to the \
                     container's interface address, not to its loopback); listen on *:{port} \
                     and let the host choose the exposure with -p 127.0.0.1:{port}:{port}"
                )
            }
            Warning::WslNotForwarded { target } => {
                let port = port_or_word(target.port());
                write!(
                    f,
                    "under WSL 2, Windows forwards its localhost only to IPv4 listeners on \
                     127.0.0.1 or 0.0.0.0 (microsoft/WSL#10206), so programs on Windows cannot \
                     reach {target} as localhost; listen on 127.0.0.1:{port} or *:{port} (in \
                     mirrored networking mode, networkingMode=mirrored in .wslconfig, Linux \
                     shares Windows' addresses, but ::1 still is not shared)"
                )
            }
            Warning::AirPlayPort { port } => write!(
                f,
                "on macOS, AirPlay Receiver listens on ports 5000 and 7000 by default, so \
                 binding {port} may fail with EADDRINUSE, or clients may reach AirPlay instead \
                 (pallets/flask#4328); turn it off (System Settings → General → AirDrop & \
                 Handoff → AirPlay Receiver) or use another port"
            ),
        }
    }
}
