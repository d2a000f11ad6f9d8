//! A Caddy network address (docs, "Conventions", "Network addresses").
//!
//! ```text
//! input   = [ network "/" ] [ host ] ":" port [ "-" port ]
//! network = "tcp" | "tcp4" | "tcp6" | "udp" | "udp4" | "udp6"
//!         | "unix" | "unixgram" | "unixpacket" | "fd" | "fdgram"   ; errors
//! ```
//!
//! Caddy listens through Go's `net.Listen`, so `:8080` is one dual-stack socket; a port range
//! is one listener per port.

use super::error::DialectErrorKind as K;
use super::lex::{self, Cx, Out, Read};
use super::netgo;

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let input = cx.input.trim();
    let (network, address) = match input.split_once('/') {
        Some((network, address)) => (network, address),
        None => ("tcp", input),
    };
    let net = match network {
        "unix" | "unixgram" | "unixpacket" => {
            return cx.err(network, K::Unsupported("a Unix socket (unix/PATH)"));
        }
        "fd" | "fdgram" => {
            return cx.err(
                network,
                K::Unsupported("an inherited file descriptor (fd/N)"),
            );
        }
        _ => netgo::network_of(cx, network)?,
    };
    let hp = lex::split_host_port(cx, address)?;
    let Some(ports) = hp.port else {
        return cx.err(address, K::MissingPort);
    };
    let mut out = Out::default();
    for port in lex::port_range(cx, ports)? {
        let binding = netgo::listen(cx, net, hp.host, hp.bracketed, port, &mut out)?;
        out.push(binding);
    }
    Ok(out)
}
