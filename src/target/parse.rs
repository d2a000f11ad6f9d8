//! The bind target grammar, as small functions behind `BindTarget`'s `FromStr`.
//!
//! ```text
//! target    = "*" ":" port | ":" port | "any" ":" port          ; Any, both families
//!           | "localhost" ":" port | "loopback" ":" port         ; Loopback, both families
//!           | ipv4 ":" port                                      ; 0.0.0.0, 127.0.0.1, or one address
//!           | "[" ipv6 [ "%" zone ] "]" ":" port                 ; [::], [::1], or one address
//!           | ifname ":" port                                    ; every address of an interface
//!           | "port" ":" port [ "-" port ]                       ; client source port(s)
//!           | ( "fd" | "sd-listen" ) ":" ( fd | fdname )         ; a handed-over socket
//! fd        = nonzero-digit *digit                               ; 3 or more
//! fdname    = 1*255 printable ASCII but ":" "$", not only digits ; FileDescriptorName=
//! port      = "0" | nonzero-digit *digit                         ; 0-65535, ASCII, no sign
//! zone      = ifname | nonzero-index
//! ```
//!
//! Keywords are ASCII case-insensitive. A host of only digits and dots is an IPv4 literal. Any
//! other host is an interface name; whether it exists is `resolve()`'s question. docs/grammar.md
//! has the full table with every rejection.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::str::FromStr;

use super::error::{ParseError, ParseErrorKind, Subject};
use super::{
    BindTarget, Inherited, InterfaceName, LocalAddress, LocalInterface, PortRange, Zone,
    is_link_local_v6,
};

impl FromStr for BindTarget {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Self, ParseError> {
        parse_target(input)
    }
}

impl FromStr for PortRange {
    type Err = ParseError;

    /// `40000` or `40000-40100`, as after `port:`.
    fn from_str(input: &str) -> Result<Self, ParseError> {
        parse_range(input, 0)
            .map_err(|(offset, kind)| ParseError::new(input, offset, kind).of(Subject::PortRange))
    }
}

/// An error before it knows the whole input: the byte offset into the input and the reason.
type Partial = (usize, ParseErrorKind);

fn parse_target(input: &str) -> Result<BindTarget, ParseError> {
    parse(input, Suggest::Yes)
}

/// Whether a did-you-mean is computed. A suggestion is checked by parsing it, and that check
/// must not suggest in turn: `%252525…` or `tcp://tcp://…` would recurse once per layer, and
/// a long enough config value would overflow the stack.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Suggest {
    Yes,
    No,
}

/// Whether `spec` parses, without building any did-you-mean.
fn parses(spec: &str) -> bool {
    parse(spec, Suggest::No).is_ok()
}

fn parse(input: &str, suggest: Suggest) -> Result<BindTarget, ParseError> {
    if input.starts_with(|c: char| c.is_ascii_digit() || c == '[') {
        if let Some(target) = parse_socket_addr_fast(input) {
            return Ok(target);
        }
    }
    let err = |(offset, kind): Partial| {
        let e = ParseError::new(input, offset, kind);
        match suggest {
            Suggest::Yes => with_fix(e),
            Suggest::No => e,
        }
    };
    if input.is_empty() {
        return Err(err((0, ParseErrorKind::Empty)));
    }
    if let Some(at) = input.find(char::is_whitespace) {
        return Err(err((at, ParseErrorKind::Whitespace)));
    }
    if let Some(at) = input.find("://") {
        let rest = input.get(at + 3..).unwrap_or_default();
        let e = err((0, ParseErrorKind::Scheme));
        // gunicorn's and service-binding's `fd://3` is this grammar's `fd:3`.
        let fd = format!("fd:{rest}");
        let is_fd = input
            .get(..at)
            .is_some_and(|s| s.eq_ignore_ascii_case("fd"));
        return Err(if suggest == Suggest::Yes && is_fd && parses(&fd) {
            e.suggest(fd, "")
        } else if suggest == Suggest::Yes && parses(rest) {
            e.suggest(rest, "")
        } else {
            e
        });
    }
    if let Some(at) = input.find('$') {
        return Err(err((at, ParseErrorKind::Variable)));
    }
    if input.bytes().all(|b| b.is_ascii_digit()) {
        let mut e = err((0, ParseErrorKind::BarePort));
        if parse_port(input, 0).is_ok() {
            e = e
                .suggest(format!(":{input}"), "all interfaces")
                .suggest(format!("localhost:{input}"), "this machine only")
                .suggest(format!("port:{input}"), "client source port");
        }
        return Err(e);
    }
    if input.starts_with('[') {
        return parse_bracketed(input).map_err(err);
    }
    match input.split_once(':') {
        None => Err(err(missing_port(input))),
        Some((host, port_text)) => {
            let colon = host.len();
            if let Some(second) = port_text.find(':') {
                return Err(extra_colon(input, colon + 1 + second, suggest));
            }
            parse_host_port(host, port_text, colon + 1).map_err(err)
        }
    }
}

/// The common literal forms (`192.168.1.5:80`, `[2001:db8::5]:80`, `[fe80::1%3]:80`) through
/// std's `SocketAddr` parser, which is as strict as ours about the address. `None` sends the
/// input to the full parser, which also explains any rejection; so this only has to be right
/// about what it accepts: no leading zero in the port or zone, zone 0 refused, and the
/// addresses `reject_ip` refuses left to the full parser.
fn parse_socket_addr_fast(input: &str) -> Option<BindTarget> {
    let addr: SocketAddr = input.parse().ok()?;
    let (rest, port_text) = input.rsplit_once(':')?;
    if port_text.len() > 1 && port_text.starts_with('0') {
        return None;
    }
    if reject_ip(addr.ip()).is_some() {
        return None;
    }
    // What `LocalAddress::new` would check is checked here (wildcards and loopbacks become
    // their own variants, `reject_ip` ran above, a zone only on link-local), so the address is
    // built directly: the Result of a constructor costs more than this whole path.
    let specific = |ip: IpAddr, zone: Option<Zone>, port: u16| BindTarget::SpecificInterface {
        interface: LocalInterface::Address(LocalAddress { ip, zone }),
        port,
    };
    match addr {
        SocketAddr::V4(v4) => Some(match *v4.ip() {
            Ipv4Addr::UNSPECIFIED => BindTarget::any_v4(v4.port()),
            Ipv4Addr::LOCALHOST => BindTarget::loopback_v4(v4.port()),
            ip => specific(IpAddr::V4(ip), None, v4.port()),
        }),
        SocketAddr::V6(v6) => {
            let zone = match rest.split_once('%') {
                None => None,
                Some((_, zone)) => {
                    let digits = zone.strip_suffix(']')?;
                    if digits.starts_with('0') || !is_link_local_v6(IpAddr::V6(*v6.ip())) {
                        return None;
                    }
                    Some(Zone::Index(NonZeroU32::new(v6.scope_id())?))
                }
            };
            match (*v6.ip(), zone) {
                (Ipv6Addr::UNSPECIFIED, None) => Some(BindTarget::any_v6(v6.port())),
                (Ipv6Addr::LOCALHOST, None) => Some(BindTarget::loopback_v6(v6.port())),
                // A zone on ::, ::1 (not link-local) was refused above; `%25...` zones are
                // names, which this path never sees.
                (ip, zone) => Some(specific(IpAddr::V6(ip), zone, v6.port())),
            }
        }
    }
}

/// Adds the did-you-mean that an error's kind and position imply, when it parses.
fn with_fix(err: ParseError) -> ParseError {
    let input = err.input();
    let at = err.offset();
    let fix = match err.kind() {
        ParseErrorKind::BracketedIpv4 => Some(input.replacen(['[', ']'], "", 2)),
        ParseErrorKind::Ipv4Mapped => mapped_fix(input),
        ParseErrorKind::EscapedZone => Some(format!(
            "{}{}",
            input.get(..at).unwrap_or_default(),
            input.get(at + 2..).unwrap_or_default()
        )),
        ParseErrorKind::ZoneNotLinkLocal => input.find('%').and_then(|start| {
            let end = input.find(']')?;
            Some(format!("{}{}", input.get(..start)?, input.get(end..)?))
        }),
        ParseErrorKind::ServiceName(name) if input.get(at..) == Some(name.as_str()) => {
            well_known_port(name)
                .map(|port| format!("{}{port}", input.get(..at).unwrap_or_default()))
        }
        ParseErrorKind::ReversedRange => input.rsplit_once(':').and_then(|(head, range)| {
            let (first, last) = range.split_once('-')?;
            Some(format!("{head}:{last}-{first}"))
        }),
        _ => None,
    };
    match fix {
        Some(fix) if parses(&fix) => err.suggest(fix, ""),
        _ => err,
    }
}

/// `[::ffff:127.0.0.1]:80` becomes `127.0.0.1:80`.
fn mapped_fix(input: &str) -> Option<String> {
    let close = input.find(']')?;
    let v6: Ipv6Addr = input.get(1..close)?.parse().ok()?;
    Some(format!(
        "{}{}",
        v6.to_ipv4_mapped()?,
        input.get(close + 1..)?
    ))
}

/// The few service names people write in place of a port. Never looked up in /etc/services.
fn well_known_port(name: &str) -> Option<u16> {
    let port = match name.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        "ssh" => 22,
        "dns" | "domain" => 53,
        "smtp" => 25,
        "ftp" => 21,
        _ => return None,
    };
    Some(port)
}

/// `localhost` or `127.0.0.1` alone: say a port is missing. `::1` alone: say brackets too.
fn missing_port(input: &str) -> Partial {
    (input.len(), ParseErrorKind::MissingPort)
}

/// A second colon: an unbracketed IPv6 address with or without a port, or another grammar.
fn extra_colon(input: &str, second: usize, suggest: Suggest) -> ParseError {
    if let Some((host, port)) = input.rsplit_once(':') {
        if split_zone(host).0.parse::<Ipv6Addr>().is_ok() && parse_port(port, 0).is_ok() {
            let suggestion = format!("[{host}]:{port}");
            let e = ParseError::new(input, 0, ParseErrorKind::UnbracketedIpv6);
            return if suggest == Suggest::Yes && parses(&suggestion) {
                e.suggest(suggestion, "")
            } else {
                e
            };
        }
    }
    if split_zone(input).0.parse::<Ipv6Addr>().is_ok() {
        return ParseError::new(input, 0, ParseErrorKind::UnbracketedIpv6);
    }
    ParseError::new(input, second, ParseErrorKind::ExtraColon)
}

fn split_zone(text: &str) -> (&str, Option<&str>) {
    match text.split_once('%') {
        Some((addr, zone)) => (addr, Some(zone)),
        None => (text, None),
    }
}

/// `[IPV6%ZONE]:PORT`.
fn parse_bracketed(input: &str) -> Result<BindTarget, Partial> {
    let (inner, after) = input
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .ok_or((input.len(), ParseErrorKind::MissingBracket))?;
    let close = 1 + inner.len();
    if inner.is_empty() {
        return Err((1, ParseErrorKind::EmptyBrackets));
    }
    let (addr_text, zone_text) = split_zone(inner);
    let ip = match addr_text.parse::<Ipv6Addr>() {
        Ok(ip) => ip,
        Err(_) if addr_text.parse::<Ipv4Addr>().is_ok() => {
            return Err((0, ParseErrorKind::BracketedIpv4));
        }
        Err(_) => return Err((1, ParseErrorKind::InvalidIpv6(addr_text.to_owned()))),
    };
    let port_text = match after.strip_prefix(':') {
        Some(port_text) => port_text,
        None if after.is_empty() => return Err((input.len(), ParseErrorKind::MissingPort)),
        None => return Err((close + 1, ParseErrorKind::TrailingAfterBracket)),
    };
    let port_at = close + 2;
    if port_text.contains(':') {
        return Err((close + 1, ParseErrorKind::TrailingAfterBracket));
    }
    let port = parse_port(port_text, port_at)?;
    let zone_at = 1 + addr_text.len() + 1;
    if let Some(kind) = reject_ip(IpAddr::V6(ip)) {
        return Err((1, kind));
    }
    let zone = zone_text.map(|z| parse_zone(z, zone_at)).transpose()?;
    if zone.is_some() && !is_link_local_v6(IpAddr::V6(ip)) {
        return Err((zone_at - 1, ParseErrorKind::ZoneNotLinkLocal));
    }
    Ok(match ip {
        Ipv6Addr::UNSPECIFIED => BindTarget::any_v6(port),
        Ipv6Addr::LOCALHOST => BindTarget::loopback_v6(port),
        _ => BindTarget::SpecificInterface {
            interface: LocalInterface::Address(
                LocalAddress::new(IpAddr::V6(ip), zone).map_err(|e| (1, e.kind().clone()))?,
            ),
            port,
        },
    })
}

fn parse_zone(text: &str, at: usize) -> Result<Zone, Partial> {
    let invalid = || (at, ParseErrorKind::InvalidZone(text.to_owned()));
    if text.is_empty() {
        return Err(invalid());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        if text.starts_with('0') {
            return Err(invalid());
        }
        return text
            .parse::<NonZeroU32>()
            .map(Zone::Index)
            .map_err(|_| invalid());
    }
    if text.len() > 2 && text.starts_with("25") {
        return Err((at, ParseErrorKind::EscapedZone));
    }
    check_interface_name(text).map_err(|(offset, kind)| (at + offset, kind))?;
    Ok(Zone::Name(InterfaceName(text.to_owned())))
}

/// `HOST:PORT` where HOST has no colon.
fn parse_host_port(host: &str, port_text: &str, port_at: usize) -> Result<BindTarget, Partial> {
    if host.eq_ignore_ascii_case("port") {
        return parse_range(port_text, port_at).map(BindTarget::Port);
    }
    if host.eq_ignore_ascii_case("fd") || host.eq_ignore_ascii_case("sd-listen") {
        return parse_inherited(port_text, port_at).map(BindTarget::Inherited);
    }
    let port = parse_port(port_text, port_at)?;
    if host.is_empty() || host == "*" || host.eq_ignore_ascii_case("any") {
        return Ok(BindTarget::any(port));
    }
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("loopback") {
        return Ok(BindTarget::loopback(port));
    }
    if let Some((v4, _)) = host.split_once('%') {
        if v4.parse::<Ipv4Addr>().is_ok() {
            return Err((v4.len(), ParseErrorKind::ZoneNotLinkLocal));
        }
    }
    if is_ipv4_like(host) {
        let ip = parse_ipv4(host)?;
        if let Some(kind) = reject_ip(IpAddr::V4(ip)) {
            return Err((0, kind));
        }
        return BindTarget::ip(IpAddr::V4(ip), port).map_err(|e| (0, e.kind().clone()));
    }
    check_interface_name(host)?;
    Ok(BindTarget::SpecificInterface {
        interface: LocalInterface::Name(InterfaceName(host.to_owned())),
        port,
    })
}

/// After `fd:` (or `sd-listen:`): an fd number from 3, no leading zero, or a name.
fn parse_inherited(text: &str, at: usize) -> Result<Inherited, Partial> {
    let invalid = || (at, ParseErrorKind::InvalidInherited(text.to_owned()));
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        if text.len() > 1 && text.starts_with('0') {
            return Err(invalid());
        }
        let fd = text.parse::<u32>().map_err(|_| invalid())?;
        return Inherited::fd(fd).map_err(|_| invalid());
    }
    Inherited::name(text).map_err(|_| invalid())
}

/// Strict dotted-quad: four decimal parts, 0-255, no leading zeros (which some tools read as
/// octal: `0127.0.0.1` is 87.0.0.1 to inet_aton).
fn parse_ipv4(host: &str) -> Result<Ipv4Addr, Partial> {
    let invalid = |at: usize, why: String| (at, ParseErrorKind::InvalidIpv4(why));
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() != 4 {
        return Err(invalid(
            0,
            format!(
                "{host} has {} {}, not 4 (shorthand such as 127.1 is not accepted)",
                parts.len(),
                if parts.len() == 1 { "part" } else { "parts" }
            ),
        ));
    }
    let mut octets = [0u8; 4];
    let mut at = 0;
    for (octet, part) in octets.iter_mut().zip(&parts) {
        if part.is_empty() {
            return Err(invalid(at, format!("{host} has an empty part")));
        }
        if part.len() > 1 && part.starts_with('0') {
            return Err(invalid(
                at,
                format!("{part} has a leading zero, which some tools read as octal"),
            ));
        }
        *octet = part
            .parse::<u8>()
            .map_err(|_| invalid(at, format!("{part} is above 255")))?;
        at += part.len() + 1;
    }
    Ok(Ipv4Addr::from(octets))
}

/// Addresses no socket can bind as its local address, whatever the machine.
pub(crate) fn reject_ip(ip: IpAddr) -> Option<ParseErrorKind> {
    match ip {
        IpAddr::V4(v4) if v4.is_multicast() => Some(ParseErrorKind::Multicast),
        IpAddr::V4(v4) if v4.is_broadcast() => Some(ParseErrorKind::Broadcast),
        IpAddr::V6(v6) if v6.is_multicast() => Some(ParseErrorKind::Multicast),
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => Some(ParseErrorKind::Ipv4Mapped),
        _ => None,
    }
}

/// A decimal port, 0-65535, ASCII digits, no sign, no leading zero.
fn parse_port(text: &str, at: usize) -> Result<u16, Partial> {
    if text.is_empty() {
        return Err((at, ParseErrorKind::EmptyPort));
    }
    if text.starts_with(['+', '-']) {
        return Err((at, ParseErrorKind::SignedPort));
    }
    if text.contains('-') {
        return Err((at, ParseErrorKind::RangeNotAllowed));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        let kind = if text.chars().all(char::is_numeric) {
            ParseErrorKind::NonAsciiDigit(text.to_owned())
        } else if text.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
            ParseErrorKind::ServiceName(text.to_owned())
        } else {
            ParseErrorKind::InvalidPort(text.to_owned())
        };
        return Err((at, kind));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err((at, ParseErrorKind::LeadingZero(text.to_owned())));
    }
    text.parse::<u16>()
        .map_err(|_| (at, ParseErrorKind::PortOutOfRange(text.to_owned())))
}

/// A port alone, e.g. the value of `$PORT`.
pub(crate) fn port(text: &str) -> Result<u16, ParseError> {
    parse_port(text, 0)
        .map_err(|(offset, kind)| ParseError::new(text, offset, kind).of(Subject::Port))
}

/// `P` or `FIRST-LAST`, after `port:`.
fn parse_range(text: &str, at: usize) -> Result<PortRange, Partial> {
    if text.starts_with(['+', '-']) {
        return Err((at, ParseErrorKind::SignedPort));
    }
    let Some((first, last)) = text.split_once('-') else {
        return parse_port(text, at).map(PortRange::single);
    };
    let last_at = at + first.len() + 1;
    if last.is_empty() {
        return Err((last_at, ParseErrorKind::EmptyRange));
    }
    if last.contains('-') {
        return Err((last_at, ParseErrorKind::InvalidPort(last.to_owned())));
    }
    let first = parse_port(first, at)?;
    let last = parse_port(last, last_at)?;
    PortRange::new(first, last).map_err(|e| (at, e.kind().clone()))
}

/// Linux's rules for a device name (`dev_valid_name`), plus: not only digits and dots.
pub(crate) fn check_interface_name(name: &str) -> Result<(), Partial> {
    use ParseErrorKind::InvalidInterfaceName as Invalid;
    if name.is_empty() {
        return Err((0, Invalid("it is empty")));
    }
    if name.len() > InterfaceName::MAX_LEN {
        let at = (0..=InterfaceName::MAX_LEN)
            .rev()
            .find(|i| name.is_char_boundary(*i))
            .unwrap_or(0);
        let why = if name.contains('.') {
            "longer than 15 bytes, so no interface has it; host names are never resolved, write \
             an address"
        } else {
            "longer than 15 bytes (Linux's IFNAMSIZ is 16 with the NUL)"
        };
        return Err((at, Invalid(why)));
    }
    if name == "." || name == ".." {
        return Err((0, Invalid("'.' and '..' are not names")));
    }
    if let Some(at) = name.find(|c: char| "/:%[]$".contains(c) || c.is_whitespace()) {
        return Err((
            at,
            Invalid("it holds '/', ':', '%', '[', ']', '$' or whitespace"),
        ));
    }
    if ["*", "any", "localhost", "loopback", "port"]
        .iter()
        .any(|k| name.eq_ignore_ascii_case(k))
    {
        return Err((0, Invalid("it is a keyword of the grammar")));
    }
    if is_ipv4_like(name) {
        return Err((
            0,
            Invalid("digits and dots make an IPv4 address or an index"),
        ));
    }
    Ok(())
}

/// Only digits and dots, with at least one digit: an IPv4 literal, never an interface name.
fn is_ipv4_like(host: &str) -> bool {
    host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && host.bytes().any(|b| b.is_ascii_digit())
}
