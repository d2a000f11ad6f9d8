//! Go's `net.Listen(network, address)` and `net.ListenPacket` (package net, "func Listen").
//! Caddy and Traefik listen through it too, so they share [`listen`].
//!
//! ```text
//! input   = network whitespace address
//!         | "net." ( "Listen" | "ListenPacket" ) "(" quoted "," quoted ")"
//! network = "tcp" | "tcp4" | "tcp6" | "udp" | "udp4" | "udp6"
//!         | "unix" | "unixpacket" | "unixgram" | "ip" ...  ; errors
//! address = [ host ] ":" port | "[" ipv6 [ "%" zone ] "]" ":" port
//! ```
//!
//! On `tcp` and `udp`, a wildcard host (empty, `0.0.0.0` or `::`) is one dual-stack `[::]`
//! socket (golang/go#17615). `tcp4` and `tcp6` keep one family; `tcp6` sets IPV6_V6ONLY. A
//! host name binds one of its addresses, IPv4 first.

use super::error::DialectErrorKind as K;
use super::lex::{self, Cx, Host, Out, Partial, Read};
use super::{Binding, DialectWarning, Transport};
use crate::target::{BindTarget, Family};

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let input = cx.input.trim();
    let (network, address) = match call(input) {
        Some(args) => args,
        None => {
            let mut words = input.split_ascii_whitespace();
            let network = words.next().unwrap_or_default();
            let Some(address) = words.next() else {
                return cx.err(network, K::MissingValue("the address"));
            };
            if let Some(extra) = words.next() {
                return cx.err(extra, K::Unexpected(extra.to_owned()));
            }
            (network, address)
        }
    };
    let net = network_of(cx, network)?;
    let mut out = Out::default();
    let hp = lex::split_host_port(cx, address)?;
    let Some(port) = hp.port else {
        return cx.err(address, K::MissingPort);
    };
    let port = lex::port(cx, port)?;
    let binding = listen(cx, net, hp.host, hp.bracketed, port, &mut out)?;
    out.push(binding);
    Ok(out)
}

/// `net.Listen("tcp", ":8080")`'s two arguments, unquoted.
fn call(input: &str) -> Option<(&str, &str)> {
    let args = input
        .strip_prefix("net.ListenPacket(")
        .or_else(|| input.strip_prefix("net.Listen("))?
        .strip_suffix(')')?;
    let (network, address) = args.split_once(',')?;
    Some((quoted(network)?, quoted(address)?))
}

fn quoted(s: &str) -> Option<&str> {
    let s = s.trim();
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"'))
}

/// A Go network: the transport and the family it is pinned to, if any.
#[derive(Clone, Copy)]
pub(super) struct Net {
    pub(super) transport: Transport,
    pub(super) family: Family,
    pub(super) name: &'static str,
}

pub(super) fn network_of(cx: &Cx<'_>, network: &str) -> Result<Net, Partial> {
    let net = |transport, family, name| {
        Ok(Net {
            transport,
            family,
            name,
        })
    };
    match network {
        "tcp" => net(Transport::Tcp, Family::Both, "tcp"),
        "tcp4" => net(Transport::Tcp, Family::Ipv4, "tcp4"),
        "tcp6" => net(Transport::Tcp, Family::Ipv6, "tcp6"),
        "udp" => net(Transport::Udp, Family::Both, "udp"),
        "udp4" => net(Transport::Udp, Family::Ipv4, "udp4"),
        "udp6" => net(Transport::Udp, Family::Ipv6, "udp6"),
        "unix" | "unixpacket" | "unixgram" => {
            cx.err(network, K::Unsupported("a Unix socket (network unix)"))
        }
        "ip" | "ip4" | "ip6" => cx.err(network, K::Unsupported("a raw IP socket (network ip)")),
        _ if network.starts_with("ip:")
            || network.starts_with("ip4:")
            || network.starts_with("ip6:") =>
        {
            cx.err(network, K::Unsupported("a raw IP socket (network ip)"))
        }
        _ => cx.err(
            network,
            K::InvalidValue {
                parameter: "network",
                value: network.to_owned(),
            },
        ),
    }
}

/// What Go's listen does with `host` and `port` on `net`.
pub(super) fn listen(
    cx: &Cx<'_>,
    net: Net,
    host: &str,
    bracketed: bool,
    port: u16,
    out: &mut Out,
) -> Result<Binding, Partial> {
    let kind = if bracketed {
        let (ip, zone) = lex::bracketed_ip(cx, host)?;
        Host::Ip(ip, zone)
    } else {
        lex::host(cx, host)?
    };
    let mismatch = || cx.err(host, K::FamilyMismatch(net.name.to_owned()));
    let target = match kind {
        Host::Empty => wildcard(net.family, port),
        Host::Ip(ip, None) if ip.is_unspecified() => {
            if !net.family.includes(ip) && net.family != Family::Both {
                return mismatch();
            }
            if net.family == Family::Both && ip.is_ipv4() {
                out.warn(DialectWarning::AlsoIpv6 {
                    written: format!("{host}:{port}"),
                });
            }
            wildcard(net.family, port)
        }
        Host::Ip(ip, zone) => {
            if !net.family.includes(ip) {
                return mismatch();
            }
            (lex::ip_target(cx, host, ip, zone, port)?, false)
        }
        Host::Localhost => {
            let target = match net.family {
                Family::Ipv6 => BindTarget::loopback_v6(port),
                _ => BindTarget::loopback_v4(port),
            };
            out.warn(DialectWarning::FirstAddressOfName {
                name: host.to_owned(),
                target: target.clone(),
            });
            (target, false)
        }
        Host::Name(name) => return lex::host_name(cx, name),
        Host::Star => return cx.err(host, K::InvalidAddress(host.to_owned())),
    };
    let (target, dual) = target;
    let binding = Binding::new(target).with_transport(net.transport);
    Ok(if dual {
        binding.map_options(|o| o.dual_stack(true))
    } else {
        binding
    })
}

/// The wildcard of `family`, and whether it is one dual-stack socket.
fn wildcard(family: Family, port: u16) -> (BindTarget, bool) {
    match family {
        Family::Ipv4 => (BindTarget::any_v4(port), false),
        Family::Ipv6 => (BindTarget::any_v6(port), false),
        _ => (BindTarget::any(port), true),
    }
}
