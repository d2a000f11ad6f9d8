//! Docker's `-p` (`--publish`), the host side (docker run reference, "Publish or expose port
//! (-p, --expose)"; networking overview, "Published ports").
//!
//! ```text
//! input   = publish *( whitespace publish )
//! publish = [ "-p" | "--publish" ] value                    ; "--publish=" too; quotes stripped
//! value   = [ [ ip ":" ] [ host-ports ] ":" ] ports [ "/" ( "tcp" | "udp" ) ]
//! ip      = ipv4 | "[" ipv6 "]"
//! ```
//!
//! Without an IP, Docker publishes on every IPv4 and IPv6 address (`*:PORT`, two sockets); an
//! empty host port is one Docker picks (port 0 here). Ranges publish one port per port.

use std::net::IpAddr;

use super::error::{DialectErrorKind as K, WriteErrorKind};
use super::lex::{self, Cx, Host, Out, Partial, Read};
use super::{Binding, DialectWarning, Transport};
use crate::listen::FreeBind;
use crate::target::BindTarget;

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let mut out = Out::default();
    let mut words = cx.input.split_ascii_whitespace();
    while let Some(word) = words.next() {
        let value = match word {
            "-p" | "--publish" => match words.next() {
                Some(value) => value,
                None => return cx.err(word, K::MissingValue("-p")),
            },
            _ => word.strip_prefix("--publish=").unwrap_or(word),
        };
        publish(cx, lex::unquote(value), &mut out)?;
    }
    Ok(out)
}

fn publish(cx: &Cx<'_>, value: &str, out: &mut Out) -> Result<(), Partial> {
    let (spec, transport) = match value.rsplit_once('/') {
        Some((spec, "tcp")) => (spec, Transport::Tcp),
        Some((spec, "udp")) => (spec, Transport::Udp),
        Some((_, "sctp")) => return cx.err(value, K::Unsupported("SCTP (/sctp)")),
        Some((_, proto)) => {
            return cx.err(
                proto,
                K::InvalidValue {
                    parameter: "protocol",
                    value: proto.to_owned(),
                },
            );
        }
        None => (value, Transport::Tcp),
    };
    // [IP:][HOST_PORT:]CONTAINER_PORT, the IP in brackets if IPv6.
    let (ip, rest) = match spec.strip_prefix('[') {
        Some(inner) => {
            let Some((host, after)) = inner.split_once(']') else {
                return cx.err(spec, K::MissingBracket);
            };
            let Some(rest) = after.strip_prefix(':') else {
                return cx.err(after, K::MissingPort);
            };
            let (ip, zone) = lex::bracketed_ip(cx, host)?;
            if zone.is_some() {
                return cx.err(host, K::NoZone);
            }
            (Some((host, ip)), rest)
        }
        None => {
            let parts: Vec<&str> = spec.split(':').collect();
            match parts.as_slice() {
                [_] | [_, _] => (None, spec),
                [host, _, _] => match lex::host(cx, host)? {
                    Host::Ip(ip @ IpAddr::V4(_), None) => {
                        let rest = spec.get(host.len() + 1..).unwrap_or_default();
                        (Some((*host, ip)), rest)
                    }
                    Host::Localhost | Host::Name(_) => return lex::host_name(cx, host),
                    _ => return cx.err(host, K::InvalidAddress((*host).to_owned())),
                },
                _ => return cx.err(spec, K::UnbracketedIpv6),
            }
        }
    };
    let (host_ports, container) = match rest.split_once(':') {
        Some((_, container)) if container.contains(':') => {
            return cx.err(container, K::Unexpected(container.to_owned()));
        }
        Some((host_ports, container)) => (Some(host_ports), container),
        None if ip.is_some() => return cx.err(rest, K::MissingPort),
        None => (None, rest),
    };
    let container = lex::port_range(cx, container)?;
    if container.contains(&0) {
        return cx.err(rest, K::PortZero);
    }
    let ports: Vec<u16> = match host_ports {
        Some(text) if !text.is_empty() => {
            let ports = lex::port_range(cx, text)?;
            if ports.len() != container.len() {
                return cx.err(text, K::RangeMismatch);
            }
            ports
        }
        _ => {
            out.warn(DialectWarning::RandomHostPort);
            vec![0; container.len()]
        }
    };
    if ip.is_none() {
        out.warn(DialectWarning::AlsoIpv6 {
            written: value.to_owned(),
        });
    }
    for port in ports {
        let target = match ip {
            Some((written, ip)) => lex::ip_target(cx, written, ip, None, port)?,
            None => BindTarget::any(port),
        };
        out.push(Binding::new(target).with_transport(transport));
    }
    Ok(())
}

pub(super) fn write(binding: &Binding) -> Result<String, WriteErrorKind> {
    let o = binding.options();
    let target = binding.target();
    let port = target.port();
    let addrs: Vec<String> = match target {
        BindTarget::Any {
            family: crate::target::Family::Both,
            ..
        } => vec![String::new()],
        _ => super::halves(target)?
            .into_iter()
            .map(|ip| match ip {
                IpAddr::V4(v4) => format!("{v4}:"),
                IpAddr::V6(v6) => format!("[{v6}]:"),
            })
            .collect(),
    };
    if port == 0 {
        return Err(WriteErrorKind::PortZero);
    }
    let options = [
        (o.is_dual_stack(), "dual_stack"),
        (o.is_reuse_port(), "reuse_port"),
        (super::backlog(o).is_some(), "backlog"),
        (o.get_freebind() != FreeBind::Never, "freebind"),
        (o.is_bind_device(), "bind_device"),
    ];
    if let Some((_, option)) = options.iter().find(|(set, _)| *set) {
        return Err(WriteErrorKind::Option(option));
    }
    let proto = match binding.transport() {
        Transport::Udp => "/udp",
        _ => "",
    };
    let lines: Vec<String> = addrs
        .iter()
        .map(|a| format!("-p {a}{port}:{port}{proto}"))
        .collect();
    Ok(lines.join("\n"))
}
