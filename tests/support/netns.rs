//! Network-namespace topologies for `bindpolicy` integration tests.
//!
//! Include it from an integration test with `mod support; use support::netns::*;`
//! (the [`require_netns!`] macro relies on the module living at
//! `crate::support::netns`).
//!
//! # Safety rules this module enforces
//!
//! * Every namespace is named `bp-<pid>-<counter>-<role>`, so concurrent test
//!   binaries and concurrent tests never collide.
//! * [`Netns`] is a drop guard: dropping it (also while unwinding from a test
//!   panic) runs `ip netns del`. Deleting a namespace destroys every
//!   interface inside it, and [`veth`] creates both ends of a pair directly
//!   inside namespaces (`ip -n A link add .. peer name .. netns B`), so no
//!   veth end ever exists in the host namespace.
//! * Every `ip` invocation is scoped with `ip -n NAME` or `ip netns exec NAME`;
//!   the host's interfaces, routes, sysctls and firewall are never touched.
//! * [`Netns::addr_add`] refuses addresses outside `198.18.0.0/15` (benchmark
//!   range) and `fd00::/8` (ULA); link-local `fe80::` addresses are only the
//!   kernel's auto-assigned ones.
//!
//! # Why [`Netns::run`] uses a thread
//!
//! `setns(2)` with `CLONE_NEWNET` switches the network namespace of the
//! *calling thread only*. Switching a libtest worker thread would leak the
//! namespace into whatever that thread runs next, so `run` spawns a fresh
//! thread, enters the namespace there, runs the closure and joins (re-raising
//! a panic with `resume_unwind`). A socket belongs to the namespace it was
//! created in for its whole life, regardless of which thread later uses it:
//! a `TcpListener` created inside `run` can be returned and used to `accept`
//! from the test's own thread, while it still lives in the namespace.
//!
//! # IPv6 DAD choice
//!
//! With duplicate address detection on, a fresh address (including the
//! kernel's `fe80::` link-local) stays `tentative` for roughly 1-2 s and
//! cannot be bound. [`Lan::new`] therefore sets
//! `net.ipv6.conf.{all,default}.accept_dad=0` inside both namespaces *before*
//! creating the veth pair (new interfaces inherit `default`; the kernel skips
//! DAD only when both `all` and the interface value are 0), and adds its
//! global addresses with `nodad`. Link-local addresses are then usable as
//! soon as both ends are up. Hand-built topologies that keep DAD (e.g. to
//! test tentative-address behaviour) can use [`Netns::wait_link_local`] /
//! [`Netns::wait_not_tentative`].

#![allow(dead_code)]

use std::fs::File;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use nix::sched::{CloneFlags, setns};

/// Environment variable: when set to `1`, a missing capability makes
/// [`require_netns!`] / [`skip_or_fail`] panic instead of skipping.
pub const REQUIRE_ENV: &str = "BINDPOLICY_REQUIRE_NETNS";

/// Prefix shared by every namespace this module creates.
pub const NS_PREFIX: &str = "bp-";

/// Server's IPv4 address in the [`Lan`] topology (prefix /16).
pub const SERVER_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 71, 67);
/// Laptop's IPv4 address in the [`Lan`] topology (prefix /16).
pub const LAPTOP_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 158, 94);
/// Server's IPv6 ULA address in the [`Lan`] topology (`fd00:71::67/64`).
pub const SERVER_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x71, 0, 0, 0, 0, 0, 0x67);
/// Laptop's IPv6 ULA address in the [`Lan`] topology (`fd00:71::94/64`).
pub const LAPTOP_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x71, 0, 0, 0, 0, 0, 0x94);
/// Name of the server's veth end in the [`Lan`] topology.
pub const SERVER_DEV: &str = "veth-srv";
/// Name of the laptop's veth end in the [`Lan`] topology.
pub const LAPTOP_DEV: &str = "veth-lap";

/// Default bound for the `wait_*` helpers.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(10);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Skips the calling test (prints `SKIPPED <test>: <reason>` to stderr and
/// `return`s) when network namespaces are unavailable; panics instead when
/// `BINDPOLICY_REQUIRE_NETNS=1`. Use as the first statement of a test
/// returning `()`.
#[allow(unused_macros)]
macro_rules! require_netns {
    () => {
        if let Err(reason) = $crate::support::netns::netns_available() {
            $crate::support::netns::skip_or_fail(&reason);
            return;
        }
    };
}
#[allow(unused_imports)]
pub(crate) use require_netns;

/// Checks once per process that namespace tests can run: effective uid 0,
/// `ip` present, `ip netns add` + `setns` + `ip netns exec` work, `sysctl`
/// and IPv6 work inside a namespace, and `nft` is present and usable there.
/// Returns the reason otherwise.
pub fn netns_available() -> Result<(), String> {
    static RESULT: OnceLock<Result<(), String>> = OnceLock::new();
    RESULT.get_or_init(probe).clone()
}

fn probe() -> Result<(), String> {
    let euid = effective_uid()?;
    if euid != 0 {
        return Err(format!("needs root (effective uid is {euid})"));
    }
    for (tool, flag) in [("ip", "-V"), ("nft", "--version")] {
        match Command::new(tool).arg(flag).output() {
            Ok(o) if o.status.success() => {}
            Ok(o) => return Err(format!("`{tool} {flag}` failed: {}", stderr_of(&o))),
            Err(e) => return Err(format!("`{tool}` not runnable: {e}")),
        }
    }
    let ns = Netns::try_new("probe")?;
    let name = ns.name().to_owned();
    thread::scope(|s| s.spawn(|| enter(&name)).join())
        .map_err(|_| "setns probe thread panicked".to_string())??;
    let out = ns.exec(&["sysctl", "-n", "net.ipv6.conf.default.accept_dad"]);
    if !out.status.success() {
        return Err(format!(
            "`sysctl` (procps) / IPv6 unusable in a netns: {}",
            stderr_of(&out)
        ));
    }
    let out = ns.exec(&["nft", "list", "ruleset"]);
    if !out.status.success() {
        return Err(format!(
            "`nft list ruleset` in a netns failed: {}",
            stderr_of(&out)
        ));
    }
    Ok(())
}

fn effective_uid() -> Result<u32, String> {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        // "Uid:\treal\teffective\tsaved\tfs"
        if let Some(euid) = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
        {
            return Ok(euid);
        }
    }
    let out = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("cannot determine uid: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("cannot parse `id -u`: {e}"))
}

/// Reports a missing capability for the current test: panics with `reason`
/// if `BINDPOLICY_REQUIRE_NETNS=1`, otherwise prints
/// `SKIPPED <test>: <reason>` to stderr. The caller must then return.
pub fn skip_or_fail(reason: &str) {
    let current = thread::current();
    let test = match current.name() {
        Some(n) if n != "main" => n.to_owned(),
        _ => "<test>".to_owned(),
    };
    assert!(
        std::env::var(REQUIRE_ENV).as_deref() != Ok("1"),
        "{REQUIRE_ENV}=1 but network namespaces are unavailable for {test}: {reason}"
    );
    // Write to the stderr handle directly: libtest captures `eprintln!`
    // output of passing tests, and a skip must be visible.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {reason} (set {REQUIRE_ENV}=1 to fail instead) ***\n"
    );
}

/// Names of all network namespaces currently listed by `ip netns list`.
pub fn namespaces_now() -> Vec<String> {
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("run `ip netns list`");
    assert!(out.status.success(), "ip netns list: {}", stderr_of(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Names from [`namespaces_now`] that were created by this process.
pub fn our_namespaces() -> Vec<String> {
    let mine = format!("{NS_PREFIX}{}-", std::process::id());
    namespaces_now()
        .into_iter()
        .filter(|n| n.starts_with(&mine))
        .collect()
}

/// Deletes `bp-<pid>-*` namespaces left behind by test processes that no
/// longer exist (e.g. killed by a signal, where no Drop ran). Opt-in; never
/// touches namespaces of live processes or with other names. Returns the
/// deleted names.
pub fn cleanup_stale() -> Vec<String> {
    let mut deleted = Vec::new();
    for name in namespaces_now() {
        let Some(pid) = name
            .strip_prefix(NS_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists()
            && run_ip(&["netns", "del", &name]).status.success()
        {
            deleted.push(name);
        }
    }
    deleted
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_owned()
}

fn run_ip(args: &[&str]) -> Output {
    Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `ip {}`: {e}", args.join(" ")))
}

/// Opens the bind-mounted namespace file and moves the calling thread into it.
fn enter(name: &str) -> Result<(), String> {
    let file = ["/run/netns", "/var/run/netns"]
        .iter()
        .find_map(|dir| File::open(format!("{dir}/{name}")).ok())
        .ok_or_else(|| format!("netns file for {name} not found in /run/netns"))?;
    setns(&file, CloneFlags::CLONE_NEWNET).map_err(|e| format!("setns({name}): {e}"))
}

/// Panics unless `ip` (an address with or without `/prefix`) is inside
/// `198.18.0.0/15` or `fd00::/8`.
fn assert_test_address(cidr: &str) {
    let addr = cidr.split('/').next().unwrap_or_default();
    let ok = match addr.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.octets()[0] == 198 && v4.octets()[1] & 0xfe == 18,
        Ok(IpAddr::V6(v6)) => v6.octets()[0] == 0xfd,
        Err(_) => false,
    };
    assert!(
        ok,
        "address {cidr:?} is outside the allowed test ranges 198.18.0.0/15 and fd00::/8"
    );
}

fn assert_ifname(dev: &str) {
    assert!(
        !dev.is_empty() && dev.len() <= 15 && !dev.contains(['/', ' ', ':']),
        "invalid interface name {dev:?} (1..=15 bytes, no '/', ' ' or ':')"
    );
}

/// A uniquely named network namespace, deleted when dropped.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates namespace `bp-<pid>-<n>-<role>` with `lo` up; panics on failure.
    pub fn new(role: &str) -> Netns {
        Netns::try_new(role).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Creates namespace `bp-<pid>-<n>-<role>` and leaves `lo` down, as a fresh namespace
    /// is: no address at all, not even 127.0.0.1.
    pub fn bare(role: &str) -> Netns {
        Netns::create(role).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Netns::new`] but returns the error text instead of panicking.
    pub fn try_new(role: &str) -> Result<Netns, String> {
        let ns = Netns::create(role)?;
        let out = run_ip(&["-n", &ns.name, "link", "set", "lo", "up"]);
        if !out.status.success() {
            return Err(format!(
                "`lo up` in {} failed: {}",
                ns.name,
                stderr_of(&out)
            ));
        }
        Ok(ns)
    }

    fn create(role: &str) -> Result<Netns, String> {
        assert!(
            !role.is_empty() && role.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "netns role {role:?} must be non-empty ASCII alphanumerics or '-'"
        );
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{NS_PREFIX}{}-{n}-{role}", std::process::id());
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .map_err(|e| format!("cannot run `ip netns add`: {e}"))?;
        if !out.status.success() {
            return Err(format!("`ip netns add {name}` failed: {}", stderr_of(&out)));
        }
        // The guard exists from here on, so any later failure still cleans up.
        Ok(Netns { name })
    }

    /// The namespace name as shown by `ip netns list`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `f` on a new thread inside this namespace and returns its result;
    /// a panic in `f` is re-raised in the caller. Sockets created in `f` stay
    /// in this namespace and may be returned and used from any thread.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let name = self.name.as_str();
        thread::scope(|s| {
            let handle = thread::Builder::new()
                .name(format!("netns:{name}"))
                .spawn_scoped(s, move || {
                    enter(name).unwrap_or_else(|e| panic!("{e}"));
                    f()
                })
                .expect("spawn netns thread");
            match handle.join() {
                Ok(v) => v,
                Err(payload) => std::panic::resume_unwind(payload),
            }
        })
    }

    /// Spawns a detached-until-joined thread running `f` inside this
    /// namespace (for long-running servers). Join it before the `Netns` is
    /// dropped if its result matters.
    pub fn spawn<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> thread::JoinHandle<T> {
        let name = self.name.clone();
        thread::Builder::new()
            .name(format!("netns:{name}"))
            .spawn(move || {
                enter(&name).unwrap_or_else(|e| panic!("{e}"));
                f()
            })
            .expect("spawn netns thread")
    }

    /// Runs `ip netns exec NAME args...` and returns its output (no checks).
    pub fn exec(&self, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run `ip netns exec {}`: {e}", self.name))
    }

    /// Runs `ip -n NAME args...`; panics with stderr on failure, returns stdout.
    pub fn ip(&self, args: &[&str]) -> String {
        let mut full = vec!["-n", self.name.as_str()];
        full.extend_from_slice(args);
        let out = run_ip(&full);
        assert!(
            out.status.success(),
            "`ip {}` failed: {}",
            full.join(" "),
            stderr_of(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sets a sysctl inside this namespace (`sysctl -w key=value` via
    /// `ip netns exec`); panics on failure. Only per-netns keys (`net.*`)
    /// make sense here.
    pub fn sysctl(&self, key: &str, value: &str) {
        assert!(key.starts_with("net."), "refusing non-netns sysctl {key:?}");
        let kv = format!("{key}={value}");
        let out = self.exec(&["sysctl", "-q", "-w", &kv]);
        assert!(
            out.status.success(),
            "sysctl {kv} in {}: {}",
            self.name,
            stderr_of(&out)
        );
    }

    /// Loads an nftables ruleset into this namespace (`nft -f -`, ruleset on
    /// stdin); panics with nft's stderr on failure.
    pub fn nft(&self, ruleset: &str) {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.name, "nft", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn nft");
        child
            .stdin
            .take()
            .expect("nft stdin")
            .write_all(ruleset.as_bytes())
            .expect("write ruleset to nft");
        let out = child.wait_with_output().expect("wait for nft");
        assert!(
            out.status.success(),
            "nft -f - in {} failed: {}\nruleset:\n{ruleset}",
            self.name,
            stderr_of(&out)
        );
    }

    /// Turns IPv6 DAD off for interfaces created afterwards in this namespace
    /// (`net.ipv6.conf.{all,default}.accept_dad=0`).
    pub fn disable_dad(&self) {
        self.sysctl("net.ipv6.conf.all.accept_dad", "0");
        self.sysctl("net.ipv6.conf.default.accept_dad", "0");
    }

    /// Adds `cidr` (e.g. `198.18.1.1/16`, `fd00:1::1/64`) to `dev`; `nodad`
    /// (IPv6 only, ignored for IPv4) makes it usable at once. Panics on
    /// failure or on an address outside `198.18.0.0/15` / `fd00::/8`.
    pub fn addr_add(&self, dev: &str, cidr: &str, nodad: bool) {
        assert_test_address(cidr);
        let mut args = vec!["addr", "add", cidr, "dev", dev];
        if nodad && cidr.contains(':') {
            args.push("nodad");
        }
        self.ip(&args);
    }

    /// Removes `cidr` from `dev`; panics on failure.
    pub fn addr_del(&self, dev: &str, cidr: &str) {
        self.ip(&["addr", "del", cidr, "dev", dev]);
    }

    /// Deletes link `dev` (for a veth, the peer goes too); panics on failure.
    pub fn link_del(&self, dev: &str) {
        self.ip(&["link", "del", "dev", dev]);
    }

    /// Sets link `dev` administratively up; panics on failure.
    pub fn link_set_up(&self, dev: &str) {
        self.ip(&["link", "set", "dev", dev, "up"]);
    }

    /// Sets link `dev` administratively down; panics on failure.
    pub fn link_set_down(&self, dev: &str) {
        self.ip(&["link", "set", "dev", dev, "down"]);
    }

    /// Interface index of `dev` in this namespace (e.g. for IPv6 scope ids).
    pub fn ifindex(&self, dev: &str) -> u32 {
        let out = self.ip(&["-o", "link", "show", "dev", dev]);
        out.split(':')
            .next()
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("cannot parse ifindex from {out:?}"))
    }

    /// Raw `ip -6 addr show dev DEV` output.
    fn addr6_show(&self, dev: &str) -> String {
        self.ip(&["-6", "addr", "show", "dev", dev])
    }

    /// The `fe80::` address on `dev` if present and not tentative.
    pub fn link_local(&self, dev: &str) -> Option<Ipv6Addr> {
        self.addr6_show(dev).lines().find_map(|l| {
            let mut w = l.split_whitespace();
            if w.next()? != "inet6" {
                return None;
            }
            let addr: Ipv6Addr = w.next()?.split('/').next()?.parse().ok()?;
            let link_local = addr.segments()[0] & 0xffc0 == 0xfe80;
            (link_local && !l.contains("tentative")).then_some(addr)
        })
    }

    /// Polls until no IPv6 address on `dev` is `tentative`; panics after
    /// `timeout`.
    pub fn wait_not_tentative(&self, dev: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let out = self.addr6_show(dev);
            if !out.contains("tentative") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{dev} in {} still tentative after {timeout:?}:\n{out}",
                self.name
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Polls until `dev` has a non-tentative `fe80::` address and returns it;
    /// panics after `timeout`.
    pub fn wait_link_local(&self, dev: &str, timeout: Duration) -> Ipv6Addr {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(addr) = self.link_local(dev) {
                return addr;
            }
            assert!(
                Instant::now() < deadline,
                "{dev} in {} has no usable link-local after {timeout:?}:\n{}",
                self.name,
                self.addr6_show(dev)
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Never panic here: we may already be unwinding from a test failure.
        match Command::new("ip")
            .args(["netns", "del", &self.name])
            .output()
        {
            Ok(o) if o.status.success() => {}
            Ok(o) => eprintln!("netns: failed to delete {}: {}", self.name, stderr_of(&o)),
            Err(e) => eprintln!("netns: cannot run `ip netns del {}`: {e}", self.name),
        }
    }
}

/// Runs `ip -n NS -batch -` with `commands` (one `ip` command a line, without `ip`): a
/// thousand links in a second. Panics with stderr on failure.
pub fn batch(ns: &Netns, commands: &str) {
    let mut child = Command::new("ip")
        .args(["-n", ns.name(), "-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ip -batch");
    child
        .stdin
        .take()
        .expect("ip stdin")
        .write_all(commands.as_bytes())
        .expect("write the batch");
    let out = child.wait_with_output().expect("wait for ip -batch");
    assert!(
        out.status.success(),
        "ip -batch in {} failed: {}",
        ns.name(),
        stderr_of(&out)
    );
}

/// Creates a veth pair with end `a_name` inside `a` and end `b_name` inside
/// `b` (never in the host namespace) and brings both ends up. Names must be
/// at most 15 bytes.
pub fn veth(a: &Netns, a_name: &str, b: &Netns, b_name: &str) {
    assert_ifname(a_name);
    assert_ifname(b_name);
    a.ip(&[
        "link", "add", a_name, "type", "veth", "peer", "name", b_name, "netns", &b.name,
    ]);
    a.link_set_up(a_name);
    b.link_set_up(b_name);
}

/// The standard "Flask" LAN: `server` and `laptop` namespaces joined by a
/// veth pair (`veth-srv` / `veth-lap`), DAD disabled in both, with
/// `198.18.71.67/16` + `fd00:71::67/64` on the server and
/// `198.18.158.94/16` + `fd00:71::94/64` on the laptop. Everything is deleted on drop.
#[derive(Debug)]
pub struct Lan {
    /// Server namespace; its veth end is [`SERVER_DEV`].
    pub server: Netns,
    /// Laptop namespace; its veth end is [`LAPTOP_DEV`].
    pub laptop: Netns,
}

impl Lan {
    /// Builds the topology; all addresses, including link-local, are usable
    /// when this returns.
    pub fn new() -> Lan {
        let lan = Lan {
            server: Netns::new("server"),
            laptop: Netns::new("laptop"),
        };
        lan.server.disable_dad();
        lan.laptop.disable_dad();
        veth(&lan.server, SERVER_DEV, &lan.laptop, LAPTOP_DEV);
        lan.server
            .addr_add(SERVER_DEV, &format!("{SERVER_V4}/16"), false);
        lan.server
            .addr_add(SERVER_DEV, &format!("{SERVER_V6}/64"), true);
        lan.laptop
            .addr_add(LAPTOP_DEV, &format!("{LAPTOP_V4}/16"), false);
        lan.laptop
            .addr_add(LAPTOP_DEV, &format!("{LAPTOP_V6}/64"), true);
        // With DAD off this returns immediately; it guards against surprises.
        lan.server.wait_link_local(SERVER_DEV, WAIT_TIMEOUT);
        lan.laptop.wait_link_local(LAPTOP_DEV, WAIT_TIMEOUT);
        lan
    }

    /// Server's link-local address on [`SERVER_DEV`].
    pub fn server_link_local(&self) -> Ipv6Addr {
        self.server.wait_link_local(SERVER_DEV, WAIT_TIMEOUT)
    }

    /// Laptop's link-local address on [`LAPTOP_DEV`].
    pub fn laptop_link_local(&self) -> Ipv6Addr {
        self.laptop.wait_link_local(LAPTOP_DEV, WAIT_TIMEOUT)
    }

    /// Names of both namespaces (server, laptop).
    pub fn names(&self) -> [String; 2] {
        [self.server.name.clone(), self.laptop.name.clone()]
    }
}

impl Default for Lan {
    fn default() -> Self {
        Lan::new()
    }
}
