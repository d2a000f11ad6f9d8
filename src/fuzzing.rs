//! Entry points for the fuzz targets in fuzz/, built only under cargo-fuzz's `--cfg fuzzing`:
//! they reach parsers that are not public, through the same code the live paths run. Not part
//! of the API.

use crate::activation::{Handover, read_handover};
use crate::interfaces::Interfaces;
use crate::sys;
use crate::target::BindTarget;

/// Targets resolved against the facts a datagram gave: every rule of the resolver gets a go.
const TARGETS: [&str; 9] = [
    "*:80",
    "localhost:80",
    "lo:80",
    "eth0:8080",
    "127.0.0.2:80",
    "198.18.0.1:80",
    "[::1]:80",
    "[fe80::1]:80",
    "[fd00::1%2]:80",
];

/// One netlink datagram of arbitrary bytes through the live path's parsers (links, addresses,
/// local routes, sock_diag sockets), the rows into an [`Interfaces`] snapshot, and each of
/// [`TARGETS`] resolved against it. Panics only where an invariant breaks.
pub fn netlink(bytes: &[u8]) {
    let (rows, sockets) = sys::parse_datagram(bytes);
    for socket in &sockets {
        // IPv4-mapped addresses come as IPv4, so they match an IPv4 question.
        assert!(
            !matches!(socket.local.ip(), std::net::IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some())
        );
    }
    let interfaces = Interfaces::from_rows(rows);
    for target in TARGETS {
        let Ok(target) = target.parse::<BindTarget>() else {
            continue;
        };
        if let Ok(resolved) = target.resolve_with(&interfaces) {
            // Every resolved address is the target's port on an address the facts hold, or a
            // wildcard.
            for addr in resolved.socket_addrs() {
                assert_eq!(addr.port(), target.port());
            }
            let _ = resolved.explain().to_string();
        }
    }
}

/// The socket-activation variables' parsing over `text`: up to six `NAME=VALUE` pairs
/// separated by NUL (names are taken as they come, so the fuzzer finds the real ones), this
/// process being pid 100 with pidfd inode 7.
pub fn activation(text: &str) {
    let pairs: Vec<(&str, &str)> = text
        .split('\0')
        .take(6)
        .filter_map(|pair| pair.split_once('='))
        .collect();
    let var = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    };
    match read_handover(&var, 100, Some(7)) {
        Handover::Ours {
            first,
            count,
            names,
        } => {
            assert!(first >= 3);
            assert!(count <= crate::activation::MAX_LISTEN_FDS);
            assert!(
                i64::from(first) + i64::try_from(count).unwrap_or(i64::MAX) <= i64::from(i32::MAX)
            );
            assert!(names.len() <= count);
        }
        Handover::NotOurs(why) | Handover::Malformed(why) => assert!(!why.is_empty()),
    }
}
