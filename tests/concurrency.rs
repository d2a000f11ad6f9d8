//! Many threads listen and connect from one shared pinned source port range at once: no error
//! but `port_range_exhausted`, no file descriptor growth, every peer port inside the range.
//!
//! One `#[test]` only: the fd count (/proc/self/fd) is process-wide, and libtest runs the tests
//! of one binary in parallel threads.

mod support;
use support::fds;
use support::random::random_u64;

use std::io::{ErrorKind as IoErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bindpolicy::{BindTarget, ErrorKind, ListenOptions, PortRange};

const THREADS: usize = 8;
const ITERATIONS: usize = 500;
const RANGE_LEN: u16 = 64;

/// A random base in 20000-60000 for a 64-port range. Where the kernel's ephemeral range
/// (net.ipv4.ip_local_port_range, 32768-60999 by default) leaves room below it, the range is
/// kept below it: the listeners of this test bind port 0, and a listener the kernel put on a
/// port of our range would only make that port fail (`addr_in_use`, retried), but it would
/// also make the run less about the library and more about chance.
fn random_range() -> PortRange {
    let ephemeral_low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|p| p.parse().ok()))
        .unwrap_or(32_768);
    let top = if ephemeral_low >= 20_000 + 2 * RANGE_LEN {
        ephemeral_low - RANGE_LEN
    } else {
        60_000 - RANGE_LEN
    };
    let span = u64::from(top - 20_000);
    let base = 20_000 + u16::try_from(random_u64() % span).expect("span fits u16");
    PortRange::new(base, base + RANGE_LEN - 1).expect("valid range")
}

/// Accepts one connection from a nonblocking listener, bounded in time.
fn accept(listener: &TcpListener) -> std::io::Result<(TcpStream, SocketAddr)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match listener.accept() {
            Ok(accepted) => return Ok(accepted),
            Err(e) if e.kind() == IoErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
}

#[derive(Default)]
struct Tally {
    connected: AtomicUsize,
    exhausted: AtomicUsize,
    failures: Mutex<Vec<String>>,
}

impl Tally {
    fn fail(&self, failure: String) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Keep the report short: the first few say what went wrong.
        if failures.len() < 20 {
            failures.push(failure);
        }
    }
}

/// One iteration: listen on `localhost:0`, connect from the range to the 127.0.0.1 listener,
/// accept, compare the ports on both ends, close (the client first).
fn iteration(thread: usize, i: usize, source: &BindTarget, range: PortRange, tally: &Tally) {
    let who = format!("thread {thread} iteration {i}");
    let options = ListenOptions::new().nonblocking(true);
    let listeners = match "localhost:0"
        .parse::<BindTarget>()
        .expect("target")
        .listen_with(&options)
    {
        Ok(listeners) => listeners,
        Err(e) => return tally.fail(format!("{who}: listen localhost:0: {} ({e})", e.kind())),
    };
    let Some((listener, remote)) = listeners.iter().find(|(_, a)| a.is_ipv4()) else {
        return tally.fail(format!("{who}: no 127.0.0.1 listener in {listeners:?}"));
    };
    let mut client = match source.connect_timeout(remote, Duration::from_secs(5)) {
        Ok(client) => client,
        Err(e) if e.kind() == ErrorKind::PortRangeExhausted => {
            tally.exhausted.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Err(e) => return tally.fail(format!("{who}: connect: {} ({e})", e.kind())),
    };
    let (mut server, peer) = match accept(listener) {
        Ok(accepted) => accepted,
        Err(e) => return tally.fail(format!("{who}: accept: {e}")),
    };
    let local = client.local_addr().expect("client local addr");
    if !range.contains(peer.port()) {
        tally.fail(format!("{who}: accepted peer {peer} is outside {range}"));
    }
    if peer != local {
        tally.fail(format!(
            "{who}: accepted peer {peer} but the client is {local}"
        ));
    }
    // The accepted connection is this client's: its port crosses the connection.
    let sent = local.port().to_be_bytes();
    let mut got = [0u8; 2];
    let exchange = client.write_all(&sent).and_then(|()| {
        server.set_read_timeout(Some(Duration::from_secs(5)))?;
        server.read_exact(&mut got)
    });
    match exchange {
        Ok(()) if got == sent => {
            tally.connected.fetch_add(1, Ordering::Relaxed);
        }
        Ok(()) => tally.fail(format!("{who}: read {got:?}, sent {sent:?}")),
        Err(e) => tally.fail(format!("{who}: exchange: {e}")),
    }
    drop(client);
    drop(server);
}

/// TIME_WAIT and why 8 x 500 connections from 64 ports do not run out:
///
/// The client closes first, so each connection leaves the client's 4-tuple
/// (127.0.0.1:SRC, 127.0.0.1:LISTENER) in TIME_WAIT for 60 s; with 4000 connections over 64
/// source ports each port carries dozens of them. That does not exhaust the range because
/// TIME_WAIT blocks a 4-tuple, not a port:
///
/// - bind(): the library sets SO_REUSEADDR on a pinned client port, and Linux lets a socket
///   with SO_REUSEADDR bind a port whose other sockets are all in TIME_WAIT (or connected,
///   non-listening, with SO_REUSEADDR). Only a live *listener* on the port makes bind fail.
/// - connect(): the kernel refuses only an identical 4-tuple. Every iteration's listener has
///   a port of its own (port 0; the OS picks a fresh one), so the new 4-tuple differs from
///   every one in TIME_WAIT. Should the OS hand out a listener port again within 60 s and the
///   source port repeat too, Linux takes the TIME_WAIT entry over (tcp_timestamps=1, the
///   default), or says EADDRNOTAVAIL, on which the library moves on to the next port.
///
/// What can make a port fail is a live socket: at most 8 connections (one per thread) are open
/// at once, so at least 56 of the 64 ports are free at any moment; `port_range_exhausted`
/// (allowed, counted) would take every port failing in one call.
#[test]
fn eight_threads_share_one_pinned_range() {
    let range = random_range();
    let source: BindTarget = format!("port:{range}").parse().expect("source target");
    let tally = Tally::default();
    let started = Instant::now();
    let fds_before = fds::count();
    thread::scope(|s| {
        for t in 0..THREADS {
            let (source, tally) = (&source, &tally);
            s.spawn(move || {
                for i in 0..ITERATIONS {
                    iteration(t, i, source, range, tally);
                }
            });
        }
    });
    let fds_after = fds::count();
    let elapsed = started.elapsed();
    let connected = tally.connected.load(Ordering::Relaxed);
    let exhausted = tally.exhausted.load(Ordering::Relaxed);
    let failures = tally
        .failures
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    eprintln!(
        "range {range}: {connected} connected, {exhausted} port_range_exhausted, {} failures, \
         {fds_before} fds before, {fds_after} after, {elapsed:?}",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        fds_before, fds_after,
        "fd count grew over the run: {fds_before} before, {fds_after} after"
    );
    assert_eq!(connected + exhausted, THREADS * ITERATIONS);
    // Exhaustion is allowed, but a run where most calls ran out would test nothing.
    assert!(
        connected >= THREADS * ITERATIONS / 2,
        "only {connected} of {} iterations connected ({exhausted} exhausted)",
        THREADS * ITERATIONS
    );
}
