//! Envoy's `SocketAddress` (API reference, config.core.v3.SocketAddress).
//!
//! ```text
//! input = [ "socket_address:" ] [ "{" ] field *( ( "," | whitespace ) field ) [ "}" ]
//! field = key ( "=" | ": " ) value                            ; quotes around values stripped
//! key   = "address" | "port_value" | "ipv4_compat" | "protocol"
//!       | "named_port" | "resolver_name" | "network_namespace_filepath"   ; errors
//! ```
//!
//! A listener's address is an IP: `0.0.0.0` is IPv4, `::` is IPv6 only unless
//! `ipv4_compat: true`, which makes it one dual-stack socket.

use super::error::DialectErrorKind as K;
use super::lex::{self, Cx, Host, Out, Partial, Read};
use super::{Binding, DialectWarning, Transport};
use crate::target::BindTarget;

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let mut address: Option<&str> = None;
    let mut port: Option<u16> = None;
    let mut compat: Option<&str> = None;
    let mut transport = Transport::Tcp;
    for (key, value) in fields(cx)? {
        let once = |seen: bool, name| {
            if seen {
                cx.err(key, K::Duplicate(name))
            } else {
                Ok(())
            }
        };
        match key {
            "address" => {
                once(address.is_some(), "address")?;
                address = Some(value);
            }
            "port_value" => {
                once(port.is_some(), "port_value")?;
                port = Some(lex::port(cx, value)?);
            }
            "ipv4_compat" => {
                lex::boolean(value).ok_or((cx.at(value), invalid("ipv4_compat", value)))?;
                compat = Some(value);
            }
            "protocol" => {
                transport = match value {
                    "TCP" => Transport::Tcp,
                    "UDP" => Transport::Udp,
                    _ => return cx.err(value, invalid("protocol", value)),
                };
            }
            "named_port" => return cx.err(key, K::Unsupported("a named port (named_port)")),
            "resolver_name" => {
                return cx.err(key, K::Unsupported("a custom resolver (resolver_name)"));
            }
            "network_namespace_filepath" => {
                return cx.err(
                    key,
                    K::Unsupported("a network namespace (network_namespace_filepath)"),
                );
            }
            _ => return cx.err(key, K::UnknownParameter(key.to_owned())),
        }
    }
    let Some(address) = address else {
        return Err((cx.input.len(), K::MissingField("address")));
    };
    let Some(port) = port else {
        return Err((cx.input.len(), K::MissingField("port_value")));
    };
    let ipv4_compat = compat.and_then(lex::boolean).unwrap_or(false);
    let mut out = Out::default();
    let binding = match lex::host(cx, address)? {
        Host::Ip(ip, None) if ip.is_ipv6() && ip.is_unspecified() => {
            if ipv4_compat {
                Binding::new(BindTarget::any(port)).map_options(|o| o.dual_stack(true))
            } else {
                Binding::new(BindTarget::any_v6(port))
            }
        }
        Host::Ip(ip, zone) => {
            if let Some(compat) = compat.filter(|_| ipv4_compat) {
                out.warn(DialectWarning::Ignored {
                    parameter: format!("ipv4_compat: {compat}"),
                    reason: "it applies to :: only",
                });
            }
            Binding::new(lex::ip_target(cx, address, ip, zone, port)?)
        }
        Host::Localhost | Host::Name(_) => return lex::host_name(cx, address),
        Host::Empty | Host::Star => return cx.err(address, K::InvalidAddress(address.to_owned())),
    };
    out.push(binding.with_transport(transport));
    Ok(out)
}

fn invalid(parameter: &'static str, value: &str) -> K {
    K::InvalidValue {
        parameter,
        value: value.to_owned(),
    }
}

/// The `key: value` or `key=value` fields, values unquoted.
fn fields<'a>(cx: &Cx<'a>) -> Result<Vec<(&'a str, &'a str)>, Partial> {
    let input = cx.input.trim();
    let input = input
        .strip_prefix("socket_address:")
        .unwrap_or(input)
        .trim();
    let input = input
        .strip_prefix('{')
        .and_then(|i| i.strip_suffix('}'))
        .unwrap_or(input);
    let mut fields = Vec::new();
    let mut words = input
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    while let Some(word) = words.next() {
        if let Some((key, value)) = word.split_once('=') {
            fields.push((key, lex::unquote(value)));
        } else if let Some(key) = word.strip_suffix(':') {
            let Some(value) = words.next() else {
                return cx.err(word, K::MissingValue("this field"));
            };
            fields.push((key, lex::unquote(value)));
        } else {
            return cx.err(word, K::Unexpected(word.to_owned()));
        }
    }
    Ok(fields)
}
