//! `BindTarget::resolve()` and `Interfaces::current()` on this machine, checked against
//! `ip -j addr` (iproute2). Skips loudly when `ip` is missing; set `BINDPOLICY_REQUIRE_IP=1` to
//! fail instead.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::process::Command;

use bindpolicy::{BindTarget, ErrorKind, Interfaces, Reach, Resolved};

const REQUIRE_ENV: &str = "BINDPOLICY_REQUIRE_IP";

/// One interface as `ip -j addr` shows it.
#[derive(Debug)]
struct IpLink {
    index: u32,
    name: String,
    up: bool,
    loopback: bool,
    addrs: Vec<IpAddrInfo>,
}

/// One `addr_info` entry.
#[derive(Debug)]
struct IpAddrInfo {
    ip: IpAddr,
    prefix_len: u8,
    tentative: bool,
}

fn skip(reason: &str) {
    assert!(
        std::env::var(REQUIRE_ENV).as_deref() != Ok("1"),
        "{REQUIRE_ENV}=1 but: {reason}"
    );
    let test = std::thread::current().name().unwrap_or("<test>").to_owned();
    // Straight to the stderr handle: libtest captures eprintln! of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {reason} (set {REQUIRE_ENV}=1 to fail instead) ***\n"
    );
}

/// `ip -j addr`, parsed; `None` (after a loud skip) when `ip` cannot run.
fn ip_addr() -> Option<Vec<IpLink>> {
    let out = match Command::new("ip").args(["-j", "addr"]).output() {
        Ok(out) => out,
        Err(e) => {
            skip(&format!("`ip -j addr` cannot run ({e}); install iproute2"));
            return None;
        }
    };
    assert!(
        out.status.success(),
        "ip -j addr failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("ip -j addr prints JSON");
    let links = json.as_array().expect("ip -j addr prints an array");
    Some(links.iter().map(parse_link).collect())
}

fn parse_link(link: &serde_json::Value) -> IpLink {
    let flags: Vec<&str> = link["flags"]
        .as_array()
        .map(|f| f.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default();
    let addrs = link["addr_info"]
        .as_array()
        .map(|infos| {
            infos
                .iter()
                .filter_map(|info| {
                    let ip: IpAddr = info["local"].as_str()?.parse().ok()?;
                    Some(IpAddrInfo {
                        ip,
                        prefix_len: u8::try_from(info["prefixlen"].as_u64()?).ok()?,
                        tentative: info["tentative"].as_bool().unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    IpLink {
        index: u32::try_from(link["ifindex"].as_u64().expect("ifindex")).expect("u32 ifindex"),
        name: link["ifname"].as_str().expect("ifname").to_owned(),
        up: flags.contains(&"UP"),
        loopback: flags.contains(&"LOOPBACK"),
        addrs,
    }
}

fn is_link_local(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(v6) if v6.is_unicast_link_local())
}

/// The socket address `resolve` should produce for `ip` on interface `index`.
fn socket(ip: IpAddr, port: u16, index: u32) -> SocketAddr {
    match ip {
        IpAddr::V6(v6) if is_link_local(ip) => {
            SocketAddr::V6(SocketAddrV6::new(v6, port, 0, index))
        }
        _ => SocketAddr::new(ip, port),
    }
}

fn resolve(spec: &str) -> Resolved {
    spec.parse::<BindTarget>()
        .unwrap_or_else(|e| panic!("{spec} must parse: {e}"))
        .resolve()
        .unwrap_or_else(|e| panic!("{spec} must resolve on this machine: {e}"))
}

fn current() -> Interfaces {
    Interfaces::current().unwrap_or_else(|e| panic!("Interfaces::current(): {e}"))
}

#[test]
fn localhost_agrees_with_ip() {
    let Some(links) = ip_addr() else { return };
    let has = |ip: IpAddr| links.iter().any(|l| l.addrs.iter().any(|a| a.ip == ip));
    assert!(
        has(Ipv4Addr::LOCALHOST.into()),
        "this test assumes 127.0.0.1 on lo"
    );
    let resolved = resolve("localhost:0");
    let got: Vec<SocketAddr> = resolved.socket_addrs().collect();
    let mut expected = vec![SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0)];
    if has(Ipv6Addr::LOCALHOST.into()) {
        expected.push(SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 0));
    }
    assert_eq!(got, expected);
    let lo = links
        .iter()
        .find(|l| {
            l.addrs
                .iter()
                .any(|a| a.ip == IpAddr::V4(Ipv4Addr::LOCALHOST))
        })
        .map(|l| l.name.as_str());
    assert!(resolved.addrs().iter().all(|a| a.interface() == lo));
    assert_eq!(resolved.exposure().reach(), Reach::ThisMachine);
    let mut kinds: Vec<&str> = resolved.warnings().iter().map(|w| w.kind()).collect();
    kinds.sort_unstable();
    let mut expected_kinds = vec!["ephemeral_port"];
    if !has(Ipv6Addr::LOCALHOST.into()) {
        expected_kinds.insert(0, "no_ipv6");
    }
    assert_eq!(kinds, expected_kinds);
}

#[test]
fn any_agrees_with_ip() {
    let Some(links) = ip_addr() else { return };
    let has_v6 = links.iter().any(|l| l.addrs.iter().any(|a| a.ip.is_ipv6()));
    let resolved = resolve("*:0");
    let got: Vec<SocketAddr> = resolved.socket_addrs().collect();
    let mut expected = vec![SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0)];
    if has_v6 {
        expected.push(SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0));
    }
    assert_eq!(got, expected);
    assert_eq!(resolved.exposure().reach(), Reach::AllNetworks);
    // Everyone who can connect: every address ip lists, with its interface.
    let reachable: BTreeSet<(IpAddr, String)> = resolved
        .exposure()
        .reachable()
        .iter()
        .map(|r| (r.ip(), r.interface().to_owned()))
        .collect();
    let listed: BTreeSet<(IpAddr, String)> = links
        .iter()
        .flat_map(|l| l.addrs.iter().map(|a| (a.ip, l.name.clone())))
        .collect();
    assert_eq!(reachable, listed);
    assert_eq!(resolved.exposure().urls("http").len(), listed.len());
}

#[test]
fn first_non_loopback_interface_by_name_agrees_with_ip() {
    let Some(links) = ip_addr() else { return };
    let Some(link) = links.iter().find(|l| !l.loopback && !l.addrs.is_empty()) else {
        skip("no non-loopback interface with an address");
        return;
    };
    let resolved = resolve(&format!("{}:0", link.name));
    let got: BTreeSet<SocketAddr> = resolved.socket_addrs().collect();
    let expected: BTreeSet<SocketAddr> = link
        .addrs
        .iter()
        .map(|a| socket(a.ip, 0, link.index))
        .collect();
    assert_eq!(got, expected, "{}: resolve vs ip -j addr", link.name);
    assert_eq!(got.len(), resolved.addrs().len(), "no address twice");
    assert!(
        resolved
            .addrs()
            .iter()
            .all(|a| a.interface() == Some(link.name.as_str()))
    );
    let families: Vec<bool> = resolved.socket_addrs().map(|a| a.is_ipv6()).collect();
    let mut sorted = families.clone();
    sorted.sort_unstable();
    assert_eq!(families, sorted, "IPv4 first: {:?}", resolved.addrs());
}

#[test]
fn current_agrees_with_ip_on_names_indexes_prefixes_and_state() {
    let Some(links) = ip_addr() else { return };
    let snapshot = current();
    // rtnetlink lists every link, those without an address too.
    let expected: BTreeMap<&str, &IpLink> = links.iter().map(|l| (l.name.as_str(), l)).collect();
    let names: BTreeSet<&str> = snapshot.iter().map(|i| i.name()).collect();
    assert_eq!(names, expected.keys().copied().collect::<BTreeSet<_>>());
    assert_eq!(snapshot.len(), names.len(), "each interface once");
    for iface in &snapshot {
        let link = expected[iface.name()];
        assert_eq!(iface.index(), Some(link.index), "{}", iface.name());
        assert_eq!(iface.is_up(), link.up, "{} up", iface.name());
        let got: BTreeSet<(IpAddr, u8, bool)> = iface
            .addrs()
            .iter()
            .map(|a| (a.ip(), a.prefix_len(), a.is_tentative()))
            .collect();
        let want: BTreeSet<(IpAddr, u8, bool)> = link
            .addrs
            .iter()
            .map(|a| (a.ip, a.prefix_len, a.tentative))
            .collect();
        assert_eq!(
            got,
            want,
            "{}: addresses, prefixes, tentative",
            iface.name()
        );
    }
    assert_eq!(
        snapshot.has_ipv6(),
        links.iter().any(|l| l.addrs.iter().any(|a| a.ip.is_ipv6()))
    );
}

#[test]
fn interface_without_address_is_no_address_on_this_machine() {
    let Some(links) = ip_addr() else { return };
    let bare: Vec<&IpLink> = links.iter().filter(|l| l.addrs.is_empty()).collect();
    if bare.is_empty() {
        skip("every interface has an address");
        return;
    }
    // Interfaces::current() (getifaddrs) lists only interfaces that have an address; resolve()
    // asks the OS about a name it did not find, so a bare interface is `no_address`.
    for link in bare {
        let err = format!("{}:0", link.name)
            .parse::<BindTarget>()
            .expect("an interface name parses")
            .resolve()
            .expect_err("an interface without an address cannot resolve");
        let state = if link.up { "up" } else { "down" };
        assert_eq!(err.kind(), ErrorKind::NoAddress, "{}: {err}", link.name);
        assert_eq!(
            err.to_string(),
            format!(
                "interface {} has no address to bind (it is {state}); assign one, or bring \
                 the interface up",
                link.name
            )
        );
    }
}

// ---------------------------------------------------------------------------------------------
// One enumeration per resolve()
// ---------------------------------------------------------------------------------------------

/// resolve() reads only what the target needs; the whole snapshot gives the same verdict.
#[test]
fn resolve_gives_the_verdict_of_resolve_with_current() {
    let lo = current()
        .iter()
        .find(|i| i.is_loopback())
        .map(|i| i.name().to_owned())
        .expect("a loopback interface");
    for spec in [
        "*:0".to_owned(),
        "localhost:0".to_owned(),
        "port:0".to_owned(),
        "0.0.0.0:8080".to_owned(),
        "127.0.0.1:0".to_owned(),
        "127.0.0.9:0".to_owned(),
        format!("{lo}:0"),
    ] {
        let target: BindTarget = spec.parse().expect("spec parses");
        let via_resolve = target.resolve().expect("resolve");
        let via_snapshot = target.resolve_with(&current()).expect("resolve_with");
        assert_eq!(via_resolve.addrs(), via_snapshot.addrs(), "{spec}");
        assert_eq!(via_resolve.warnings(), via_snapshot.warnings(), "{spec}");
        assert_eq!(via_resolve.exposure(), via_snapshot.exposure(), "{spec}");
        let whole = target
            .resolve_with(&Interfaces::current_for(std::slice::from_ref(&target)).unwrap())
            .expect("resolve_with current_for");
        assert_eq!(via_resolve.addrs(), whole.addrs(), "{spec}");
        assert_eq!(via_resolve.warnings(), whole.warnings(), "{spec}");
    }
}

/// Read-type syscalls (read, pread, readv) this thread has made: Linux task I/O accounting.
/// Netlink `recvmsg` is not counted; the /proc and /sys files `Interfaces::current()` reads are.
fn thread_read_syscalls() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/io").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("syscr:"))?
        .trim()
        .parse()
        .ok()
}

fn reads_during(f: impl FnOnce()) -> Option<u64> {
    let before = thread_read_syscalls()?;
    f();
    let after = thread_read_syscalls()?;
    Some(after - before)
}

#[test]
fn resolve_reads_no_more_files_than_one_snapshot() {
    // Links, addresses and flags come from rtnetlink (recvmsg, not counted); the files left are
    // the capability and the sysctls: a snapshot reads them all, a target only what it needs.
    let target: BindTarget = "lo:80".parse().expect("spec parses");
    // Warm up whatever is initialised once per process.
    let _ = current();
    let _ = target.resolve().expect("resolve");
    let Some(idle) = reads_during(|| {}) else {
        skip("/proc/thread-self/io is unavailable (no task I/O accounting)");
        return;
    };
    let one = reads_during(|| drop(current())).expect("io accounting") - idle;
    if one == 0 {
        skip("Interfaces::current() made no counted read here; nothing to compare");
        return;
    }
    let two = reads_during(|| {
        drop(current());
        drop(current());
    })
    .expect("io accounting")
        - idle;
    assert_eq!(
        two,
        2 * one,
        "the count is additive, so it can tell 1 from 2"
    );
    let resolve = reads_during(|| drop(target.resolve().expect("resolve"))).expect("io") - idle;
    assert!(
        resolve < one,
        "resolve() of lo:80 read {resolve} files' worth; one Interfaces::current() reads {one}"
    );
    let ephemeral: BindTarget = "*:0".parse().expect("spec parses");
    let lazy = reads_during(|| drop(ephemeral.resolve().expect("resolve"))).expect("io") - idle;
    assert_eq!(
        lazy, 0,
        "resolve() of *:0 needs no file: addresses come from one netlink dump"
    );
}
