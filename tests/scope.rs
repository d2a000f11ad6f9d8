//! `Scope::of` against every entry of the IANA IPv4 and IPv6 Special-Purpose Address Registries
//! (the versions src/interfaces/scope.rs cites), and the ranges outside them it classes:
//! multicast and the IPv6 address space outside 2000::/3. For every entry: its first address,
//! one inside (the middle), its last, and the addresses just below and just above it, each with
//! the class it must have. Then the names: `as_str`, `FromStr` and serde.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bindpolicy::Scope::{self, *};
use ipnet::IpNet;

/// One registry entry: its block, its registry name, the class of every address in it (but for
/// the more specific entries inside it, checked by their own rows), and the class just below its
/// first address and just above its last (`None` past the end of the address space).
struct Entry {
    block: &'static str,
    name: &'static str,
    class: Scope,
    below: Option<Scope>,
    above: Option<Scope>,
}

const fn e(
    block: &'static str,
    name: &'static str,
    class: Scope,
    below: Option<Scope>,
    above: Option<Scope>,
) -> Entry {
    Entry {
        block,
        name,
        class,
        below,
        above,
    }
}

/// The IANA IPv4 Special-Purpose Address Registry, in its order, and IPv4 multicast.
#[rustfmt::skip]
const IPV4: &[Entry] = &[
    e("0.0.0.0/8", "\"This network\", RFC 791", Reserved, None, Some(Global)),
    e("0.0.0.0/32", "\"This host on this network\", RFC 1122", Reserved, None, Some(Reserved)),
    e("10.0.0.0/8", "Private-Use, RFC 1918", Private, Some(Global), Some(Global)),
    e("100.64.0.0/10", "Shared Address Space, RFC 6598", Shared, Some(Global), Some(Global)),
    e("127.0.0.0/8", "Loopback, RFC 1122", Loopback, Some(Global), Some(Global)),
    e("169.254.0.0/16", "Link Local, RFC 3927", LinkLocal, Some(Global), Some(Global)),
    e("172.16.0.0/12", "Private-Use, RFC 1918", Private, Some(Global), Some(Global)),
    e("192.0.0.0/24", "IETF Protocol Assignments, RFC 6890", Reserved, Some(Global), Some(Global)),
    e("192.0.0.0/29", "IPv4 Service Continuity Prefix, RFC 7335", Reserved, Some(Global), Some(Reserved)),
    e("192.0.0.8/32", "IPv4 dummy address, RFC 7600", Reserved, Some(Reserved), Some(Global)),
    e("192.0.0.9/32", "Port Control Protocol Anycast, RFC 7723", Global, Some(Reserved), Some(Global)),
    e("192.0.0.10/32", "Traversal Using Relays around NAT Anycast, RFC 8155", Global, Some(Global), Some(Reserved)),
    e("192.0.0.170/32", "NAT64/DNS64 Discovery, RFC 8880", Reserved, Some(Reserved), Some(Reserved)),
    e("192.0.0.171/32", "NAT64/DNS64 Discovery, RFC 8880", Reserved, Some(Reserved), Some(Reserved)),
    e("192.0.2.0/24", "Documentation (TEST-NET-1), RFC 5737", Documentation, Some(Global), Some(Global)),
    e("192.31.196.0/24", "AS112-v4, RFC 7535", Global, Some(Global), Some(Global)),
    e("192.52.193.0/24", "AMT, RFC 7450", Global, Some(Global), Some(Global)),
    e("192.88.99.0/24", "Deprecated (6to4 Relay Anycast), RFC 7526", Reserved, Some(Global), Some(Global)),
    e("192.88.99.2/32", "6a44-relay anycast address, RFC 6751", Reserved, Some(Reserved), Some(Reserved)),
    e("192.168.0.0/16", "Private-Use, RFC 1918", Private, Some(Global), Some(Global)),
    e("192.175.48.0/24", "Direct Delegation AS112 Service, RFC 7534", Global, Some(Global), Some(Global)),
    e("198.18.0.0/15", "Benchmarking, RFC 2544", Benchmarking, Some(Global), Some(Global)),
    e("198.51.100.0/24", "Documentation (TEST-NET-2), RFC 5737", Documentation, Some(Global), Some(Global)),
    e("203.0.113.0/24", "Documentation (TEST-NET-3), RFC 5737", Documentation, Some(Global), Some(Global)),
    e("240.0.0.0/4", "Reserved, RFC 1112", Reserved, Some(Multicast), None),
    e("255.255.255.255/32", "Limited Broadcast, RFC 8190, RFC 919", Reserved, Some(Reserved), None),
    // Not in the registry.
    e("224.0.0.0/4", "IPv4 Multicast Address Space, RFC 5771", Multicast, Some(Global), Some(Reserved)),
];

/// The IANA IPv6 Special-Purpose Address Registry, in its order (but ::ffff:0:0/96, the
/// IPv4-mapped addresses, in `ipv4_mapped_addresses_have_their_ipv4_class`), then multicast
/// and global unicast from the IPv6 Address Space registry.
#[rustfmt::skip]
const IPV6: &[Entry] = &[
    e("::1/128", "Loopback Address, RFC 4291", Loopback, Some(Reserved), Some(Reserved)),
    e("::/128", "Unspecified Address, RFC 4291", Reserved, None, Some(Loopback)),
    e("64:ff9b::/96", "IPv4-IPv6 Translat., RFC 6052", Global, Some(Reserved), Some(Reserved)),
    e("64:ff9b:1::/48", "IPv4-IPv6 Translat., RFC 8215", Reserved, Some(Reserved), Some(Reserved)),
    e("100::/64", "Discard-Only Address Block, RFC 6666", Reserved, Some(Reserved), Some(Reserved)),
    e("100:0:0:1::/64", "Dummy IPv6 Prefix, RFC 9780", Reserved, Some(Reserved), Some(Reserved)),
    e("2001::/23", "IETF Protocol Assignments, RFC 2928", Reserved, Some(Global), Some(Global)),
    e("2001::/32", "TEREDO, RFC 4380 (N/A: as 2001::/23)", Reserved, Some(Global), Some(Reserved)),
    e("2001:1::1/128", "Port Control Protocol Anycast, RFC 7723", Global, Some(Reserved), Some(Global)),
    e("2001:1::2/128", "Traversal Using Relays around NAT Anycast, RFC 8155", Global, Some(Global), Some(Global)),
    e("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast, RFC 9665", Global, Some(Global), Some(Reserved)),
    e("2001:2::/48", "Benchmarking, RFC 5180", Benchmarking, Some(Reserved), Some(Reserved)),
    e("2001:3::/32", "AMT, RFC 7450", Global, Some(Reserved), Some(Reserved)),
    e("2001:4:112::/48", "AS112-v6, RFC 7535", Global, Some(Reserved), Some(Reserved)),
    e("2001:10::/28", "Deprecated (previously ORCHID), RFC 4843", Reserved, Some(Reserved), Some(Global)),
    e("2001:20::/28", "ORCHIDv2, RFC 7343", Global, Some(Reserved), Some(Global)),
    e("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix, RFC 9374", Global, Some(Global), Some(Reserved)),
    e("2001:db8::/32", "Documentation, RFC 3849", Documentation, Some(Global), Some(Global)),
    e("2002::/16", "6to4, RFC 3056 (N/A: as 2000::/3)", Global, Some(Global), Some(Global)),
    e("2620:4f:8000::/48", "Direct Delegation AS112 Service, RFC 7534", Global, Some(Global), Some(Global)),
    e("3fff::/20", "Documentation, RFC 9637", Documentation, Some(Global), Some(Global)),
    e("5f00::/16", "Segment Routing (SRv6) SIDs, RFC 9602", Reserved, Some(Reserved), Some(Reserved)),
    e("fc00::/7", "Unique-Local, RFC 4193", Private, Some(Reserved), Some(Reserved)),
    e("fe80::/10", "Link-Local Unicast, RFC 4291", LinkLocal, Some(Reserved), Some(Reserved)),
    // Not in the registry: the IPv6 Address Space registry.
    e("ff00::/8", "Multicast, RFC 4291", Multicast, Some(Reserved), None),
    e("2000::/3", "Global Unicast, RFC 4291", Global, Some(Reserved), Some(Reserved)),
];

/// The address `offset` away from `ip` (negative: below), or `None` past either end.
fn step(ip: IpAddr, offset: i8) -> Option<IpAddr> {
    match ip {
        IpAddr::V4(v4) => {
            let n = u32::from(v4);
            let n = if offset < 0 {
                n.checked_sub(1)
            } else {
                n.checked_add(1)
            }?;
            Some(IpAddr::V4(Ipv4Addr::from(n)))
        }
        IpAddr::V6(v6) => {
            let n = u128::from(v6);
            let n = if offset < 0 {
                n.checked_sub(1)
            } else {
                n.checked_add(1)
            }?;
            Some(IpAddr::V6(Ipv6Addr::from(n)))
        }
    }
}

/// The address halfway through `net`.
fn middle(net: IpNet) -> IpAddr {
    match net {
        IpNet::V4(n) => {
            let (lo, hi) = (u32::from(n.network()), u32::from(n.broadcast()));
            IpAddr::V4(Ipv4Addr::from(lo + (hi - lo) / 2))
        }
        IpNet::V6(n) => {
            let (lo, hi) = (u128::from(n.network()), u128::from(n.broadcast()));
            IpAddr::V6(Ipv6Addr::from(lo + (hi - lo) / 2))
        }
    }
}

/// Every address a row checks, with the class it must have and what it is. An address of the
/// block that is in a more specific entry of the same table is left to that entry's row.
fn checks(table: &'static [Entry]) -> Vec<(IpAddr, Scope, String)> {
    let nets: Vec<IpNet> = table
        .iter()
        .map(|e| e.block.parse().expect("block"))
        .collect();
    let mut all = Vec::new();
    for (entry, &net) in table.iter().zip(&nets) {
        let in_narrower = |ip: &IpAddr| {
            nets.iter()
                .any(|n| n.prefix_len() > net.prefix_len() && n.contains(ip))
        };
        let label = |what: &str| format!("{what} {} ({})", entry.block, entry.name);
        for (ip, what) in [
            (net.network(), "first address of"),
            (middle(net), "middle address of"),
            (net.broadcast(), "last address of"),
        ] {
            if !in_narrower(&ip) {
                all.push((ip, entry.class, label(what)));
            }
        }
        for (ip, class, what) in [
            (step(net.network(), -1), entry.below, "just below"),
            (step(net.broadcast(), 1), entry.above, "just above"),
        ] {
            assert_eq!(ip.is_some(), class.is_some(), "{}", label(what));
            if let (Some(ip), Some(class)) = (ip, class) {
                all.push((ip, class, label(what)));
            }
        }
    }
    all
}

#[track_caller]
fn assert_table(table: &'static [Entry]) {
    let wrong: Vec<String> = checks(table)
        .into_iter()
        .filter(|(ip, class, _)| Scope::of(*ip) != *class)
        .map(|(ip, class, what)| format!("{ip}, {what}: {:?}, want {class:?}", Scope::of(ip)))
        .collect();
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn every_ipv4_registry_entry() {
    assert_table(IPV4);
}

#[test]
fn every_ipv6_registry_entry() {
    assert_table(IPV6);
}

#[test]
fn the_tables_check_every_address_they_name() {
    // The registries' 26 IPv4 and 23 IPv6 rows (::ffff:0:0/96 apart; 192.0.0.170/32 and
    // 192.0.0.171/32 are one row there), multicast, and 2000::/3.
    assert_eq!((IPV4.len(), IPV6.len()), (27, 26));
    assert!(checks(IPV4).len() > 4 * IPV4.len());
    assert!(checks(IPV6).len() > 4 * IPV6.len());
}

/// The IPv6 address space that no entry lists: inside 2000::/3 global unicast, outside it
/// (and outside fc00::/7, fe80::/10 and ff00::/8) "Reserved by IETF".
#[test]
fn ipv6_address_space_outside_the_registry() {
    let table: &[(&str, Scope)] = &[
        ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
        ("2000::", Global),
        ("2606:4700::1111", Global),
        ("2a00:1450::1", Global),
        ("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Global),
        ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Global),
        ("4000::", Reserved),
        ("4000::1", Reserved),
        ("::2", Reserved),
        ("::8.8.8.8", Reserved), // deprecated IPv4-compatible address
        ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
        ("fe00::", Reserved),
        ("fec0::1", Reserved), // deprecated site-local
        ("ff02::1", Multicast),
        ("ff0e::1", Multicast),
    ];
    let wrong: Vec<String> = table
        .iter()
        .filter(|(ip, class)| Scope::of(ip.parse().expect("address")) != *class)
        .map(|(ip, class)| format!("{ip}: {:?}, want {class:?}", Scope::of(ip.parse().unwrap())))
        .collect();
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// An IPv4-mapped address has the class of its IPv4 address, edges included; the addresses
/// around ::ffff:0:0/96 are reserved.
#[test]
fn ipv4_mapped_addresses_have_their_ipv4_class() {
    let table: &[(&str, Scope)] = &[
        ("::fffe:ffff:ffff", Reserved),
        ("::ffff:0.0.0.0", Reserved),
        ("::ffff:8.8.8.8", Global),
        ("::ffff:10.0.0.1", Private),
        ("::ffff:127.0.0.1", Loopback),
        ("::ffff:169.254.1.1", LinkLocal),
        ("::ffff:100.64.0.1", Shared),
        ("::ffff:192.0.0.9", Global),
        ("::ffff:192.0.0.8", Reserved),
        ("::ffff:192.0.2.1", Documentation),
        ("::ffff:198.18.0.1", Benchmarking),
        ("::ffff:224.0.0.1", Multicast),
        ("::ffff:255.255.255.255", Reserved),
        ("::1:0:0:0", Reserved),
    ];
    for (ip, class) in table {
        assert_eq!(Scope::of(ip.parse().expect("address")), *class, "{ip}");
    }
}

/// Every class, with its name: `as_str`, `FromStr` and serde agree, both ways.
const NAMES: &[(Scope, &str, &str)] = &[
    (Loopback, "loopback", "this machine only"),
    (LinkLocal, "link_local", "the attached link only"),
    (Private, "private", "private network"),
    (Shared, "shared", "shared (carrier-grade NAT) network"),
    (Documentation, "documentation", "documentation range"),
    (Benchmarking, "benchmarking", "benchmarking range"),
    (Multicast, "multicast", "multicast group"),
    (Reserved, "reserved", "reserved range"),
    (Global, "global", "global"),
];

#[test]
fn names_round_trip_for_every_class() {
    assert_eq!(
        NAMES.iter().map(|&(s, _, _)| s).collect::<Vec<_>>(),
        Scope::ALL
    );
    for &(scope, name, words) in NAMES {
        assert_eq!(scope.as_str(), name);
        assert_eq!(name.parse::<Scope>(), Ok(scope), "{name}");
        assert_eq!(scope.to_string(), words);
    }
    let err = "public".parse::<Scope>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown scope \"public\"; expected loopback, link_local, private, shared, \
         documentation, benchmarking, multicast, reserved or global"
    );
    // The words are not names.
    assert!("documentation range".parse::<Scope>().is_err());
}

#[cfg(feature = "serde")]
#[test]
fn serde_names_for_every_class() {
    for &(scope, name, _) in NAMES {
        let json = format!("\"{name}\"");
        assert_eq!(serde_json::to_string(&scope).expect("serialize"), json);
        assert_eq!(
            serde_json::from_str::<Scope>(&json).expect("deserialize"),
            scope
        );
    }
    let err = serde_json::from_str::<Scope>("\"Documentation\"").unwrap_err();
    assert!(err.to_string().contains("unknown scope"), "{err}");
}
