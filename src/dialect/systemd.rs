//! A systemd socket unit's `[Socket]` settings (systemd.socket(5)).
//!
//! ```text
//! input   = setting *( whitespace setting )                  ; "[Socket]" may stand first
//! setting = "ListenStream=" listen | "ListenDatagram=" listen | "BindIPv6Only=" mode
//!         | "BindToDevice=" device | "Backlog=" N | "ReusePort=" bool | "FreeBind=" bool
//! listen  = "" | port | ipv4 ":" port | "[" ipv6 "]" ":" port [ "%" device ]
//!         | "/" path | "@" name | "vsock:" ...                ; errors
//! mode    = "default" | "both" | "ipv6-only"
//! ```
//!
//! A port alone is one `[::]` socket, and so is `[::]:PORT`: IPv4 too unless
//! `BindIPv6Only=ipv6-only` (`default` follows net.ipv6.bindv6only, 0 on Linux). An empty
//! `ListenStream=` clears the list, as in a drop-in.

use std::net::{IpAddr, Ipv6Addr};

use super::error::{DialectErrorKind as K, WriteErrorKind};
use super::lex::{self, Cx, Out, Partial, Read};
use super::{Binding, DialectWarning, Transport};
use crate::listen::FreeBind;
use crate::target::{BindTarget, Family, LocalInterface};

#[derive(Clone, Copy, PartialEq, Eq)]
enum V6 {
    Default,
    Both,
    Only,
}

/// A listen value before `BindIPv6Only=` is known: `None` is the IPv6 wildcard.
struct Listen<'a> {
    written: &'a str,
    target: Option<BindTarget>,
    port: u16,
    transport: Transport,
}

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let mut listens: Vec<Listen<'_>> = Vec::new();
    let mut v6: Option<V6> = None;
    let mut device: Option<&str> = None;
    let mut backlog = None;
    let mut reuse_port = false;
    let mut freebind = false;
    for setting in cx.input.split_ascii_whitespace() {
        if setting == "[Socket]" {
            continue;
        }
        let Some((key, value)) = setting.split_once('=') else {
            return cx.err(setting, K::Unexpected(setting.to_owned()));
        };
        match key {
            "ListenStream" | "ListenDatagram" => {
                let transport = if key == "ListenStream" {
                    Transport::Tcp
                } else {
                    Transport::Udp
                };
                if value.is_empty() {
                    listens.clear();
                } else {
                    listens.push(listen(cx, value, transport)?);
                }
            }
            "BindIPv6Only" => {
                if v6.is_some() {
                    return cx.err(setting, K::Duplicate("BindIPv6Only="));
                }
                v6 = Some(match value {
                    "default" => V6::Default,
                    "both" => V6::Both,
                    "ipv6-only" => V6::Only,
                    _ => return cx.err(value, invalid("BindIPv6Only", value)),
                });
            }
            "BindToDevice" => device = Some(value),
            "Backlog" => {
                let n = value
                    .parse::<u32>()
                    .map_err(|_| (cx.at(value), invalid("Backlog", value)))?;
                backlog = Some(n);
            }
            "ReusePort" => {
                reuse_port =
                    lex::boolean(value).ok_or((cx.at(value), invalid("ReusePort", value)))?;
            }
            "FreeBind" => {
                freebind = lex::boolean(value).ok_or((cx.at(value), invalid("FreeBind", value)))?;
            }
            _ => return cx.err(key, K::UnknownParameter(format!("{key}="))),
        }
    }
    if let Some(device) = device.filter(|d| !d.is_empty()) {
        return cx.err(device, K::Device(device.to_owned()));
    }
    if listens.is_empty() {
        return Err((0, K::NoAddress));
    }
    let mut out = Out::default();
    let v6 = v6.unwrap_or(V6::Default);
    for l in listens {
        let binding = match (l.target, v6) {
            (Some(target), _) => Binding::new(target),
            (None, V6::Only) => Binding::new(BindTarget::any_v6(l.port)),
            (None, mode) => {
                if mode == V6::Default {
                    out.warn(DialectWarning::SystemDefault {
                        written: l.written.to_owned(),
                    });
                }
                Binding::new(BindTarget::any(l.port)).map_options(|o| o.dual_stack(true))
            }
        };
        let binding = binding.with_transport(l.transport).map_options(|o| {
            let o = o.reuse_port(reuse_port);
            let o = if freebind {
                o.freebind(FreeBind::Always)
            } else {
                o
            };
            match backlog {
                Some(n) => o.backlog(n),
                None => o,
            }
        });
        out.push(binding);
    }
    Ok(out)
}

fn invalid(parameter: &'static str, value: &str) -> K {
    K::InvalidValue {
        parameter,
        value: value.to_owned(),
    }
}

fn listen<'a>(cx: &Cx<'_>, value: &'a str, transport: Transport) -> Result<Listen<'a>, Partial> {
    let unsupported = |form| cx.err(value, K::Unsupported(form));
    if value.starts_with('/') {
        return unsupported("a Unix socket (/PATH)");
    }
    if value.starts_with('@') {
        return unsupported("an abstract Unix socket (@NAME)");
    }
    if value.starts_with("vsock:") {
        return unsupported("an AF_VSOCK socket (vsock:CID:PORT)");
    }
    let listen = |target, port| Listen {
        written: value,
        target,
        port,
        transport,
    };
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let port = nonzero(cx, value)?;
        return Ok(listen(None, port));
    }
    if let Some(rest) = value.strip_prefix('[') {
        let Some((host, after)) = rest.split_once("]:") else {
            return cx.err(value, K::MissingPort);
        };
        let (port_text, zone) = match after.split_once('%') {
            Some((port, zone)) => (port, Some(zone)),
            None => (after, None),
        };
        let port = nonzero(cx, port_text)?;
        let (ip, inner_zone) = lex::bracketed_ip(cx, host)?;
        if inner_zone.is_some() {
            return cx.err(host, K::InvalidAddress(host.to_owned()));
        }
        if ip == IpAddr::V6(Ipv6Addr::UNSPECIFIED) && zone.is_none() {
            return Ok(listen(None, port));
        }
        return Ok(listen(
            Some(lex::ip_target(cx, host, ip, zone, port)?),
            port,
        ));
    }
    let Some((host, port_text)) = value.rsplit_once(':') else {
        return cx.err(value, K::InvalidAddress(value.to_owned()));
    };
    let port = nonzero(cx, port_text)?;
    match host.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => Ok(listen(
            Some(lex::ip_target(cx, host, ip.into(), None, port)?),
            port,
        )),
        Err(_) if host.contains(':') => cx.err(value, K::UnbracketedIpv6),
        Err(_) => cx.err(host, K::InvalidAddress(host.to_owned())),
    }
}

fn nonzero(cx: &Cx<'_>, text: &str) -> Result<u16, Partial> {
    match lex::port(cx, text)? {
        0 => cx.err(text, K::PortZero),
        port => Ok(port),
    }
}

pub(super) fn write(binding: &Binding) -> Result<String, WriteErrorKind> {
    let o = binding.options();
    let target = binding.target();
    let port = target.port();
    let key = match binding.transport() {
        Transport::Udp => "ListenDatagram",
        _ => "ListenStream",
    };
    let mut lines: Vec<String> = match target {
        BindTarget::Any {
            family: Family::Both | Family::Ipv6,
            ..
        } if o.is_dual_stack() => vec![format!("{key}=[::]:{port}"), "BindIPv6Only=both".into()],
        BindTarget::SpecificInterface {
            interface: LocalInterface::Address(addr),
            ..
        } if addr.zone().is_some() => {
            let zone = addr.zone().map(ToString::to_string).unwrap_or_default();
            vec![format!("{key}=[{}]:{port}%{zone}", addr.ip())]
        }
        _ => {
            let halves = super::halves(target)?;
            let v6_any = halves.iter().any(|ip| ip.is_ipv6() && ip.is_unspecified());
            let mut lines: Vec<String> = halves
                .into_iter()
                .map(|ip| match ip {
                    IpAddr::V4(v4) => format!("{key}={v4}:{port}"),
                    IpAddr::V6(v6) => format!("{key}=[{v6}]:{port}"),
                })
                .collect();
            if v6_any {
                lines.push("BindIPv6Only=ipv6-only".into());
            }
            lines
        }
    };
    if port == 0 {
        return Err(WriteErrorKind::PortZero);
    }
    if o.is_bind_device() && target.is_specific_interface() {
        return Err(WriteErrorKind::Option("bind_device"));
    }
    match o.get_freebind() {
        FreeBind::Never => {}
        FreeBind::Always => lines.push("FreeBind=yes".into()),
        _ => return Err(WriteErrorKind::Option("freebind=on_addr_not_available")),
    }
    if o.is_reuse_port() {
        lines.push("ReusePort=yes".into());
    }
    if let Some(backlog) = super::backlog(o) {
        lines.push(format!("Backlog={backlog}"));
    }
    Ok(lines.join("\n"))
}
