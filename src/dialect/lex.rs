//! The pieces every dialect's parser shares: offsets, words, ports, hosts and IP literals.
//!
//! Every piece a parser handles is a subslice of the input, so its offset is the distance
//! between the two pointers ([`at`]); errors carry absolute offsets from the start.

use std::net::IpAddr;

use super::error::DialectErrorKind;
use super::{Binding, DialectWarning};
use crate::target::{BindTarget, parse_port};

/// An error before it knows the dialect: the byte offset into the input and the reason.
pub(super) type Partial = (usize, DialectErrorKind);

/// What one parser returns.
pub(super) type Read = Result<Out, Partial>;

/// A parser's result, before pairs are merged.
#[derive(Default)]
pub(super) struct Out {
    pub(super) bindings: Vec<Binding>,
    pub(super) warnings: Vec<DialectWarning>,
}

impl Out {
    pub(super) fn push(&mut self, binding: Binding) {
        self.bindings.push(binding);
    }

    pub(super) fn warn(&mut self, warning: DialectWarning) {
        self.warnings.push(warning);
    }
}

/// The input being read.
pub(super) struct Cx<'a> {
    pub(super) input: &'a str,
}

impl<'a> Cx<'a> {
    pub(super) fn new(input: &'a str) -> Self {
        Cx { input }
    }

    /// The offset of `piece`, a subslice of the input.
    pub(super) fn at(&self, piece: &str) -> usize {
        at(self.input, piece)
    }

    /// An error at `piece`.
    pub(super) fn err<T>(&self, piece: &str, kind: DialectErrorKind) -> Result<T, Partial> {
        Err((self.at(piece), kind))
    }
}

/// The byte offset of `inner` in `outer`; `inner` must be a subslice of `outer` (0 otherwise).
pub(crate) fn at(outer: &str, inner: &str) -> usize {
    let offset = (inner.as_ptr() as usize).wrapping_sub(outer.as_ptr() as usize);
    if offset <= outer.len() { offset } else { 0 }
}

/// A port: 0-65535, ASCII digits, no sign, no leading zero.
pub(super) fn port(cx: &Cx<'_>, text: &str) -> Result<u16, Partial> {
    parse_port(text).map_err(|e| {
        (
            cx.at(text) + e.offset(),
            DialectErrorKind::Port(e.kind().clone()),
        )
    })
}

/// `P` or `FIRST-LAST` (first at most last): every port of it.
pub(super) fn port_range(cx: &Cx<'_>, text: &str) -> Result<Vec<u16>, Partial> {
    let Some((first, last)) = text.split_once('-') else {
        return Ok(vec![port(cx, text)?]);
    };
    let (a, b) = (port(cx, first)?, port(cx, last)?);
    if a > b {
        return cx.err(text, DialectErrorKind::ReversedRange);
    }
    Ok((a..=b).collect())
}

/// A host as written, before any tool's meaning is given to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Host<'a> {
    /// Nothing before the colon.
    Empty,
    /// `*`.
    Star,
    /// An IP literal, with the zone text after `%` if any.
    Ip(IpAddr, Option<&'a str>),
    /// `localhost`, ASCII case-insensitive.
    Localhost,
    /// Any other name.
    Name(&'a str),
}

/// What `text` (without brackets) is.
pub(super) fn host<'a>(cx: &Cx<'_>, text: &'a str) -> Result<Host<'a>, Partial> {
    if text.is_empty() {
        return Ok(Host::Empty);
    }
    if text == "*" {
        return Ok(Host::Star);
    }
    let (addr, zone) = match text.split_once('%') {
        Some((addr, zone)) => (addr, Some(zone)),
        None => (text, None),
    };
    if let Ok(ip) = addr.parse::<IpAddr>() {
        return Ok(Host::Ip(ip, zone));
    }
    if addr.contains(':') {
        return cx.err(text, DialectErrorKind::InvalidAddress(text.to_owned()));
    }
    if addr.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return cx.err(text, DialectErrorKind::InvalidAddress(text.to_owned()));
    }
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(Host::Localhost);
    }
    if text.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')) {
        return cx.err(text, DialectErrorKind::InvalidAddress(text.to_owned()));
    }
    Ok(Host::Name(text))
}

/// `HOST:PORT` or `[HOST]:PORT`, the port optional; more than one colon outside brackets is
/// an unbracketed IPv6 address.
pub(super) struct HostPort<'a> {
    pub(super) host: &'a str,
    pub(super) bracketed: bool,
    pub(super) port: Option<&'a str>,
}

pub(super) fn split_host_port<'a>(cx: &Cx<'_>, text: &'a str) -> Result<HostPort<'a>, Partial> {
    if let Some(rest) = text.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return cx.err(text, DialectErrorKind::MissingBracket);
        };
        if host.is_empty() {
            return cx.err(text, DialectErrorKind::InvalidAddress("[]".to_owned()));
        }
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return cx.err(after, DialectErrorKind::Unexpected(after.to_owned())),
        };
        return Ok(HostPort {
            host,
            bracketed: true,
            port,
        });
    }
    match text.split_once(':') {
        None => Ok(HostPort {
            host: text,
            bracketed: false,
            port: None,
        }),
        Some((_, port)) if port.contains(':') => cx.err(text, DialectErrorKind::UnbracketedIpv6),
        Some((host, port)) => Ok(HostPort {
            host,
            bracketed: false,
            port: Some(port),
        }),
    }
}

/// The IP address in brackets: IPv6, with an optional zone.
pub(super) fn bracketed_ip<'a>(
    cx: &Cx<'_>,
    text: &'a str,
) -> Result<(IpAddr, Option<&'a str>), Partial> {
    match host(cx, text) {
        Ok(Host::Ip(ip @ IpAddr::V6(_), zone)) => Ok((ip, zone)),
        Ok(Host::Ip(IpAddr::V4(_), _)) => cx.err(text, DialectErrorKind::BracketedIpv4),
        _ => cx.err(text, DialectErrorKind::InvalidAddress(text.to_owned())),
    }
}

/// The target for one IP literal (`written` is its text in the input, for offsets).
pub(super) fn ip_target(
    cx: &Cx<'_>,
    written: &str,
    ip: IpAddr,
    zone: Option<&str>,
    port: u16,
) -> Result<BindTarget, Partial> {
    let Some(zone) = zone else {
        return BindTarget::ip(ip, port)
            .map_err(|e| (cx.at(written), DialectErrorKind::Address(e.kind().clone())));
    };
    format!("[{ip}%{zone}]:{port}")
        .parse::<BindTarget>()
        .map_err(|e| (cx.at(written), DialectErrorKind::Address(e.kind().clone())))
}

/// The error for a host name: bindpolicy never looks one up.
pub(super) fn host_name<T>(cx: &Cx<'_>, name: &str) -> Result<T, Partial> {
    cx.err(name, DialectErrorKind::HostName(name.to_owned()))
}

/// `input` without one of `flags` and the space (or `=`) after it, if it starts with one.
pub(super) fn strip_flag<'a>(input: &'a str, flags: &[&str]) -> &'a str {
    for flag in flags {
        if let Some(rest) = input.strip_prefix(flag) {
            if let Some(value) = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('=')) {
                return value.trim_start_matches(' ');
            }
        }
    }
    input
}

/// `text` without one pair of matching quotes (`'` or `"`) around it.
pub(super) fn unquote(text: &str) -> &str {
    for q in ['\'', '"'] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return inner;
        }
    }
    text
}

/// A `yes`/`no` value (systemd's booleans and Envoy's `true`/`false`).
pub(super) fn boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" | "1" => Some(true),
        "no" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn host_of(text: &str) -> Result<Host<'_>, Partial> {
        // The input is the text itself, so offsets are from its start.
        host(&Cx::new(text), text)
    }

    fn invalid(text: &str) -> Result<Host<'_>, Partial> {
        Err((0, DialectErrorKind::InvalidAddress(text.to_owned())))
    }

    #[test]
    fn a_host_is_an_ip_a_name_or_invalid() {
        assert_eq!(host_of(""), Ok(Host::Empty));
        assert_eq!(host_of("*"), Ok(Host::Star));
        assert_eq!(host_of("LocalHost"), Ok(Host::Localhost));
        assert_eq!(
            host_of("::1%lo"),
            Ok(Host::Ip("::1".parse().unwrap(), Some("lo")))
        );
        // Digits and dots that are no IPv4 address are a mistyped address, not a name.
        assert_eq!(host_of("1.2.3"), invalid("1.2.3"));
        assert_eq!(host_of("256.0.0.1"), invalid("256.0.0.1"));
        assert_eq!(host_of("fe80::zz"), invalid("fe80::zz"));
        // A name has letters, digits, '-', '.' and '_' only.
        assert_eq!(
            host_of("web-1_a.example"),
            Ok(Host::Name("web-1_a.example"))
        );
        assert_eq!(host_of("web/1"), invalid("web/1"));
        assert_eq!(host_of("a b"), invalid("a b"));
    }

    #[test]
    fn brackets_hold_ipv6_and_end_the_host() {
        let text = "[::1]x";
        let err = split_host_port(&Cx::new(text), text).err();
        assert_eq!(err, Some((5, DialectErrorKind::Unexpected("x".to_owned()))));
        let text = "[::1]";
        let hp = split_host_port(&Cx::new(text), text).unwrap();
        assert_eq!((hp.host, hp.bracketed, hp.port), ("::1", true, None));
        let text = "127.0.0.1";
        assert_eq!(
            bracketed_ip(&Cx::new(text), text),
            Err((0, DialectErrorKind::BracketedIpv4))
        );
        assert_eq!(
            bracketed_ip(&Cx::new("web"), "web"),
            Err((0, DialectErrorKind::InvalidAddress("web".to_owned())))
        );
    }

    #[test]
    fn booleans_are_systemds_words() {
        for yes in ["yes", "true", "on", "1", "YES"] {
            assert_eq!(boolean(yes), Some(true), "{yes}");
        }
        for no in ["no", "false", "off", "0", "Off"] {
            assert_eq!(boolean(no), Some(false), "{no}");
        }
        for neither in ["", "2", "maybe", "y"] {
            assert_eq!(boolean(neither), None, "{neither}");
        }
    }

    #[test]
    fn a_range_of_one_port_is_that_port() {
        let cx = Cx::new("80-80");
        assert_eq!(port_range(&cx, cx.input), Ok(vec![80]));
        let cx = Cx::new("81-80");
        assert_eq!(
            port_range(&cx, cx.input),
            Err((0, DialectErrorKind::ReversedRange))
        );
    }
}
