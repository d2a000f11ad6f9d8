//! `kubectl port-forward`'s `--address` and ports (kubectl reference, "kubectl port-forward").
//!
//! ```text
//! input = [ "kubectl" ] [ "port-forward" ] [ resource ] *( "--address" addresses | ports )
//! addresses = address *( "," address )                       ; default: localhost
//! address   = "localhost" | ipv4 | ipv6                      ; names are refused by kubectl
//! ports     = [ local ] ":" remote | port                    ; ":80" picks a local port
//! ```
//!
//! `localhost` is 127.0.0.1 and ::1, and kubectl fails only when neither binds; an IPv4
//! address listens on tcp4 and an IPv6 one on tcp6 (IPV6_V6ONLY), so `::` is IPv6 only.

use std::net::IpAddr;

use super::error::DialectErrorKind as K;
use super::lex::{self, Cx, Host, Out, Partial, Read};
use super::{Binding, DialectWarning};
use crate::target::BindTarget;

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let mut addresses: Vec<&str> = Vec::new();
    let mut ports: Vec<u16> = Vec::new();
    let mut words = cx.input.split_ascii_whitespace().peekable();
    for skip in ["kubectl", "port-forward"] {
        if words.peek() == Some(&skip) {
            words.next();
        }
    }
    let mut resource = false;
    while let Some(word) = words.next() {
        if let Some(list) = word.strip_prefix("--address=") {
            addresses.extend(list.split(','));
        } else if word == "--address" {
            let Some(list) = words.next() else {
                return cx.err(word, K::MissingValue("--address"));
            };
            addresses.extend(list.split(','));
        } else if word.starts_with(|c: char| c.is_ascii_digit() || c == ':') {
            ports.push(local_port(cx, word)?);
        } else if !resource && !word.starts_with('-') {
            resource = true;
        } else {
            return cx.err(word, K::UnknownParameter(word.to_owned()));
        }
    }
    if ports.is_empty() {
        return Err((cx.input.len(), K::MissingPort));
    }
    let mut out = Out::default();
    if addresses.is_empty() {
        addresses.push("localhost");
    }
    for port in ports {
        for address in &addresses {
            let target = match lex::host(cx, address)? {
                Host::Localhost => {
                    out.warn(DialectWarning::EitherFamily);
                    BindTarget::loopback(port)
                }
                Host::Ip(ip @ (IpAddr::V4(_) | IpAddr::V6(_)), zone) => {
                    lex::ip_target(cx, address, ip, zone, port)?
                }
                Host::Name(name) => return lex::host_name(cx, name),
                _ => return cx.err(address, K::InvalidAddress((*address).to_owned())),
            };
            out.push(Binding::new(target));
        }
    }
    Ok(out)
}

/// `LOCAL:REMOTE`, `:REMOTE` or `PORT`: the local port (0 for one kubectl picks).
fn local_port(cx: &Cx<'_>, word: &str) -> Result<u16, Partial> {
    let (local, remote) = match word.split_once(':') {
        Some((local, remote)) => (local, remote),
        None => (word, word),
    };
    if lex::port(cx, remote)? == 0 {
        return cx.err(remote, K::PortZero);
    }
    if local.is_empty() {
        return Ok(0);
    }
    lex::port(cx, local)
}
