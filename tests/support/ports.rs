//! Port numbers for tests: one the kernel picks, and blocks of consecutive ports held free.

#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Mutex;

use socket2::{Domain, Socket, Type};

/// A port that was free on 127.0.0.1 a moment ago (the kernel's pick; nothing holds it now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// The ports [`PortBlocks`] hands out: below Linux's ephemeral range (32768-60999 by default),
/// so other processes' outgoing connections do not take them.
pub const LOW: u16 = 10_000;
pub const HIGH: u16 = 32_000;

/// A TCP socket bound to `addr` without SO_REUSEADDR and not listening: it holds the port
/// against any other bind, SO_REUSEADDR or not, yet nothing answers there.
pub fn hold_tcp(addr: SocketAddr) -> std::io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&addr.into())?;
    Ok(socket)
}

/// A block allocator of consecutive ports in [`LOW`]-[`HIGH`]: a block is probed free (bound
/// without SO_REUSEADDR on [::] and on 0.0.0.0) and never handed out twice in one process, so
/// tests running in parallel do not collide. One per test binary, in a `static`.
pub struct PortBlocks {
    /// The next port to probe; 0 until first use.
    next: Mutex<u16>,
    band: u32,
}

impl PortBlocks {
    /// The first block starts at `LOW + ((pid + band) % 200) * 100`: binaries started with
    /// nearby pids, or with the same pid at different times, start in different places when
    /// they use different `band`s.
    pub const fn new(band: u32) -> PortBlocks {
        PortBlocks {
            next: Mutex::new(0),
            band,
        }
    }

    /// `n` consecutive ports, each held by a socket on 0.0.0.0 from [`hold_tcp`], after
    /// checking that [::] is free too.
    pub fn hold(&self, n: u16) -> (u16, Vec<Socket>) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        if *next == 0 {
            let band = (std::process::id() + self.band) % 200;
            *next = LOW + u16::try_from(band).expect("below 200") * 100;
        }
        for _ in 0..2_000 {
            if *next + n > HIGH {
                *next = LOW;
            }
            let first = *next;
            *next += n;
            let held: std::io::Result<Vec<Socket>> = (first..first + n)
                .map(|p| {
                    drop(hold_tcp(SocketAddr::from(([0u16; 8], p)))?);
                    hold_tcp(SocketAddr::from((Ipv4Addr::UNSPECIFIED, p)))
                })
                .collect();
            if let Ok(held) = held {
                return (first, held);
            }
        }
        panic!("no block of {n} free ports in {LOW}-{HIGH}");
    }

    /// `n` consecutive ports that were free a moment ago (held by [`PortBlocks::hold`], then
    /// released).
    pub fn free(&self, n: u16) -> u16 {
        self.hold(n).0
    }
}
