//! Port numbers for tests.

#![allow(dead_code)]

use std::net::TcpListener;

/// A port that was free on 127.0.0.1 a moment ago (the kernel's pick; nothing holds it now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}
