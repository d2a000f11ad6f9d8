//! HAProxy's `bind` line (configuration manual, 4.2 "bind" and 11 "Address formats").
//!
//! ```text
//! input   = line *( "\n" line )
//! line    = [ "bind" ] address *( "," address ) *param
//! address = [ prefix "@" ] host ":" port [ "-" port ]        ; the port is after the last ':'
//! host    = "" | "*" | ipv4 | ipv6 | "[" ipv6 "]"
//! prefix  = ipv4 | ipv6 | tcp | tcp4 | tcp6 | udp | udp4 | udp6 | quic4 | quic6
//!         | unix | abns | abnsz | fd | sockpair | uxst | uxdg | rhttp   ; errors
//! param   = "v4v6" | "v6only" | "backlog" N | ...            ; others ignored or errors
//! ```
//!
//! An empty host, `*` and `0.0.0.0` are IPv4; `:::80` leaves IPV6_V6ONLY to the system
//! (dual-stack on Linux's default) unless `v4v6` or `v6only` says it. A port range opens one
//! listener per port. HAProxy sets SO_REUSEPORT on every listener (unless the global
//! `noreuseport`), so every binding read here has `reuse_port`.

use std::net::{IpAddr, Ipv6Addr};

use super::error::{DialectErrorKind as K, WriteErrorKind};
use super::lex::{self, Cx, Host, Out, Partial, Read};
use super::{Binding, DialectWarning, Transport};
use crate::listen::FreeBind;
use crate::target::{BindTarget, Family};

/// Parameters without a value that do not change which sockets are bound.
const FLAGS: &[&str] = &[
    "ssl",
    "accept-proxy",
    "accept-netscaler-cip",
    "defer-accept",
    "tfo",
    "strict-sni",
    "allow-0rtt",
    "no-ca-names",
    "prefer-client-ciphers",
    "no-alpn",
    "generate-certificates",
    "quic-force-retry",
    "transparent",
];
/// Parameters with one value that do not change which sockets are bound.
const VALUED: &[&str] = &[
    "name",
    "crt",
    "crt-list",
    "alpn",
    "npn",
    "process",
    "thread",
    "maxconn",
    "mss",
    "id",
    "level",
    "mode",
    "user",
    "group",
    "uid",
    "gid",
    "nice",
    "ciphers",
    "ciphersuites",
    "ca-file",
    "crl-file",
    "verify",
    "proto",
    "tcp-ut",
    "shards",
    "label",
    "curves",
    "ecdhe",
    "ssl-min-ver",
    "ssl-max-ver",
    "severity-output",
    "quic-cc-algo",
    "guid-prefix",
    "idle-ping",
    "expose-fd",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum V6 {
    System,
    Both,
    Only,
}

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let mut out = Out::default();
    for line in cx.input.lines() {
        let mut words = line.split_ascii_whitespace().peekable();
        if words.peek() == Some(&"bind") {
            words.next();
        }
        let Some(addresses) = words.next() else {
            continue;
        };
        let mut v6 = V6::System;
        let mut v6_word = "";
        let mut backlog = None;
        while let Some(param) = words.next() {
            match param {
                "v4v6" => (v6, v6_word) = (V6::Both, param),
                "v6only" => (v6, v6_word) = (V6::Only, param),
                "backlog" => {
                    let Some(n) = words.next() else {
                        return cx.err(param, K::MissingValue("backlog"));
                    };
                    let value = n.parse::<u32>().map_err(|_| {
                        (
                            cx.at(n),
                            K::InvalidValue {
                                parameter: "backlog",
                                value: n.to_owned(),
                            },
                        )
                    })?;
                    backlog = Some(value);
                }
                "interface" => {
                    let device = words.next().unwrap_or_default();
                    return cx.err(param, K::Device(device.to_owned()));
                }
                "namespace" => {
                    return cx.err(
                        param,
                        K::Unsupported("a network namespace (namespace NAME)"),
                    );
                }
                _ if FLAGS.contains(&param) => ignored(&mut out, param),
                _ if VALUED.contains(&param) => {
                    if words.next().is_none() {
                        return cx.err(param, K::MissingValue("this parameter"));
                    }
                    ignored(&mut out, param);
                }
                _ => return cx.err(param, K::UnknownParameter(param.to_owned())),
            }
        }
        for address in addresses.split(',') {
            for binding in self::address(cx, address, v6, v6_word, &mut out)? {
                let binding = binding.map_options(|o| {
                    let o = o.reuse_port(true);
                    match backlog {
                        Some(n) => o.backlog(n),
                        None => o,
                    }
                });
                out.push(binding);
            }
        }
    }
    if out.bindings.is_empty() {
        return Err((0, K::NoAddress));
    }
    Ok(out)
}

fn ignored(out: &mut Out, param: &str) {
    out.warn(DialectWarning::Ignored {
        parameter: param.to_owned(),
        reason: "it does not change which sockets are bound",
    });
}

fn address(
    cx: &Cx<'_>,
    address: &str,
    v6: V6,
    v6_word: &str,
    out: &mut Out,
) -> Result<Vec<Binding>, Partial> {
    let (family, transport, rest) = match address.split_once('@') {
        Some((prefix, rest)) => {
            let (family, transport) = prefix_of(cx, prefix)?;
            (family, transport, rest)
        }
        None => (None, Transport::Tcp, address),
    };
    if rest.starts_with('/') {
        return cx.err(address, K::Unsupported("a Unix socket (/PATH)"));
    }
    let Some((host, ports)) = rest.rsplit_once(':') else {
        return cx.err(rest, K::MissingPort);
    };
    let ports = lex::port_range(cx, ports)?;
    let host_kind = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(inner) => {
            let (ip, zone) = lex::bracketed_ip(cx, inner)?;
            Host::Ip(ip, zone)
        }
        None => lex::host(cx, host)?,
    };
    let ip: IpAddr = match host_kind {
        Host::Empty | Host::Star if family == Some(Family::Ipv6) => Ipv6Addr::UNSPECIFIED.into(),
        Host::Empty | Host::Star => {
            if family.is_none() {
                out.warn(DialectWarning::Ipv4Only {
                    written: rest.to_owned(),
                    port: ports.first().copied().unwrap_or_default(),
                });
            }
            std::net::Ipv4Addr::UNSPECIFIED.into()
        }
        Host::Ip(ip, None) => ip,
        Host::Ip(_, Some(_)) => return cx.err(host, K::NoZone),
        Host::Localhost | Host::Name(_) => return lex::host_name(cx, host),
    };
    if let Some(f) = family {
        if !f.includes(ip) {
            return cx.err(address, K::FamilyMismatch(prefix_name(address)));
        }
    }
    let v6_any = ip.is_ipv6() && ip.is_unspecified();
    if ip.is_ipv4() && v6 == V6::Both {
        out.warn(DialectWarning::Ignored {
            parameter: v6_word.to_owned(),
            reason: "it applies to an IPv6 wildcard only; this socket stays IPv4",
        });
    }
    if v6_any && v6 == V6::System {
        out.warn(DialectWarning::SystemDefault {
            written: rest.to_owned(),
        });
    }
    ports
        .into_iter()
        .map(|port| {
            let binding = match (v6_any, v6) {
                (true, V6::Only) => Binding::new(BindTarget::any_v6(port)),
                (true, _) => {
                    Binding::new(BindTarget::any(port)).map_options(|o| o.dual_stack(true))
                }
                (false, _) => Binding::new(lex::ip_target(cx, host, ip, None, port)?),
            };
            Ok(binding.with_transport(transport))
        })
        .collect()
}

fn prefix_name(address: &str) -> String {
    address.split('@').next().unwrap_or_default().to_owned() + "@"
}

fn prefix_of(cx: &Cx<'_>, prefix: &str) -> Result<(Option<Family>, Transport), Partial> {
    let unsupported = |form| cx.err(prefix, K::Unsupported(form));
    Ok(match prefix {
        "ipv4" | "tcp4" => (Some(Family::Ipv4), Transport::Tcp),
        "ipv6" | "tcp6" => (Some(Family::Ipv6), Transport::Tcp),
        "tcp" => (None, Transport::Tcp),
        "udp" => (None, Transport::Udp),
        "udp4" | "quic4" => (Some(Family::Ipv4), Transport::Udp),
        "udp6" | "quic6" => (Some(Family::Ipv6), Transport::Udp),
        "unix" | "uxst" | "uxdg" => return unsupported("a Unix socket (unix@PATH)"),
        "abns" | "abnsz" => return unsupported("an abstract Unix socket (abns@NAME)"),
        "fd" => return unsupported("an inherited file descriptor (fd@N)"),
        "sockpair" => return unsupported("a socket pair (sockpair@FD)"),
        "rhttp" => return unsupported("a reverse HTTP listener (rhttp@)"),
        _ => return cx.err(prefix, K::UnknownParameter(format!("{prefix}@"))),
    })
}

pub(super) fn write(binding: &Binding) -> Result<String, WriteErrorKind> {
    let o = binding.options();
    if o.get_freebind() != FreeBind::Never {
        return Err(WriteErrorKind::Option("freebind"));
    }
    let target = binding.target();
    if o.is_bind_device() && target.is_specific_interface() {
        return Err(WriteErrorKind::Option("bind_device"));
    }
    let port = target.port();
    let udp = binding.transport() == Transport::Udp;
    let prefix = |v6: bool| match (udp, v6) {
        (false, _) => "",
        (true, false) => "udp4@",
        (true, true) => "udp6@",
    };
    let mut params = String::new();
    if let Some(backlog) = super::backlog(o) {
        params.push_str(&format!(" backlog {backlog}"));
    }
    let lines: Vec<String> = match target {
        BindTarget::Any {
            family: Family::Both | Family::Ipv6,
            ..
        } if o.is_dual_stack() => vec![format!("bind {}:::{port} v4v6{params}", prefix(true))],
        _ => super::halves(target)?
            .into_iter()
            .map(|ip| {
                let v6only = if ip.is_ipv6() && ip.is_unspecified() {
                    " v6only"
                } else {
                    ""
                };
                format!("bind {}{ip}:{port}{v6only}{params}", prefix(ip.is_ipv6()))
            })
            .collect(),
    };
    Ok(lines.join("\n"))
}
