//! gunicorn's `-b` / `--bind` (settings reference, "bind"); hypercorn's `-b` reads the same.
//!
//! ```text
//! input = [ "-b" | "--bind" ] value                          ; "--bind=" too; quotes stripped
//! value = [ "tcp://" ] ( host [ ":" port ] | "[" ipv6 "]" [ ":" port ] )
//!       | "unix:" path | "fd://" n                           ; errors
//! ```
//!
//! The port defaults to 8000, so `-b 8000` is a host named "8000" (platformsh/platformsh-docs#816),
//! which the resolver reads as the IPv4 address 0.0.31.64. An IPv4 host or name gets an
//! AF_INET socket (`localhost` is 127.0.0.1); an IPv6 one an AF_INET6 socket without
//! IPV6_V6ONLY, so `[::]` follows net.ipv6.bindv6only (dual-stack on Linux's default).

use std::net::{IpAddr, Ipv4Addr};

use super::error::DialectErrorKind as K;
use super::lex::{self, Cx, Host, Out, Partial, Read};
use super::{Binding, DialectWarning};
use crate::target::BindTarget;

/// The port of a host without one.
pub(super) const DEFAULT_PORT: u16 = 8000;

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let value = lex::unquote(lex::strip_flag(cx.input, &["-b", "--bind"]));
    if let Some(extra) = value.split_ascii_whitespace().nth(1) {
        return cx.err(extra, K::Unexpected(extra.to_owned()));
    }
    let mut out = Out::default();
    let binding = bind(cx, value, &mut out)?;
    out.push(binding);
    Ok(out)
}

/// One bind value, as gunicorn's `util.parse_address` and `sock.create_sockets` read it.
pub(super) fn bind(cx: &Cx<'_>, value: &str, out: &mut Out) -> Result<Binding, Partial> {
    if value.starts_with("unix:") {
        return cx.err(value, K::Unsupported("a Unix socket (unix:PATH)"));
    }
    if value.starts_with("fd://") {
        return cx.err(
            value,
            K::Unsupported("an inherited file descriptor (fd://FD)"),
        );
    }
    let value = value.strip_prefix("tcp://").unwrap_or(value);
    let hp = lex::split_host_port(cx, value)?;
    let port = match hp.port {
        Some(text) => lex::port(cx, text)?,
        None => {
            out.warn(DialectWarning::DefaultPort { port: DEFAULT_PORT });
            DEFAULT_PORT
        }
    };
    if hp.bracketed {
        let (ip, zone) = lex::bracketed_ip(cx, hp.host)?;
        if ip.is_unspecified() {
            out.warn(DialectWarning::SystemDefault {
                written: value.to_owned(),
            });
            return Ok(Binding::new(BindTarget::any(port)).map_options(|o| o.dual_stack(true)));
        }
        return Ok(Binding::new(lex::ip_target(cx, hp.host, ip, zone, port)?));
    }
    if !hp.host.is_empty() && hp.host.bytes().all(|b| b.is_ascii_digit()) {
        // inet_aton's one-number form: "8000" is the 32-bit address 8000.
        let Ok(n) = hp.host.parse::<u32>() else {
            return cx.err(hp.host, K::InvalidAddress(hp.host.to_owned()));
        };
        let address = Ipv4Addr::from(n);
        out.warnings
            .retain(|w| !matches!(w, DialectWarning::DefaultPort { .. }));
        out.warn(DialectWarning::HostIsPort {
            written: hp.host.to_owned(),
            address,
            port,
        });
        return Ok(Binding::new(lex::ip_target(
            cx,
            hp.host,
            address.into(),
            None,
            port,
        )?));
    }
    match lex::host(cx, hp.host)? {
        Host::Empty => {
            out.warn(DialectWarning::Ipv4Only {
                written: value.to_owned(),
                port,
            });
            Ok(Binding::new(BindTarget::any_v4(port)))
        }
        Host::Ip(ip @ IpAddr::V4(_), None) => {
            Ok(Binding::new(lex::ip_target(cx, hp.host, ip, None, port)?))
        }
        Host::Localhost => {
            let target = BindTarget::loopback_v4(port);
            out.warn(DialectWarning::FirstAddressOfName {
                name: hp.host.to_owned(),
                target: target.clone(),
            });
            Ok(Binding::new(target))
        }
        Host::Name(name) => lex::host_name(cx, name),
        Host::Star | Host::Ip(..) => cx.err(hp.host, K::InvalidAddress(hp.host.to_owned())),
    }
}
