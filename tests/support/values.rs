//! Test values written as literals: targets, IP and socket addresses. Each panics, naming the
//! literal, when it does not parse; a test's literal is never meant to be wrong.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bindpolicy::BindTarget;

/// `spec` parsed as a target.
#[track_caller]
pub fn target(spec: &str) -> BindTarget {
    spec.parse()
        .unwrap_or_else(|e| panic!("{spec:?} must parse: {e}"))
}

/// An IP address literal.
#[track_caller]
pub fn ip(text: &str) -> IpAddr {
    text.parse()
        .unwrap_or_else(|e| panic!("test IP literal {text:?}: {e}"))
}

/// A socket address literal (`127.0.0.1:80`, `[::1]:80`).
#[track_caller]
pub fn sa(text: &str) -> SocketAddr {
    text.parse()
        .unwrap_or_else(|e| panic!("test socket address {text:?}: {e}"))
}

/// `ip:port`.
pub fn v4(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(ip), port)
}

/// `[ip]:port`, without flow info or scope id.
pub fn v6(ip: Ipv6Addr, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V6(ip), port)
}
