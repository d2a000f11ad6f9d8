//! The resolver over generated facts, against the kernel's bind rules as the crate writes them
//! (src/resolve/mod.rs, `address`), restated here independently:
//!
//! - IPv4 binds where an interface lists the address, where a local route covers it, where a
//!   loopback interface's prefix covers it (127.0.0.1/8 on lo: all of 127/8), or, failing
//!   those, where `net.ipv4.ip_nonlocal_bind` is on (with a `nonlocal_bind` warning);
//! - IPv6 binds where an interface lists it and DAD has not failed (tentative and optimistic
//!   bind; tentative warns), not for a local route (inet6_bind asks `ipv6_chk_addr`, which
//!   knows assigned addresses only), or, failing that, where
//!   `net.ipv6.ip_nonlocal_bind` is on; a DAD-failed address is `dad_failed`;
//! - anything else is `addr_not_available`.
//!
//! Generated: `lo` (127.0.0.1/8, ::1), `eth0` up or down with 0-3 IPv4 addresses of
//! 198.18.0.0/24 and 0-2 IPv6 of fd00::/120 in any DAD state, 0-2 AnyIP routes
//! (198.19.N.0/24, fd00:1:N::/120), both nonlocal sysctls. The literal is one of those
//! addresses, or one in those blocks that may or may not be assigned. Hosts 1-254 only: the
//! directed-broadcast rule is covered by tests/resolve.rs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bindpolicy::{
    BindTarget, Dad, ErrorKind, Interface, InterfaceAddr, Interfaces, LocalRoute, NonlocalBind,
    Warning,
};
use ipnet::IpNet;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Facts {
    eth0_up: bool,
    v4: Vec<u8>,
    v6: Vec<(u8, Dad)>,
    routes: Vec<(bool, u8)>,
    nonlocal: NonlocalBind,
}

fn dad() -> impl Strategy<Value = Dad> {
    prop_oneof![
        Just(Dad::Done),
        Just(Dad::Tentative),
        Just(Dad::Optimistic),
        Just(Dad::Failed)
    ]
}

fn facts() -> impl Strategy<Value = Facts> {
    (
        any::<bool>(),
        prop::collection::vec(1u8..=254, 0..=3),
        prop::collection::vec((1u8..=254, dad()), 0..=2),
        prop::collection::vec((any::<bool>(), 0u8..=3), 0..=2),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(eth0_up, v4, v6, routes, ipv4, ipv6)| Facts {
            eth0_up,
            v4,
            v6,
            routes,
            nonlocal: NonlocalBind { ipv4, ipv6 },
        })
}

fn v4(host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 18, 0, host))
}

fn v6(host: u8) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, u16::from(host)))
}

fn route_net(v6: bool, n: u8) -> IpNet {
    if v6 {
        format!("fd00:1:{n}::/120").parse().unwrap()
    } else {
        format!("198.19.{n}.0/24").parse().unwrap()
    }
}

impl Facts {
    fn interfaces(&self) -> Interfaces {
        let lo = Interface::new("lo", 1)
            .with_loopback(true)
            .with_addr(InterfaceAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8))
            .with_addr(InterfaceAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 128));
        let mut eth0 = Interface::new("eth0", 2).with_up(self.eth0_up);
        for host in &self.v4 {
            eth0 = eth0.with_addr(InterfaceAddr::new(v4(*host), 24));
        }
        for (host, dad) in &self.v6 {
            eth0 = eth0.with_addr(InterfaceAddr::new(v6(*host), 120).with_dad(*dad));
        }
        let mut interfaces = Interfaces::from_interfaces([lo, eth0]);
        for (is_v6, n) in &self.routes {
            interfaces =
                interfaces.with_local_route(LocalRoute::new(route_net(*is_v6, *n), Some("lo")));
        }
        interfaces.with_nonlocal_bind(self.nonlocal)
    }

    /// The oracle: `Ok(nonlocal)` when the kernel binds `ip` (and whether only the sysctl
    /// allows it), else the error kind.
    fn expected(&self, ip: IpAddr) -> Result<bool, ErrorKind> {
        let listed_v6 = self
            .v6
            .iter()
            .filter(|(h, _)| v6(*h) == ip)
            .map(|(_, d)| *d)
            .collect::<Vec<_>>();
        let listed = match ip {
            IpAddr::V4(_) => self.v4.iter().any(|h| v4(*h) == ip),
            IpAddr::V6(_) => !listed_v6.is_empty(),
        };
        if listed {
            // The first carrier decides, as the crate reads them in order.
            return match listed_v6.first() {
                Some(Dad::Failed) => Err(ErrorKind::DadFailed),
                _ => Ok(false),
            };
        }
        // A local route makes IPv4 addresses bind (inet_bind asks the FIB); IPv6's bind asks
        // only for an assigned address (ipv6_chk_addr), so an IPv6 AnyIP route does not.
        let routed = ip.is_ipv4()
            && self
                .routes
                .iter()
                .any(|(is_v6, n)| route_net(*is_v6, *n).contains(&ip));
        let loopback_prefix = matches!(ip, IpAddr::V4(a) if a.octets()[0] == 127);
        if routed || loopback_prefix || ip == IpAddr::V6(Ipv6Addr::LOCALHOST) {
            return Ok(false);
        }
        let sysctl = match ip {
            IpAddr::V4(_) => self.nonlocal.ipv4,
            IpAddr::V6(_) => self.nonlocal.ipv6,
        };
        if sysctl {
            Ok(true)
        } else {
            Err(ErrorKind::AddrNotAvailable)
        }
    }
}

fn literal() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        (1u8..=254).prop_map(v4),
        (1u8..=254).prop_map(v6),
        (0u8..=3, 1u8..=254).prop_map(|(n, h)| IpAddr::V4(Ipv4Addr::new(198, 19, n, h))),
        (0u8..=3, 1u8..=254).prop_map(|(n, h)| IpAddr::V6(Ipv6Addr::new(
            0xfd00,
            1,
            u16::from(n),
            0,
            0,
            0,
            0,
            u16::from(h)
        ))),
        (any::<u8>(), any::<u8>(), 1u8..=254)
            .prop_map(|(a, b, c)| IpAddr::V4(Ipv4Addr::new(127, a, b, c))),
        Just(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn a_literal_resolves_exactly_where_the_kernel_binds_it(facts in facts(), ip in literal(), pick in any::<prop::sample::Index>()) {
        // Half the time, pick one of the generated addresses, so the listed cases are common.
        let assigned: Vec<IpAddr> = facts
            .v4
            .iter()
            .map(|h| v4(*h))
            .chain(facts.v6.iter().map(|(h, _)| v6(*h)))
            .collect();
        let ip = if !assigned.is_empty() && pick.index(2) == 0 { *pick.get(&assigned) } else { ip };
        let target = BindTarget::try_from(SocketAddr::new(ip, 8080)).unwrap();
        let got = target.resolve_with(&facts.interfaces());
        match (facts.expected(ip), &got) {
            (Ok(nonlocal), Ok(resolved)) => {
                prop_assert_eq!(resolved.socket_addrs().collect::<Vec<_>>(), vec![SocketAddr::new(ip, 8080)]);
                let warned = resolved.warnings().iter().any(|w| matches!(w, Warning::NonlocalBind { .. }));
                prop_assert_eq!(warned, nonlocal, "{:?}", resolved.warnings());
            }
            (Err(kind), Err(err)) => prop_assert_eq!(kind, err.kind(), "{}", err),
            (expected, got) => prop_assert!(false, "{ip}: expected {expected:?}, got {got:?} with {facts:?}"),
        }
    }

    /// An interface name resolves to exactly its addresses, in both families, whatever their
    /// DAD state (by name, the crate binds what the interface lists), and is `no_address` when
    /// it has none; a missing name is interface_not_found.
    #[test]
    fn a_name_resolves_to_exactly_its_addresses(facts in facts()) {
        let interfaces = facts.interfaces();
        let got = "eth0:8080".parse::<BindTarget>().unwrap().resolve_with(&interfaces);
        let mut want: Vec<IpAddr> = facts
            .v4
            .iter()
            .map(|h| v4(*h))
            .chain(facts.v6.iter().map(|(h, _)| v6(*h)))
            .collect();
        want.sort();
        want.dedup();
        match got {
            Ok(resolved) => {
                let mut ips: Vec<IpAddr> = resolved.socket_addrs().map(|a| a.ip()).collect();
                ips.sort();
                ips.dedup();
                prop_assert_eq!(ips, want);
            }
            Err(err) => {
                prop_assert_eq!(err.kind(), ErrorKind::NoAddress, "{}", err);
                prop_assert!(want.is_empty(), "{err} with addresses {want:?}");
            }
        }
        let missing = "eth9:8080".parse::<BindTarget>().unwrap().resolve_with(&interfaces);
        prop_assert_eq!(missing.unwrap_err().kind(), ErrorKind::InterfaceNotFound);
    }
}
