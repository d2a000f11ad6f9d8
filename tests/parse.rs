//! The grammar as tables: every accepted form with its meaning and canonical form, every rejected
//! class with its exact message, offset and kind, and the public constructors' validation.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

use bindpolicy::ParseErrorKind as K;
use bindpolicy::{
    BindTarget, Family, Inherited, InterfaceName, LocalAddress, LocalInterface, ParseErrorKind,
    PortRange, Zone,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn parse(input: &str) -> BindTarget {
    match input.parse::<BindTarget>() {
        Ok(target) => target,
        Err(err) => panic!("{input:?} was rejected: {err}"),
    }
}

#[track_caller]
fn addr(ip: &str, port: u16) -> BindTarget {
    let ip: IpAddr = ip.parse().expect("test address");
    BindTarget::ip(ip, port).expect("test address is accepted")
}

#[track_caller]
fn zoned(ip: &str, zone: Zone, port: u16) -> BindTarget {
    let ip: IpAddr = ip.parse().expect("test address");
    BindTarget::SpecificInterface {
        interface: LocalInterface::Address(LocalAddress::new(ip, Some(zone)).expect("zoned")),
        port,
    }
}

#[track_caller]
fn zone_name(name: &str) -> Zone {
    Zone::Name(InterfaceName::new(name).expect("test zone name"))
}

fn zone_index(index: u32) -> Zone {
    Zone::Index(NonZeroU32::new(index).expect("non-zero"))
}

#[track_caller]
fn iface(name: &str, port: u16) -> BindTarget {
    BindTarget::interface(name, port).expect("test interface name")
}

#[track_caller]
fn ports(first: u16, last: u16) -> BindTarget {
    BindTarget::source_ports(PortRange::new(first, last).expect("test range"))
}

/// The meaning column of the issue's table, checked through the accessors rather than by
/// comparing with a constructor, so that a constructor and the parser cannot agree on a wrong
/// value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    Any(Family),
    Loopback(Family),
    /// By address, with the address's family.
    Address(Family),
    /// By interface name.
    Name,
    Port,
    /// A socket a service manager hands over.
    Inherited,
}

fn meaning(target: &BindTarget) -> Meaning {
    match target {
        BindTarget::Any { family, .. } => Meaning::Any(*family),
        BindTarget::Loopback { family, .. } => Meaning::Loopback(*family),
        BindTarget::SpecificInterface {
            interface: LocalInterface::Address(addr),
            ..
        } => Meaning::Address(Family::of(addr.ip())),
        BindTarget::SpecificInterface {
            interface: LocalInterface::Name(_),
            ..
        } => Meaning::Name,
        BindTarget::Port(_) => Meaning::Port,
        BindTarget::Inherited(_) => Meaning::Inherited,
        other => panic!("a variant this test does not know: {other:?}"),
    }
}

/// Parses `input`, checks its meaning, its value and its canonical form, and that the canonical
/// form parses back to the same value and prints itself.
#[track_caller]
fn assert_accepts(input: &str, meaning_: Meaning, expected: &BindTarget, canonical: &str) {
    let target = parse(input);
    assert_eq!(meaning(&target), meaning_, "meaning of {input:?}");
    assert_eq!(&target, expected, "value of {input:?}");
    assert_eq!(target.to_string(), canonical, "canonical form of {input:?}");
    let again = parse(canonical);
    assert_eq!(
        again, target,
        "{canonical:?} (from {input:?}) parses to another value"
    );
    assert_eq!(
        again.to_string(),
        canonical,
        "{canonical:?} is not a fixed point"
    );
}

/// One rejected input: where, what kind (a pattern), and the whole message.
struct Reject {
    input: &'static str,
    offset: usize,
    kind: &'static str,
    is_kind: fn(&ParseErrorKind) -> bool,
    message: &'static str,
}

macro_rules! reject {
    ($input:expr, $offset:expr, $kind:pat, $message:expr $(,)?) => {
        Reject {
            input: $input,
            offset: $offset,
            kind: stringify!($kind),
            is_kind: |kind| matches!(kind, $kind),
            message: $message,
        }
    };
}

#[track_caller]
fn assert_rejects_all(rows: &[Reject]) {
    for row in rows {
        assert_rejects(row);
    }
}

#[track_caller]
fn assert_rejects(row: &Reject) {
    let err = match row.input.parse::<BindTarget>() {
        Ok(target) => panic!(
            "{:?} was accepted as {target:?}; expected {}",
            row.input, row.kind
        ),
        Err(err) => err,
    };
    assert_eq!(err.to_string(), row.message, "message for {:?}", row.input);
    assert_eq!(err.offset(), row.offset, "offset for {:?}", row.input);
    assert!(
        (row.is_kind)(err.kind()),
        "kind for {:?}: got {:?}, expected {}",
        row.input,
        err.kind(),
        row.kind
    );
    assert_eq!(err.input(), row.input, "input kept by the error");
    assert!(err.offset() <= row.input.len(), "offset past the end");
    for suggestion in err.suggestions() {
        assert!(
            suggestion.parse::<BindTarget>().is_ok(),
            "{:?} suggests {suggestion:?}, which does not parse",
            row.input
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Accepted forms
// ---------------------------------------------------------------------------------------------

#[test]
#[rustfmt::skip] // one row per line
fn every_row_of_the_grammar_table_parses_to_its_meaning_and_canonical_form() {
    use Family::{Both, Ipv4, Ipv6};
    let rows: Vec<(&str, Meaning, BindTarget, &str)> = vec![
        ("*:8080", Meaning::Any(Both), BindTarget::any(8080), "*:8080"),
        (":8080", Meaning::Any(Both), BindTarget::any(8080), "*:8080"),
        ("any:8080", Meaning::Any(Both), BindTarget::any(8080), "*:8080"),
        ("0.0.0.0:8080", Meaning::Any(Ipv4), BindTarget::any_v4(8080), "0.0.0.0:8080"),
        ("[::]:8080", Meaning::Any(Ipv6), BindTarget::any_v6(8080), "[::]:8080"),
        ("localhost:5000", Meaning::Loopback(Both), BindTarget::loopback(5000), "localhost:5000"),
        ("loopback:5000", Meaning::Loopback(Both), BindTarget::loopback(5000), "localhost:5000"),
        ("127.0.0.1:5000", Meaning::Loopback(Ipv4), BindTarget::loopback_v4(5000), "127.0.0.1:5000"),
        ("[::1]:5000", Meaning::Loopback(Ipv6), BindTarget::loopback_v6(5000), "[::1]:5000"),
        ("192.168.71.67:5000", Meaning::Address(Ipv4), addr("192.168.71.67", 5000), "192.168.71.67:5000"),
        ("127.0.0.2:80", Meaning::Address(Ipv4), addr("127.0.0.2", 80), "127.0.0.2:80"),
        ("[2001:db8::5]:80", Meaning::Address(Ipv6), addr("2001:db8::5", 80), "[2001:db8::5]:80"),
        ("[fe80::1%eth0]:80", Meaning::Address(Ipv6), zoned("fe80::1", zone_name("eth0"), 80), "[fe80::1%eth0]:80"),
        ("[fe80::1%3]:80", Meaning::Address(Ipv6), zoned("fe80::1", zone_index(3), 80), "[fe80::1%3]:80"),
        ("[fe80::1]:80", Meaning::Address(Ipv6), addr("fe80::1", 80), "[fe80::1]:80"),
        ("eth0:8080", Meaning::Name, iface("eth0", 8080), "eth0:8080"),
        ("eth0.100:80", Meaning::Name, iface("eth0.100", 80), "eth0.100:80"),
        ("br-lan:53", Meaning::Name, iface("br-lan", 53), "br-lan:53"),
        ("port:40000", Meaning::Port, ports(40000, 40000), "port:40000"),
        ("port:40000-40100", Meaning::Port, ports(40000, 40100), "port:40000-40100"),
        ("fd:3", Meaning::Inherited, BindTarget::inherited(Inherited::fd(3).unwrap()), "fd:3"),
        ("FD:3", Meaning::Inherited, BindTarget::inherited(Inherited::fd(3).unwrap()), "fd:3"),
        ("fd:web", Meaning::Inherited, BindTarget::inherited(Inherited::name("web").unwrap()), "fd:web"),
        ("sd-listen:web", Meaning::Inherited, BindTarget::inherited(Inherited::name("web").unwrap()), "fd:web"),
        ("fd:Web.1", Meaning::Inherited, BindTarget::inherited(Inherited::name("Web.1").unwrap()), "fd:Web.1"),
    ];
    for (input, meaning, expected, canonical) in &rows {
        assert_accepts(input, *meaning, expected, canonical);
    }
}

#[test]
fn accepted_values_carry_the_written_parts() {
    // The address, zone, name and ports, read back through the accessors.
    let BindTarget::SpecificInterface {
        interface: LocalInterface::Address(address),
        port,
    } = parse("[fe80::1%eth0]:80")
    else {
        panic!("not an address target");
    };
    assert_eq!(address.ip(), "fe80::1".parse::<IpAddr>().unwrap());
    assert!(matches!(address.zone(), Some(Zone::Name(name)) if name.as_str() == "eth0"));
    assert_eq!(port, 80);

    let target = parse("[fe80::1%3]:80");
    assert!(matches!(
        &target,
        BindTarget::SpecificInterface { interface: LocalInterface::Address(a), .. }
            if matches!(a.zone(), Some(Zone::Index(i)) if i.get() == 3)
    ));

    let target = parse("eth0.100:80");
    assert!(matches!(
        &target,
        BindTarget::SpecificInterface { interface: LocalInterface::Name(n), port: 80 }
            if n.as_str() == "eth0.100"
    ));
    assert_eq!(target.family(), None);

    let range = parse("port:40000-40100");
    assert!(range.is_port_only());
    assert_eq!(range.port(), 40000);
    assert_eq!(range.ports().first(), 40000);
    assert_eq!(range.ports().last(), 40100);
    assert_eq!(range.ports().len(), 101);
    assert_eq!(range.family(), None);
    assert_eq!(range.with_port(1), ports(1, 1));

    assert!(parse("*:0").is_any());
    assert_eq!(parse("*:0").port(), 0);
    assert_eq!(parse("*:65535").port(), 65535);
    assert!(parse("localhost:0").is_loopback());
    assert!(parse("127.0.0.2:80").is_specific_interface());
    assert_eq!(parse("127.0.0.2:80").family(), Some(Family::Ipv4));
    assert_eq!(parse("[::]:1").family(), Some(Family::Ipv6));
    assert_eq!(parse("localhost:1").with_port(2).to_string(), "localhost:2");
}

#[test]
fn localhost_is_a_keyword_for_both_loopbacks_not_a_name_to_resolve() {
    // Whatever /etc/hosts says, localhost is 127.0.0.1 and ::1, never one of them and never an
    // interface name.
    for input in [
        "localhost:5000",
        "loopback:5000",
        "LOCALHOST:5000",
        "LoopBack:5000",
    ] {
        let target = parse(input);
        assert_eq!(target, BindTarget::loopback(5000), "{input:?}");
        assert_eq!(target.family(), Some(Family::Both), "{input:?}");
    }
}

#[test]
#[rustfmt::skip] // one row per line
fn keywords_are_ascii_case_insensitive_and_print_in_lower_case() {
    let rows = [
        ("ANY:80", "*:80"),
        ("Any:80", "*:80"),
        ("aNy:80", "*:80"),
        ("LOCALHOST:1", "localhost:1"),
        ("Localhost:1", "localhost:1"),
        ("LOOPBACK:1", "localhost:1"),
        ("PORT:40000", "port:40000"),
        ("Port:1-2", "port:1-2"),
    ];
    for (input, canonical) in rows {
        assert_eq!(parse(input).to_string(), canonical, "{input:?}");
    }
    // Only ASCII case folding: a Kelvin sign is not a 'k' (and is a valid interface name).
    assert_eq!(parse("locaLhost:1").to_string(), "localhost:1");
    assert!(parse("\u{212a}:1").is_specific_interface());
    // Interface names and zones are case-sensitive, as on Linux: kept as written.
    assert_eq!(parse("ETH0:80").to_string(), "ETH0:80");
    assert_eq!(parse("[fe80::1%Eth0]:80").to_string(), "[fe80::1%Eth0]:80");
}

#[test]
#[rustfmt::skip] // one row per line
fn ipv6_prints_the_way_std_writes_it() {
    let rows = [
        ("[2001:DB8::5]:80", "[2001:db8::5]:80"),
        ("[2001:db8:0:0:0:0:0:5]:80", "[2001:db8::5]:80"),
        ("[2001:0db8:0000:0000:0000:0000:0000:0005]:80", "[2001:db8::5]:80"),
        ("[FE80::1%3]:80", "[fe80::1%3]:80"),
        ("[0:0:0:0:0:0:0:0]:8080", "[::]:8080"),
        ("[0::1]:1", "[::1]:1"),
        ("[::127.0.0.1]:80", "[::7f00:1]:80"),
        ("[2001:db8:0:1:0:0:0:1]:80", "[2001:db8:0:1::1]:80"),
    ];
    for (input, canonical) in rows {
        let target = parse(input);
        assert_eq!(target.to_string(), canonical, "{input:?}");
        let std_form: SocketAddr = input.parse().expect("std parses it too");
        assert_eq!(std_form.to_string(), canonical, "std's form of {input:?}");
    }
}

#[test]
fn port_and_interface_name_limits() {
    assert_eq!(parse("*:0"), BindTarget::any(0));
    assert_eq!(parse("*:65535"), BindTarget::any(65535));
    assert_eq!(parse("port:0"), ports(0, 0));
    assert_eq!(parse("port:5-5").to_string(), "port:5");
    assert_eq!(parse("port:1-65535").ports().len(), 65535);
    // 15 bytes is the longest name; a non-ASCII name is counted in bytes.
    assert!(parse("abcdefghijklmno:80").is_specific_interface());
    assert!(parse("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}a:80").is_specific_interface());
    // A zone index may be any non-zero u32.
    assert_eq!(
        parse("[fe80::1%4294967295]:80"),
        zoned("fe80::1", zone_index(u32::MAX), 80)
    );
}

#[test]
#[rustfmt::skip] // one row per line
fn port_range_from_str() {
    assert_eq!(
        "40000".parse::<PortRange>().unwrap(),
        PortRange::single(40000)
    );
    let range: PortRange = "40000-40100".parse().unwrap();
    assert_eq!((range.first(), range.last()), (40000, 40100));
    assert_eq!(range.to_string(), "40000-40100");
    assert!(range.contains(40050) && !range.contains(40101) && !range.contains(39999));
    assert_eq!(range.iter().count(), 101);
    let rows = [
        ("5-1", 0, r#"invalid port range "5-1" at byte 0: the range is reversed (first port above last)"#),
        ("", 0, r#"invalid port range "" at byte 0: the port is empty"#),
        ("0-1", 0, r#"invalid port range "0-1" at byte 0: a range cannot include port 0 (0 already means: the OS picks)"#),
        ("1-", 2, r#"invalid port range "1-" at byte 2: the range has an empty end"#),
        ("port:1", 0, r#"invalid port range "port:1" at byte 0: "port:1" is not a port number"#),
    ];
    for (input, offset, message) in rows {
        let err = input.parse::<PortRange>().unwrap_err();
        assert_eq!(err.to_string(), message, "{input:?}");
        assert_eq!(err.offset(), offset, "{input:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Rejected classes
// ---------------------------------------------------------------------------------------------

#[test]
#[rustfmt::skip] // one row per line
fn rejects_empty_input_and_whitespace_anywhere() {
    assert_rejects_all(&[
        reject!("", 0, K::Empty, r#"invalid bind target "" at byte 0: the input is empty; write HOST:PORT, e.g. localhost:8080"#),
        reject!(" *:80", 0, K::Whitespace, r#"invalid bind target " *:80" at byte 0: whitespace is not allowed (nothing is trimmed)"#),
        reject!("*:80 ", 4, K::Whitespace, r#"invalid bind target "*:80 " at byte 4: whitespace is not allowed (nothing is trimmed)"#),
        reject!("local host:80", 5, K::Whitespace, r#"invalid bind target "local host:80" at byte 5: whitespace is not allowed (nothing is trimmed)"#),
        reject!("*:80\t", 4, K::Whitespace, r#"invalid bind target "*:80\t" at byte 4: whitespace is not allowed (nothing is trimmed)"#),
        reject!("*:80\n", 4, K::Whitespace, r#"invalid bind target "*:80\n" at byte 4: whitespace is not allowed (nothing is trimmed)"#),
        reject!("*:\u{a0}80", 2, K::Whitespace, r#"invalid bind target "*:\u{a0}80" at byte 2: whitespace is not allowed (nothing is trimmed)"#),
        reject!("eth 0:80", 3, K::Whitespace, r#"invalid bind target "eth 0:80" at byte 3: whitespace is not allowed (nothing is trimmed)"#),
    ]);
}

#[test]
#[rustfmt::skip] // one row per line
fn rejects_a_bare_port_with_three_did_you_means() {
    assert_rejects_all(&[
        reject!("8080", 0, K::BarePort, r#"invalid bind target "8080" at byte 0: a bare port is not a bind target; did you mean ":8080" (all interfaces), "localhost:8080" (this machine only) or "port:8080" (client source port)?"#),
        reject!("0", 0, K::BarePort, r#"invalid bind target "0" at byte 0: a bare port is not a bind target; did you mean ":0" (all interfaces), "localhost:0" (this machine only) or "port:0" (client source port)?"#),
    ]);
    let err = "8080".parse::<BindTarget>().unwrap_err();
    let suggestions: Vec<&str> = err.suggestions().collect();
    assert_eq!(suggestions, [":8080", "localhost:8080", "port:8080"]);
}

#[test]
#[rustfmt::skip] // one row per line
fn rejects_a_host_without_a_port_and_an_empty_port() {
    assert_rejects_all(&[
        reject!("127.0.0.1", 9, K::MissingPort, r#"invalid bind target "127.0.0.1" at byte 9: no port; add :PORT (0 lets the OS pick one)"#),
        reject!("localhost", 9, K::MissingPort, r#"invalid bind target "localhost" at byte 9: no port; add :PORT (0 lets the OS pick one)"#),
        reject!("[::1]", 5, K::MissingPort, r#"invalid bind target "[::1]" at byte 5: no port; add :PORT (0 lets the OS pick one)"#),
        reject!("eth0", 4, K::MissingPort, r#"invalid bind target "eth0" at byte 4: no port; add :PORT (0 lets the OS pick one)"#),
        reject!("*", 1, K::MissingPort, r#"invalid bind target "*" at byte 1: no port; add :PORT (0 lets the OS pick one)"#),
        reject!("port", 4, K::MissingPort, r#"invalid bind target "port" at byte 4: no port; add :PORT (0 lets the OS pick one)"#),
        reject!("[fe80::1%eth0]", 14, K::MissingPort, r#"invalid bind target "[fe80::1%eth0]" at byte 14: no port; add :PORT (0 lets the OS pick one)"#),
        reject!("127.0.0.1:", 10, K::EmptyPort, r#"invalid bind target "127.0.0.1:" at byte 10: the port is empty"#),
        reject!("localhost:", 10, K::EmptyPort, r#"invalid bind target "localhost:" at byte 10: the port is empty"#),
        reject!("[::1]:", 6, K::EmptyPort, r#"invalid bind target "[::1]:" at byte 6: the port is empty"#),
        reject!(":", 1, K::EmptyPort, r#"invalid bind target ":" at byte 1: the port is empty"#),
        reject!("port:", 5, K::EmptyPort, r#"invalid bind target "port:" at byte 5: the port is empty"#),
    ]);
}

#[test]
#[rustfmt::skip] // one row per line
fn rejects_bad_port_numbers() {
    assert_rejects_all(&[
        reject!("*:65536", 2, K::PortOutOfRange(_), r#"invalid bind target "*:65536" at byte 2: port 65536 is out of range (0-65535)"#),
        reject!("*:99999999999", 2, K::PortOutOfRange(_), r#"invalid bind target "*:99999999999" at byte 2: port 99999999999 is out of range (0-65535)"#),
        reject!("port:1-65536", 7, K::PortOutOfRange(_), r#"invalid bind target "port:1-65536" at byte 7: port 65536 is out of range (0-65535)"#),
        reject!("*:-1", 2, K::SignedPort, r#"invalid bind target "*:-1" at byte 2: a port has no sign"#),
        reject!("*:+80", 2, K::SignedPort, r#"invalid bind target "*:+80" at byte 2: a port has no sign"#),
        reject!("[fe80::1]:-1", 10, K::SignedPort, r#"invalid bind target "[fe80::1]:-1" at byte 10: a port has no sign"#),
        reject!("port:-1", 5, K::SignedPort, r#"invalid bind target "port:-1" at byte 5: a port has no sign"#),
        reject!("port:+1", 5, K::SignedPort, r#"invalid bind target "port:+1" at byte 5: a port has no sign"#),
        reject!(":080", 1, K::LeadingZero(_), r#"invalid bind target ":080" at byte 1: port 080 has a leading zero"#),
        reject!(":00", 1, K::LeadingZero(_), r#"invalid bind target ":00" at byte 1: port 00 has a leading zero"#),
        reject!("port:080-90", 5, K::LeadingZero(_), r#"invalid bind target "port:080-90" at byte 5: port 080 has a leading zero"#),
        reject!("port:80-090", 8, K::LeadingZero(_), r#"invalid bind target "port:80-090" at byte 8: port 090 has a leading zero"#),
        reject!("*:\u{668}\u{660}", 2, K::NonAsciiDigit(_), "invalid bind target \"*:\u{668}\u{660}\" at byte 2: port \"\u{668}\u{660}\" has digits outside ASCII 0-9"),
        reject!("*:\u{ff18}\u{ff10}", 2, K::NonAsciiDigit(_), "invalid bind target \"*:\u{ff18}\u{ff10}\" at byte 2: port \"\u{ff18}\u{ff10}\" has digits outside ASCII 0-9"),
        reject!(":http", 1, K::ServiceName(_), r#"invalid bind target ":http" at byte 1: "http" looks like a service name; ports are numbers (names are never looked up); did you mean ":80"?"#),
        reject!("localhost:ssh", 10, K::ServiceName(_), r#"invalid bind target "localhost:ssh" at byte 10: "ssh" looks like a service name; ports are numbers (names are never looked up); did you mean "localhost:22"?"#),
        reject!("[fe80::1%eth0]:http", 15, K::ServiceName(_), r#"invalid bind target "[fe80::1%eth0]:http" at byte 15: "http" looks like a service name; ports are numbers (names are never looked up); did you mean "[fe80::1%eth0]:80"?"#),
        reject!(":gopher", 1, K::ServiceName(_), r#"invalid bind target ":gopher" at byte 1: "gopher" looks like a service name; ports are numbers (names are never looked up)"#),
        reject!("port:1-http", 7, K::ServiceName(_), r#"invalid bind target "port:1-http" at byte 7: "http" looks like a service name; ports are numbers (names are never looked up); did you mean "port:1-80"?"#),
        reject!(":80a", 1, K::InvalidPort(_), r#"invalid bind target ":80a" at byte 1: "80a" is not a port number"#),
        reject!("*:8080]", 2, K::InvalidPort(_), r#"invalid bind target "*:8080]" at byte 2: "8080]" is not a port number"#),
    ]);
    // The payload is the port as written.
    let err = ":080".parse::<BindTarget>().unwrap_err();
    assert!(matches!(err.kind(), K::LeadingZero(p) if p == "080"));
    let err = ":http".parse::<BindTarget>().unwrap_err();
    assert!(matches!(err.kind(), K::ServiceName(p) if p == "http"));
}

#[test]
#[rustfmt::skip] // one row per line
fn rejects_bad_ranges_and_ranges_outside_port() {
    assert_rejects_all(&[
        reject!("port:40100-40000", 5, K::ReversedRange, r#"invalid bind target "port:40100-40000" at byte 5: the range is reversed (first port above last); did you mean "port:40000-40100"?"#),
        reject!("port:1-0", 5, K::ReversedRange, r#"invalid bind target "port:1-0" at byte 5: the range is reversed (first port above last)"#),
        reject!("port:40000-", 11, K::EmptyRange, r#"invalid bind target "port:40000-" at byte 11: the range has an empty end"#),
        reject!("port:0-10", 5, K::RangeIncludesZero, r#"invalid bind target "port:0-10" at byte 5: a range cannot include port 0 (0 already means: the OS picks)"#),
        reject!("*:40000-40100", 2, K::RangeNotAllowed, r#"invalid bind target "*:40000-40100" at byte 2: a port range is only allowed as a client source range (port:FIRST-LAST); a listener has one port"#),
        reject!("localhost:1-2", 10, K::RangeNotAllowed, r#"invalid bind target "localhost:1-2" at byte 10: a port range is only allowed as a client source range (port:FIRST-LAST); a listener has one port"#),
        reject!("[::1]:1-2", 6, K::RangeNotAllowed, r#"invalid bind target "[::1]:1-2" at byte 6: a port range is only allowed as a client source range (port:FIRST-LAST); a listener has one port"#),
        reject!("127.0.0.1:1-2", 10, K::RangeNotAllowed, r#"invalid bind target "127.0.0.1:1-2" at byte 10: a port range is only allowed as a client source range (port:FIRST-LAST); a listener has one port"#),
        reject!("eth0:1-2", 5, K::RangeNotAllowed, r#"invalid bind target "eth0:1-2" at byte 5: a port range is only allowed as a client source range (port:FIRST-LAST); a listener has one port"#),
    ]);
}

#[test]
#[rustfmt::skip] // one row per line
fn rejects_ipv6_outside_brackets_and_broken_brackets() {
    assert_rejects_all(&[
        reject!("::1:80", 0, K::UnbracketedIpv6, r#"invalid bind target "::1:80" at byte 0: an IPv6 address must be written in brackets, with a port: [ADDRESS]:PORT; did you mean "[::1]:80"?"#),
        reject!("fe80::1%eth0:80", 0, K::UnbracketedIpv6, r#"invalid bind target "fe80::1%eth0:80" at byte 0: an IPv6 address must be written in brackets, with a port: [ADDRESS]:PORT; did you mean "[fe80::1%eth0]:80"?"#),
        reject!("2001:db8::5:80", 0, K::UnbracketedIpv6, r#"invalid bind target "2001:db8::5:80" at byte 0: an IPv6 address must be written in brackets, with a port: [ADDRESS]:PORT; did you mean "[2001:db8::5]:80"?"#),
        reject!(":::80", 0, K::UnbracketedIpv6, r#"invalid bind target ":::80" at byte 0: an IPv6 address must be written in brackets, with a port: [ADDRESS]:PORT; did you mean "[::]:80"?"#),
        reject!("::1", 0, K::UnbracketedIpv6, r#"invalid bind target "::1" at byte 0: an IPv6 address must be written in brackets, with a port: [ADDRESS]:PORT"#),
        reject!("::", 0, K::UnbracketedIpv6, r#"invalid bind target "::" at byte 0: an IPv6 address must be written in brackets, with a port: [ADDRESS]:PORT"#),
        reject!("[::1", 4, K::MissingBracket, r#"invalid bind target "[::1" at byte 4: missing ']'"#),
        reject!("[::1:80", 7, K::MissingBracket, r#"invalid bind target "[::1:80" at byte 7: missing ']'"#),
        reject!("[", 1, K::MissingBracket, r#"invalid bind target "[" at byte 1: missing ']'"#),
        reject!("[]", 1, K::EmptyBrackets, r#"invalid bind target "[]" at byte 1: empty brackets; write [::] for every IPv6 address"#),
        reject!("[]:80", 1, K::EmptyBrackets, r#"invalid bind target "[]:80" at byte 1: empty brackets; write [::] for every IPv6 address"#),
        reject!("[127.0.0.1]:80", 0, K::BracketedIpv4, r#"invalid bind target "[127.0.0.1]:80" at byte 0: brackets are only for IPv6 addresses; did you mean "127.0.0.1:80"?"#),
        reject!("[127.0.0.1]", 0, K::BracketedIpv4, r#"invalid bind target "[127.0.0.1]" at byte 0: brackets are only for IPv6 addresses"#),
        reject!("[::1]80", 5, K::TrailingAfterBracket, r#"invalid bind target "[::1]80" at byte 5: only :PORT may follow ']'"#),
        reject!("[::1]:80:90", 5, K::TrailingAfterBracket, r#"invalid bind target "[::1]:80:90" at byte 5: only :PORT may follow ']'"#),
        reject!("[::1]x", 5, K::TrailingAfterBracket, r#"invalid bind target "[::1]x" at byte 5: only :PORT may follow ']'"#),
        reject!("[::1]]:80", 5, K::TrailingAfterBracket, r#"invalid bind target "[::1]]:80" at byte 5: only :PORT may follow ']'"#),
        reject!("[zzz]:80", 1, K::InvalidIpv6(_), r#"invalid bind target "[zzz]:80" at byte 1: invalid IPv6 address "zzz""#),
        reject!("[1:2:3:4:5:6:7:8:9]:80", 1, K::InvalidIpv6(_), r#"invalid bind target "[1:2:3:4:5:6:7:8:9]:80" at byte 1: invalid IPv6 address "1:2:3:4:5:6:7:8:9""#),
    ]);
}

#[test]
#[rustfmt::skip] // one row per line
fn rejects_malformed_ipv4() {
    assert_rejects_all(&[
        reject!("256.1.1.1:80", 0, K::InvalidIpv4(_), r#"invalid bind target "256.1.1.1:80" at byte 0: invalid IPv4 address: 256 is above 255"#),
        reject!("1.2.3:80", 0, K::InvalidIpv4(_), r#"invalid bind target "1.2.3:80" at byte 0: invalid IPv4 address: 1.2.3 has 3 parts, not 4 (shorthand such as 127.1 is not accepted)"#),
        reject!("127.1:80", 0, K::InvalidIpv4(_), r#"invalid bind target "127.1:80" at byte 0: invalid IPv4 address: 127.1 has 2 parts, not 4 (shorthand such as 127.1 is not accepted)"#),
        reject!("0127.0.0.1:80", 0, K::InvalidIpv4(_), r#"invalid bind target "0127.0.0.1:80" at byte 0: invalid IPv4 address: 0127 has a leading zero, which some tools read as octal"#),
        reject!("1.2.3.4.5:80", 0, K::InvalidIpv4(_), r#"invalid bind target "1.2.3.4.5:80" at byte 0: invalid IPv4 address: 1.2.3.4.5 has 5 parts, not 4 (shorthand such as 127.1 is not accepted)"#),
        reject!("1..2.3:80", 2, K::InvalidIpv4(_), r#"invalid bind target "1..2.3:80" at byte 2: invalid IPv4 address: 1..2.3 has an empty part"#),
        reject!("1.2.3.999:80", 6, K::InvalidIpv4(_), r#"invalid bind target "1.2.3.999:80" at byte 6: invalid IPv4 address: 999 is above 255"#),
        reject!("1.2.3.04:80", 6, K::InvalidIpv4(_), r#"invalid bind target "1.2.3.04:80" at byte 6: invalid IPv4 address: 04 has a leading zero, which some tools read as octal"#),
    ]);
}

#[test]
#[rustfmt::skip] // one row per line
fn rejects_addresses_no_socket_can_bind_and_bad_zones() {
    assert_rejects_all(&[
        reject!("[::ffff:127.0.0.1]:80", 1, K::Ipv4Mapped, r#"invalid bind target "[::ffff:127.0.0.1]:80" at byte 1: an IPv4-mapped IPv6 address binds an IPv6 socket; write the IPv4 address; did you mean "127.0.0.1:80"?"#),
        reject!("[::ffff:7f00:1]:80", 1, K::Ipv4Mapped, r#"invalid bind target "[::ffff:7f00:1]:80" at byte 1: an IPv4-mapped IPv6 address binds an IPv6 socket; write the IPv4 address; did you mean "127.0.0.1:80"?"#),
        reject!("[::ffff:192.168.1.5]:80", 1, K::Ipv4Mapped, r#"invalid bind target "[::ffff:192.168.1.5]:80" at byte 1: an IPv4-mapped IPv6 address binds an IPv6 socket; write the IPv4 address; did you mean "192.168.1.5:80"?"#),
        reject!("[fe80::1%25eth0]:80", 9, K::EscapedZone, r#"invalid bind target "[fe80::1%25eth0]:80" at byte 9: the zone is URL-escaped (%25); write the interface name or index after a bare %; did you mean "[fe80::1%eth0]:80"?"#),
        reject!("[fe80::1%]:80", 9, K::InvalidZone(_), r#"invalid bind target "[fe80::1%]:80" at byte 9: invalid zone ""; write an interface name or a non-zero index"#),
        reject!("[fe80::1%0]:80", 9, K::InvalidZone(_), r#"invalid bind target "[fe80::1%0]:80" at byte 9: invalid zone "0"; write an interface name or a non-zero index"#),
        reject!("[fe80::1%03]:80", 9, K::InvalidZone(_), r#"invalid bind target "[fe80::1%03]:80" at byte 9: invalid zone "03"; write an interface name or a non-zero index"#),
        reject!("[fe80::1%99999999999]:80", 9, K::InvalidZone(_), r#"invalid bind target "[fe80::1%99999999999]:80" at byte 9: invalid zone "99999999999"; write an interface name or a non-zero index"#),
        reject!("[2001:db8::1%eth0]:80", 12, K::ZoneNotLinkLocal, r#"invalid bind target "[2001:db8::1%eth0]:80" at byte 12: only a link-local address (fe80::/10) takes a zone; did you mean "[2001:db8::1]:80"?"#),
        reject!("[::1%eth0]:80", 4, K::ZoneNotLinkLocal, r#"invalid bind target "[::1%eth0]:80" at byte 4: only a link-local address (fe80::/10) takes a zone; did you mean "[::1]:80"?"#),
        reject!("224.0.0.1:80", 0, K::Multicast, r#"invalid bind target "224.0.0.1:80" at byte 0: a multicast address is not a local address to bind; bind the wildcard and join the group"#),
        reject!("239.255.255.250:1900", 0, K::Multicast, r#"invalid bind target "239.255.255.250:1900" at byte 0: a multicast address is not a local address to bind; bind the wildcard and join the group"#),
        reject!("[ff02::1]:80", 1, K::Multicast, r#"invalid bind target "[ff02::1]:80" at byte 1: a multicast address is not a local address to bind; bind the wildcard and join the group"#),
        reject!("255.255.255.255:80", 0, K::Broadcast, r#"invalid bind target "255.255.255.255:80" at byte 0: a broadcast address is not a local address to bind"#),
    ]);
    // A subnet's broadcast address depends on the prefix length, which the grammar cannot know.
    assert!(parse("192.168.1.255:80").is_specific_interface());
}

#[test]
#[rustfmt::skip] // one row per line
fn rejects_other_grammars_schemes_variables_and_docker_mappings() {
    assert_rejects_all(&[
        reject!("tcp://0.0.0.0:80", 0, K::Scheme, r#"invalid bind target "tcp://0.0.0.0:80" at byte 0: a scheme is not part of a bind target; did you mean "0.0.0.0:80"?"#),
        reject!("http://localhost:8080", 0, K::Scheme, r#"invalid bind target "http://localhost:8080" at byte 0: a scheme is not part of a bind target; did you mean "localhost:8080"?"#),
        reject!("tcp://8080", 0, K::Scheme, r#"invalid bind target "tcp://8080" at byte 0: a scheme is not part of a bind target"#),
        reject!("$PORT", 0, K::Variable, r#"invalid bind target "$PORT" at byte 0: '$' starts a variable, which is never expanded here; expand it first (see BindTarget::from_env)"#),
        reject!(":$PORT", 1, K::Variable, r#"invalid bind target ":$PORT" at byte 1: '$' starts a variable, which is never expanded here; expand it first (see BindTarget::from_env)"#),
        reject!("${HOST}:80", 0, K::Variable, r#"invalid bind target "${HOST}:80" at byte 0: '$' starts a variable, which is never expanded here; expand it first (see BindTarget::from_env)"#),
        reject!("localhost:$PORT", 10, K::Variable, r#"invalid bind target "localhost:$PORT" at byte 10: '$' starts a variable, which is never expanded here; expand it first (see BindTarget::from_env)"#),
        reject!("127.0.0.1:8080:80", 14, K::ExtraColon, r#"invalid bind target "127.0.0.1:8080:80" at byte 14: an extra ':' (Docker's HOST:PORT:CONTAINER_PORT is another grammar)"#),
        reject!("0.0.0.0:8080:80", 12, K::ExtraColon, r#"invalid bind target "0.0.0.0:8080:80" at byte 12: an extra ':' (Docker's HOST:PORT:CONTAINER_PORT is another grammar)"#),
        reject!("eth0:80:90", 7, K::ExtraColon, r#"invalid bind target "eth0:80:90" at byte 7: an extra ':' (Docker's HOST:PORT:CONTAINER_PORT is another grammar)"#),
        reject!("localhost:80:", 12, K::ExtraColon, r#"invalid bind target "localhost:80:" at byte 12: an extra ':' (Docker's HOST:PORT:CONTAINER_PORT is another grammar)"#),
    ]);
}

#[test]
#[rustfmt::skip] // one row per line
fn rejects_interface_names_linux_could_not_have() {
    assert_rejects_all(&[
        reject!("abcdefghijklmnop:80", 15, K::InvalidInterfaceName(_), r#"invalid bind target "abcdefghijklmnop:80" at byte 15: invalid interface name: longer than 15 bytes (Linux's IFNAMSIZ is 16 with the NUL)"#),
        reject!("a/b:80", 1, K::InvalidInterfaceName(_), r#"invalid bind target "a/b:80" at byte 1: invalid interface name: it holds '/', ':', '%', '[', ']', '$' or whitespace"#),
        reject!("a%b:80", 1, K::InvalidInterfaceName(_), r#"invalid bind target "a%b:80" at byte 1: invalid interface name: it holds '/', ':', '%', '[', ']', '$' or whitespace"#),
        reject!("eth0%1:80", 4, K::InvalidInterfaceName(_), r#"invalid bind target "eth0%1:80" at byte 4: invalid interface name: it holds '/', ':', '%', '[', ']', '$' or whitespace"#),
        reject!("1.2.3.4%eth0:80", 7, K::ZoneNotLinkLocal, r#"invalid bind target "1.2.3.4%eth0:80" at byte 7: only a link-local address (fe80::/10) takes a zone"#),
        reject!(".:80", 0, K::InvalidInterfaceName(_), r#"invalid bind target ".:80" at byte 0: invalid interface name: '.' and '..' are not names"#),
        reject!("..:80", 0, K::InvalidInterfaceName(_), r#"invalid bind target "..:80" at byte 0: invalid interface name: '.' and '..' are not names"#),
        reject!("[fe80::1%a/b]:80", 10, K::InvalidInterfaceName(_), r#"invalid bind target "[fe80::1%a/b]:80" at byte 10: invalid interface name: it holds '/', ':', '%', '[', ']', '$' or whitespace"#),
        reject!("[fe80::1%abcdefghijklmnop]:80", 24, K::InvalidInterfaceName(_), r#"invalid bind target "[fe80::1%abcdefghijklmnop]:80" at byte 24: invalid interface name: longer than 15 bytes (Linux's IFNAMSIZ is 16 with the NUL)"#),
        reject!("[fe80::1%eth0:1]:80", 13, K::InvalidInterfaceName(_), r#"invalid bind target "[fe80::1%eth0:1]:80" at byte 13: invalid interface name: it holds '/', ':', '%', '[', ']', '$' or whitespace"#),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Public constructors validate like the parser
// ---------------------------------------------------------------------------------------------

#[test]
#[rustfmt::skip] // one row per line
fn interface_name_new_rejects_what_linux_rejects() {
    let rows = [
        ("", 0, r#"invalid interface name "" at byte 0: invalid interface name: it is empty"#),
        ("abcdefghijklmnop", 15, r#"invalid interface name "abcdefghijklmnop" at byte 15: invalid interface name: longer than 15 bytes (Linux's IFNAMSIZ is 16 with the NUL)"#),
        ("a/b", 1, r#"invalid interface name "a/b" at byte 1: invalid interface name: it holds '/', ':', '%', '[', ']', '$' or whitespace"#),
        ("eth 0", 3, r#"invalid interface name "eth 0" at byte 3: invalid interface name: it holds '/', ':', '%', '[', ']', '$' or whitespace"#),
        ("eth\t0", 3, r#"invalid interface name "eth\t0" at byte 3: invalid interface name: it holds '/', ':', '%', '[', ']', '$' or whitespace"#),
        ("eth0:1", 4, r#"invalid interface name "eth0:1" at byte 4: invalid interface name: it holds '/', ':', '%', '[', ']', '$' or whitespace"#),
        ("a%b", 1, r#"invalid interface name "a%b" at byte 1: invalid interface name: it holds '/', ':', '%', '[', ']', '$' or whitespace"#),
        (".", 0, r#"invalid interface name "." at byte 0: invalid interface name: '.' and '..' are not names"#),
        ("..", 0, r#"invalid interface name ".." at byte 0: invalid interface name: '.' and '..' are not names"#),
        ("123", 0, r#"invalid interface name "123" at byte 0: invalid interface name: digits and dots make an IPv4 address or an index"#),
        ("1.2", 0, r#"invalid interface name "1.2" at byte 0: invalid interface name: digits and dots make an IPv4 address or an index"#),
    ];
    for (name, offset, message) in rows {
        let err = InterfaceName::new(name).unwrap_err();
        assert_eq!(err.to_string(), message, "{name:?}");
        assert_eq!(err.offset(), offset, "{name:?}");
        assert!(matches!(err.kind(), K::InvalidInterfaceName(_)), "{name:?}");
        assert!(BindTarget::interface(name, 80).is_err(), "{name:?}");
    }
    for name in [
        "eth0",
        "eth0.100",
        "br-lan",
        "wlp0s20f3",
        "abcdefghijklmno",
        "-",
        "veth1@if2",
    ] {
        assert_eq!(InterfaceName::new(name).unwrap().as_str(), name);
        assert_eq!(iface(name, 1).to_string(), format!("{name}:1"));
    }
}

#[test]
#[rustfmt::skip] // one row per line
fn bind_target_ip_normalises_like_the_parser() {
    let cases = [
        ("0.0.0.0", BindTarget::any_v4(80)),
        ("::", BindTarget::any_v6(80)),
        ("127.0.0.1", BindTarget::loopback_v4(80)),
        ("::1", BindTarget::loopback_v6(80)),
    ];
    for (ip, expected) in cases {
        assert_eq!(addr(ip, 80), expected, "{ip}");
    }
    for (ip, text) in [
        ("192.168.1.5", "192.168.1.5:80"),
        ("fe80::1", "[fe80::1]:80"),
    ] {
        let target = addr(ip, 80);
        assert!(target.is_specific_interface(), "{ip}");
        assert_eq!(target.to_string(), text);
        assert_eq!(parse(text), target);
    }
    let rejected = [
        ("224.0.0.1", "invalid address \"224.0.0.1\" at byte 0: a multicast address is not a local address to bind; bind the wildcard and join the group"),
        ("255.255.255.255", "invalid address \"255.255.255.255\" at byte 0: a broadcast address is not a local address to bind"),
        ("::ffff:1.2.3.4", "invalid address \"::ffff:1.2.3.4\" at byte 0: an IPv4-mapped IPv6 address binds an IPv6 socket; write the IPv4 address"),
        ("ff02::1", "invalid address \"ff02::1\" at byte 0: a multicast address is not a local address to bind; bind the wildcard and join the group"),
    ];
    for (ip, message) in rejected {
        let err = BindTarget::ip(ip.parse().unwrap(), 80).unwrap_err();
        assert_eq!(err.to_string(), message, "{ip}");
    }
}

#[test]
#[rustfmt::skip] // one row per line
fn local_address_new_rejects_wildcards_loopbacks_and_stray_zones() {
    let three = Some(zone_index(3));
    let rows: [(&str, Option<Zone>, &str); 5] = [
        ("0.0.0.0", None, r#"invalid address "0.0.0.0" at byte 0: the wildcard address is not a specific address; use BindTarget::any_v4 or any_v6"#),
        ("::1", None, r#"invalid address "::1" at byte 0: 127.0.0.1 and ::1 are loopback targets; use BindTarget::loopback_v4 or loopback_v6"#),
        ("2001:db8::1", three.clone(), r#"invalid address "2001:db8::1%3" at byte 0: only a link-local address (fe80::/10) takes a zone"#),
        ("192.168.1.1", three.clone(), r#"invalid address "192.168.1.1%3" at byte 0: only a link-local address (fe80::/10) takes a zone"#),
        ("fec0::1", three.clone(), r#"invalid address "fec0::1%3" at byte 0: only a link-local address (fe80::/10) takes a zone"#),
    ];
    for (ip, zone, message) in rows {
        let err = LocalAddress::new(ip.parse().unwrap(), zone).unwrap_err();
        assert_eq!(err.to_string(), message, "{ip}");
    }
    // fe80::/10 ends at febf::.
    assert!(LocalAddress::new("febf::1".parse().unwrap(), three).is_ok());
}

#[test]
fn socket_addr_turns_a_scope_id_into_a_zone_index() {
    let sa: SocketAddr = "[fe80::1%7]:443".parse().unwrap();
    let target = BindTarget::socket_addr(sa).unwrap();
    assert_eq!(target, zoned("fe80::1", zone_index(7), 443));
    assert_eq!(target.to_string(), "[fe80::1%7]:443");
    let sa: SocketAddr = "[2001:db8::1%7]:443".parse().unwrap();
    let err = BindTarget::socket_addr(sa).unwrap_err();
    assert!(matches!(err.kind(), K::ZoneNotLinkLocal), "{err}");
    let sa: SocketAddr = "127.0.0.1:1".parse().unwrap();
    assert_eq!(
        BindTarget::socket_addr(sa).unwrap(),
        BindTarget::loopback_v4(1)
    );
}

#[test]
fn port_range_new_validates() {
    assert_eq!(PortRange::new(7, 7).unwrap(), PortRange::single(7));
    assert_eq!(PortRange::new(0, 0).unwrap(), PortRange::single(0));
    let err = PortRange::new(5, 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid port range "5-1" at byte 0: the range is reversed (first port above last)"#
    );
    let err = PortRange::new(0, 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid port range "0-1" at byte 0: a range cannot include port 0 (0 already means: the OS picks)"#
    );
}

#[test]
fn default_is_loopback_on_an_os_chosen_port() {
    assert_eq!(BindTarget::default().to_string(), "localhost:0");
}

// ---------------------------------------------------------------------------------------------
// Bugs once found in src/ while writing these tests, now fixed: regression tests.
// ---------------------------------------------------------------------------------------------

#[test]

fn every_constructible_interface_target_round_trips() {
    let names = [
        "any",
        "ANY",
        "localhost",
        "loopback",
        "port",
        "*",
        "[x",
        "a$b",
    ];
    let mut failures = Vec::new();
    for name in names {
        if let Ok(target) = BindTarget::interface(name, 80) {
            let text = target.to_string();
            if text.parse::<BindTarget>().as_ref() != Ok(&target) {
                failures.push(format!(
                    "{name:?} prints {text:?}, which does not parse back"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]

fn every_constructible_zone_round_trips() {
    let mut failures = Vec::new();
    for name in ["25eth0", "a]b", "a$"] {
        let Ok(zone) = InterfaceName::new(name).map(Zone::Name) else {
            continue;
        };
        // LocalAddress::new may refuse the zone outright, which is fine: no value, no round trip.
        let Ok(address) = LocalAddress::new("fe80::1".parse().unwrap(), Some(zone)) else {
            continue;
        };
        let target = BindTarget::SpecificInterface {
            interface: LocalInterface::Address(address),
            port: 80,
        };
        let text = target.to_string();
        if text.parse::<BindTarget>().as_ref() != Ok(&target) {
            failures.push(format!(
                "zone {name:?} prints {text:?}, which does not parse back"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]

fn every_suggestion_parses_and_keeps_the_range() {
    for input in ["99999", "080", "00"] {
        let err = input.parse::<BindTarget>().unwrap_err();
        for suggestion in err.suggestions() {
            assert!(
                suggestion.parse::<BindTarget>().is_ok(),
                "{input:?} suggests {suggestion:?}, which does not parse"
            );
        }
    }
    // A range of service names is not a single port.
    let err = "port:http-https".parse::<BindTarget>().unwrap_err();
    let suggestions: Vec<&str> = err.suggestions().collect();
    assert!(!suggestions.contains(&"port:80"), "{err}");
}

#[test]

fn offsets_are_char_boundaries() {
    let input = "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}:80"; // 16 bytes of name
    let err = input.parse::<BindTarget>().unwrap_err();
    assert!(
        input.is_char_boundary(err.offset()),
        "offset {} splits a character of {input:?}",
        err.offset()
    );
}

#[test]

fn a_double_range_on_port_is_not_called_a_listener_range() {
    let err = "port:1-2-3".parse::<BindTarget>().unwrap_err();
    assert!(!matches!(err.kind(), K::RangeNotAllowed), "{err}");
}

// ---------------------------------------------------------------------------------------------
// docs/grammar.md
// ---------------------------------------------------------------------------------------------

/// Reads a string written the way `{:?}` writes it (the escapes docs/grammar.md uses).
fn unescape_debug(quoted: &str) -> String {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_else(|| panic!("not a quoted string: {quoted}"));
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                let code = u32::from_str_radix(&hex, 16).expect("hex escape");
                out.push(char::from_u32(code).expect("a char"));
            }
            other => panic!("unknown escape {other:?} in {quoted}"),
        }
    }
    out
}

#[test]
fn the_rejection_table_in_docs_grammar_md_is_exact() {
    let doc = include_str!("../docs/grammar.md");
    let table = doc
        .split("<!-- rejections:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- rejections:end -->").next())
        .expect("docs/grammar.md marks its rejection table");
    let mut rows = 0;
    for line in table
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains('`'))
    {
        let cells: Vec<&str> = line.split(" | ").collect();
        let [_, input, message] = cells[..] else {
            panic!("a row of three cells: {line}");
        };
        let input = unescape_debug(input.trim_matches('`'));
        let message = message.trim_end_matches(" |").trim_matches('`');
        let err = input.parse::<BindTarget>().expect_err(&input);
        assert_eq!(
            err.to_string(),
            message,
            "docs/grammar.md row for {input:?}"
        );
        rows += 1;
    }
    assert!(rows >= 40, "only {rows} rows found");
}

#[test]
fn the_meaning_table_in_docs_grammar_md_parses_to_its_canonical_column() {
    let doc = include_str!("../docs/grammar.md");
    let table = doc
        .split("<!-- meanings:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- meanings:end -->").next())
        .expect("docs/grammar.md marks its meaning table");
    let mut rows = 0;
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [inputs, _meaning, canonical] = cells[..] else {
            panic!("a row of three cells: {line}");
        };
        for input in inputs.split('`').skip(1).step_by(2) {
            let expected = match canonical {
                "unchanged" => input,
                quoted => quoted.trim_matches('`'),
            };
            assert_eq!(
                parse(input).to_string(),
                expected,
                "docs/grammar.md row for {input:?}"
            );
            rows += 1;
        }
    }
    assert_eq!(rows, 23, "the meaning table has 23 example inputs");
}

/// A did-you-mean is checked by parsing it; that check must not suggest in turn, or input made
/// of many layers would recurse once per layer (found by the fuzzer as a stack overflow on
/// `[fe80::1%252525…]`). Run on a small thread stack so that recursion would show here too.
#[test]
fn layered_inputs_do_not_recurse() {
    let inputs = [
        format!("[fe80::1%{}eth0]:80", "25".repeat(50_000)),
        format!("{}0.0.0.0:80", "tcp://".repeat(50_000)),
        format!("{}1:80", "::".repeat(50_000)),
    ];
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            for input in &inputs {
                let err = input.parse::<BindTarget>().unwrap_err();
                for suggestion in err.suggestions() {
                    assert!(suggestion.parse::<BindTarget>().is_ok(), "{suggestion:.40}");
                }
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Debug, conversions and accessors
// ---------------------------------------------------------------------------------------------

#[test]
fn debug_is_the_canonical_form() {
    for spec in [
        "localhost:0",
        "*:8080",
        "0.0.0.0:80",
        "[::]:443",
        "[fe80::1%eth0]:80",
        "eth0:9000",
        "port:40000-40100",
    ] {
        let target: BindTarget = spec.parse().unwrap();
        assert_eq!(format!("{target:?}"), spec);
        // Inside a config dump, too.
        assert_eq!(format!("{:?}", [target]), format!("[{spec}]"));
    }
    let range: PortRange = "40000-40100".parse().unwrap();
    assert_eq!(format!("{range:?}"), "40000-40100");
    assert_eq!(format!("{:?}", PortRange::single(80)), "80");
}

#[test]
fn conversions_and_accessors_take_targets_apart() {
    let addr: std::net::SocketAddr = "192.0.2.10:80".parse().unwrap();
    let target = BindTarget::try_from(addr).unwrap();
    assert_eq!(target.to_string(), "192.0.2.10:80");
    assert_eq!(target.address().map(|a| a.ip()), Some(addr.ip()));
    assert_eq!(target.interface_name(), None);
    assert_eq!(
        BindTarget::try_from("0.0.0.0:80".parse::<std::net::SocketAddr>().unwrap()).unwrap(),
        BindTarget::any_v4(80)
    );
    let err =
        BindTarget::try_from("224.0.0.1:80".parse::<std::net::SocketAddr>().unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid address \"224.0.0.1\" at byte 0: a multicast address is not a local address \
         to bind; bind the wildcard and join the group"
    );

    let named: BindTarget = "eth0:8080".parse().unwrap();
    assert_eq!(named.interface_name().map(|n| n.as_str()), Some("eth0"));
    assert_eq!(named.address(), None);

    let range = PortRange::new(40000, 40100).unwrap();
    let source = BindTarget::from(range);
    assert_eq!(source.to_string(), "port:40000-40100");
    assert_eq!(source.ports(), range);
    assert_eq!(source.address(), None);
}

#[test]
fn an_inherited_target_has_no_port_family_or_address() {
    let target = parse("fd:web");
    assert!(target.is_inherited());
    assert_eq!(target.port(), 0);
    assert_eq!(target.family(), None);
    assert_eq!(target.with_port(80), target);
    assert_eq!(target.kind_name(), "inherited");
    let BindTarget::Inherited(which) = &target else {
        panic!("{target:?}");
    };
    assert_eq!((which.fd_number(), which.fd_name()), (None, Some("web")));
    assert_eq!(Inherited::fd(7).unwrap().fd_number(), Some(7));
    for bad in ["", "123", "a:b", "a b", "a$b"] {
        assert!(Inherited::name(bad).is_err(), "{bad:?}");
    }
    assert!(Inherited::name(&"x".repeat(256)).is_err());
    assert!(Inherited::name(&"x".repeat(255)).is_ok());
    let err = target.resolve().unwrap_err();
    assert_eq!(err.kind(), bindpolicy::ErrorKind::InheritedMismatch);
    assert_eq!(
        err.to_string(),
        "fd:web: a socket the service manager hands over has no address before a listen takes \
         it, and it is a listener, not a client's source; listen on it (listen() takes it as the \
         .socket unit bound it), or name the address the unit binds, e.g. *:8080"
    );
}
