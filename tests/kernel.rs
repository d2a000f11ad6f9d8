//! The kernel decides: for every rule of bind() the crate models, its prediction
//! (`BindTarget::resolve()`, read through rtnetlink in the namespace's own thread) next to the
//! kernel's answer to a real bind() in the same namespace, in namespaces this test builds and
//! deletes. Only 198.18.0.0/15 and fd00::/8 are used; no packet leaves the namespaces. Without
//! root or `ip` every test prints SKIPPED, unless `BINDPOLICY_REQUIRE_NETNS=1`.

mod support;
use support::netns::{Netns, require_netns};
use support::random::random_u64;
use support::values::target;

use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use bindpolicy::{Dad, Error, ErrorKind, Interfaces, Warning};

/// What the kernel said to a bind of `addr`: Ok, or the errno.
fn real_bind(addr: SocketAddr) -> Result<(), i32> {
    TcpListener::bind(addr)
        .map(drop)
        .map_err(|e| e.raw_os_error().unwrap_or(-1))
}

/// The prediction and the kernel's answer for `spec`, both inside `ns`: the resolve result,
/// and for each address the resolve gave (or the literal itself when it failed) a real bind.
fn predict_and_bind(
    ns: &Netns,
    spec: &str,
) -> (
    bindpolicy::Result<bindpolicy::Resolved>,
    Vec<Result<(), i32>>,
) {
    let spec = spec.to_owned();
    ns.run(move || {
        let t = target(&spec);
        let resolved = t.resolve();
        let real = match &resolved {
            Ok(r) => r.socket_addrs().map(real_bind).collect(),
            Err(_) => match t.address() {
                Some(a) => vec![real_bind(SocketAddr::new(a.ip(), t.port()))],
                None => Vec::new(),
            },
        };
        (resolved, real)
    })
}

/// A veth pair `a`/`b` inside `ns`, both ends up (so the link has carrier and DAD runs).
fn veth_pair(ns: &Netns, a: &str, b: &str) {
    ns.ip(&["link", "add", a, "type", "veth", "peer", "name", b]);
    ns.link_set_up(a);
    ns.link_set_up(b);
}

fn kind_of(result: &bindpolicy::Result<bindpolicy::Resolved>) -> Option<ErrorKind> {
    result.as_ref().err().map(Error::kind)
}

#[test]
fn nonlocal_bind_sysctls_let_a_foreign_address_resolve_with_a_warning() {
    require_netns!();
    let ns = Netns::new("nonlocal");
    veth_pair(&ns, "nl0", "nl1");
    ns.addr_add("nl0", "198.18.50.1/24", false);
    ns.addr_add("nl0", "fd00:50::1/64", true);
    // Off: the kernel refuses, and so does the prediction.
    for spec in ["198.18.50.77:8080", "[fd00:50::77]:8080"] {
        let (resolved, real) = predict_and_bind(&ns, spec);
        assert_eq!(
            kind_of(&resolved),
            Some(ErrorKind::AddrNotAvailable),
            "{spec}"
        );
        assert_eq!(real, [Err(libc::EADDRNOTAVAIL)], "{spec}");
    }
    ns.sysctl("net.ipv4.ip_nonlocal_bind", "1");
    ns.sysctl("net.ipv6.ip_nonlocal_bind", "1");
    for (spec, sysctl) in [
        ("198.18.50.77:8080", "net.ipv4.ip_nonlocal_bind"),
        ("[fd00:50::77]:8080", "net.ipv6.ip_nonlocal_bind"),
    ] {
        let (resolved, real) = predict_and_bind(&ns, spec);
        let resolved = resolved.unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(real, [Ok(())], "{spec}: the kernel binds it");
        let ip = resolved.addrs()[0].addr().ip();
        assert!(
            resolved
                .warnings()
                .contains(&Warning::NonlocalBind { addr: ip, sysctl }),
            "{spec}: {:?}",
            resolved.warnings()
        );
        let text = resolved
            .warnings()
            .iter()
            .find(|w| w.kind() == "nonlocal_bind")
            .map(ToString::to_string);
        assert_eq!(
            text,
            Some(format!(
                "{ip} is not an address of this machine (yet); {sysctl}=1 lets the kernel bind \
                 it, and connections arrive only once the address is here"
            ))
        );
    }
}

#[test]
fn anyip_local_routes_bind_for_ipv4_and_not_for_ipv6() {
    require_netns!();
    let ns = Netns::new("anyip");
    ns.ip(&["route", "add", "local", "198.19.200.0/24", "dev", "lo"]);
    ns.ip(&["-6", "route", "add", "local", "fd00:200::/64", "dev", "lo"]);
    for spec in [
        "198.19.200.1:8080",
        "198.19.200.77:8080",
        "198.19.200.255:8080",
    ] {
        let (resolved, real) = predict_and_bind(&ns, spec);
        let resolved = resolved.unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(real, [Ok(())], "{spec}");
        assert_eq!(resolved.addrs()[0].interface(), Some("lo"), "{spec}");
        assert!(
            resolved.warnings().is_empty(),
            "{spec}: {:?}",
            resolved.warnings()
        );
    }
    // Just outside the block: not local.
    let (resolved, real) = predict_and_bind(&ns, "198.19.201.1:8080");
    assert_eq!(kind_of(&resolved), Some(ErrorKind::AddrNotAvailable));
    assert_eq!(real, [Err(libc::EADDRNOTAVAIL)]);
    // IPv6: the kernel binds only addresses an interface carries, local route or not.
    let (resolved, real) = predict_and_bind(&ns, "[fd00:200::5]:8080");
    assert_eq!(kind_of(&resolved), Some(ErrorKind::AddrNotAvailable));
    assert_eq!(real, [Err(libc::EADDRNOTAVAIL)]);
}

#[test]
fn the_directed_broadcast_binds_while_its_interface_is_up_and_the_network_address_never() {
    require_netns!();
    let ns = Netns::new("bcast");
    veth_pair(&ns, "bc0", "bc1");
    ns.addr_add("bc0", "198.18.60.1/24", false);
    let (resolved, real) = predict_and_bind(&ns, "198.18.60.255:8080");
    assert!(resolved.is_ok(), "{resolved:?}");
    assert_eq!(real, [Ok(())]);
    let (resolved, real) = predict_and_bind(&ns, "198.18.60.0:8080");
    assert_eq!(kind_of(&resolved), Some(ErrorKind::AddrNotAvailable));
    assert_eq!(real, [Err(libc::EADDRNOTAVAIL)]);
    // Down: the broadcast route goes, the address's local route stays.
    ns.link_set_down("bc0");
    let (resolved, real) = predict_and_bind(&ns, "198.18.60.255:8080");
    assert_eq!(kind_of(&resolved), Some(ErrorKind::AddrNotAvailable));
    assert_eq!(real, [Err(libc::EADDRNOTAVAIL)]);
    let (resolved, real) = predict_and_bind(&ns, "198.18.60.1:8080");
    let resolved = resolved.expect("a down interface's IPv4 address stays local");
    assert_eq!(real, [Ok(())]);
    assert_eq!(
        resolved.warnings(),
        [Warning::InterfaceDown {
            interface: "bc0".to_owned()
        }]
    );
}

#[test]
fn ipv6_on_a_down_interface_is_gone_and_the_prediction_says_so() {
    require_netns!();
    let ns = Netns::new("down6");
    veth_pair(&ns, "dn0", "dn1");
    ns.addr_add("dn0", "fd00:61::1/64", true);
    let (resolved, real) = predict_and_bind(&ns, "[fd00:61::1]:8080");
    assert!(resolved.is_ok(), "{resolved:?}");
    assert_eq!(real, [Ok(())]);
    ns.link_set_down("dn0");
    let (resolved, real) = predict_and_bind(&ns, "[fd00:61::1]:8080");
    assert_eq!(kind_of(&resolved), Some(ErrorKind::AddrNotAvailable));
    assert_eq!(real, [Err(libc::EADDRNOTAVAIL)]);
}

/// DAD in three states: tentative (refused for now: a warning), optimistic (binds), failed (an
/// error of its own: a duplicate exists on the link).
#[test]
fn dad_states_are_read_from_the_kernel_flags() {
    require_netns!();
    let ns = Netns::new("dad");
    let peer = Netns::new("dadpeer");
    support::netns::veth(&ns, "dd0", &peer, "dd1");
    // A duplicate: the peer holds fd00:70::1 (no DAD there), then it is added here with DAD.
    peer.addr_add("dd1", "fd00:70::1/64", true);
    // Slow DAD, so the tentative window is seconds long: 5 probes, 1 s apart.
    ns.sysctl("net.ipv6.conf.dd0.dad_transmits", "5");
    ns.addr_add("dd0", "fd00:71::1/64", false);
    ns.addr_add("dd0", "fd00:70::1/64", false);

    let (resolved, real) = predict_and_bind(&ns, "[fd00:71::1]:8080");
    let resolved = resolved.expect("a tentative address resolves, with a warning");
    assert_eq!(
        resolved.warnings(),
        [Warning::Tentative {
            addr: "fd00:71::1".parse().unwrap(),
            interface: "dd0".to_owned()
        }]
    );
    assert_eq!(
        real,
        [Err(libc::EADDRNOTAVAIL)],
        "the warning says bind fails for now"
    );

    // The duplicate fails DAD once the peer answers the probe.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ns
        .ip(&["-6", "addr", "show", "dev", "dd0"])
        .contains("dadfailed")
    {
        assert!(Instant::now() < deadline, "fd00:70::1 never failed DAD");
        thread::sleep(Duration::from_millis(50));
    }
    let (resolved, real) = predict_and_bind(&ns, "[fd00:70::1]:8080");
    let err = resolved.expect_err("a DAD-failed address never binds");
    assert_eq!(err.kind(), ErrorKind::DadFailed);
    assert_eq!(err.kind().as_str(), "dad_failed");
    assert_eq!(
        err.to_string(),
        "fd00:70::1 on dd0 failed duplicate address detection: another host on the link \
         already uses it, so the kernel will never bind it here (waiting does not help); find \
         that host (ip -6 neigh show fd00:70::1), or remove the address (ip addr del \
         fd00:70::1/64 dev dd0) and use another"
    );
    assert_eq!(real, [Err(libc::EADDRNOTAVAIL)]);
    let snapshot = ns.run(Interfaces::current).expect("interfaces");
    let dad = |ip: &str| {
        snapshot
            .carriers(ip.parse().unwrap())
            .next()
            .map(|(_, a)| a.dad())
    };
    assert_eq!(dad("fd00:70::1"), Some(Dad::Failed));

    // Optimistic DAD, where the kernel has it (CONFIG_IPV6_OPTIMISTIC_DAD).
    // The kernel marks SLAAC addresses optimistic with these; `ip addr add ... optimistic`
    // asks for it on a static one.
    ns.sysctl("net.ipv6.conf.dd0.optimistic_dad", "1");
    ns.sysctl("net.ipv6.conf.dd0.use_optimistic", "1");
    ns.ip(&["addr", "add", "fd00:72::1/64", "dev", "dd0", "optimistic"]);
    let shown = ns.ip(&["-6", "addr", "show", "dev", "dd0"]);
    if !shown.contains("optimistic") {
        eprintln!("SKIPPED the optimistic case: this kernel has no optimistic DAD\n{shown}");
        return;
    }
    let (resolved, real) = predict_and_bind(&ns, "[fd00:72::1]:8080");
    let resolved = resolved.expect("an optimistic address resolves");
    assert!(resolved.warnings().is_empty(), "{:?}", resolved.warnings());
    assert_eq!(real, [Ok(())], "optimistic addresses bind");
}

#[test]
fn a_namespace_whose_lo_was_never_up_binds_any_ipv4_and_says_nothing_can_connect() {
    require_netns!();
    let ns = Netns::bare("nolo");
    let (resolved, real) = predict_and_bind(&ns, "localhost:0");
    let resolved = resolved.expect("127.0.0.1 binds: no local table yet");
    assert_eq!(real, [Ok(())]);
    let kinds: Vec<&str> = resolved.warnings().iter().map(Warning::kind).collect();
    assert_eq!(
        kinds,
        [
            "no_ipv6",
            "no_local_table",
            "loopback_down",
            "ephemeral_port"
        ],
        "{:?}",
        resolved.warnings()
    );
    let (resolved, real) = predict_and_bind(&ns, "198.18.9.9:0");
    assert!(resolved.is_ok(), "{resolved:?}");
    assert_eq!(real, [Ok(())]);
    // And nothing can connect, as the warning says.
    let refused = ns.run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        let addr = listener.local_addr().expect("addr");
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map(drop)
    });
    assert_eq!(
        refused.map_err(|e| e.raw_os_error()),
        Err(Some(libc::ENETUNREACH))
    );
}

#[test]
fn lo_brought_down_makes_localhost_no_address() {
    require_netns!();
    let ns = Netns::new("lodown");
    veth_pair(&ns, "ld0", "ld1");
    ns.addr_add("ld0", "198.18.62.1/24", false);
    ns.link_set_down("lo");
    let (resolved, real) = predict_and_bind(&ns, "127.0.0.1:0");
    assert_eq!(
        resolved.is_ok(),
        real.first() == Some(&Ok(())),
        "prediction {resolved:?}, kernel {real:?}"
    );
    let (resolved, _) = predict_and_bind(&ns, "localhost:0");
    match resolved {
        Ok(r) => assert!(
            r.warnings().iter().any(|w| w.kind() == "loopback_down"),
            "{:?}",
            r.warnings()
        ),
        Err(e) => assert_eq!(e.kind(), ErrorKind::NoAddress, "{e}"),
    }
}

#[test]
fn interfaces_current_matches_ip_including_links_without_addresses() {
    require_netns!();
    let ns = Netns::new("bare-link");
    veth_pair(&ns, "bl0", "bl1");
    ns.link_set_down("bl1");
    let snapshot = ns.run(Interfaces::current).expect("interfaces");
    let names: Vec<&str> = snapshot.iter().map(|i| i.name()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let bl1 = snapshot
        .get("bl1")
        .expect("a link without an address is a fact");
    assert!(!bl1.is_up());
    assert!(bl1.addrs().is_empty());
    assert!(
        snapshot
            .get("lo")
            .is_some_and(|lo| lo.is_loopback() && lo.is_up())
    );
    // Every path gives an address-less interface the same verdict.
    let err = ns
        .run(|| target("bl1:80").resolve())
        .expect_err("no address");
    assert_eq!(err.kind(), ErrorKind::NoAddress);
    assert_eq!(
        err.to_string(),
        "interface bl1 has no address to bind (it is down); assign one, or bring the interface up"
    );
    let via_snapshot = target("bl1:80")
        .resolve_with(&snapshot)
        .expect_err("no address");
    assert_eq!(via_snapshot.to_string(), err.to_string());
}

/// With `ip_unprivileged_port_start` raised to 2000 in the namespace, port 1500 is privileged
/// for a process without CAP_NET_BIND_SERVICE: resolve() warns, bind() fails with EACCES, a
/// wait fails at once, and a source range there is `permission_denied`.
#[test]
fn a_raised_unprivileged_port_start_is_read_whatever_the_port() {
    require_netns!();
    if std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_err()
    {
        support::netns::skip_or_fail("setpriv (util-linux) is not installed");
        return;
    }
    let ns = Netns::new("privport");
    ns.sysctl("net.ipv4.ip_unprivileged_port_start", "2000");
    let exe = std::env::current_exe().expect("current_exe");
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", ns.name(), "setpriv"])
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(&exe)
        .args([
            "--exact",
            "child_unprivileged_1500",
            "--nocapture",
            "--ignored",
        ])
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.contains("CHILD-START") {
        support::netns::skip_or_fail(&format!(
            "could not run {} as nobody: {stdout}{}",
            exe.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
        return;
    }
    assert!(
        out.status.success() && stdout.contains("CHILD-OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run by `a_raised_unprivileged_port_start_is_read_whatever_the_port`, as nobody, inside the
/// namespace.
#[test]
#[ignore = "a child process of a_raised_unprivileged_port_start_is_read_whatever_the_port"]
fn child_unprivileged_1500() {
    println!("CHILD-START");
    let resolved = target("127.0.0.1:1500").resolve().expect("resolves");
    assert_eq!(
        resolved.warnings(),
        [Warning::PrivilegedPort {
            port: 1500,
            unprivileged_port_start: 2000
        }]
    );
    assert_eq!(
        real_bind("127.0.0.1:1500".parse().unwrap()),
        Err(libc::EACCES),
        "the kernel agrees"
    );
    // 2000 itself is free to bind.
    assert!(
        target("127.0.0.1:2000")
            .resolve()
            .expect("resolves")
            .warnings()
            .is_empty()
    );
    // No wait cures a privileged port: permission_denied at once, not at the deadline.
    let err = target("127.0.0.1:1500")
        .wait(Duration::from_secs(60))
        .expect_err("a privileged port");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    // A source range below the start: its first bind is EACCES, and the error says so, not
    // that every port of the range was busy.
    let err = target("port:1500-1501")
        .connect("127.0.0.1:9".parse().unwrap())
        .expect_err("a privileged range");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    println!("CHILD-OK");
}

/// 1000 veth pairs (2000 links, 4000 addresses): the targeted reads find the last one.
#[test]
fn a_thousand_links_resolve_by_name_and_by_address() {
    require_netns!();
    let ns = Netns::new("scale");
    ns.disable_dad();
    let mut batch = String::new();
    for i in 0..1000_u32 {
        batch.push_str(&format!("link add sa{i} type veth peer name sb{i}\n"));
    }
    for i in 0..1000_u32 {
        let [_, _, hi, lo] = i.to_be_bytes();
        batch.push_str(&format!(
            "addr add 198.18.{hi}.{lo}/32 dev sa{i}\naddr add 198.19.{hi}.{lo}/32 dev sb{i}\n\
             link set sa{i} up\nlink set sb{i} up\n"
        ));
    }
    support::netns::batch(&ns, &batch);
    let (by_name, by_address, any) = ns.run(|| {
        (
            target("sb999:80").resolve(),
            target("198.19.3.231:80").resolve(),
            target("*:80").resolve(),
        )
    });
    let by_name = by_name.expect("sb999");
    assert_eq!(by_name.addrs().len(), 2, "{:?}", by_name.addrs());
    assert!(
        by_name
            .addrs()
            .iter()
            .all(|a| a.interface() == Some("sb999"))
    );
    let by_address = by_address.unwrap_or_else(|e| panic!("198.19.3.231 is sb999's: {e:?}"));
    assert_eq!(by_address.addrs()[0].interface(), Some("sb999"));
    let any = any.expect("*:80");
    // Every IPv4 address once: one per link and 127.0.0.1. (The links' IPv6 link-local
    // addresses appear as the kernel gets to them, so they are not counted.)
    let v4 = any
        .exposure()
        .reachable()
        .iter()
        .filter(|r| r.ip().is_ipv4())
        .count();
    assert_eq!(v4, 2001);
}

/// Addresses added and removed while dumping: every snapshot holds every stable address (an
/// interrupted dump is read again, never returned half).
#[test]
fn churn_during_dumps_never_gives_half_a_snapshot() {
    require_netns!();
    let ns = Netns::new("churn");
    ns.disable_dad();
    let mut batch = String::new();
    for i in 0..200_u32 {
        batch.push_str(&format!(
            "link add ca{i} type veth peer name cb{i}\naddr add 198.18.80.{}/32 dev ca{i}\n",
            i + 1
        ));
    }
    support::netns::batch(&ns, &batch);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churner = {
        let stop = stop.clone();
        let name = ns.name().to_owned();
        thread::spawn(move || {
            let mut n = 0_u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 400 {
                let addr = format!("198.18.81.{}/32", n % 250 + 1);
                let dev = format!("cb{}", n % 200);
                for verb in ["add", "del"] {
                    let _ = std::process::Command::new("ip")
                        .args(["-n", &name, "addr", verb, &addr, "dev", &dev])
                        .output();
                }
                n += 1;
            }
        })
    };
    let mut snapshots = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && snapshots < 200 {
        let snapshot = ns.run(Interfaces::current).expect("a whole snapshot");
        let stable = snapshot
            .addresses()
            .filter(|(_, a)| matches!(a.ip(), IpAddr::V4(v4) if v4.octets()[2] == 80))
            .count();
        assert_eq!(stable, 200, "snapshot {snapshots} lost stable addresses");
        snapshots += 1;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churner.join().expect("churner");
    assert!(snapshots > 0);
}

/// A source of 127.0.0.1:P to a listener on 127.0.0.2:P is no self-connect: the kernel
/// connects, and so does the crate.
#[test]
fn same_port_on_two_loopback_addresses_is_not_a_self_connect() {
    let listener = TcpListener::bind("127.0.0.2:0").expect("127.0.0.2 binds on Linux");
    let port = listener.local_addr().expect("addr").port();
    let source = target(&format!("127.0.0.1:{port}"));
    let stream = source
        .connect(SocketAddr::new("127.0.0.2".parse().unwrap(), port))
        .unwrap_or_else(|e| panic!("127.0.0.1:{port} -> 127.0.0.2:{port}: {e}"));
    assert_eq!(stream.local_addr().unwrap().port(), port);
    // The same address and port is one.
    let err = source
        .connect(SocketAddr::new("127.0.0.1".parse().unwrap(), port))
        .expect_err("a socket connected to itself");
    assert_eq!(err.kind(), ErrorKind::SelfConnect);
}

/// Random namespaces (addresses up and down, an AnyIP route, the non-local sysctls) and random
/// targets: resolve()'s verdict is the kernel's. A verdict is "every address the resolve gave
/// binds" for Ok (a tentative warning predicts a failure), "the literal does not bind" for an
/// error.
#[test]
fn random_namespaces_agree_with_real_binds() {
    require_netns!();
    let seed = random_u64();
    eprintln!("random_namespaces_agree_with_real_binds: seed {seed}");
    let mut rng = Rng(seed | 1);
    let mut checked = 0;
    for round in 0..4 {
        let ns = Netns::new(&format!("prop{round}"));
        ns.disable_dad();
        let mut candidates: Vec<String> = vec![
            "localhost:0".into(),
            "*:0".into(),
            "127.0.0.5:0".into(),
            "[::1]:0".into(),
        ];
        let links = 2 + rng.below(4);
        for l in 0..links {
            let (a, b) = (format!("p{l}a"), format!("p{l}b"));
            veth_pair(&ns, &a, &b);
            let net = 100 + l;
            let host = 1 + rng.below(200);
            let prefix = [24, 28, 30, 31, 32][rng.below(5) as usize];
            ns.addr_add(&a, &format!("198.18.{net}.{host}/{prefix}"), false);
            ns.addr_add(&a, &format!("fd00:{net}::{host:x}/64"), true);
            candidates.push(format!("198.18.{net}.{host}:0"));
            candidates.push(format!("198.18.{net}.255:0"));
            candidates.push(format!("198.18.{net}.{}:0", (host + 1) % 256));
            candidates.push(format!("[fd00:{net}::{host:x}]:0"));
            candidates.push(format!("[fd00:{net}::{:x}]:0", host + 1));
            candidates.push(format!("{a}:0"));
            candidates.push(format!("{b}:0"));
            if rng.below(3) == 0 {
                ns.link_set_down(&a);
            }
        }
        if rng.below(2) == 0 {
            ns.ip(&["route", "add", "local", "198.19.50.0/28", "dev", "lo"]);
        }
        candidates.push(format!("198.19.50.{}:0", rng.below(20)));
        if rng.below(3) == 0 {
            ns.sysctl("net.ipv4.ip_nonlocal_bind", "1");
        }
        if rng.below(3) == 0 {
            ns.sysctl("net.ipv6.ip_nonlocal_bind", "1");
        }
        for spec in &candidates {
            let (resolved, real) = predict_and_bind(&ns, spec);
            let predicted_ok = resolved
                .as_ref()
                .is_ok_and(|r| !r.warnings().iter().any(|w| w.kind() == "tentative"));
            let kernel_ok = !real.is_empty() && real.iter().all(Result::is_ok);
            if resolved.is_err() && real.is_empty() {
                // A name or keyword target that failed: nothing to bind, nothing to compare.
                continue;
            }
            assert_eq!(
                predicted_ok,
                kernel_ok,
                "seed {seed}, round {round}, {spec}: predicted {resolved:?}, kernel {real:?}\n{}",
                ns.ip(&["addr"])
            );
            checked += 1;
        }
    }
    eprintln!("random_namespaces_agree_with_real_binds: {checked} verdicts compared");
    assert!(checked >= 40, "only {checked} verdicts compared");
}

/// xorshift64: reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        u32::try_from(self.0 % u64::from(n)).unwrap_or(0)
    }
}

/// A link's flags as the kernel keeps them: a veth end that is up has carrier (IFF_LOWER_UP)
/// only while its peer is up too; lo is the loopback.
#[test]
fn link_state_and_carrier_are_the_kernels() {
    require_netns!();
    let ns = Netns::new("carrier");
    ns.ip(&["link", "add", "cr0", "type", "veth", "peer", "name", "cr1"]);
    let state = |ns: &Netns| {
        ns.run(|| {
            let facts = bindpolicy::Interfaces::current().expect("interfaces");
            ["lo", "cr0", "cr1"].map(|name| {
                let i = facts.get(name).unwrap_or_else(|| panic!("{name}"));
                (i.is_up(), i.has_carrier(), i.is_loopback())
            })
        })
    };
    assert_eq!(
        state(&ns),
        [
            (true, true, true),
            (false, false, false),
            (false, false, false)
        ]
    );
    ns.link_set_up("cr0");
    let [_, cr0, _] = state(&ns);
    assert_eq!(
        cr0,
        (true, false, false),
        "up, but its peer is down: no carrier"
    );
    ns.link_set_up("cr1");
    // Carrier comes with the peer, asynchronously: read until it shows (2 s at most).
    let mut seen = state(&ns);
    for _ in 0..200 {
        if seen[1].1 && seen[2].1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        seen = state(&ns);
    }
    assert_eq!(
        seen,
        [(true, true, true), (true, true, false), (true, true, false)]
    );
}

/// An IPv6 local route over everything (`local ::/0`, AnyIP for the whole family) comes back
/// from the kernel without RTA_DST: it is read as `::/0`, of its own family, never as an IPv4
/// route over every IPv4 address.
#[test]
fn a_local_default_route_keeps_its_family() {
    require_netns!();
    let ns = Netns::new("local6");
    ns.ip(&[
        "-6", "route", "add", "local", "::/0", "dev", "lo", "table", "local",
    ]);
    let routes = ns.run(|| {
        let target: bindpolicy::BindTarget = "[fd00:78::1]:80".parse().unwrap();
        bindpolicy::Interfaces::for_target(&target)
            .expect("interfaces")
            .local_routes()
            .iter()
            .map(|r| r.net().to_string())
            .collect::<Vec<_>>()
    });
    assert_eq!(routes, ["::/0"]);
}
