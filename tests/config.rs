//! `ListenConfig`: the TOML a user writes and the errors they see, the lint over the whole set,
//! and `ListenConfig::listen` for real on loopback (lint, resolve, check, bind; all or nothing),
//! plus what Linux itself does with the overlaps the lint reports.
#![cfg(feature = "serde")]

mod support;
use support::fds;
use support::ports::free_port;
use support::values::target;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bindpolicy::{
    BindPolicy, BindTarget, ConfigError, Error, ErrorKind, FreeBind, Inherit, Interfaces,
    ListenConfig, ListenOptions, Listeners, Overlap, PortRange, Scope,
};

fn targets(specs: &[&str]) -> Vec<BindTarget> {
    specs.iter().map(|s| target(s)).collect()
}

// ---------------------------------------------------------------------------------------------
// TOML: the round trip.
// ---------------------------------------------------------------------------------------------

/// Every key of a listen section, in the order serde writes them back.
const FULL: &str = r#"listen = ["127.0.0.1:8080", "[::1]:8080", "eth0:9000", "[fe80::1%eth0]:9001", "port:40000-40100"]

[policy]
allow_wildcard = false
networks = ["10.0.0.0/8", "fd00::/8"]
interfaces = ["lo", "eth0"]
scopes = ["loopback", "link_local", "private", "shared", "benchmarking", "global"]
ports = ["8000-9000", "9443"]
allow_privileged_ports = false
source_ports = ["40000-40100"]

[options]
backlog = 512
nonblocking = true
reuse_port = true
dual_stack = true
freebind = "on_addr_not_available"
bind_device = true
inherit = "required"
"#;

fn full_config() -> ListenConfig {
    ListenConfig {
        listen: targets(&[
            "127.0.0.1:8080",
            "[::1]:8080",
            "eth0:9000",
            "[fe80::1%eth0]:9001",
            "port:40000-40100",
        ]),
        policy: BindPolicy::permissive()
            .allow_wildcard(false)
            .networks(["10.0.0.0/8", "fd00::/8"].map(|c| c.parse::<ipnet::IpNet>().unwrap()))
            .interfaces(["lo", "eth0"])
            .scopes([
                Scope::Loopback,
                Scope::LinkLocal,
                Scope::Private,
                Scope::Shared,
                Scope::Benchmarking,
                Scope::Global,
            ])
            .ports(["8000-9000", "9443"].map(|r| r.parse::<PortRange>().unwrap()))
            .allow_privileged_ports(false)
            .source_ports(["40000-40100".parse::<PortRange>().unwrap()]),
        options: ListenOptions::new()
            .backlog(512)
            .nonblocking(true)
            .reuse_port(true)
            .dual_stack(true)
            .freebind(FreeBind::OnAddrNotAvailable)
            .bind_device(true)
            .inherit(Inherit::Required),
    }
}

#[test]
fn toml_round_trip_of_every_key() {
    let parsed: ListenConfig = toml::from_str(FULL).unwrap();
    assert_eq!(parsed, full_config());
    assert_eq!(parsed.options.get_backlog(), 512);
    assert!(parsed.options.is_nonblocking());
    assert!(parsed.options.is_reuse_port());
    assert!(parsed.options.is_dual_stack());
    assert_eq!(parsed.options.get_freebind(), FreeBind::OnAddrNotAvailable);
    assert!(parsed.options.is_bind_device());
    assert_eq!(parsed.options.get_inherit(), Inherit::Required);

    let written = toml::to_string(&parsed).unwrap();
    assert_eq!(written, FULL);
    let again: ListenConfig = toml::from_str(&written).unwrap();
    assert_eq!(again, parsed);
    assert_eq!(toml::to_string(&again).unwrap(), written);
}

#[test]
fn toml_defaults_and_canonical_targets() {
    // Only `listen` is required; targets are written back in their canonical form.
    let parsed: ListenConfig =
        toml::from_str(r#"listen = [":8080", "ANY:80", "LOCALHOST:1", "Port:40000"]"#).unwrap();
    assert_eq!(
        parsed,
        ListenConfig::new(targets(&["*:8080", "*:80", "localhost:1", "port:40000"]))
    );
    assert_eq!(parsed.policy, BindPolicy::permissive());
    assert_eq!(parsed.options, ListenOptions::default());
    let written = toml::to_string(&parsed).unwrap();
    assert_eq!(
        written,
        "listen = [\"*:8080\", \"*:80\", \"localhost:1\", \"port:40000\"]\n\n[policy]\n\n\
         [options]\nbacklog = 1024\nnonblocking = false\nreuse_port = false\n\
         dual_stack = false\nfreebind = \"never\"\nbind_device = false\ninherit = \"on\"\n"
    );
    assert_eq!(toml::from_str::<ListenConfig>(&written).unwrap(), parsed);

    // Each freebind value by name.
    for (name, value) in [
        ("never", FreeBind::Never),
        ("on_addr_not_available", FreeBind::OnAddrNotAvailable),
        ("always", FreeBind::Always),
    ] {
        let text = format!("listen = []\n[options]\nfreebind = \"{name}\"\n");
        let parsed: ListenConfig = toml::from_str(&text).unwrap();
        assert_eq!(parsed.options.get_freebind(), value, "{name}");
    }

    // A partial policy leaves the other rules unset (allowing everything).
    let parsed: ListenConfig =
        toml::from_str("listen = []\n[policy]\nscopes = [\"private\"]\n").unwrap();
    assert_eq!(
        parsed.policy,
        BindPolicy::permissive().scopes([Scope::Private])
    );
}

#[test]
fn toml_round_trip_of_the_presets() {
    for policy in [
        BindPolicy::permissive(),
        BindPolicy::local_only(),
        BindPolicy::private_networks(),
    ] {
        let config = ListenConfig {
            policy,
            ..ListenConfig::new([BindTarget::loopback(8080)])
        };
        let written = toml::to_string(&config).unwrap();
        assert_eq!(toml::from_str::<ListenConfig>(&written).unwrap(), config);
    }
    let local = ListenConfig {
        policy: BindPolicy::local_only(),
        ..ListenConfig::new([])
    };
    assert!(
        toml::to_string(&local)
            .unwrap()
            .contains("[policy]\nallow_wildcard = false\nscopes = [\"loopback\"]\n")
    );
}

// ---------------------------------------------------------------------------------------------
// TOML: what a user sees for each mistake.
// ---------------------------------------------------------------------------------------------

fn toml_error(text: &str) -> String {
    match toml::from_str::<ListenConfig>(text) {
        Ok(config) => panic!("accepted {text:?} as {config:?}"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn toml_unknown_top_level_key() {
    assert_eq!(
        toml_error("listen = []\nlisten_on = [\"*:80\"]\n"),
        "TOML parse error at line 2, column 1\n  |\n2 | listen_on = [\"*:80\"]\n  | ^^^^^^^^^\n\
         unknown field `listen_on`, expected one of `listen`, `policy`, `options`\n"
    );
}

#[test]
fn toml_missing_listen() {
    assert_eq!(
        toml_error("[policy]\nallow_wildcard = false\n"),
        "TOML parse error at line 1, column 1\n  |\n1 | [policy]\n  | ^\n\
         missing field `listen`\n"
    );
}

#[test]
fn toml_unknown_policy_key() {
    assert_eq!(
        toml_error("listen = []\n\n[policy]\nallow_wildcards = false\n"),
        "TOML parse error at line 4, column 1\n  |\n4 | allow_wildcards = false\n  \
         | ^^^^^^^^^^^^^^^\nunknown field `allow_wildcards`, expected one of `allow_wildcard`, \
         `networks`, `interfaces`, `scopes`, `ports`, `allow_privileged_ports`, `source_ports`\n"
    );
}

#[test]
fn toml_unknown_option_key() {
    assert_eq!(
        toml_error("listen = []\n[options]\nbacklogg = 5\n"),
        "TOML parse error at line 3, column 1\n  |\n3 | backlogg = 5\n  | ^^^^^^^^\n\
         unknown field `backlogg`, expected one of `backlog`, `nonblocking`, `reuse_port`, \
         `dual_stack`, `freebind`, `bind_device`, `inherit`\n"
    );
}

#[test]
fn toml_bad_target_carries_the_parse_error() {
    // The parser's message, word for word, under toml's line and column.
    assert_eq!(
        toml_error("listen = [\"8080\"]\n"),
        "TOML parse error at line 1, column 11\n  |\n1 | listen = [\"8080\"]\n  \
         |           ^^^^^^\ninvalid bind target \"8080\" at byte 0: a bare port is not a bind \
         target; did you mean \":8080\" (all interfaces), \"localhost:8080\" (this machine only) \
         or \"port:8080\" (client source port)?\n"
    );
    assert_eq!(
        toml_error("listen = [\"localhost:8080\", \"*:http\"]\n"),
        "TOML parse error at line 1, column 29\n  |\n1 | listen = [\"localhost:8080\", \
         \"*:http\"]\n  |                             ^^^^^^^^\ninvalid bind target \"*:http\" \
         at byte 2: \"http\" looks like a service name; ports are numbers (names are never \
         looked up); did you mean \"*:80\"?\n"
    );
    let parse_error = "8080".parse::<BindTarget>().unwrap_err().to_string();
    assert!(toml_error("listen = [\"8080\"]").contains(&parse_error));
}

#[test]
fn toml_wrong_types() {
    // One string is one target (issue 16); a number is neither form.
    let one: ListenConfig = toml::from_str("listen = \"localhost:8080\"\n").unwrap();
    assert_eq!(
        one.listen,
        ["localhost:8080".parse::<BindTarget>().unwrap()]
    );
    assert_eq!(
        toml_error("listen = 8080\n"),
        "TOML parse error at line 1, column 10\n  |\n1 | listen = 8080\n  |          ^^^^\n\
         invalid type: integer `8080`, expected a bind target such as \"localhost:8080\", or a \
         list of them\n"
    );
    assert_eq!(
        toml_error("listen = [8080]\n"),
        "TOML parse error at line 1, column 11\n  |\n1 | listen = [8080]\n  |           ^^^^\n\
         invalid type: integer `8080`, expected a bind target such as \"localhost:8080\"\n"
    );
    assert_eq!(
        toml_error("listen = []\n[policy]\nallow_wildcard = \"no\"\n"),
        "TOML parse error at line 3, column 18\n  |\n3 | allow_wildcard = \"no\"\n  \
         |                  ^^^^\ninvalid type: string \"no\", expected a boolean\n"
    );
    assert_eq!(
        toml_error("listen = []\n[options]\nbacklog = -1\n"),
        "TOML parse error at line 3, column 11\n  |\n3 | backlog = -1\n  |           ^^\n\
         invalid value: integer `-1`, expected u32\n"
    );
}

#[test]
fn toml_bad_scope() {
    assert_eq!(
        toml_error("listen = []\n[policy]\nscopes = [\"private\", \"public\"]\n"),
        "TOML parse error at line 3, column 22\n  |\n3 | scopes = [\"private\", \"public\"]\n  \
         |                      ^^^^^^^^\nunknown scope \"public\"; expected loopback, \
         link_local, private, shared, documentation, benchmarking, multicast, reserved or global\n"
    );
}

#[test]
fn toml_bad_cidr() {
    assert_eq!(
        toml_error("listen = []\n[policy]\nnetworks = [\"10.0.0.0/33\"]\n"),
        "TOML parse error at line 3, column 13\n  |\n3 | networks = [\"10.0.0.0/33\"]\n  \
         |             ^^^^^^^^^^^^^\ninvalid network: prefix /33 is longer than 32 bits\n"
    );
    assert_eq!(
        toml_error("listen = []\n[policy]\nnetworks = [\"10.0.0.0\"]\n"),
        "TOML parse error at line 3, column 13\n  |\n3 | networks = [\"10.0.0.0\"]\n  \
         |             ^^^^^^^^^^\ninvalid network: \"10.0.0.0\" has no /PREFIX\n"
    );
}

/// A bad port range is reported with `ParseError`'s wording, calling it a port range.
#[test]
fn toml_bad_port_range() {
    assert_eq!(
        toml_error("listen = []\n[policy]\nports = [\"9000-8000\"]\n"),
        "TOML parse error at line 3, column 10\n  |\n3 | ports = [\"9000-8000\"]\n  \
         |          ^^^^^^^^^^^\ninvalid port range \"9000-8000\" at byte 0: the range is \
         reversed (first port above last)\n"
    );
    assert_eq!(
        toml_error("listen = []\n[policy]\nsource_ports = [\"0-100\"]\n"),
        "TOML parse error at line 3, column 17\n  |\n3 | source_ports = [\"0-100\"]\n  \
         |                 ^^^^^^^\ninvalid port range \"0-100\" at byte 0: a range cannot \
         include port 0 (0 already means: the OS picks)\n"
    );
    // A number where a string is expected.
    assert_eq!(
        toml_error("listen = []\n[policy]\nports = [8080]\n"),
        "TOML parse error at line 3, column 10\n  |\n3 | ports = [8080]\n  |          ^^^^\n\
         invalid type: integer `8080`, expected a port range such as \"40000-40100\"\n"
    );
}

#[test]
fn toml_bad_freebind() {
    assert_eq!(
        toml_error("listen = []\n[options]\nfreebind = \"yes\"\n"),
        "TOML parse error at line 3, column 12\n  |\n3 | freebind = \"yes\"\n  |            \
         ^^^^^\nunknown variant `yes`, expected one of `never`, `on_addr_not_available`, \
         `always`\n"
    );
    assert_eq!(
        toml_error("listen = []\n[options]\nfreebind = \"OnAddrNotAvailable\"\n"),
        "TOML parse error at line 3, column 12\n  |\n3 | freebind = \"OnAddrNotAvailable\"\n  \
         |            ^^^^^^^^^^^^^^^^^^^^\nunknown variant `OnAddrNotAvailable`, expected one \
         of `never`, `on_addr_not_available`, `always`\n"
    );
}

// ---------------------------------------------------------------------------------------------
// The lint.
// ---------------------------------------------------------------------------------------------

fn lint(specs: &[&str], dual_stack: bool) -> Vec<String> {
    let config = ListenConfig {
        options: ListenOptions::new().dual_stack(dual_stack),
        ..ListenConfig::new(targets(specs))
    };
    config.lint().iter().map(ToString::to_string).collect()
}

const NONE: [&str; 0] = [];

#[test]
fn lint_duplicate() {
    assert_eq!(
        lint(&["*:8080", "*:8080"], false),
        ["*:8080 is listed twice; remove one"]
    );
    // Two spellings of one target.
    assert_eq!(
        lint(&[":8080", "ANY:8080"], false),
        ["*:8080 is listed twice; remove one"]
    );
    assert_eq!(
        lint(&["eth0:8080", "eth0:8080"], false),
        ["eth0:8080 is listed twice; remove one"]
    );
    assert_eq!(
        lint(&["port:40000-40100", "port:40000-40100"], false),
        ["port:40000-40100 is listed twice; remove one"]
    );
    let config = ListenConfig::new(targets(&["10.0.0.5:80", "10.0.0.5:80"]));
    assert_eq!(config.lint(), [Overlap::Duplicate(target("10.0.0.5:80"))]);
}

#[test]
fn lint_wildcard_twice() {
    for dual_stack in [false, true] {
        assert_eq!(
            lint(&["0.0.0.0:8080", "*:8080"], dual_stack),
            [
                "0.0.0.0:8080 and *:8080 both cover every address of one family on port 8080; keep \
              *:8080"
            ]
        );
        assert_eq!(
            lint(&["*:8080", "[::]:8080"], dual_stack),
            [
                "*:8080 and [::]:8080 both cover every address of one family on port 8080; keep \
              *:8080"
            ]
        );
    }
    let config = ListenConfig::new(targets(&["[::]:443", "*:443"]));
    assert_eq!(
        config.lint(),
        [Overlap::WildcardTwice(target("[::]:443"), target("*:443"))]
    );
}

#[test]
fn lint_specific_with_wildcard() {
    let msg = |specific: &str, wildcard: &str| {
        format!(
            "{specific} overlaps {wildcard}: the wildcard already accepts on that address, and \
             Linux refuses the second listener with EADDRINUSE (with reuse_port both bind, and the kernel \
             splits the connections between them); keep one"
        )
    };
    let cases = [
        ("127.0.0.1:8080", "0.0.0.0:8080"),
        ("10.0.0.5:8080", "*:8080"),
        ("[::1]:8080", "[::]:8080"),
        ("[fd00::5]:8080", "*:8080"),
        ("[fe80::1%eth0]:8080", "[::]:8080"),
        // localhost against *:P.
        ("localhost:8080", "*:8080"),
        ("localhost:8080", "0.0.0.0:8080"),
        ("localhost:8080", "[::]:8080"),
        // An interface name may have addresses of either family.
        ("eth0:8080", "*:8080"),
        ("eth0:8080", "0.0.0.0:8080"),
        ("eth0:8080", "[::]:8080"),
    ];
    for (specific, wildcard) in cases {
        for dual_stack in [false, true] {
            let want = [msg(specific, wildcard)];
            assert_eq!(lint(&[specific, wildcard], dual_stack), want);
            // Either order: the message names the specific target first.
            assert_eq!(lint(&[wildcard, specific], dual_stack), want);
        }
    }
    let config = ListenConfig::new(targets(&["*:80", "eth1:80"]));
    assert_eq!(
        config.lint(),
        [Overlap::SpecificWithWildcard {
            specific: target("eth1:80"),
            wildcard: target("*:80"),
        }]
    );
}

#[test]
fn lint_dual_stack_only_when_dual_stack_is_on() {
    let msg = |ipv4: &str| {
        format!(
            "{ipv4} overlaps [::]:8080: with dual_stack, [::]:8080 also accepts IPv4; drop {ipv4} \
             or turn dual_stack off"
        )
    };
    for ipv4 in ["0.0.0.0:8080", "127.0.0.1:8080", "10.0.0.5:8080"] {
        assert_eq!(lint(&["[::]:8080", ipv4], false), NONE, "{ipv4}");
        assert_eq!(lint(&[ipv4, "[::]:8080"], false), NONE, "{ipv4}");
        assert_eq!(lint(&["[::]:8080", ipv4], true), [msg(ipv4)]);
        assert_eq!(lint(&[ipv4, "[::]:8080"], true), [msg(ipv4)]);
    }
    let config = ListenConfig {
        options: ListenOptions::new().dual_stack(true),
        ..ListenConfig::new(targets(&["0.0.0.0:80", "[::]:80"]))
    };
    assert_eq!(
        config.lint(),
        [Overlap::DualStack {
            dual: target("[::]:80"),
            ipv4: target("0.0.0.0:80"),
        }]
    );
    // IPv6 targets never collide with a dual-stack [::] through IPv4.
    assert_eq!(lint(&["[::]:8080", "[::1]:8081"], true), NONE);
}

#[test]
fn lint_loopback_twice() {
    assert_eq!(
        lint(&["localhost:8080", "127.0.0.1:8080"], false),
        [
            "localhost:8080 and 127.0.0.1:8080 overlap: localhost already covers 127.0.0.1 and ::1; \
          keep one"
        ]
    );
    assert_eq!(
        lint(&["[::1]:8080", "localhost:8080"], true),
        [
            "[::1]:8080 and localhost:8080 overlap: localhost already covers 127.0.0.1 and ::1; keep \
          one"
        ]
    );
    // One of each family is the normal pair, not an overlap.
    assert_eq!(lint(&["127.0.0.1:8080", "[::1]:8080"], false), NONE);
    assert_eq!(lint(&["127.0.0.1:8080", "[::1]:8080"], true), NONE);
    let config = ListenConfig::new(targets(&["localhost:1", "[::1]:1"]));
    assert_eq!(
        config.lint(),
        [Overlap::LoopbackTwice(
            target("localhost:1"),
            target("[::1]:1")
        )]
    );
}

#[test]
fn lint_port_zero_never_overlaps() {
    // Each target gets its own port from the OS.
    let all = [
        "*:0",
        "0.0.0.0:0",
        "[::]:0",
        "localhost:0",
        "127.0.0.1:0",
        "[::1]:0",
        "eth0:0",
        "10.0.0.5:0",
    ];
    assert_eq!(lint(&all, false), NONE);
    assert_eq!(lint(&all, true), NONE);
}

/// Listing one port-0 target twice is still reported as listed twice, although each would get
/// its own port (the doc of `lint` says port 0 never collides).
#[test]
fn lint_port_zero_listed_twice_is_a_duplicate() {
    assert_eq!(
        lint(&["localhost:0", "localhost:0"], false),
        ["localhost:0 is listed twice; remove one"]
    );
}

#[test]
fn lint_different_ports_never_overlap() {
    assert_eq!(
        lint(
            &[
                "*:8080",
                "0.0.0.0:8081",
                "[::]:8082",
                "localhost:8083",
                "127.0.0.1:8084",
                "[::1]:8085",
                "eth0:8086",
                "port:8080",
            ],
            true
        ),
        NONE
    );
    // Distinct specific addresses on one port, and client source ports, do not overlap.
    assert_eq!(
        lint(
            &[
                "10.0.0.5:80",
                "192.168.71.67:80",
                "[fd00::5]:80",
                "port:80",
                "0.0.0.0:81"
            ],
            false
        ),
        NONE
    );
    assert_eq!(lint(&["0.0.0.0:8080", "[::1]:8080"], false), NONE);
}

#[test]
fn lint_reports_every_pair_in_order() {
    assert_eq!(
        lint(&["*:8080", "0.0.0.0:8080", "127.0.0.1:8080"], false),
        [
            "*:8080 and 0.0.0.0:8080 both cover every address of one family on port 8080; keep \
             *:8080",
            "127.0.0.1:8080 overlaps *:8080: the wildcard already accepts on that address, and \
             Linux refuses the second listener with EADDRINUSE (with reuse_port both bind, and the kernel \
             splits the connections between them); keep one",
            "127.0.0.1:8080 overlaps 0.0.0.0:8080: the wildcard already accepts on that \
             address, and Linux refuses the second listener with EADDRINUSE (with reuse_port both bind, and the kernel \
             splits the connections between them); keep one",
        ]
    );
}

/// Interface names are compared by name only, before resolve: an interface and one of its own
/// addresses on the same port pass the lint (and collide at bind; see
/// `listen_interface_and_its_address_fail_at_bind`).
#[test]
fn lint_does_not_see_an_interface_and_its_address() {
    assert_eq!(lint(&["eth0:8080", "192.168.71.67:8080"], false), NONE);
    assert_eq!(lint(&["lo:8080", "127.0.0.1:8080"], false), NONE);
    assert_eq!(lint(&["[fe80::1%eth0]:80", "[fe80::1%2]:80"], false), NONE);
}

// ---------------------------------------------------------------------------------------------
// ListenConfig::listen, for real on loopback.
// ---------------------------------------------------------------------------------------------

/// Tests that open sockets or count this process's descriptors take this lock, so one test's
/// sockets never show up in another's count.
static SOCKETS: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    SOCKETS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn has_ipv6_loopback() -> bool {
    Interfaces::current()
        .map(|i| {
            i.addresses()
                .any(|(_, a)| a.ip() == std::net::Ipv6Addr::LOCALHOST)
        })
        .unwrap_or(false)
}

fn accept_one(listeners: &Listeners) {
    for (listener, addr) in listeners.iter() {
        let _client = TcpStream::connect(addr).unwrap();
        let (_conn, peer) = listener.accept().unwrap();
        assert!(peer.ip().is_loopback(), "{peer}");
    }
}

#[test]
fn listen_binds_every_target() {
    let _guard = lock();
    if !has_ipv6_loopback() {
        eprintln!("skipped: no ::1 on this machine");
        return;
    }
    let config = ListenConfig {
        policy: BindPolicy::local_only(),
        ..ListenConfig::new(targets(&["127.0.0.1:0", "[::1]:0"]))
    };
    let bound = config.listen().unwrap();
    assert_eq!(bound.len(), 2);
    assert_eq!(bound[0].target(), &target("127.0.0.1:0"));
    assert_eq!(bound[1].target(), &target("[::1]:0"));
    let v4: SocketAddr = bound[0].local_addrs()[0];
    let v6: SocketAddr = bound[1].local_addrs()[0];
    assert_eq!(v4.ip().to_string(), "127.0.0.1");
    assert_eq!(v6.ip().to_string(), "::1");
    assert_ne!(v4.port(), 0);
    assert_ne!(v6.port(), 0);
    assert_eq!(
        bound[0].exposure().urls("http"),
        [format!("http://127.0.0.1:{}", v4.port())]
    );
    for listeners in &bound {
        accept_one(listeners);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn listen_from_toml() {
    let _guard = lock();
    let config: ListenConfig = toml::from_str(
        "listen = [\"127.0.0.1:0\", \"127.0.0.2:0\"]\n[policy]\nallow_wildcard = false\n\
         scopes = [\"loopback\"]\n[options]\nbacklog = 16\nnonblocking = true\n",
    )
    .unwrap();
    let bound = config.listen().unwrap();
    assert_eq!(bound.len(), 2);
    assert_eq!(bound[1].local_addrs()[0].ip().to_string(), "127.0.0.2");
    // nonblocking: accept with nothing queued returns WouldBlock instead of waiting.
    let err = bound[0].sockets()[0].accept().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
}

/// The descriptor count sees a listener come and go (so the counts below can fail).
#[cfg(target_os = "linux")]
#[test]
fn open_fds_counts_listeners() {
    let _guard = lock();
    let before = fds::count();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    assert_eq!(fds::count(), before + 1);
    let bound = ListenConfig::new(targets(&["127.0.0.1:0", "127.0.0.2:0"]))
        .listen()
        .unwrap();
    assert_eq!(fds::count(), before + 3);
    drop((listener, bound));
    assert_eq!(fds::count(), before);
}

#[cfg(target_os = "linux")]
#[test]
fn listen_lints_before_anything_binds() {
    let _guard = lock();
    // The port is taken: were anything bound before the lint, the error would be addr_in_use.
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let config = ListenConfig::new(targets(&[
        &format!("127.0.0.1:{port}"),
        &format!("0.0.0.0:{port}"),
    ]));
    let before = fds::count();
    let err = config.listen().unwrap_err();
    assert_eq!(fds::count(), before);
    assert_eq!(err.kind(), ErrorKind::Overlap);
    assert_eq!(err.kind().as_str(), "overlap");
    assert_eq!(
        err.to_string(),
        format!(
            "overlapping listen targets: 127.0.0.1:{port} overlaps 0.0.0.0:{port}: the wildcard \
             already accepts on that address, and Linux refuses the second listener with \
             EADDRINUSE (with reuse_port both bind, and the kernel \
             splits the connections between them); keep one"
        )
    );
    match &err {
        ConfigError::Overlap(overlap) => assert_eq!(
            **overlap,
            Overlap::SpecificWithWildcard {
                specific: target(&format!("127.0.0.1:{port}")),
                wildcard: target(&format!("0.0.0.0:{port}")),
            }
        ),
        other => panic!("{other:?}"),
    }

    // Dual stack: the overlap exists only with the option, and is caught before bind.
    let port = free_port();
    let dual = ListenConfig {
        options: ListenOptions::new().dual_stack(true),
        ..ListenConfig::new(targets(&[
            &format!("[::]:{port}"),
            &format!("127.0.0.1:{port}"),
        ]))
    };
    let before = fds::count();
    let err = dual.listen().unwrap_err();
    assert_eq!(fds::count(), before);
    assert_eq!(err.kind(), ErrorKind::Overlap);
    assert_eq!(
        err.to_string(),
        format!(
            "overlapping listen targets: 127.0.0.1:{port} overlaps [::]:{port}: with dual_stack, \
             [::]:{port} also accepts IPv4; drop 127.0.0.1:{port} or turn dual_stack off"
        )
    );
}

#[cfg(target_os = "linux")]
#[test]
fn listen_checks_the_policy_before_anything_binds() {
    let _guard = lock();
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    // The first target would fail to bind (its port is held); the second breaks the policy.
    // Checking every target before binding any reports the policy.
    let config = ListenConfig {
        policy: BindPolicy::local_only(),
        ..ListenConfig::new(targets(&[&format!("127.0.0.1:{port}"), "0.0.0.0:0"]))
    };
    let before = fds::count();
    let err = config.listen().unwrap_err();
    assert_eq!(fds::count(), before);
    assert_eq!(err.kind(), ErrorKind::PolicyViolation);
    assert!(
        err.to_string().starts_with(
            "policy violation (allow_wildcard): 0.0.0.0:0 is a wildcard, which the \
                 policy forbids; listen on 127.0.0.1:0 (lo)"
        ),
        "{err}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn listen_resolves_every_target_before_checking() {
    let _guard = lock();
    // The first breaks the policy, the second does not resolve: resolve comes first.
    let config = ListenConfig {
        policy: BindPolicy::local_only(),
        ..ListenConfig::new(targets(&["0.0.0.0:0", "nosuchif0:0"]))
    };
    let before = fds::count();
    let err = config.listen().unwrap_err();
    assert_eq!(fds::count(), before);
    assert_eq!(err.kind(), ErrorKind::InterfaceNotFound, "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn listen_is_all_or_nothing() {
    let _guard = lock();
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let held = holder.local_addr().unwrap().port();
    let first = free_port();
    let config = ListenConfig::new(targets(&[
        &format!("127.0.0.1:{first}"),
        &format!("127.0.0.1:{held}"),
    ]));
    assert_eq!(config.lint(), []);
    let before = fds::count();
    let err = config.listen().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    assert!(
        err.to_string().starts_with(&format!(
            "127.0.0.1:{held} is already in use (EADDRINUSE at bind())"
        )),
        "{err}"
    );
    // The first listener was closed: no descriptor left, and its port is free again.
    assert_eq!(fds::count(), before);
    let again = TcpListener::bind(("127.0.0.1", first));
    assert!(again.is_ok(), "127.0.0.1:{first} still bound: {again:?}");
}

/// An interface name and one of its addresses on one port: the lint over the targets cannot
/// see it, the check after resolve does, and nothing binds.
#[cfg(target_os = "linux")]
#[test]
fn listen_interface_and_its_address_overlap_after_resolve() {
    let _guard = lock();
    let port = free_port();
    let config = ListenConfig::new(targets(&[
        &format!("127.0.0.1:{port}"),
        &format!("lo:{port}"),
    ]));
    let before = fds::count();
    let err = config.listen().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Overlap, "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "overlapping listen targets: 127.0.0.1:{port} and lo:{port} both bind \
             127.0.0.1:{port}, and the second bind fails with EADDRINUSE; keep one"
        )
    );
    assert_eq!(fds::count(), before);
    assert!(TcpListener::bind(("127.0.0.1", port)).is_ok());
}

// ---------------------------------------------------------------------------------------------
// What Linux does with the overlaps the lint reports (the lint bypassed).
// ---------------------------------------------------------------------------------------------

#[cfg(target_os = "linux")]
fn listen(spec: &str, options: &ListenOptions) -> bindpolicy::Result<Listeners> {
    target(spec).listen_with(options)
}

/// `0.0.0.0:P` then `127.0.0.1:P` (and the reverse): EADDRINUSE, as the lint says.
#[cfg(target_os = "linux")]
#[test]
fn linux_refuses_a_specific_address_beside_a_wildcard() {
    let _guard = lock();
    let plain = ListenOptions::new();
    for (first, second) in [("0.0.0.0", "127.0.0.1"), ("127.0.0.1", "0.0.0.0")] {
        let held = listen(&format!("{first}:0"), &plain).unwrap();
        let port = held.port();
        let err = listen(&format!("{second}:{port}"), &plain).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::AddrInUse,
            "{first} then {second}: {err}"
        );
        assert_eq!(err.kind().as_str(), "addr_in_use");
        assert!(
            err.to_string().starts_with(&format!(
                "{second}:{port} is already in use (EADDRINUSE at bind())"
            )),
            "{err}"
        );
        // Where /proc shows the holder, it is this process, on the first address.
        if let Error::AddrInUse {
            holder: Some(holder),
            ..
        } = &err
        {
            assert_eq!(holder.pid, Some(std::process::id()));
            assert_eq!(holder.local, held.local_addrs()[0]);
        }
    }
    // IPv6 alike: [::]:P with [::1]:P.
    if has_ipv6_loopback() {
        let held = listen("[::]:0", &plain).unwrap();
        let err = listen(&format!("[::1]:{}", held.port()), &plain).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    }
}

/// `[::]:P` with IPV6_V6ONLY on (the crate's default) and `0.0.0.0:P` both bind: the lint is
/// right not to report them.
#[cfg(target_os = "linux")]
#[test]
fn linux_binds_v6only_wildcard_beside_ipv4_wildcard() {
    let _guard = lock();
    if !has_ipv6_loopback() {
        eprintln!("skipped: no IPv6");
        return;
    }
    let plain = ListenOptions::new();
    let v6 = listen("[::]:0", &plain).unwrap();
    let v4 = listen(&format!("0.0.0.0:{}", v6.port()), &plain).unwrap();
    assert_eq!(v4.port(), v6.port());
    let v4_specific = listen(&format!("127.0.0.1:{}", free_port()), &plain);
    assert!(v4_specific.is_ok());
    // And *:0 binds both on one port.
    let both = listen("*:0", &plain).unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(both.local_addrs()[0].port(), both.local_addrs()[1].port());
    // [::] (V6ONLY on) with 127.0.0.1 on one port: both bind, as the lint says.
    let v6 = listen("[::]:0", &plain).unwrap();
    assert!(listen(&format!("127.0.0.1:{}", v6.port()), &plain).is_ok());
    assert_eq!(lint(&["[::]:8080", "127.0.0.1:8080"], false), NONE);
}

/// With dual_stack, `[::]:P` covers IPv4 and `0.0.0.0:P` (or `127.0.0.1:P`) collides, in
/// either order: the lint's DualStack finding.
#[cfg(target_os = "linux")]
#[test]
fn linux_refuses_ipv4_beside_a_dual_stack_wildcard() {
    let _guard = lock();
    if !has_ipv6_loopback() {
        eprintln!("skipped: no IPv6");
        return;
    }
    let plain = ListenOptions::new();
    let dual = ListenOptions::new().dual_stack(true);
    for ipv4 in ["0.0.0.0", "127.0.0.1"] {
        let held = listen("[::]:0", &dual).unwrap();
        let err = listen(&format!("{ipv4}:{}", held.port()), &plain).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::AddrInUse,
            "[::] dual then {ipv4}: {err}"
        );

        let held = listen(&format!("{ipv4}:0"), &plain).unwrap();
        let err = listen(&format!("[::]:{}", held.port()), &dual).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::AddrInUse,
            "{ipv4} then [::] dual: {err}"
        );
    }
}

/// With SO_REUSEPORT on both sockets, Linux lets `127.0.0.1:P` bind beside `0.0.0.0:P`, so the
/// lint's "Linux refuses the second listener with EADDRINUSE" does not hold there (the lint
/// ignores reuse_port; see the report).
#[cfg(target_os = "linux")]
#[test]
fn linux_reuse_port_lets_a_specific_address_bind_beside_a_wildcard() {
    let _guard = lock();
    let shared = ListenOptions::new().reuse_port(true);
    let wildcard = listen("0.0.0.0:0", &shared).unwrap();
    let port = wildcard.port();
    assert!(listen(&format!("127.0.0.1:{port}"), &shared).is_ok());
    let config = ListenConfig {
        options: shared,
        ..ListenConfig::new(targets(&[
            &format!("0.0.0.0:{port}"),
            &format!("127.0.0.1:{port}"),
        ]))
    };
    assert_eq!(config.lint().len(), 1);
}
