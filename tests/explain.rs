//! The library's words, word for word: `BindTarget::kind_name` and `meaning`, the `Display` of
//! `Exposure` and `Reachable`, `Reachable::scope_note` and `Resolved::explain` for every kind
//! of target, over fake snapshots.

mod support;
use support::snapshot::{LINK_LOCAL as LL, addr, lo, resolve, seed};
use support::values::target;

use bindpolicy::{Interface, Interfaces, PortPrivilege};

/// Seed plus a global and a carrier-grade NAT address, and a `wlan0` that is down.
///
/// The global address is 2001:4:112:71::67, in AS112-v6 (2001:4:112::/48, RFC 7535), which the
/// IANA registry marks globally reachable: it stands for any public address, and the tests only
/// read it from this snapshot, never send to it (AS112 exists to sink stray queries anyway).
/// 2001:db8::/32 would not do: it is documentation space, not global.
fn wide() -> Interfaces {
    Interfaces::from_interfaces([
        lo(),
        Interface::new("eth0", 2)
            .with_addr(addr("192.168.71.67", 24))
            .with_addr(addr("2001:4:112:71::67", 64))
            .with_addr(addr(LL, 64)),
        Interface::new("wwan0", 3).with_addr(addr("100.64.1.2", 10)),
        Interface::new("wlan0", 4)
            .with_addr(addr("10.20.30.40", 16))
            .with_up(false),
    ])
}

/// No IPv6 at all: no ::1 either.
fn v4_only() -> Interfaces {
    Interfaces::from_interfaces([
        Interface::new("lo", 1).with_addr(addr("127.0.0.1", 8)),
        Interface::new("eth0", 2).with_addr(addr("192.168.71.67", 24)),
    ])
}

fn explain(spec: &str, interfaces: &Interfaces) -> String {
    resolve(spec, interfaces).explain().to_string()
}

#[test]
fn kind_names() {
    for (spec, kind) in [
        ("*:80", "any"),
        ("0.0.0.0:80", "any"),
        ("[::]:80", "any"),
        ("localhost:80", "loopback"),
        ("127.0.0.1:80", "loopback"),
        ("192.0.2.1:80", "address"),
        ("[fe80::1%eth0]:80", "address"),
        ("eth0:80", "interface"),
        ("port:80", "port"),
        ("port:40000-40100", "port"),
    ] {
        assert_eq!(target(spec).kind_name(), kind, "{spec}");
    }
}

#[test]
fn meanings() {
    for (spec, meaning) in [
        (
            "*:5000",
            "every IPv4 and IPv6 address of this machine, one socket each, on port 5000",
        ),
        (
            "0.0.0.0:5000",
            "every IPv4 address of this machine (no IPv6), on port 5000",
        ),
        (
            "[::]:0",
            "every IPv6 address of this machine (no IPv4: the socket is IPv6-only), on a port \
             the OS picks when it binds (port 0)",
        ),
        (
            "localhost:5000",
            "this machine only: 127.0.0.1 and ::1, never looked up in DNS, on port 5000",
        ),
        (
            "127.0.0.1:5000",
            "this machine only: 127.0.0.1 (IPv4 only), never looked up in DNS, on port 5000",
        ),
        (
            "[::1]:5000",
            "this machine only: ::1 (IPv6 only), never looked up in DNS, on port 5000",
        ),
        (
            "127.0.0.2:5000",
            "the loopback address 127.0.0.2 only (this machine only), on port 5000",
        ),
        (
            "[fe80::1%eth0]:5000",
            "the link-local address fe80::1 on the link of eth0 only, on port 5000",
        ),
        (
            "[fe80::1]:5000",
            "the link-local address fe80::1 only, on the one interface that carries it (with \
             several, a zone is needed: [fe80::1%IFACE]), on port 5000",
        ),
        (
            "192.0.2.1:5000",
            "the one address 192.0.2.1, which must be an address of this machine, on port 5000",
        ),
        (
            "eth0:5000",
            "every address of interface eth0, IPv4 and IPv6, as assigned when it binds, on port \
             5000",
        ),
        (
            "port:40000-40100",
            "a client's source port range: a connection from it uses a free local port in \
             40000-40100 and an OS-chosen address of the remote's family; it cannot listen",
        ),
        (
            "port:0",
            "a client source left to the OS: any local port and address, as an ordinary client \
             uses; it cannot listen",
        ),
        (
            "port:40000",
            "a client's source port: a connection from it uses local port 40000 and an \
             OS-chosen address of the remote's family; it cannot listen",
        ),
    ] {
        assert_eq!(target(spec).meaning(), meaning, "{spec}");
    }
}

#[test]
fn exposure_summaries() {
    let wide = wide();
    for (spec, summary) in [
        ("localhost:80", "this machine only"),
        ("127.0.0.2:80", "this machine only"),
        (
            "*:80",
            "all networks: any host that can route to this machine",
        ),
        ("192.168.71.67:80", "hosts on 192.168.71.0/24 on eth0"),
        (
            "eth0:80",
            "hosts on 192.168.71.0/24 on eth0, 2001:4:112:71::/64 on eth0 and fe80::/64 on eth0",
        ),
        ("port:80", "nothing: a client source accepts no connection"),
    ] {
        assert_eq!(
            resolve(spec, &wide).exposure().to_string(),
            summary,
            "{spec}"
        );
    }
}

#[test]
fn reachable_items_and_scope_notes() {
    let resolved = resolve("*:80", &wide());
    let items: Vec<(String, String)> = resolved
        .exposure()
        .reachable()
        .iter()
        .map(|r| (r.to_string(), r.scope_note()))
        .collect();
    let expected = [
        ("127.0.0.1 (lo, this machine only)", "this machine only"),
        ("::1 (lo, this machine only)", "this machine only"),
        (
            "10.20.30.40 (wlan0, network 10.20.0.0/16)",
            "network 10.20.0.0/16",
        ),
        (
            "100.64.1.2 (wwan0, network 100.64.0.0/10, carrier-grade NAT space)",
            "network 100.64.0.0/10, carrier-grade NAT space",
        ),
        (
            "192.168.71.67 (eth0, network 192.168.71.0/24)",
            "network 192.168.71.0/24",
        ),
        (
            "2001:4:112:71::67 (eth0, network 2001:4:112:71::/64, globally routable)",
            "network 2001:4:112:71::/64, globally routable",
        ),
        (
            "fe80::5054:ff:fe12:3456 (eth0, link-local: the attached link fe80::/64 only)",
            "link-local: the attached link fe80::/64 only",
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(items, expected);
}

#[test]
fn explain_wildcards() {
    let seed = seed();
    assert_eq!(
        explain("*:5000", &seed),
        "*:5000 listens on every address of this machine, IPv4 and IPv6, one socket each: \
         127.0.0.1 (lo, this machine only), ::1 (lo, this machine only), 192.168.71.67 (eth0, \
         network 192.168.71.0/24) and fe80::5054:ff:fe12:3456 (eth0, link-local: the attached \
         link fe80::/64 only). Any machine that can route to these addresses can connect, e.g. \
         http://192.168.71.67:5000. To let only this machine connect, write localhost:5000."
    );
    assert_eq!(
        explain("0.0.0.0:5000", &seed),
        "0.0.0.0:5000 listens on every IPv4 address of this machine: 127.0.0.1 (lo, this \
         machine only) and 192.168.71.67 (eth0, network 192.168.71.0/24). Any machine that can \
         route to these addresses can connect, e.g. http://192.168.71.67:5000. It does not \
         listen on IPv6; write *:5000 for both families."
    );
    assert_eq!(
        explain("[::]:5000", &seed),
        "[::]:5000 listens on every IPv6 address of this machine: ::1 (lo, this machine only) \
         and fe80::5054:ff:fe12:3456 (eth0, link-local: the attached link fe80::/64 only). Any \
         machine that can route to these addresses can connect, e.g. \
         http://[fe80::5054:ff:fe12:3456%25eth0]:5000. It does not listen on IPv4 (the socket \
         is IPv6-only); write *:5000 for both families."
    );
    assert_eq!(
        explain("*:5000", &v4_only()),
        "*:5000 listens on every IPv4 address of this machine: 127.0.0.1 (lo, this machine \
         only) and 192.168.71.67 (eth0, network 192.168.71.0/24). This machine has no IPv6 \
         address, so there is no IPv6 socket. Any machine that can route to these addresses can \
         connect, e.g. http://192.168.71.67:5000. To let only this machine connect, write \
         localhost:5000."
    );
    // Port 0: no URL, and a word on learning the port.
    assert_eq!(
        explain("0.0.0.0:0", &v4_only()),
        "0.0.0.0:0 listens on every IPv4 address of this machine: 127.0.0.1 (lo, this machine \
         only) and 192.168.71.67 (eth0, network 192.168.71.0/24). Any machine that can route to \
         these addresses can connect. It does not listen on IPv6; write *:0 for both families. \
         Port 0 means the OS picks a free port when it binds; `bindpolicy listen 0.0.0.0:0` \
         prints the one it got."
    );
    assert_eq!(
        explain("*:5000", &Interfaces::default()),
        "*:5000 listens on every IPv4 address of this machine: no address at the moment. This \
         machine has no IPv6 address, so there is no IPv6 socket. Any machine that can route to \
         these addresses can connect. To let only this machine connect, write localhost:5000."
    );
}

#[test]
fn explain_loopback_targets() {
    let seed = seed();
    assert_eq!(
        explain("localhost:5000", &seed),
        "localhost:5000 listens on 127.0.0.1 and ::1 (lo): only programs on this machine can \
         connect, e.g. http://127.0.0.1:5000. No other machine can reach it, whatever the \
         firewall allows. localhost is never looked up in DNS or /etc/hosts."
    );
    assert_eq!(
        explain("localhost:5000", &v4_only()),
        "localhost:5000 listens on 127.0.0.1 (lo): only programs on this machine can connect, \
         e.g. http://127.0.0.1:5000. No other machine can reach it, whatever the firewall \
         allows. This machine has no ::1, so only 127.0.0.1 is bound. localhost is never looked \
         up in DNS or /etc/hosts."
    );
    assert_eq!(
        explain("127.0.0.1:5000", &seed),
        "127.0.0.1:5000 listens on 127.0.0.1 (lo): only programs on this machine can connect, \
         e.g. http://127.0.0.1:5000. No other machine can reach it, whatever the firewall \
         allows. It does not listen on ::1, which clients may try first for localhost; write \
         localhost:5000 for both families."
    );
    assert_eq!(
        explain("[::1]:5000", &seed),
        "[::1]:5000 listens on ::1 (lo): only programs on this machine can connect, e.g. \
         http://[::1]:5000. No other machine can reach it, whatever the firewall allows. It does \
         not listen on 127.0.0.1, which most clients use for localhost; write localhost:5000 \
         for both families."
    );
}

#[test]
#[cfg(target_os = "linux")]
fn explain_another_loopback_address() {
    assert_eq!(
        explain("127.0.0.2:5000", &seed()),
        "127.0.0.2:5000 listens on 127.0.0.2 only, a loopback address (lo): only programs on \
         this machine can connect, and only to 127.0.0.2, e.g. http://127.0.0.2:5000. Clients \
         of 127.0.0.1 or localhost do not reach it. 127.0.0.2 is not assigned to lo, but the \
         kernel routes the whole of 127.0.0.0/8 to it, so it binds all the same."
    );
    // Assigned, it needs no word on the kernel's route.
    let aliased = Interfaces::from_interfaces([lo().with_addr(addr("127.0.0.2", 8))]);
    assert_eq!(
        explain("127.0.0.2:5000", &aliased),
        "127.0.0.2:5000 listens on 127.0.0.2 only, a loopback address (lo): only programs on \
         this machine can connect, and only to 127.0.0.2, e.g. http://127.0.0.2:5000. Clients \
         of 127.0.0.1 or localhost do not reach it."
    );
}

#[test]
fn explain_addresses() {
    let wide = wide();
    assert_eq!(
        explain(&format!("[{LL}]:5000"), &wide),
        "[fe80::5054:ff:fe12:3456]:5000 listens on fe80::5054:ff:fe12:3456 on eth0 only, a \
         link-local address: only hosts on the link attached to eth0 can connect, e.g. \
         http://[fe80::5054:ff:fe12:3456%25eth0]:5000; routers never forward it. The spec has \
         no zone, and eth0 is the one interface with fe80::5054:ff:fe12:3456, so it is used; \
         write [fe80::5054:ff:fe12:3456%eth0]:5000 to say so."
    );
    assert_eq!(
        explain(&format!("[{LL}%eth0]:5000"), &wide),
        "[fe80::5054:ff:fe12:3456%eth0]:5000 listens on fe80::5054:ff:fe12:3456 on eth0 only, a \
         link-local address: only hosts on the link attached to eth0 can connect, e.g. \
         http://[fe80::5054:ff:fe12:3456%25eth0]:5000; routers never forward it."
    );
    assert_eq!(
        explain("192.168.71.67:5000", &wide),
        "192.168.71.67:5000 listens on 192.168.71.67 (eth0, network 192.168.71.0/24) only: \
         machines that can route to 192.168.71.67 can connect, e.g. \
         http://192.168.71.67:5000. Connections to this machine's other addresses, 127.0.0.1 \
         included, do not reach it, so local clients must use 192.168.71.67 too."
    );
    assert_eq!(
        explain("[2001:4:112:71::67]:443", &wide),
        "[2001:4:112:71::67]:443 listens on 2001:4:112:71::67 (eth0, network 2001:4:112:71::/64, \
         globally routable) only: machines that can route to 2001:4:112:71::67 can connect, e.g. \
         http://[2001:4:112:71::67]:443. Connections to this machine's other addresses, \
         127.0.0.1 included, do not reach it, so local clients must use 2001:4:112:71::67 too. \
         2001:4:112:71::67 is globally routable: unless a firewall stops them, hosts far beyond \
         the local network may connect."
    );
}

#[test]
fn explain_interfaces_by_name() {
    let wide = wide();
    assert_eq!(
        explain("eth0:5000", &wide),
        "eth0:5000 listens on every address of eth0, one socket each: 192.168.71.67 (network \
         192.168.71.0/24), 2001:4:112:71::67 (network 2001:4:112:71::/64, globally routable) and \
         fe80::5054:ff:fe12:3456 (link-local: the attached link fe80::/64 only). Machines that \
         can route to these addresses can connect, e.g. http://192.168.71.67:5000. The list is \
         read once, when the sockets bind: an address added to eth0 later is not listened on."
    );
    assert_eq!(
        explain("lo:5000", &wide),
        "lo:5000 listens on every address of lo, one socket each: 127.0.0.1 (this machine only) \
         and ::1 (this machine only). Only programs on this machine can connect, e.g. \
         http://127.0.0.1:5000. The list is read once, when the sockets bind: an address added \
         to lo later is not listened on."
    );
    // A warning the text does not cover gets its own paragraph.
    assert_eq!(
        explain("wlan0:5000", &wide),
        "wlan0:5000 listens on every address of wlan0, one socket each: 10.20.30.40 (network \
         10.20.0.0/16). Machines that can route to these addresses can connect, e.g. \
         http://10.20.30.40:5000. The list is read once, when the sockets bind: an address \
         added to wlan0 later is not listened on.\n\nBeware: interface wlan0 is down: nothing \
         comes in through it until it is up (ip link set wlan0 up); its IPv4 addresses stay \
         this machine's, so packets for them that reach another interface still arrive."
    );
}

#[test]
fn explain_client_sources() {
    let seed = seed();
    assert_eq!(
        explain("port:40000-40100", &seed),
        "port:40000-40100 is a client source, not a listener: a connection made from it binds \
         one local port of 40000-40100 that is free toward that remote (the kernel searches the range where it lies inside net.ipv4.ip_local_port_range, else each port is tried in turn from a random start), and lets \
         the OS pick the source address, of the remote's family. Nothing can connect to it; to \
         listen, write *:40000 (every address) or localhost:40000 (this machine only). Try it \
         with: bindpolicy connect REMOTE --from port:40000-40100"
    );
    assert_eq!(
        explain("port:40000", &seed),
        "port:40000 is a client source, not a listener: a connection made from it binds local \
         port 40000 and lets the OS pick the source address, of the remote's family. Nothing \
         can connect to it; to listen, write *:40000 (every address) or localhost:40000 (this \
         machine only). Try it with: bindpolicy connect REMOTE --from port:40000"
    );
    assert_eq!(
        explain("port:0", &seed),
        "port:0 is a client source, not a listener: a connection made from it binds a local \
         port the OS picks, and lets the OS pick the source address, of the remote's family. \
         Nothing can connect to it; to listen, write *:PORT (every address) or localhost:PORT \
         (this machine only). Try it with: bindpolicy connect REMOTE --from port:0"
    );
}

#[test]
fn explain_privileged_port_warning() {
    let interfaces = seed().with_port_privilege(PortPrivilege {
        unprivileged_port_start: 1024,
        can_bind_privileged: false,
    });
    let text = explain("127.0.0.1:80", &interfaces);
    let (first, beware) = text.split_once("\n\n").expect("a Beware paragraph");
    assert!(first.starts_with("127.0.0.1:80 listens on 127.0.0.1 (lo): "));
    let warning = resolve("127.0.0.1:80", &interfaces).warnings()[0].to_string();
    assert_eq!(beware, format!("Beware: {warning}."));
}

#[test]
fn explanation_as_str_and_string() {
    let explanation = resolve("localhost:5000", &seed()).explain();
    let text = explanation.to_string();
    assert_eq!(explanation.as_str(), text);
    assert_eq!(String::from(explanation), text);
}
