//! [`Scope`]: the class of an address by its range, who could possibly reach it.
//!
//! The classes follow the IANA Special-Purpose Address Registries, in the versions below;
//! `Scope::Global` is what they call "Globally Reachable". Every entry is one row of the tables
//! `IPV4` and `IPV6`, with its registry name and RFC:
//!
//! - IANA IPv4 Special-Purpose Address Registry, <https://www.iana.org/assignments/iana-ipv4-special-registry>,
//!   created 2009-08-19, last updated 2025-10-09 (RFC 6890, RFC 8190).
//! - IANA IPv6 Special-Purpose Address Registry, <https://www.iana.org/assignments/iana-ipv6-special-registry>,
//!   created 2006-01-10, last updated 2025-10-09 (RFC 4773, RFC 6890, RFC 8190; newest rows
//!   RFC 9602, RFC 9637, RFC 9665, RFC 9780).
//! - Outside them: multicast, 224.0.0.0/4 (IANA IPv4 Multicast Address Space Registry, RFC 5771)
//!   and ff00::/8 (RFC 4291); and the IANA IPv6 Address Space registry
//!   (<https://www.iana.org/assignments/ipv6-address-space>), where unicast outside 2000::/3,
//!   fc00::/7 and fe80::/10 is "Reserved by IETF" and so not reachable from anywhere.
//!
//! An entry whose "Globally Reachable" is N/A or blank (Teredo 2001::/32, 6to4 2002::/16, the
//! terminated 192.88.99.0/24 and 2001:10::/28) takes the class of the block around it, or
//! `Scope::Global` when there is none: Teredo is in the non-global 2001::/23, 6to4 in 2000::/3.
//!
//! To follow a new registry version: add or change the entry's row (a globally reachable entry
//! inside a non-global block goes among the exceptions at the top), its line in the test table of
//! tests/scope.rs, and the dates above.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// The class of an address, by its range: who could possibly reach it.
///
/// The classes follow the IANA IPv4 and IPv6 Special-Purpose Address Registries: [`Global`] is
/// what they call globally reachable, every other class names what a range is for. Each variant
/// lists the registry entries it holds. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) has the
/// class of its IPv4 address, as a dual-stack socket uses it for that address.
///
/// [`Global`]: Scope::Global
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scope {
    /// This machine only: 127.0.0.0/8 (Loopback, RFC 1122) and ::1/128 (Loopback Address,
    /// RFC 4291).
    Loopback,
    /// The directly attached link only: 169.254.0.0/16 (Link Local, RFC 3927) and fe80::/10
    /// (Link-Local Unicast, RFC 4291).
    LinkLocal,
    /// A private network: 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16 (Private-Use, RFC 1918),
    /// and fc00::/7 (Unique-Local, RFC 4193).
    Private,
    /// A carrier-grade NAT's network: 100.64.0.0/10 (Shared Address Space, RFC 6598).
    Shared,
    /// Addresses for examples in documentation, never assigned on a real network:
    /// 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 (TEST-NET-1, -2 and -3, RFC 5737),
    /// 2001:db8::/32 (RFC 3849) and 3fff::/20 (RFC 9637).
    Documentation,
    /// Addresses for benchmarking and test networks, not routed on the internet: 198.18.0.0/15
    /// (RFC 2544) and 2001:2::/48 (RFC 5180).
    Benchmarking,
    /// Multicast groups: 224.0.0.0/4 (RFC 5771) and ff00::/8 (RFC 4291). Not in the
    /// special-purpose registries, which list unicast; IANA keeps multicast registries of its own.
    Multicast,
    /// Special-purpose addresses that are not globally reachable and are none of the classes
    /// above. IPv4: 0.0.0.0/8 ("This network", RFC 791) and 0.0.0.0/32 (RFC 1122), 192.0.0.0/24
    /// (IETF Protocol Assignments, RFC 6890) but for its two globally reachable entries, with
    /// 192.0.0.0/29 (IPv4 Service Continuity Prefix, RFC 7335), 192.0.0.8/32 (IPv4 dummy
    /// address, RFC 7600) and 192.0.0.170/32, 192.0.0.171/32 (NAT64/DNS64 Discovery, RFC 8880,
    /// RFC 7050), 192.88.99.0/24 (Deprecated 6to4 Relay Anycast, RFC 7526) with 192.88.99.2/32
    /// (6a44-relay anycast, RFC 6751), 240.0.0.0/4 (Reserved, RFC 1112) and 255.255.255.255/32
    /// (Limited Broadcast, RFC 8190, RFC 919). IPv6: ::/128 (Unspecified Address, RFC 4291),
    /// 64:ff9b:1::/48 (IPv4-IPv6 Translation, local use, RFC 8215), 100::/64 (Discard-Only,
    /// RFC 6666), 100:0:0:1::/64 (Dummy IPv6 Prefix, RFC 9780), 2001::/23 (IETF Protocol
    /// Assignments, RFC 2928) but for its globally reachable entries and its benchmarking one,
    /// with 2001::/32 (Teredo, RFC 4380) and 2001:10::/28 (Deprecated, previously ORCHID,
    /// RFC 4843), 5f00::/16 (Segment Routing (SRv6) SIDs, RFC 9602), and every unicast address
    /// outside 2000::/3, fc00::/7 and fe80::/10 that no entry lists (Reserved by IETF in the
    /// IPv6 Address Space registry, RFC 4291), such as fec0::/10 (deprecated site-local,
    /// RFC 3879) and ::/96 (deprecated IPv4-compatible addresses).
    Reserved,
    /// Globally reachable, as the registries define it: possibly the whole internet. Every
    /// address no entry lists as something else (IPv4 outside the entries above; IPv6 in
    /// 2000::/3), and the globally reachable entries: 192.0.0.9/32 (Port Control Protocol
    /// Anycast, RFC 7723), 192.0.0.10/32 (TURN Anycast, RFC 8155), 192.31.196.0/24 (AS112-v4,
    /// RFC 7535), 192.52.193.0/24 (AMT, RFC 7450), 192.175.48.0/24 (Direct Delegation AS112
    /// Service, RFC 7534), 64:ff9b::/96 (IPv4-IPv6 Translation, RFC 6052), 2001:1::1/128 (Port
    /// Control Protocol Anycast, RFC 7723), 2001:1::2/128 (TURN Anycast, RFC 8155),
    /// 2001:1::3/128 (DNS-SD Service Registration Protocol Anycast, RFC 9665), 2001:3::/32
    /// (AMT, RFC 7450), 2001:4:112::/48 (AS112-v6, RFC 7535), 2001:20::/28 (ORCHIDv2,
    /// RFC 7343), 2001:30::/28 (Drone Remote ID Protocol Entity Tags, RFC 9374),
    /// 2620:4f:8000::/48 (Direct Delegation AS112 Service, RFC 7534), and 2002::/16 (6to4,
    /// RFC 3056, "N/A" in the registry).
    Global,
}

use Scope::{
    Benchmarking, Documentation, Global, LinkLocal, Loopback, Multicast, Private, Reserved, Shared,
};

/// An IPv4 prefix, checked when the table is compiled.
const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

/// An IPv6 prefix, checked when the table is compiled.
#[allow(clippy::too_many_arguments)]
const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, g: u16, h: u16, len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

/// The IPv4 entries, the first that holds an address gives its class; none gives
/// [`Scope::Global`]. The globally reachable entries inside a non-global block come first.
#[rustfmt::skip]
pub(crate) const IPV4: &[(Ipv4Net, Scope)] = &[
    // Globally reachable inside 192.0.0.0/24.
    (v4(192, 0, 0, 9, 32),          Global),        // Port Control Protocol Anycast, RFC 7723
    (v4(192, 0, 0, 10, 32),         Global),        // Traversal Using Relays around NAT Anycast, RFC 8155
    // The registry, in its order.
    (v4(0, 0, 0, 0, 8),             Reserved),      // "This network", RFC 791
    (v4(0, 0, 0, 0, 32),            Reserved),      // "This host on this network", RFC 1122
    (v4(10, 0, 0, 0, 8),            Private),       // Private-Use, RFC 1918
    (v4(100, 64, 0, 0, 10),         Shared),        // Shared Address Space, RFC 6598
    (v4(127, 0, 0, 0, 8),           Loopback),      // Loopback, RFC 1122
    (v4(169, 254, 0, 0, 16),        LinkLocal),     // Link Local, RFC 3927
    (v4(172, 16, 0, 0, 12),         Private),       // Private-Use, RFC 1918
    (v4(192, 0, 0, 0, 24),          Reserved),      // IETF Protocol Assignments, RFC 6890
    (v4(192, 0, 0, 0, 29),          Reserved),      // IPv4 Service Continuity Prefix, RFC 7335
    (v4(192, 0, 0, 8, 32),          Reserved),      // IPv4 dummy address, RFC 7600
    (v4(192, 0, 0, 170, 32),        Reserved),      // NAT64/DNS64 Discovery, RFC 8880, RFC 7050
    (v4(192, 0, 0, 171, 32),        Reserved),      // NAT64/DNS64 Discovery, RFC 8880, RFC 7050
    (v4(192, 0, 2, 0, 24),          Documentation), // Documentation (TEST-NET-1), RFC 5737
    (v4(192, 31, 196, 0, 24),       Global),        // AS112-v4, RFC 7535
    (v4(192, 52, 193, 0, 24),       Global),        // AMT, RFC 7450
    (v4(192, 88, 99, 0, 24),        Reserved),      // Deprecated (6to4 Relay Anycast), RFC 7526
    (v4(192, 88, 99, 2, 32),        Reserved),      // 6a44-relay anycast address, RFC 6751
    (v4(192, 168, 0, 0, 16),        Private),       // Private-Use, RFC 1918
    (v4(192, 175, 48, 0, 24),       Global),        // Direct Delegation AS112 Service, RFC 7534
    (v4(198, 18, 0, 0, 15),         Benchmarking),  // Benchmarking, RFC 2544
    (v4(198, 51, 100, 0, 24),       Documentation), // Documentation (TEST-NET-2), RFC 5737
    (v4(203, 0, 113, 0, 24),        Documentation), // Documentation (TEST-NET-3), RFC 5737
    (v4(240, 0, 0, 0, 4),           Reserved),      // Reserved, RFC 1112
    (v4(255, 255, 255, 255, 32),    Reserved),      // Limited Broadcast, RFC 8190, RFC 919
    // Outside the registry.
    (v4(224, 0, 0, 0, 4),           Multicast),     // IPv4 Multicast Address Space, RFC 5771
];

/// The IPv6 entries, the first that holds an address gives its class; none gives
/// [`Scope::Reserved`]. The globally reachable entries inside a non-global block come first,
/// and the benchmarking one; then the registry; then the IPv6 address space outside it.
#[rustfmt::skip]
pub(crate) const IPV6: &[(Ipv6Net, Scope)] = &[
    // Globally reachable inside 2001::/23.
    (v6(0x2001, 1, 0, 0, 0, 0, 0, 1, 128),      Global),        // Port Control Protocol Anycast, RFC 7723
    (v6(0x2001, 1, 0, 0, 0, 0, 0, 2, 128),      Global),        // Traversal Using Relays around NAT Anycast, RFC 8155
    (v6(0x2001, 1, 0, 0, 0, 0, 0, 3, 128),      Global),        // DNS-SD Service Registration Protocol Anycast, RFC 9665
    (v6(0x2001, 3, 0, 0, 0, 0, 0, 0, 32),       Global),        // AMT, RFC 7450
    (v6(0x2001, 4, 0x112, 0, 0, 0, 0, 0, 48),   Global),        // AS112-v6, RFC 7535
    (v6(0x2001, 0x20, 0, 0, 0, 0, 0, 0, 28),    Global),        // ORCHIDv2, RFC 7343
    (v6(0x2001, 0x30, 0, 0, 0, 0, 0, 0, 28),    Global),        // Drone Remote ID Protocol Entity Tags (DETs), RFC 9374
    // Not globally reachable inside 2001::/23, and a class of its own.
    (v6(0x2001, 2, 0, 0, 0, 0, 0, 0, 48),       Benchmarking),  // Benchmarking, RFC 5180, RFC Errata 1752
    // The registry, in its order. ::ffff:0:0/96 (IPv4-mapped Address, RFC 4291) is classed by
    // its IPv4 address, in `Scope::of`.
    (v6(0, 0, 0, 0, 0, 0, 0, 1, 128),           Loopback),      // Loopback Address, RFC 4291
    (v6(0, 0, 0, 0, 0, 0, 0, 0, 128),           Reserved),      // Unspecified Address, RFC 4291
    (v6(0x64, 0xff9b, 0, 0, 0, 0, 0, 0, 96),    Global),        // IPv4-IPv6 Translat., RFC 6052
    (v6(0x64, 0xff9b, 1, 0, 0, 0, 0, 0, 48),    Reserved),      // IPv4-IPv6 Translat. (local use), RFC 8215
    (v6(0x100, 0, 0, 0, 0, 0, 0, 0, 64),        Reserved),      // Discard-Only Address Block, RFC 6666
    (v6(0x100, 0, 0, 1, 0, 0, 0, 0, 64),        Reserved),      // Dummy IPv6 Prefix, RFC 9780
    (v6(0x2001, 0, 0, 0, 0, 0, 0, 0, 23),       Reserved),      // IETF Protocol Assignments, RFC 2928
    (v6(0x2001, 0, 0, 0, 0, 0, 0, 0, 32),       Reserved),      // TEREDO, RFC 4380, RFC 8190 (N/A: as 2001::/23)
    (v6(0x2001, 0x10, 0, 0, 0, 0, 0, 0, 28),    Reserved),      // Deprecated (previously ORCHID), RFC 4843
    (v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0, 32),   Documentation), // Documentation, RFC 3849
    (v6(0x2002, 0, 0, 0, 0, 0, 0, 0, 16),       Global),        // 6to4, RFC 3056 (N/A: as 2000::/3)
    (v6(0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0, 48), Global),      // Direct Delegation AS112 Service, RFC 7534
    (v6(0x3fff, 0, 0, 0, 0, 0, 0, 0, 20),       Documentation), // Documentation, RFC 9637
    (v6(0x5f00, 0, 0, 0, 0, 0, 0, 0, 16),       Reserved),      // Segment Routing (SRv6) SIDs, RFC 9602
    (v6(0xfc00, 0, 0, 0, 0, 0, 0, 0, 7),        Private),       // Unique-Local, RFC 4193, RFC 8190
    (v6(0xfe80, 0, 0, 0, 0, 0, 0, 0, 10),       LinkLocal),     // Link-Local Unicast, RFC 4291
    // Outside the registry: the IPv6 Address Space registry; the rest of it is reserved.
    (v6(0xff00, 0, 0, 0, 0, 0, 0, 0, 8),        Multicast),     // Multicast, RFC 4291
    (v6(0x2000, 0, 0, 0, 0, 0, 0, 0, 3),        Global),        // Global Unicast, RFC 4291
];

impl Scope {
    /// The class of `ip`, by the first entry of the registries' tables that holds it.
    ///
    /// ```
    /// use bindpolicy::Scope;
    ///
    /// assert_eq!(Scope::of([192, 0, 2, 1].into()), Scope::Documentation);
    /// assert_eq!(Scope::of([192, 0, 0, 9].into()), Scope::Global); // PCP anycast
    /// assert_eq!(Scope::of([192, 0, 0, 8].into()), Scope::Reserved);
    /// assert_eq!(Scope::of("2001:4:112::1".parse()?), Scope::Global); // AS112-v6
    /// assert_eq!(Scope::of("::ffff:10.0.0.1".parse()?), Scope::Private);
    /// # Ok::<(), std::net::AddrParseError>(())
    /// ```
    pub fn of(ip: IpAddr) -> Scope {
        match ip {
            // A mask and a compare an entry: resolving a wildcard on a host with thousands of
            // addresses classes each of them.
            IpAddr::V4(v4) => {
                let bits = u32::from(v4);
                IPV4.iter()
                    .find(|(net, _)| bits & u32::from(net.netmask()) == u32::from(net.network()))
                    .map_or(Global, |&(_, scope)| scope)
            }
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Scope::of(IpAddr::V4(v4)),
                None => {
                    let bits = u128::from(v6);
                    IPV6.iter()
                        .find(|(net, _)| {
                            bits & u128::from(net.netmask()) == u128::from(net.network())
                        })
                        .map_or(Reserved, |&(_, scope)| scope)
                }
            },
        }
    }

    /// Every class, from the narrowest reach to the widest.
    pub const ALL: &'static [Scope] = &[
        Loopback,
        LinkLocal,
        Private,
        Shared,
        Documentation,
        Benchmarking,
        Multicast,
        Reserved,
        Global,
    ];

    /// The stable snake_case name: `loopback`, `link_local`, `private`, `shared`,
    /// `documentation`, `benchmarking`, `multicast`, `reserved` or `global`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Loopback => "loopback",
            LinkLocal => "link_local",
            Private => "private",
            Shared => "shared",
            Documentation => "documentation",
            Benchmarking => "benchmarking",
            Multicast => "multicast",
            Reserved => "reserved",
            Global => "global",
        }
    }
}

impl std::fmt::Display for Scope {
    /// In a few words: `this machine only`, `the attached link only`, `private network`,
    /// `shared (carrier-grade NAT) network`, `documentation range`, `benchmarking range`,
    /// `multicast group`, `reserved range` or `global`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Loopback => "this machine only",
            LinkLocal => "the attached link only",
            Private => "private network",
            Shared => "shared (carrier-grade NAT) network",
            Documentation => "documentation range",
            Benchmarking => "benchmarking range",
            Multicast => "multicast group",
            Reserved => "reserved range",
            Global => "global",
        })
    }
}

impl std::str::FromStr for Scope {
    type Err = ScopeError;

    /// The name [`Scope::as_str`] gives: `loopback`, `link_local`, `private`, `shared`,
    /// `documentation`, `benchmarking`, `multicast`, `reserved` or `global`.
    fn from_str(text: &str) -> Result<Self, ScopeError> {
        Scope::ALL
            .iter()
            .copied()
            .find(|scope| scope.as_str() == text)
            .ok_or_else(|| ScopeError(text.to_owned()))
    }
}

/// Why a scope name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown scope {0:?}; expected loopback, link_local, private, shared, documentation, \
     benchmarking, multicast, reserved or global"
)]
pub struct ScopeError(String);

#[cfg(test)]
mod tests {
    use super::{IPV4, IPV6};

    /// No entry is hidden behind an earlier one of another class that holds its first address:
    /// the order of the tables matters only where an exception must come first.
    #[test]
    fn no_entry_is_shadowed() {
        for (i, (net, scope)) in IPV4.iter().enumerate() {
            let first = IPV4
                .iter()
                .take(i)
                .find(|(n, _)| n.contains(&net.network()));
            if let Some((earlier, class)) = first {
                assert_eq!(class, scope, "{net} is hidden by {earlier}");
            }
        }
        for (i, (net, scope)) in IPV6.iter().enumerate() {
            let first = IPV6
                .iter()
                .take(i)
                .find(|(n, _)| n.contains(&net.network()));
            if let Some((earlier, class)) = first {
                assert_eq!(class, scope, "{net} is hidden by {earlier}");
            }
        }
    }
}
