//! A Traefik entryPoint `address` (reference, "EntryPoints", "address").
//!
//! ```text
//! input = [ host ] ":" port [ "/tcp" | "/udp" ]
//! ```
//!
//! Traefik listens through Go's `net.Listen`, so `:80` is one dual-stack socket.

use super::error::DialectErrorKind as K;
use super::lex::{self, Cx, Out, Read};
use super::netgo;

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let input = lex::unquote(cx.input.trim());
    let (address, network) = match input.rsplit_once('/') {
        Some((address, "tcp")) => (address, "tcp"),
        Some((address, "udp")) => (address, "udp"),
        Some((_, proto)) => {
            return cx.err(
                proto,
                K::InvalidValue {
                    parameter: "protocol",
                    value: proto.to_owned(),
                },
            );
        }
        None => (input, "tcp"),
    };
    let net = netgo::network_of(cx, network)?;
    let hp = lex::split_host_port(cx, address)?;
    let Some(port) = hp.port else {
        return cx.err(address, K::MissingPort);
    };
    let port = lex::port(cx, port)?;
    let mut out = Out::default();
    let binding = netgo::listen(cx, net, hp.host, hp.bracketed, port, &mut out)?;
    out.push(binding);
    Ok(out)
}
