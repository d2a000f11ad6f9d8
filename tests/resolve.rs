//! `BindTarget::resolve_with` against fake snapshots: every target kind, every resolve error
//! with its full message, every warning, exposure (reach, scope classes, networks, URLs).

mod support;
use support::snapshot::{LINK_LOCAL, addr, lo, net, resolve, seed, socket_addrs};
use support::values::{ip, target};

use std::net::{IpAddr, SocketAddr};

use bindpolicy::{
    Error, ErrorKind, Family, Interface, Interfaces, PortPrivilege, Reach, Resolved, Scope, Warning,
};

/// A dual-stack host: seed plus a global IPv6 address on eth0 and a ULA on wlan0 (3).
///
/// The global address is 2001:4:112:71::67, in AS112-v6 (2001:4:112::/48, RFC 7535), which the
/// IANA registry marks globally reachable: it stands for any public address, and the tests only
/// read it from this snapshot, never send to it (AS112 exists to sink stray queries anyway).
/// 2001:db8::/32 would not do: it is documentation space, not global.
fn dual() -> Interfaces {
    Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0", 2)
            .with_addr(addr("192.168.71.67", 24))
            .with_addr(addr("2001:4:112:71::67", 64))
            .with_addr(addr(LINK_LOCAL, 64)),
        Interface::new("wlan0", 3)
            .with_addr(addr("10.20.30.40", 16))
            .with_addr(addr("fd12:3456:789a::40", 64)),
    ])
}

/// A host without IPv6 at all: no ::1 either.
fn v4_only() -> Interfaces {
    Interfaces::from_interfaces([
        Interface::new("lo", 1).with_addr(addr("127.0.0.1", 8)),
        Interface::new("eth0", 2).with_addr(addr("192.168.71.67", 24)),
    ])
}

fn fail(spec: &str, snapshot: &Interfaces) -> Error {
    match target(spec).resolve_with(snapshot) {
        Ok(resolved) => panic!("{spec} must fail, resolved to {resolved:?}"),
        Err(err) => err,
    }
}

fn interfaces_of(resolved: &Resolved) -> Vec<Option<&str>> {
    resolved.addrs().iter().map(|a| a.interface()).collect()
}

fn warning_kinds(resolved: &Resolved) -> Vec<&'static str> {
    resolved.warnings().iter().map(Warning::kind).collect()
}

fn scope_id(addr: SocketAddr) -> u32 {
    match addr {
        SocketAddr::V6(v6) => v6.scope_id(),
        SocketAddr::V4(v4) => panic!("expected an IPv6 socket address, got {v4}"),
    }
}

fn privilege(start: u16, capable: bool) -> PortPrivilege {
    PortPrivilege {
        unprivileged_port_start: start,
        can_bind_privileged: capable,
    }
}

// ---------------------------------------------------------------------------------------------
// Any
// ---------------------------------------------------------------------------------------------

#[test]
fn any_both_families_is_both_wildcards() {
    let resolved = resolve("*:8080", &seed());
    assert_eq!(socket_addrs(&resolved), ["0.0.0.0:8080", "[::]:8080"]);
    assert_eq!(interfaces_of(&resolved), [None, None]);
    assert_eq!(resolved.exposure().reach(), Reach::AllNetworks);
    assert_eq!(warning_kinds(&resolved), ["all_networks"]);
    assert_eq!(resolved.target(), &target("*:8080"));
}

#[test]
fn any_both_families_on_a_host_without_ipv6_is_ipv4_only_with_a_warning() {
    let resolved = resolve("*:8080", &v4_only());
    assert_eq!(socket_addrs(&resolved), ["0.0.0.0:8080"]);
    assert_eq!(
        resolved.warnings(),
        [
            Warning::NoIpv6 {
                target: target("*:8080")
            },
            Warning::AllNetworks {
                target: target("*:8080"),
                networks: vec![net("192.168.71.0/24", "eth0")],
            },
        ]
    );
    assert_eq!(
        resolved.warnings()[0].to_string(),
        "this machine has no IPv6 address, so *:8080 covers IPv4 only"
    );
}

#[test]
fn any_both_families_counts_loopback_ipv6_as_ipv6() {
    // Only ::1: the machine does have IPv6, so no fallback.
    let snapshot = Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0", 2).with_addr(addr("192.168.71.67", 24)),
    ]);
    let resolved = resolve("*:8080", &snapshot);
    assert_eq!(socket_addrs(&resolved), ["0.0.0.0:8080", "[::]:8080"]);
    assert!(!warning_kinds(&resolved).contains(&"no_ipv6"));
}

#[test]
fn any_v4_is_the_ipv4_wildcard_only_and_never_warns_about_ipv6() {
    for snapshot in [seed(), v4_only()] {
        let resolved = resolve("0.0.0.0:8080", &snapshot);
        assert_eq!(socket_addrs(&resolved), ["0.0.0.0:8080"]);
        assert_eq!(warning_kinds(&resolved), ["all_networks"]);
    }
}

#[test]
fn any_v6_is_the_ipv6_wildcard_reaching_ipv6_addresses_only() {
    let resolved = resolve("[::]:8080", &seed());
    assert_eq!(socket_addrs(&resolved), ["[::]:8080"]);
    assert_eq!(resolved.exposure().reach(), Reach::AllNetworks);
    let reachable: Vec<IpAddr> = resolved
        .exposure()
        .reachable()
        .iter()
        .map(|r| r.ip())
        .collect();
    assert_eq!(reachable, [ip("::1"), ip(LINK_LOCAL)]);
    assert_eq!(
        resolved.warnings(),
        [Warning::AllNetworks {
            target: target("[::]:8080"),
            networks: vec![net("fe80::/64", "eth0")],
        }]
    );
}

#[test]
fn any_v6_on_a_host_without_ipv6_is_family_unsupported() {
    let err = fail("[::]:8080", &v4_only());
    assert_eq!(err.kind(), ErrorKind::FamilyUnsupported);
    assert_eq!(err.kind().as_str(), "family_unsupported");
    assert!(matches!(
        err,
        Error::FamilyUnsupported {
            family: Family::Ipv6,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        format!(
            "IPv6 is not available on this machine: it has no IPv6 address, not even ::1 (IPv6 \
             is disabled: net.ipv6.conf.all.disable_ipv6=1, or ipv6.disable=1 at boot); use the \
             IPv4 form"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Loopback
// ---------------------------------------------------------------------------------------------

#[test]
fn localhost_is_both_loopbacks_on_lo() {
    let resolved = resolve("localhost:5000", &seed());
    assert_eq!(socket_addrs(&resolved), ["127.0.0.1:5000", "[::1]:5000"]);
    assert_eq!(interfaces_of(&resolved), [Some("lo"), Some("lo")]);
    assert_eq!(resolved.exposure().reach(), Reach::ThisMachine);
    assert!(resolved.warnings().is_empty(), "{:?}", resolved.warnings());
    assert_eq!(
        resolved.exposure().urls("http"),
        ["http://127.0.0.1:5000", "http://[::1]:5000"]
    );
}

#[test]
fn localhost_without_ipv6_loopback_is_ipv4_only_with_a_warning() {
    let resolved = resolve("localhost:5000", &v4_only());
    assert_eq!(socket_addrs(&resolved), ["127.0.0.1:5000"]);
    assert_eq!(
        resolved.warnings(),
        [Warning::NoIpv6 {
            target: target("localhost:5000")
        }]
    );
    assert_eq!(resolved.exposure().reach(), Reach::ThisMachine);
}

#[test]
fn localhost_falls_back_when_only_ipv6_loopback_is_missing() {
    // IPv6 on eth0, but ::1 is not assigned (e.g. lo has disable_ipv6=1).
    let snapshot = Interfaces::from_interfaces([
        Interface::new("lo", 1).with_addr(addr("127.0.0.1", 8)),
        Interface::new("eth0", 2)
            .with_addr(addr("192.168.71.67", 24))
            .with_addr(addr("2001:4:112:71::67", 64)),
    ]);
    let resolved = resolve("localhost:5000", &snapshot);
    assert_eq!(socket_addrs(&resolved), ["127.0.0.1:5000"]);
    assert_eq!(warning_kinds(&resolved), ["no_ipv6"]);
}

#[test]
fn loopback_v6_is_ipv6_loopback_only() {
    let resolved = resolve("[::1]:5000", &seed());
    assert_eq!(socket_addrs(&resolved), ["[::1]:5000"]);
    assert_eq!(interfaces_of(&resolved), [Some("lo")]);
    assert_eq!(resolved.exposure().reach(), Reach::ThisMachine);
}

#[test]
fn loopback_v6_without_ipv6_loopback_is_family_unsupported_saying_why() {
    let err = fail("[::1]:5000", &v4_only());
    assert_eq!(err.kind(), ErrorKind::FamilyUnsupported);
    assert_eq!(
        err.to_string(),
        format!(
            "IPv6 is not available on this machine: ::1 is not assigned to any interface (IPv6 \
             is off on lo: net.ipv6.conf.lo.disable_ipv6=1); use the IPv4 form"
        )
    );
}

/// lo with ::1 but no 127.0.0.1 (deleted by hand), IPv4 on eth0: the IPv4 loopback does not
/// bind, so a target that needs it is refused naming lo; the IPv6 loopback alone is fine and
/// draws no loopback warning.
#[test]
fn loopback_without_127_0_0_1_refuses_ipv4_and_keeps_ipv6() {
    let snapshot = Interfaces::from_interfaces([
        Interface::new("lo", 1).with_addr(addr("::1", 128)),
        Interface::new("eth0", 2).with_addr(addr("192.168.71.67", 24)),
    ]);
    for spec in ["localhost:5000", "127.0.0.1:5000"] {
        let err = fail(spec, &snapshot);
        assert_eq!(err.kind(), ErrorKind::NoAddress, "{spec}");
        assert_eq!(
            err.to_string(),
            "interface lo has no IPv4 address to bind (it is up); assign one, or bring the \
             interface up",
            "{spec}"
        );
    }
    let resolved = resolve("[::1]:5000", &snapshot);
    assert_eq!(socket_addrs(&resolved), ["[::1]:5000"]);
    assert!(resolved.warnings().is_empty(), "{:?}", resolved.warnings());
}

// ---------------------------------------------------------------------------------------------
// One address
// ---------------------------------------------------------------------------------------------

#[test]
fn own_ipv6_address_resolves_to_its_interface() {
    let resolved = resolve("[2001:4:112:71::67]:443", &dual());
    assert_eq!(socket_addrs(&resolved), ["[2001:4:112:71::67]:443"]);
    assert_eq!(scope_id(resolved.addrs()[0].addr()), 0);
    assert_eq!(interfaces_of(&resolved), [Some("eth0")]);
    assert_eq!(resolved.exposure().reach(), Reach::Networks);
    let networks: Vec<String> = resolved
        .exposure()
        .networks()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(networks, ["2001:4:112:71::/64 on eth0"]);
}

#[test]
fn foreign_ipv6_address_is_addr_not_available_with_the_exact_message() {
    let err = fail("[2001:db8::99]:5000", &dual());
    assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
    assert_eq!(
        err.to_string(),
        "2001:db8::99 is not an address of this machine, so the kernel would refuse to bind it \
         (EADDRNOTAVAIL, \"Cannot assign requested address\"). A server can only listen on its \
         own addresses: ::1 (lo), 2001:4:112:71::67 (eth0), fe80::5054:ff:fe12:3456 (eth0), \
         fd12:3456:789a::40 (wlan0). To accept connections from 2001:db8::99, listen on \
         [::]:5000 (every interface), [2001:4:112:71::67]:5000 (eth0 only) or \
         [fd12:3456:789a::40]:5000 (wlan0 only)."
    );
}

#[test]
fn foreign_address_on_a_host_without_addresses_says_none_found() {
    let err = fail("[fd00::94]:80", &Interfaces::default());
    assert_eq!(
        err.to_string(),
        "fd00::94 is not an address of this machine, so the kernel would refuse to bind it \
         (EADDRNOTAVAIL, \"Cannot assign requested address\"). A server can only listen on its \
         own addresses: none found. To accept connections from fd00::94, listen on [::]:80 \
         (every interface)."
    );
}

/// Without any IPv4 address there is no local table yet (a namespace whose lo was never up),
/// and Linux binds every IPv4 address: measured in a fresh namespace, 198.18.5.5 and
/// 127.0.0.1 both bind.
#[cfg(target_os = "linux")]
#[test]
fn without_any_ipv4_address_every_ipv4_address_binds_with_a_warning() {
    let resolved = resolve("192.168.158.94:80", &Interfaces::default());
    assert_eq!(socket_addrs(&resolved), ["192.168.158.94:80"]);
    assert_eq!(resolved.warnings(), [Warning::NoLocalTable]);
    assert_eq!(
        resolved.warnings()[0].to_string(),
        "no interface has an IPv4 address (lo was never brought up), so the kernel accepts any \
         IPv4 address and nothing can reach it; bring lo up (ip link set lo up)"
    );
    // IPv6 has no such rule.
    fail("[fd00::94]:80", &Interfaces::default());
}

#[cfg(target_os = "linux")]
#[test]
fn every_address_in_127_slash_8_is_local_on_linux_and_belongs_to_lo() {
    for literal in ["127.0.0.2", "127.1.2.3", "127.255.255.254"] {
        let resolved = resolve(&format!("{literal}:5000"), &seed());
        assert_eq!(socket_addrs(&resolved), [format!("{literal}:5000")]);
        assert_eq!(interfaces_of(&resolved), [Some("lo")], "{literal}");
        assert_eq!(resolved.exposure().reach(), Reach::ThisMachine, "{literal}");
        assert_eq!(
            resolved.exposure().urls("http"),
            [format!("http://{literal}:5000")]
        );
        assert!(resolved.warnings().is_empty(), "{:?}", resolved.warnings());
    }
}

#[test]
fn tentative_address_resolves_with_a_tentative_warning() {
    let snapshot = Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0", 2)
            .with_addr(addr("192.168.71.67", 24))
            .with_addr(addr("2001:4:112:71::67", 64).with_tentative(true)),
    ]);
    let resolved = resolve("[2001:4:112:71::67]:8080", &snapshot);
    assert_eq!(socket_addrs(&resolved), ["[2001:4:112:71::67]:8080"]);
    assert_eq!(
        resolved.warnings(),
        [Warning::Tentative {
            addr: ip("2001:4:112:71::67"),
            interface: "eth0".to_owned(),
        }]
    );
    assert_eq!(
        resolved.warnings()[0].to_string(),
        "2001:4:112:71::67 on eth0 is tentative: binding it fails (EADDRNOTAVAIL) until duplicate \
         address detection completes, about 1 s after the address was added (dad_transmits × \
         retrans_time_ms, 1 × 1000 ms by default)"
    );
    // The IPv4 address of the same interface is not tentative.
    assert!(
        resolve("192.168.71.67:8080", &snapshot)
            .warnings()
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// Link-local IPv6
// ---------------------------------------------------------------------------------------------

#[test]
fn link_local_on_exactly_one_interface_gets_its_index_as_zone() {
    let resolved = resolve(&format!("[{LINK_LOCAL}]:80"), &seed());
    assert_eq!(socket_addrs(&resolved), [format!("[{LINK_LOCAL}%2]:80")]);
    assert_eq!(scope_id(resolved.addrs()[0].addr()), 2);
    assert_eq!(interfaces_of(&resolved), [Some("eth0")]);
    assert_eq!(resolved.exposure().reach(), Reach::Networks);
    assert_eq!(
        resolved.exposure().urls("http"),
        [format!("http://[{LINK_LOCAL}%25eth0]:80")]
    );
}

/// A link-local address whose DAD failed, after an IPv4 address on the same interface: the
/// failure is that address's, found among the interface's, with or without a zone.
#[test]
fn link_local_that_failed_dad_is_dad_failed() {
    let snapshot = Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0", 2)
            .with_addr(addr("192.168.71.67", 24))
            .with_addr(addr("fe80::2", 64))
            .with_addr(addr(LINK_LOCAL, 64).with_dad(bindpolicy::Dad::Failed)),
    ]);
    for spec in [
        format!("[{LINK_LOCAL}]:80"),
        format!("[{LINK_LOCAL}%eth0]:80"),
    ] {
        let err = fail(&spec, &snapshot);
        assert_eq!(err.kind(), ErrorKind::DadFailed, "{spec}");
        assert_eq!(
            err.to_string(),
            format!(
                "{LINK_LOCAL} on eth0 failed duplicate address detection: another host on the \
                 link already uses it, so the kernel will never bind it here (waiting does not \
                 help); find that host (ip -6 neigh show {LINK_LOCAL}), or remove the address \
                 (ip addr del {LINK_LOCAL}/64 dev eth0) and use another"
            ),
            "{spec}"
        );
    }
    let resolved = resolve("[fe80::2]:80", &snapshot);
    assert_eq!(socket_addrs(&resolved), ["[fe80::2%2]:80"]);
}

#[test]
fn link_local_with_zone_by_name_or_index_uses_that_interface() {
    for zone in ["eth0", "2"] {
        let resolved = resolve(&format!("[{LINK_LOCAL}%{zone}]:80"), &seed());
        assert_eq!(scope_id(resolved.addrs()[0].addr()), 2, "zone {zone}");
        assert_eq!(interfaces_of(&resolved), [Some("eth0")], "zone {zone}");
    }
}

fn two_links() -> Interfaces {
    Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0", 2).with_addr(addr("fe80::1", 64)),
        Interface::new("wlan0", 3).with_addr(addr("fe80::1", 64)),
    ])
}

#[test]
fn link_local_on_several_interfaces_requires_a_zone_naming_them() {
    let err = fail("[fe80::1]:80", &two_links());
    assert_eq!(err.kind(), ErrorKind::ZoneRequired);
    assert_eq!(err.kind().as_str(), "zone_required");
    match &err {
        Error::ZoneRequired {
            candidates, port, ..
        } => {
            assert_eq!(candidates, &["eth0", "wlan0"]);
            assert_eq!(*port, 80);
        }
        other => panic!("expected ZoneRequired, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "fe80::1 is link-local and is on several interfaces (eth0, wlan0); name one as its zone, \
         e.g. [fe80::1%eth0]:80"
    );
    // With a zone it resolves, to the interface named.
    let resolved = resolve("[fe80::1%wlan0]:80", &two_links());
    assert_eq!(scope_id(resolved.addrs()[0].addr()), 3);
    assert_eq!(interfaces_of(&resolved), [Some("wlan0")]);
    let resolved = resolve("[fe80::1%2]:80", &two_links());
    assert_eq!(interfaces_of(&resolved), [Some("eth0")]);
}

#[test]
fn link_local_on_no_interface_without_zone_requires_a_zone() {
    let err = fail("[fe80::99]:80", &seed());
    assert_eq!(err.kind(), ErrorKind::ZoneRequired);
    assert!(matches!(&err, Error::ZoneRequired { candidates, .. } if candidates.is_empty()));
    assert_eq!(
        err.to_string(),
        "fe80::99 is link-local, and no interface of this machine carries it, so it needs a zone \
         naming the link: write [fe80::99%IFACE]:80"
    );
}

#[test]
fn link_local_zone_naming_a_missing_interface_is_interface_not_found() {
    let err = fail(&format!("[{LINK_LOCAL}%eth9]:80"), &seed());
    assert_eq!(err.kind(), ErrorKind::InterfaceNotFound);
    assert_eq!(
        err.to_string(),
        "no interface is named \"eth9\"; did you mean \"eth0\"? This machine has: lo, eth0."
    );
    let err = fail(&format!("[{LINK_LOCAL}%9]:80"), &seed());
    assert_eq!(err.kind(), ErrorKind::InterfaceNotFound);
    assert_eq!(
        err.to_string(),
        "no interface has index 9. This machine has: lo, eth0."
    );
}

#[test]
fn link_local_zone_naming_an_interface_without_the_address_is_zone_mismatch() {
    for zone in ["lo", "1"] {
        let err = fail(&format!("[{LINK_LOCAL}%{zone}]:80"), &seed());
        assert_eq!(err.kind(), ErrorKind::AddrNotAvailable, "zone {zone}");
        match &err {
            Error::ZoneMismatch {
                addr,
                zone: given,
                carriers,
            } => {
                assert_eq!(IpAddr::V6(*addr), ip(LINK_LOCAL));
                assert_eq!(given, zone);
                assert_eq!(carriers, &["eth0"]);
            }
            other => panic!("expected ZoneMismatch, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!(
                "{LINK_LOCAL} is not an address of {zone} (it is on eth0); fix the zone after '%'"
            )
        );
    }
    let err = fail("[fe80::99%eth0]:80", &seed());
    assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
    assert_eq!(
        err.to_string(),
        "fe80::99 is not an address of eth0 (no interface carries it); fix the zone after '%'"
    );
}

// ---------------------------------------------------------------------------------------------
// Interface name
// ---------------------------------------------------------------------------------------------

#[test]
fn interface_name_is_all_its_addresses_ipv4_first_link_local_with_zone() {
    let resolved = resolve("eth0:8080", &dual());
    assert_eq!(
        socket_addrs(&resolved),
        [
            "192.168.71.67:8080".to_owned(),
            "[2001:4:112:71::67]:8080".to_owned(),
            format!("[{LINK_LOCAL}%2]:8080"),
        ]
    );
    assert_eq!(interfaces_of(&resolved), [Some("eth0"); 3]);
    assert_eq!(scope_id(resolved.addrs()[1].addr()), 0);
    assert_eq!(scope_id(resolved.addrs()[2].addr()), 2);
    assert_eq!(resolved.exposure().reach(), Reach::Networks);
    assert!(resolved.warnings().is_empty(), "{:?}", resolved.warnings());
    assert_eq!(
        resolved.exposure().urls("https"),
        [
            "https://192.168.71.67:8080".to_owned(),
            "https://[2001:4:112:71::67]:8080".to_owned(),
            format!("https://[{LINK_LOCAL}%25eth0]:8080"),
        ]
    );
}

#[test]
fn interface_name_order_is_ipv4_first_and_does_not_depend_on_enumeration_order() {
    let os_orders = [
        ["10.0.0.5", "fe80::1", "192.168.1.5", "2001:db8::5"],
        ["fe80::1", "2001:db8::5", "192.168.1.5", "10.0.0.5"],
        ["2001:db8::5", "192.168.1.5", "fe80::1", "10.0.0.5"],
    ];
    let results: Vec<Vec<String>> = os_orders
        .iter()
        .map(|order| {
            let iface = order
                .iter()
                .fold(Interface::new("eth0", 2), |i, a| i.with_addr(addr(a, 24)));
            socket_addrs(&resolve(
                "eth0:80",
                &Interfaces::from_interfaces([lo(), iface]),
            ))
        })
        .collect();
    for result in &results {
        let families: Vec<bool> = result.iter().map(|a| a.starts_with('[')).collect();
        assert_eq!(families, [false, false, true, true], "{result:?}");
        assert_eq!(result, &results[0], "order must be stable");
    }
}

#[test]
fn interface_name_binds_a_duplicated_address_once() {
    let snapshot = Interfaces::from_interfaces([Interface::new("eth0", 2)
        .with_addr(addr("192.168.71.67", 24))
        .with_addr(addr("192.168.71.67", 24))]);
    assert_eq!(
        socket_addrs(&resolve("eth0:80", &snapshot)),
        ["192.168.71.67:80"]
    );
}

#[test]
fn loopback_interface_by_name_is_this_machine_only() {
    let resolved = resolve("lo:80", &seed());
    assert_eq!(socket_addrs(&resolved), ["127.0.0.1:80", "[::1]:80"]);
    assert_eq!(resolved.exposure().reach(), Reach::ThisMachine);
}

#[test]
fn interface_name_with_a_dot_that_exists_resolves() {
    let snapshot = Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0.100", 7).with_addr(addr("10.100.0.1", 24)),
    ]);
    let resolved = resolve("eth0.100:80", &snapshot);
    assert_eq!(socket_addrs(&resolved), ["10.100.0.1:80"]);
    assert_eq!(interfaces_of(&resolved), [Some("eth0.100")]);
}

#[test]
fn unknown_interface_lists_names_with_a_did_you_mean() {
    let err = fail("eht0:80", &seed());
    assert_eq!(err.kind(), ErrorKind::InterfaceNotFound);
    assert_eq!(err.kind().as_str(), "interface_not_found");
    match &err {
        Error::InterfaceNotFound { name, known, .. } => {
            assert_eq!(name, "eht0");
            assert_eq!(known, &["lo", "eth0"]);
        }
        other => panic!("expected InterfaceNotFound, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "no interface is named \"eht0\"; did you mean \"eth0\"? This machine has: lo, eth0."
    );
}

#[test]
fn unknown_interface_without_a_close_name_lists_names_only() {
    let err = fail("docker0:80", &seed());
    assert_eq!(
        err.to_string(),
        "no interface is named \"docker0\". This machine has: lo, eth0."
    );
    let err = fail("eth0:80", &Interfaces::default());
    assert_eq!(
        err.to_string(),
        "no interface is named \"eth0\". Check `ip link` for the interfaces this machine has now."
    );
}

const HOST_NAME_HINT: &str = " It looks like a host name: bindpolicy never resolves host names, \
     since a name can map to addresses this machine does not have. Write one of this machine's \
     addresses (e.g. 192.0.2.10:8080), localhost:PORT for this machine only, or *:PORT for every \
     interface.";

#[test]
fn host_name_where_an_interface_name_goes_says_host_names_are_never_resolved() {
    for name in ["example.com", "db.local"] {
        let err = fail(&format!("{name}:80"), &seed());
        assert_eq!(err.kind(), ErrorKind::InterfaceNotFound, "{name}");
        assert_eq!(
            err.to_string(),
            format!(
                "no interface is named \"{name}\". This machine has: lo, eth0.{HOST_NAME_HINT}"
            )
        );
    }
    // A name without a dot gets no host-name hint.
    assert!(!fail("wlp3s0:80", &seed()).to_string().contains("host name"));
}

#[test]
fn interface_without_address_is_no_address_naming_it_and_its_state() {
    for (up, state) in [(true, "up"), (false, "down")] {
        let snapshot = Interfaces::from_interfaces([lo(), Interface::new("eth1", 3).with_up(up)]);
        let err = fail("eth1:80", &snapshot);
        assert_eq!(err.kind(), ErrorKind::NoAddress);
        assert_eq!(err.kind().as_str(), "no_address");
        match &err {
            Error::NoAddress {
                interface,
                state: got,
                ..
            } => {
                assert_eq!(interface, "eth1");
                assert_eq!(got, state);
            }
            other => panic!("expected NoAddress, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!(
                "interface eth1 has no address to bind (it is {state}); assign one, or bring \
                 the interface up"
            )
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Port targets
// ---------------------------------------------------------------------------------------------

#[test]
fn port_target_resolves_to_the_wildcards_reaching_nothing_without_listen_warnings() {
    let snapshot = seed().with_port_privilege(privilege(1024, false));
    for spec in ["port:40000", "port:40000-40100", "port:80", "port:0"] {
        let resolved = resolve(spec, &snapshot);
        let port = target(spec).port();
        assert_eq!(
            socket_addrs(&resolved),
            [format!("0.0.0.0:{port}"), format!("[::]:{port}")],
            "{spec}"
        );
        assert_eq!(resolved.exposure().reach(), Reach::Nothing, "{spec}");
        assert!(resolved.exposure().urls("http").is_empty(), "{spec}");
        assert!(
            resolved.warnings().is_empty(),
            "{spec}: {:?}",
            resolved.warnings()
        );
    }
}

#[test]
fn port_target_on_a_host_without_ipv6_is_the_ipv4_wildcard_without_warning() {
    let resolved = resolve("port:40000", &v4_only());
    assert_eq!(socket_addrs(&resolved), ["0.0.0.0:40000"]);
    assert!(resolved.warnings().is_empty(), "{:?}", resolved.warnings());
}

// ---------------------------------------------------------------------------------------------
// Warnings
// ---------------------------------------------------------------------------------------------

#[test]
fn all_networks_warning_names_every_non_loopback_network_once() {
    let snapshot = Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0", 2)
            .with_addr(addr("192.168.71.67", 24))
            .with_addr(addr("192.168.71.68", 24))
            .with_addr(addr("2001:4:112:71::67", 64)),
        Interface::new("wg0", 4).with_addr(addr("100.64.3.7", 10)),
    ]);
    let resolved = resolve("*:8080", &snapshot);
    assert_eq!(
        resolved.warnings(),
        [Warning::AllNetworks {
            target: target("*:8080"),
            networks: vec![
                net("100.64.0.0/10", "wg0"),
                net("192.168.71.0/24", "eth0"),
                net("2001:4:112:71::/64", "eth0"),
            ],
        }]
    );
    assert_eq!(
        resolved.warnings()[0].to_string(),
        "*:8080 accepts connections on every network this machine is on (100.64.0.0/10 on wg0, \
         192.168.71.0/24 on eth0, 2001:4:112:71::/64 on eth0); to limit it, listen on \
         localhost:8080 or one address"
    );
}

/// Past 32 reachable addresses the networks are de-duplicated by sorting, not by a scan: the
/// same three networks either way, each once, in the order of the reachable addresses (by
/// address).
#[test]
fn networks_of_a_host_with_many_addresses_are_each_listed_once() {
    let mut eth0 = Interface::new("eth0", 2);
    for n in 1..=20 {
        eth0 = eth0
            .with_addr(addr(&format!("198.18.1.{n}"), 24))
            .with_addr(addr(&format!("198.18.3.{n}"), 24));
    }
    let mut eth1 = Interface::new("eth1", 3);
    for n in 1..=5 {
        eth1 = eth1.with_addr(addr(&format!("198.18.2.{n}"), 24));
    }
    let many = Interfaces::from_interfaces([lo(), eth0, eth1]);
    let networks = |snapshot: &Interfaces| -> Vec<String> {
        resolve("*:80", snapshot)
            .exposure()
            .networks()
            .iter()
            .map(|n| format!("{} on {}", n.net, n.interface))
            .collect()
    };
    assert_eq!(
        networks(&many),
        [
            "198.18.1.0/24 on eth0",
            "198.18.2.0/24 on eth1",
            "198.18.3.0/24 on eth0"
        ]
    );
    // A handful of addresses takes the scan: the same answer.
    let few = Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0", 2)
            .with_addr(addr("198.18.1.1", 24))
            .with_addr(addr("198.18.3.1", 24))
            .with_addr(addr("198.18.1.2", 24)),
        Interface::new("eth1", 3).with_addr(addr("198.18.2.1", 24)),
    ]);
    assert_eq!(
        networks(&few),
        [
            "198.18.1.0/24 on eth0",
            "198.18.2.0/24 on eth1",
            "198.18.3.0/24 on eth0"
        ]
    );
}

#[test]
fn all_networks_warning_on_a_loopback_only_host_names_no_network() {
    let resolved = resolve("*:8080", &Interfaces::from_interfaces([lo()]));
    assert_eq!(resolved.exposure().reach(), Reach::AllNetworks);
    assert_eq!(
        resolved.warnings()[0].to_string(),
        "*:8080 accepts connections on every network this machine is on; to limit it, listen on \
         localhost:8080 or one address"
    );
}

#[test]
fn privileged_port_warning_only_below_the_start_and_without_capability() {
    // (start, capable, port, warns)
    let cases = [
        (1024, false, 80, true),
        (1024, false, 1, true),
        (1024, false, 1023, true),
        (1024, false, 1024, false),
        (1024, false, 8080, false),
        (1024, true, 80, false),
        (80, false, 79, true),
        (80, false, 80, false),
        (0, false, 1, false),
    ];
    for (start, capable, port, warns) in cases {
        let snapshot = seed().with_port_privilege(privilege(start, capable));
        for spec in [
            format!("localhost:{port}"),
            format!("192.168.71.67:{port}"),
            format!("*:{port}"),
            format!("eth0:{port}"),
        ] {
            let resolved = resolve(&spec, &snapshot);
            let found: Vec<&Warning> = resolved
                .warnings()
                .iter()
                .filter(|w| w.kind() == "privileged_port")
                .collect();
            if warns {
                assert_eq!(
                    found,
                    [&Warning::PrivilegedPort {
                        port,
                        unprivileged_port_start: start,
                    }],
                    "{spec} start {start} capable {capable}"
                );
            } else {
                assert!(
                    found.is_empty(),
                    "{spec} start {start} capable {capable}: {found:?}"
                );
            }
        }
    }
}

#[test]
fn privileged_port_warning_message() {
    let snapshot = seed().with_port_privilege(privilege(1024, false));
    let resolved = resolve("localhost:80", &snapshot);
    assert_eq!(warning_kinds(&resolved), ["privileged_port"]);
    assert_eq!(
        resolved.warnings()[0].to_string(),
        "port 80 is below 1024 (net.ipv4.ip_unprivileged_port_start) and this process lacks \
         CAP_NET_BIND_SERVICE, so bind will fail with EACCES"
    );
}

#[test]
fn no_privileged_port_warning_without_privilege_facts() {
    let snapshot = seed();
    assert_eq!(snapshot.port_privilege(), None);
    assert!(resolve("localhost:80", &snapshot).warnings().is_empty());
    let with = snapshot.with_port_privilege(privilege(1024, false));
    assert_eq!(with.port_privilege(), Some(privilege(1024, false)));
}

#[test]
fn port_zero_warns_ephemeral_and_never_privileged() {
    let snapshot = seed().with_port_privilege(privilege(1024, false));
    let resolved = resolve("localhost:0", &snapshot);
    assert_eq!(resolved.warnings(), [Warning::EphemeralPort]);
    assert_eq!(
        resolved.warnings()[0].to_string(),
        "port 0: the OS picks a port at bind, so clients must learn it from the bound addresses"
    );
    assert_eq!(
        warning_kinds(&resolve("*:0", &snapshot)),
        ["all_networks", "ephemeral_port"]
    );
}

#[test]
fn link_local_only_warning_when_every_address_is_link_local() {
    let snapshot = Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0", 2).with_addr(addr("fe80::1", 64)),
        Interface::new("eth1", 3)
            .with_addr(addr("169.254.7.8", 16))
            .with_addr(addr("fe80::2", 64)),
    ]);
    let resolved = resolve("eth0:80", &snapshot);
    assert_eq!(
        resolved.warnings(),
        [Warning::LinkLocalOnly {
            addrs: vec!["[fe80::1%2]:80".parse().expect("socket address")],
        }]
    );
    assert_eq!(
        resolved.warnings()[0].to_string(),
        "only link-local addresses ([fe80::1%2]:80): only hosts on the same link can connect"
    );
    let resolved = resolve("eth1:80", &snapshot);
    assert_eq!(warning_kinds(&resolved), ["link_local_only"]);
    assert_eq!(resolved.exposure().reach(), Reach::Networks);
    // One address that is not link-local is enough to drop the warning.
    assert!(resolve("eth0:80", &seed()).warnings().is_empty());
}

#[test]
fn tentative_addresses_of_an_interface_are_warned_about_by_name() {
    let snapshot = Interfaces::from_interfaces([Interface::new("eth0", 2)
        .with_addr(addr("192.168.71.67", 24))
        .with_addr(addr("fe80::1", 64).with_tentative(true))]);
    let resolved = resolve("eth0:80", &snapshot);
    assert_eq!(
        resolved.warnings(),
        [Warning::Tentative {
            addr: ip("fe80::1"),
            interface: "eth0".to_owned(),
        }]
    );
}

#[test]
fn interface_down_warning_once_per_interface() {
    let snapshot = Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0", 2)
            .with_addr(addr("192.168.71.67", 24))
            .with_addr(addr("2001:4:112:71::67", 64))
            .with_up(false),
    ]);
    let resolved = resolve("eth0:80", &snapshot);
    assert_eq!(
        resolved.warnings(),
        [Warning::InterfaceDown {
            interface: "eth0".to_owned()
        }]
    );
    assert_eq!(
        resolved.warnings()[0].to_string(),
        "interface eth0 is down: nothing comes in through it until it is up (ip link set eth0 \
         up); its IPv4 addresses stay this machine's, so packets for them that reach another \
         interface still arrive"
    );
    assert_eq!(
        warning_kinds(&resolve("192.168.71.67:80", &snapshot)),
        ["interface_down"]
    );
    // A wildcard belongs to no interface: no down warning.
    assert_eq!(warning_kinds(&resolve("*:80", &snapshot)), ["all_networks"]);
}

#[test]
fn warning_kinds_are_stable_names() {
    let t = target("*:80");
    let sa: SocketAddr = "[fe80::1%2]:80".parse().expect("socket address");
    let all = [
        (
            Warning::AllNetworks {
                target: t.clone(),
                networks: vec![],
            },
            "all_networks",
        ),
        (
            Warning::PrivilegedPort {
                port: 80,
                unprivileged_port_start: 1024,
            },
            "privileged_port",
        ),
        (Warning::EphemeralPort, "ephemeral_port"),
        (Warning::NoIpv6 { target: t }, "no_ipv6"),
        (
            Warning::LinkLocalOnly { addrs: vec![sa] },
            "link_local_only",
        ),
        (
            Warning::Tentative {
                addr: ip("fe80::1"),
                interface: "eth0".to_owned(),
            },
            "tentative",
        ),
        (
            Warning::InterfaceDown {
                interface: "eth0".to_owned(),
            },
            "interface_down",
        ),
    ];
    for (warning, kind) in all {
        assert_eq!(warning.kind(), kind);
    }
}

// ---------------------------------------------------------------------------------------------
// Exposure
// ---------------------------------------------------------------------------------------------

// Scope::of over every IANA registry entry: tests/scope.rs.

#[test]
fn scope_names_are_stable() {
    assert_eq!(
        Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        [
            "loopback",
            "link_local",
            "private",
            "shared",
            "documentation",
            "benchmarking",
            "multicast",
            "reserved",
            "global"
        ]
    );
    assert_eq!(
        [
            Reach::ThisMachine,
            Reach::Networks,
            Reach::AllNetworks,
            Reach::Nothing
        ]
        .map(Reach::as_str),
        ["this_machine", "networks", "all_networks", "nothing"]
    );
}

#[test]
fn reachable_addresses_carry_interface_network_and_scope() {
    let resolved = resolve("*:8080", &dual());
    let rows: Vec<(String, &str, String, Scope)> = resolved
        .exposure()
        .reachable()
        .iter()
        .map(|r| {
            (
                r.ip().to_string(),
                r.interface(),
                r.network().to_string(),
                r.scope(),
            )
        })
        .collect();
    let expected: Vec<(String, &str, String, Scope)> = [
        ("127.0.0.1", "lo", "127.0.0.0/8 on lo", Scope::Loopback),
        ("::1", "lo", "::1/128 on lo", Scope::Loopback),
        (
            "10.20.30.40",
            "wlan0",
            "10.20.0.0/16 on wlan0",
            Scope::Private,
        ),
        (
            "192.168.71.67",
            "eth0",
            "192.168.71.0/24 on eth0",
            Scope::Private,
        ),
        (
            "2001:4:112:71::67",
            "eth0",
            "2001:4:112:71::/64 on eth0",
            Scope::Global,
        ),
        (
            "fd12:3456:789a::40",
            "wlan0",
            "fd12:3456:789a::/64 on wlan0",
            Scope::Private,
        ),
        (LINK_LOCAL, "eth0", "fe80::/64 on eth0", Scope::LinkLocal),
    ]
    .into_iter()
    .map(|(a, i, n, s)| (a.to_owned(), i, n.to_owned(), s))
    .collect();
    assert_eq!(rows, expected);
}

#[test]
fn urls_are_one_per_reachable_address_loopback_first_ipv6_bracketed_zone_escaped() {
    let resolved = resolve("*:8080", &dual());
    assert_eq!(
        resolved.exposure().urls("http"),
        [
            "http://127.0.0.1:8080".to_owned(),
            "http://[::1]:8080".to_owned(),
            "http://10.20.30.40:8080".to_owned(),
            "http://192.168.71.67:8080".to_owned(),
            "http://[2001:4:112:71::67]:8080".to_owned(),
            "http://[fd12:3456:789a::40]:8080".to_owned(),
            format!("http://[{LINK_LOCAL}%25eth0]:8080"),
        ]
    );
    assert_eq!(
        resolved.exposure().urls("http").len(),
        resolved.exposure().reachable().len()
    );
}

#[test]
fn reach_per_target_kind() {
    let cases = [
        ("*:80", Reach::AllNetworks),
        ("0.0.0.0:80", Reach::AllNetworks),
        ("[::]:80", Reach::AllNetworks),
        ("localhost:80", Reach::ThisMachine),
        ("127.0.0.1:80", Reach::ThisMachine),
        ("[::1]:80", Reach::ThisMachine),
        ("lo:80", Reach::ThisMachine),
        ("192.168.71.67:80", Reach::Networks),
        ("[2001:4:112:71::67]:80", Reach::Networks),
        ("eth0:80", Reach::Networks),
        ("wlan0:80", Reach::Networks),
        ("port:80", Reach::Nothing),
    ];
    for (spec, reach) in cases {
        assert_eq!(resolve(spec, &dual()).exposure().reach(), reach, "{spec}");
    }
}

#[test]
fn resolve_with_is_deterministic_and_keeps_the_target() {
    for spec in [
        "*:80",
        "localhost:0",
        "eth0:80",
        "192.168.71.67:80",
        "port:1",
    ] {
        let first = resolve(spec, &dual());
        assert_eq!(first, resolve(spec, &dual()), "{spec}");
        assert_eq!(first.target(), &target(spec));
    }
}
