//! nginx's `listen` (ngx_http_core_module and ngx_stream_core_module).
//!
//! ```text
//! input     = directive *( ";" directive ) [ ";" ]
//! directive = [ "listen" ] address *param
//! address   = port | "*" [ ":" port ] | ipv4 [ ":" port ] | "[" ipv6 "]" [ ":" port ]
//!           | "localhost" [ ":" port ]                     ; unix:PATH and other names: errors
//! param     = "ipv6only=" ("on" | "off") | "reuseport" | "backlog=" N | "bind" | "udp" | "quic"
//!           | default_server | ssl | http2 | proxy_protocol | deferred | ...   ; ignored
//! ```
//!
//! A bare port or `*` is IPv4 only; `[::]` is IPv6 only (`ipv6only=on` is the default since
//! 1.3.4); an address without a port is port 80.

use std::net::IpAddr;

use super::error::{DialectErrorKind as K, WriteErrorKind};
use super::lex::{self, Cx, Host, Out, Partial, Read};
use super::{Binding, DialectWarning, Transport};
use crate::listen::FreeBind;
use crate::target::{BindTarget, Family};

/// Parameters that do not change which sockets are bound.
const IGNORED: &[&str] = &[
    "default_server",
    "default",
    "ssl",
    "http2",
    "spdy",
    "proxy_protocol",
    "deferred",
];
const IGNORED_VALUED: &[&str] = &[
    "fastopen=",
    "rcvbuf=",
    "sndbuf=",
    "setfib=",
    "accept_filter=",
    "so_keepalive=",
];

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let mut out = Out::default();
    for directive in cx.input.split(';') {
        let mut words = directive.split_ascii_whitespace().peekable();
        if words.peek() == Some(&"listen") {
            words.next();
        }
        let Some(address) = words.next() else {
            if directive.trim().is_empty() && !out.bindings.is_empty() {
                continue;
            }
            return cx.err(directive, K::MissingValue("listen"));
        };
        let (target, written_v6_any) = self::address(cx, address, &mut out)?;
        let mut binding = Binding::new(target);
        for param in words {
            binding = self::param(cx, param, binding, written_v6_any, &mut out)?;
        }
        out.push(binding);
    }
    Ok(out)
}

/// The target, and whether it is `[::]`, the one address `ipv6only=` applies to.
fn address(cx: &Cx<'_>, address: &str, out: &mut Out) -> Result<(BindTarget, bool), Partial> {
    if address.starts_with("unix:") {
        return cx.err(address, K::Unsupported("a Unix socket (unix:PATH)"));
    }
    if address.bytes().all(|b| b.is_ascii_digit()) {
        let port = nonzero(cx, address)?;
        out.warn(DialectWarning::Ipv4Only {
            written: address.to_owned(),
            port,
        });
        return Ok((BindTarget::any_v4(port), false));
    }
    let hp = lex::split_host_port(cx, address)?;
    let port = match hp.port {
        Some(port) => nonzero(cx, port)?,
        None => {
            out.warn(DialectWarning::DefaultPort { port: 80 });
            80
        }
    };
    if hp.bracketed {
        let (ip, zone) = lex::bracketed_ip(cx, hp.host)?;
        if zone.is_some() {
            return cx.err(hp.host, K::NoZone);
        }
        let target = lex::ip_target(cx, hp.host, ip, None, port)?;
        return Ok((target, ip.is_unspecified()));
    }
    match lex::host(cx, hp.host)? {
        Host::Star => {
            out.warn(DialectWarning::Ipv4Only {
                written: address.to_owned(),
                port,
            });
            Ok((BindTarget::any_v4(port), false))
        }
        Host::Ip(ip @ IpAddr::V4(_), None) => {
            Ok((lex::ip_target(cx, hp.host, ip, None, port)?, false))
        }
        Host::Localhost => {
            out.warn(DialectWarning::NameLookedUp {
                name: hp.host.to_owned(),
            });
            Ok((BindTarget::loopback(port), false))
        }
        Host::Name(name) => lex::host_name(cx, name),
        Host::Empty | Host::Ip(..) => cx.err(address, K::InvalidAddress(hp.host.to_owned())),
    }
}

fn nonzero(cx: &Cx<'_>, text: &str) -> Result<u16, Partial> {
    match lex::port(cx, text)? {
        0 => cx.err(text, K::PortZero),
        port => Ok(port),
    }
}

fn param(
    cx: &Cx<'_>,
    param: &str,
    binding: Binding,
    v6_any: bool,
    out: &mut Out,
) -> Result<Binding, Partial> {
    if let Some(value) = param.strip_prefix("ipv6only=") {
        let on = match value {
            "on" => true,
            "off" => false,
            _ => {
                return cx.err(
                    value,
                    K::InvalidValue {
                        parameter: "ipv6only",
                        value: value.to_owned(),
                    },
                );
            }
        };
        if !v6_any {
            out.warn(DialectWarning::Ignored {
                parameter: param.to_owned(),
                reason: "ipv6only= applies to [::] only",
            });
            return Ok(binding);
        }
        if on {
            return Ok(binding);
        }
        let port = binding.target().port();
        let binding = Binding {
            target: BindTarget::any(port),
            ..binding
        };
        return Ok(binding.map_options(|o| o.dual_stack(true)));
    }
    if let Some(value) = param.strip_prefix("backlog=") {
        let n = value.parse::<u32>().map_err(|_| {
            (
                cx.at(value),
                K::InvalidValue {
                    parameter: "backlog",
                    value: value.to_owned(),
                },
            )
        })?;
        return Ok(binding.map_options(|o| o.backlog(n)));
    }
    match param {
        "reuseport" => Ok(binding.map_options(|o| o.reuse_port(true))),
        // Its own socket for this address: what every bindpolicy binding is anyway.
        "bind" => Ok(binding),
        "udp" | "quic" => Ok(binding.with_transport(Transport::Udp)),
        _ if IGNORED.contains(&param) || IGNORED_VALUED.iter().any(|p| param.starts_with(p)) => {
            out.warn(DialectWarning::Ignored {
                parameter: param.to_owned(),
                reason: "it does not change which sockets are bound",
            });
            Ok(binding)
        }
        _ => cx.err(param, K::UnknownParameter(param.to_owned())),
    }
}

pub(super) fn write(binding: &Binding) -> Result<String, WriteErrorKind> {
    let o = binding.options();
    if o.get_freebind() != FreeBind::Never {
        return Err(WriteErrorKind::Option("freebind"));
    }
    let target = binding.target();
    let port = target.port();
    let addrs: Vec<String> = match target {
        BindTarget::Any {
            family: Family::Both | Family::Ipv6,
            ..
        } if o.is_dual_stack() => vec![format!("[::]:{port} ipv6only=off")],
        _ => super::halves(target)?
            .into_iter()
            .map(|ip| match ip {
                IpAddr::V4(v4) => format!("{v4}:{port}"),
                IpAddr::V6(v6) => format!("[{v6}]:{port}"),
            })
            .collect(),
    };
    if port == 0 {
        return Err(WriteErrorKind::PortZero);
    }
    if o.is_bind_device() && target.is_specific_interface() {
        return Err(WriteErrorKind::Option("bind_device"));
    }
    let mut params = String::new();
    if binding.transport() == Transport::Udp {
        params.push_str(" udp");
    }
    if o.is_reuse_port() {
        params.push_str(" reuseport");
    }
    if let Some(backlog) = super::backlog(o) {
        params.push_str(&format!(" backlog={backlog}"));
    }
    let lines: Vec<String> = addrs
        .iter()
        .map(|a| format!("listen {a}{params};"))
        .collect();
    Ok(lines.join("\n"))
}
