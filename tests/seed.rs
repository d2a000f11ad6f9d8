//! The seed experiment: four targets resolved against one fake snapshot (`lo` with 127.0.0.1/8
//! and ::1/128, `eth0` with 192.168.71.67/24 and one fe80::/64 address), with exact answers.

mod support;
use support::snapshot::{LINK_LOCAL, net, seed, socket_addrs};
use support::values::{ip, target};

use std::net::{IpAddr, SocketAddr};

use bindpolicy::{Error, ErrorKind, Network, Reach, Resolved, Warning};

/// `spec` resolved against the seed snapshot.
fn resolve(spec: &str) -> Resolved {
    support::snapshot::resolve(spec, &seed())
}

#[test]
fn any_v4_binds_the_ipv4_wildcard_and_warns_that_every_network_can_connect() {
    let resolved = resolve("0.0.0.0:5000");
    assert_eq!(socket_addrs(&resolved), ["0.0.0.0:5000"]);
    assert_eq!(resolved.addrs()[0].interface(), None);
    assert_eq!(resolved.exposure().reach(), Reach::AllNetworks);
    assert_eq!(
        resolved.warnings(),
        [Warning::AllNetworks {
            target: target("0.0.0.0:5000"),
            networks: vec![net("192.168.71.0/24", "eth0")],
        }]
    );
    assert_eq!(
        resolved.warnings()[0].to_string(),
        "0.0.0.0:5000 accepts connections on every network this machine is on \
         (192.168.71.0/24 on eth0); to limit it, listen on localhost:5000 or one address"
    );
    assert_eq!(
        resolved.exposure().urls("http"),
        ["http://127.0.0.1:5000", "http://192.168.71.67:5000"]
    );
}

#[test]
fn loopback_v4_is_this_machine_only() {
    let resolved = resolve("127.0.0.1:5000");
    assert_eq!(socket_addrs(&resolved), ["127.0.0.1:5000"]);
    assert_eq!(resolved.addrs()[0].interface(), Some("lo"));
    assert_eq!(resolved.exposure().reach(), Reach::ThisMachine);
    assert!(resolved.exposure().is_this_machine_only());
    assert!(resolved.exposure().networks().is_empty());
    assert!(resolved.warnings().is_empty(), "{:?}", resolved.warnings());
    assert_eq!(resolved.exposure().urls("http"), ["http://127.0.0.1:5000"]);
}

#[test]
fn own_address_reaches_exactly_its_network() {
    let resolved = resolve("192.168.71.67:5000");
    assert_eq!(socket_addrs(&resolved), ["192.168.71.67:5000"]);
    assert_eq!(resolved.addrs()[0].interface(), Some("eth0"));
    assert_eq!(resolved.exposure().reach(), Reach::Networks);
    assert!(!resolved.exposure().is_this_machine_only());
    assert_eq!(
        resolved.exposure().networks(),
        [Network {
            interface: "eth0".to_owned(),
            net: "192.168.71.0/24".parse().unwrap(),
        }]
    );
    assert_eq!(
        resolved.exposure().networks()[0].to_string(),
        "192.168.71.0/24 on eth0"
    );
    assert!(resolved.warnings().is_empty(), "{:?}", resolved.warnings());
    assert_eq!(
        resolved.exposure().urls("http"),
        ["http://192.168.71.67:5000"]
    );
}

#[test]
fn foreign_address_is_addr_not_available_with_the_exact_message() {
    let err = target("192.168.158.94:5000")
        .resolve_with(&seed())
        .expect_err("192.168.158.94 is not on the seed snapshot");
    assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
    assert_eq!(err.kind().as_str(), "addr_not_available");
    assert_eq!(
        err.to_string(),
        "192.168.158.94 is not an address of this machine, so the kernel would refuse to bind it \
         (EADDRNOTAVAIL, \"Cannot assign requested address\"). A server can only listen on its \
         own addresses: 127.0.0.1 (lo), 192.168.71.67 (eth0). To accept connections from \
         192.168.158.94, listen on 0.0.0.0:5000 (every interface) or 192.168.71.67:5000 (eth0 \
         only)."
    );
    match &err {
        Error::AddrNotLocal { addr, port, local } => {
            assert_eq!(*addr, ip("192.168.158.94"));
            assert_eq!(*port, 5000);
            let expected: Vec<(IpAddr, String)> = vec![
                (ip("127.0.0.1"), "lo".to_owned()),
                (ip("::1"), "lo".to_owned()),
                (ip("192.168.71.67"), "eth0".to_owned()),
                (ip(LINK_LOCAL), "eth0".to_owned()),
            ];
            assert_eq!(local, &expected);
        }
        other => panic!("expected Error::AddrNotLocal, got {other:?}"),
    }
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::AddrNotAvailable);
}

#[test]
fn seed_link_local_address_gets_eth0_as_its_zone() {
    let resolved = resolve(&format!("[{LINK_LOCAL}]:5000"));
    match resolved.addrs()[0].addr() {
        SocketAddr::V6(v6) => assert_eq!(v6.scope_id(), 2),
        other => panic!("expected an IPv6 socket address, got {other}"),
    }
}
