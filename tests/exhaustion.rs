//! Running out of file descriptors, on purpose, in a child process of this test binary (the
//! limit is the child's alone: `setrlimit` there, through nix's safe wrapper):
//!
//! - the merged accept (std and tokio) under `RLIMIT_NOFILE` exhaustion pauses between its
//!   EMFILE errors instead of spinning (counted: calls in one second), keeps every listener
//!   open, and takes the queued connections once fds are free again;
//! - `resolve()` with no fd left for its netlink socket is a typed error, not a panic.
//!
//! The parent makes the connections; only loopback is used.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bindpolicy::BindTarget;
use nix::sys::resource::{Resource, getrlimit, setrlimit};

const CHILD: &str = "BINDPOLICY_EXHAUSTION_CHILD";
const QUEUED: usize = 60;

/// The fd number the next open gets: the lowest free one.
fn lowest_free_fd() -> u64 {
    use std::os::fd::AsRawFd;
    let probe = std::fs::File::open("/dev/null").expect("/dev/null");
    u64::try_from(probe.as_raw_fd()).expect("an fd")
}

/// Lowers this process's soft fd limit so that about `spare` more fds can be opened:
/// RLIMIT_NOFILE bounds fd numbers, and a new fd takes the lowest free number.
fn limit_fds(spare: u64) {
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    setrlimit(Resource::RLIMIT_NOFILE, lowest_free_fd() + spare, hard).expect("setrlimit");
}

/// What the child reports of one run of the merged accept into exhaustion and back.
#[derive(Debug, Default)]
struct Run {
    accepted_before: usize,
    failed_calls_in_one_second: u32,
    emfile: bool,
    listeners_open: bool,
    accepted_after: usize,
}

impl Run {
    fn line(&self) -> String {
        format!(
            "RESULT before={} failed={} emfile={} open={} after={}",
            self.accepted_before,
            self.failed_calls_in_one_second,
            self.emfile,
            self.listeners_open,
            self.accepted_after
        )
    }
}

/// The child: listens on localhost:0, says its port, waits for the parent's connections, then
/// accepts (keeping every stream) until EMFILE, counts the failing calls for one second, frees
/// the streams and takes the rest of the queue.
fn child(kind: &str) {
    let listeners = "127.0.0.1:0"
        .parse::<BindTarget>()
        .unwrap()
        .listen()
        .unwrap();
    println!("PORT {}", listeners.port());
    // The parent connects QUEUED clients, then writes a line.
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    limit_fds(8);
    let run = match kind {
        "std" => run_std(&listeners),
        #[cfg(feature = "tokio")]
        "tokio" => run_tokio(listeners),
        other => panic!("{other}"),
    };
    println!("{}", run.line());
}

fn run_std(listeners: &bindpolicy::Listeners) -> Run {
    let mut run = Run::default();
    let mut held = Vec::new();
    let err = loop {
        match listeners.accept() {
            Ok(accepted) => held.push(accepted.stream),
            Err(err) => break err,
        }
    };
    run.accepted_before = held.len();
    run.emfile = err.raw_os_error() == Some(libc::EMFILE);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(1) {
        if listeners.accept().is_err() {
            run.failed_calls_in_one_second += 1;
        }
    }
    run.listeners_open = listeners
        .sockets()
        .iter()
        .all(|l| l.local_addr().is_ok_and(|a| a.port() == listeners.port()));
    drop(held);
    while run.accepted_before + run.accepted_after < QUEUED {
        let accepted = listeners.accept().expect("accepts again once fds are free");
        drop(accepted);
        run.accepted_after += 1;
    }
    run
}

#[cfg(feature = "tokio")]
fn run_tokio(listeners: bindpolicy::Listeners) -> Run {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listeners = listeners.into_tokio().unwrap();
        let mut run = Run::default();
        let mut held = Vec::new();
        let err = loop {
            match listeners.accept().await {
                Ok(accepted) => held.push(accepted.stream),
                Err(err) => break err,
            }
        };
        run.accepted_before = held.len();
        run.emfile = err.raw_os_error() == Some(libc::EMFILE);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(1) {
            if listeners.accept().await.is_err() {
                run.failed_calls_in_one_second += 1;
            }
        }
        run.listeners_open = listeners.sockets().iter().all(|l| l.local_addr().is_ok());
        drop(held);
        while run.accepted_before + run.accepted_after < QUEUED {
            let accepted = listeners.accept().await.expect("accepts again");
            drop(accepted);
            run.accepted_after += 1;
        }
        run
    })
}

/// Runs the child of `kind`, connects QUEUED clients to it, and returns its RESULT line.
fn exhaust(kind: &str) -> String {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_mode", "--nocapture", "--test-threads=1"])
        .env(CHILD, kind)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let port: u16 = loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the child ended early"
        );
        // libtest writes "test child_mode ... " before the child's first line.
        if let Some((_, port)) = line.trim().split_once("PORT ") {
            break port.parse().unwrap();
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let clients: Vec<TcpStream> = (0..QUEUED)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"go\n").unwrap();
    let mut result = String::new();
    for line in out.lines() {
        let line = line.unwrap();
        if let Some((_, r)) = line.split_once("RESULT ") {
            result = r.to_owned();
        }
    }
    assert!(
        child.wait().unwrap().success(),
        "the child failed: {result}"
    );
    drop(clients);
    result
}

/// Parses `before=N failed=N emfile=B open=B after=N`.
fn fields(result: &str) -> Vec<(String, String)> {
    result
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn check(kind: &str) {
    let result = exhaust(kind);
    let f = fields(&result);
    let get = |k: &str| {
        f.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{k} in {result}"))
    };
    assert_eq!(get("emfile"), "true", "{kind}: {result}");
    assert_eq!(
        get("open"),
        "true",
        "{kind}: every listener stays open: {result}"
    );
    let before: usize = get("before").parse().unwrap();
    let after: usize = get("after").parse().unwrap();
    assert!(before < QUEUED, "{kind}: the limit was reached: {result}");
    assert_eq!(before + after, QUEUED, "{kind}: recovered: {result}");
    // Pauses of 10, 20, 40, ... ms: at most 7 errors fit in a second, however fast the
    // machine; without them, a retrying loop makes hundreds of thousands.
    let failed: u32 = get("failed").parse().unwrap();
    eprintln!("{kind}: {result}");
    assert!(
        (1..=8).contains(&failed),
        "{kind}: {failed} failed calls in 1 s: {result}"
    );
}

#[test]
fn the_std_merged_accept_backs_off_and_recovers() {
    check("std");
}

#[test]
#[cfg(feature = "tokio")]
fn the_tokio_merged_accept_backs_off_and_recovers() {
    check("tokio");
}

/// resolve() of an interface name needs a netlink socket: with no fd left it fails typed.
#[test]
fn resolve_without_a_free_fd_is_a_typed_error() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_mode", "--nocapture", "--test-threads=1"])
        .env(CHILD, "resolve")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result = stdout
        .lines()
        .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("{output:?}"));
    assert!(
        result.starts_with("interfaces "),
        "a typed `interfaces` error: {result}"
    );
    assert_eq!(
        result,
        "interfaces could not list this machine's network interfaces; caused by: Too many open \
         files (os error 24)"
    );
}

/// The child modes; does nothing unless BINDPOLICY_EXHAUSTION_CHILD is set.
#[test]
fn child_mode() {
    let Ok(kind) = std::env::var(CHILD) else {
        return;
    };
    if kind == "resolve" {
        let target: BindTarget = "lo:8080".parse().unwrap();
        limit_fds(0);
        match target.resolve() {
            Ok(r) => println!("RESULT resolved {r:?}"),
            Err(err) => {
                let cause = std::error::Error::source(&err).map(ToString::to_string);
                println!(
                    "RESULT {} {err}; caused by: {}",
                    err.kind(),
                    cause.unwrap_or_default()
                );
            }
        }
        return;
    }
    child(&kind);
}
