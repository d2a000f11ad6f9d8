//! Node.js `server.listen(port, host)` (net module, "server.listen(options[, callback])" and
//! "server.listen(port[, host][, backlog][, callback])").
//!
//! ```text
//! input = port [ host ] [ "ipv6Only" ]                       ; words
//!       | [ "server." ] "listen(" port [ "," quoted-host ] ")" [ ";" ]
//! ```
//!
//! Without a host Node listens on `::` when IPv6 is available (dual-stack; `0.0.0.0`
//! otherwise), and so does `::` unless `ipv6Only`. A name is looked up and one address bound.

use super::Binding;
use super::error::DialectErrorKind as K;
use super::lex::{self, Cx, Host, Out, Read};
use crate::target::BindTarget;

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let input = cx.input.trim();
    let args: Vec<&str> = match call(input) {
        Some(args) => args.split(',').map(|a| lex::unquote(a.trim())).collect(),
        None => input.split_ascii_whitespace().collect(),
    };
    let mut args = args.into_iter();
    let port_text = args.next().unwrap_or_default();
    if port_text.starts_with(['/', '\\']) {
        return cx.err(
            port_text,
            K::Unsupported("a Unix socket or Windows named pipe (a path)"),
        );
    }
    let port = lex::port(cx, port_text)?;
    let mut host = None;
    let mut ipv6_only = false;
    for arg in args {
        match arg {
            "ipv6Only" | "ipv6Only=true" => ipv6_only = true,
            _ if host.is_none() => host = Some(arg),
            _ => return cx.err(arg, K::Unexpected(arg.to_owned())),
        }
    }
    let mut out = Out::default();
    let target = match host.map(|h| (h, lex::host(cx, h))) {
        None => (BindTarget::any(port), !ipv6_only),
        Some((_, Ok(Host::Ip(ip, None)))) if ip.is_ipv6() && ip.is_unspecified() => {
            if ipv6_only {
                (BindTarget::any_v6(port), false)
            } else {
                (BindTarget::any(port), true)
            }
        }
        Some((h, Ok(Host::Ip(ip, zone)))) => (lex::ip_target(cx, h, ip, zone, port)?, false),
        Some((h, Ok(Host::Localhost))) => {
            return cx.err(h, K::AmbiguousName(h.to_owned()));
        }
        Some((h, Ok(Host::Name(_)))) => return lex::host_name(cx, h),
        Some((h, Ok(_))) => return cx.err(h, K::InvalidAddress(h.to_owned())),
        Some((_, Err(e))) => return Err(e),
    };
    let (target, dual) = target;
    // `listen(port)` without a host and with ipv6Only: IPv6 only.
    let target = if host.is_none() && ipv6_only {
        BindTarget::any_v6(port)
    } else {
        target
    };
    let binding = Binding::new(target);
    out.push(if dual {
        binding.map_options(|o| o.dual_stack(true))
    } else {
        binding
    });
    Ok(out)
}

/// The arguments of `listen(...)`.
fn call(input: &str) -> Option<&str> {
    let input = input.strip_suffix(';').unwrap_or(input);
    let input = input.strip_prefix("server.").unwrap_or(input);
    input.strip_prefix("listen(")?.strip_suffix(')')
}
