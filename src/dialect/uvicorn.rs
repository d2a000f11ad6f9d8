//! uvicorn's `--host`, `--port`, `--workers` and `--reload` (settings, "Socket Binding" and
//! "Development"), or hypercorn's `-b` (configuration, "bind").
//!
//! ```text
//! input = [ "uvicorn" | "hypercorn" ] [ app ] *arg
//! arg   = "--host" host | "--port" port | "--workers" n | "--reload"   ; "--flag=value" too
//!       | "-b" bind | "--bind" bind                           ; hypercorn, as gunicorn's -b
//!       | "--uds" path | "--fd" n                            ; errors
//! ```
//!
//! uvicorn's defaults are 127.0.0.1 and 8000. With one worker asyncio binds every address of
//! the host and sets IPV6_V6ONLY, so `--host ::` is IPv6 only; with `--workers` above 1 or
//! `--reload` uvicorn binds one socket itself (AF_INET6 when the host has a ':', without
//! IPV6_V6ONLY), so `--host ::` is dual-stack and `localhost` is 127.0.0.1 (Kludex/uvicorn#2945).

use super::error::DialectErrorKind as K;
use super::lex::{self, Cx, Host, Out, Read};
use super::{Binding, DialectWarning, gunicorn};
use crate::target::BindTarget;

const DEFAULT_PORT: u16 = 8000;

pub(super) fn read(cx: &Cx<'_>) -> Read {
    let mut out = Out::default();
    let mut host: Option<&str> = None;
    let mut port: Option<u16> = None;
    let mut workers: u32 = 1;
    let mut reload = false;
    let mut binds: Vec<&str> = Vec::new();
    // The one positional argument is the app (`main:app`); a second is an error.
    let mut app_seen = false;
    let mut words = cx.input.split_ascii_whitespace().peekable();
    if matches!(words.peek(), Some(&("uvicorn" | "hypercorn"))) {
        words.next();
    }
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
            _ => (word, None),
        };
        let mut value = |name: &'static str| match inline.or_else(|| words.next()) {
            Some(value) => Ok(lex::unquote(value)),
            None => cx.err(word, K::MissingValue(name)),
        };
        match flag {
            "--host" => host = Some(value("--host")?),
            "--port" => {
                let text = value("--port")?;
                port = Some(lex::port(cx, text)?);
            }
            "--workers" => {
                let text = value("--workers")?;
                workers = text.parse::<u32>().map_err(|_| {
                    (
                        cx.at(text),
                        K::InvalidValue {
                            parameter: "--workers",
                            value: text.to_owned(),
                        },
                    )
                })?;
            }
            "--reload" => reload = true,
            "-b" | "--bind" => binds.push(value("--bind")?),
            "--uds" => return cx.err(word, K::Unsupported("a Unix socket (--uds PATH)")),
            "--fd" => {
                return cx.err(
                    word,
                    K::Unsupported("an inherited file descriptor (--fd N)"),
                );
            }
            _ if !word.starts_with('-') && !app_seen => app_seen = true,
            _ => return cx.err(word, K::UnknownParameter(word.to_owned())),
        }
    }
    if !binds.is_empty() {
        if let Some(host) = host {
            return cx.err(host, K::Unexpected(host.to_owned()));
        }
        for bind in binds {
            let binding = gunicorn::bind(cx, bind, &mut out)?;
            out.push(binding);
        }
        return Ok(out);
    }
    let port = port.unwrap_or_else(|| {
        out.warn(DialectWarning::DefaultPort { port: DEFAULT_PORT });
        DEFAULT_PORT
    });
    let one_socket = workers > 1 || reload;
    let Some(host) = host else {
        let target = BindTarget::loopback_v4(port);
        out.warn(DialectWarning::DefaultAddress {
            target: target.clone(),
        });
        out.push(Binding::new(target));
        return Ok(out);
    };
    let binding = match lex::host(cx, host)? {
        Host::Ip(ip, zone) if ip.is_ipv6() && ip.is_unspecified() && zone.is_none() => {
            out.warn(DialectWarning::DependsOnWorkers {
                host: host.to_owned(),
            });
            if one_socket {
                Binding::new(BindTarget::any(port)).map_options(|o| o.dual_stack(true))
            } else {
                Binding::new(BindTarget::any_v6(port))
            }
        }
        Host::Ip(ip, zone) => Binding::new(lex::ip_target(cx, host, ip, zone, port)?),
        Host::Localhost if one_socket => {
            let target = BindTarget::loopback_v4(port);
            out.warn(DialectWarning::FirstAddressOfName {
                name: host.to_owned(),
                target: target.clone(),
            });
            Binding::new(target)
        }
        Host::Localhost => {
            out.warn(DialectWarning::NameLookedUp {
                name: host.to_owned(),
            });
            Binding::new(BindTarget::loopback(port))
        }
        Host::Name(name) => return lex::host_name(cx, name),
        Host::Empty | Host::Star => return cx.err(host, K::InvalidAddress(host.to_owned())),
    };
    out.push(binding);
    Ok(out)
}
