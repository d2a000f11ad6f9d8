//! `Error`, `ConfigError` and `PolicyViolation`: each variant's stable `ErrorKind` and its
//! snake_case name, the `io::ErrorKind` it becomes through `From<_> for io::Error`, getting the
//! error back by downcasting, `Debug` that shows the message, and causes never repeated.

mod support;
use support::values::{ip, sa};

use std::error::Error as _;
use std::io;
use std::time::Duration;

use bindpolicy::{
    BindPolicy, BindTarget, ConfigError, Error, ErrorKind, Family, Interface, InterfaceAddr,
    Interfaces, KernelRefusal, Overlap, Phase, PolicyRule, PolicyViolation, PortHolder, PortRange,
    Protocol, RangeUse, SocketState,
};

fn os(kind: io::ErrorKind) -> io::Error {
    io::Error::new(kind, "the OS said no")
}

fn parse_error() -> bindpolicy::ParseError {
    "8080".parse::<BindTarget>().unwrap_err()
}

/// One value of every variant, with the kind, name and io::ErrorKind it must have.
#[rustfmt::skip]
fn every_variant() -> Vec<(Error, ErrorKind, &'static str, io::ErrorKind)> {
    use io::ErrorKind as Io;
    let remote = sa("192.0.2.1:443");
    let local = sa("192.0.2.7:40000");
    vec![
        (Error::Parse(parse_error()), ErrorKind::Parse, "parse", Io::InvalidInput),
        (
            Error::Interfaces { source: os(Io::Other) },
            ErrorKind::Interfaces,
            "interfaces",
            Io::Other,
        ),
        (
            Error::AddrNotLocal { addr: ip("192.0.2.9"), port: 80, local: vec![(ip("10.0.0.2"), "eth0".into())] },
            ErrorKind::AddrNotAvailable,
            "addr_not_available",
            Io::AddrNotAvailable,
        ),
        (
            Error::ZoneMismatch { addr: "fe80::1".parse().unwrap(), zone: "eth1".into(), carriers: vec!["eth0".into()] },
            ErrorKind::AddrNotAvailable,
            "addr_not_available",
            Io::AddrNotAvailable,
        ),
        (
            Error::AddrNotAvailable { addr: local, phase: Phase::Bind, source: os(Io::AddrNotAvailable) },
            ErrorKind::AddrNotAvailable,
            "addr_not_available",
            Io::AddrNotAvailable,
        ),
        (
            Error::InterfaceNotFound { name: "eht0".into(), known: vec!["eth0".into()], source: None },
            ErrorKind::InterfaceNotFound,
            "interface_not_found",
            Io::NotFound,
        ),
        (
            Error::NoAddress { interface: "eth0".into(), family: Family::Ipv6, state: "down".into() },
            ErrorKind::NoAddress,
            "no_address",
            Io::NotFound,
        ),
        (
            Error::ZoneRequired { addr: "fe80::1".parse().unwrap(), port: 80, candidates: vec![], source: None },
            ErrorKind::ZoneRequired,
            "zone_required",
            Io::InvalidInput,
        ),
        (
            Error::FamilyUnsupported { family: Family::Ipv6, reason: "no IPv6".into(), source: None },
            ErrorKind::FamilyUnsupported,
            "family_unsupported",
            Io::Unsupported,
        ),
        (
            Error::FamilyMismatch { local: ip("::1"), remote },
            ErrorKind::FamilyMismatch,
            "family_mismatch",
            Io::InvalidInput,
        ),
        (
            Error::NotListenable { target: "port:40000".parse().unwrap() },
            ErrorKind::NotListenable,
            "not_listenable",
            Io::InvalidInput,
        ),
        (
            Error::AddrInUse {
                addr: sa("0.0.0.0:80"),
                phase: Phase::Bind,
                protocol: Protocol::Tcp,
                holder: Some(Box::new(PortHolder::new(sa("[::]:80"), SocketState::Listen).with_process(1, "nginx"))),
                source: os(Io::AddrInUse),
            },
            ErrorKind::AddrInUse,
            "addr_in_use",
            Io::AddrInUse,
        ),
        (
            Error::PermissionDenied { addr: sa("0.0.0.0:80"), phase: Phase::Bind, unprivileged_port_start: Some(1024), source: os(Io::PermissionDenied) },
            ErrorKind::PermissionDenied,
            "permission_denied",
            Io::PermissionDenied,
        ),
        (
            Error::TimeWait { local, remote, source: os(Io::AddrNotAvailable) },
            ErrorKind::TimeWait,
            "time_wait",
            Io::AddrNotAvailable,
        ),
        (
            Error::PortRangeExhausted {
                range: PortRange::new(40000, 40001).unwrap(),
                remote: sa("192.0.2.1:443"),
                attempts: 2,
                ports: Some(RangeUse::new(1, 1, 0)),
                kernel_refusal: None,
                last: exhausted_cause(),
            },
            ErrorKind::PortRangeExhausted,
            "port_range_exhausted",
            Io::AddrInUse,
        ),
        (
            Error::EphemeralPortsExhausted {
                remote: sa("192.0.2.1:443"),
                range: Some(PortRange::new(32768, 60999).unwrap()),
                ports: Some(RangeUse::new(28000, 232, 0)),
                source: os(Io::AddrNotAvailable),
            },
            ErrorKind::PortRangeExhausted,
            "port_range_exhausted",
            Io::AddrInUse,
        ),
        (
            Error::SelfConnect { local: sa("127.0.0.1:5000"), remote: sa("127.0.0.1:5000") },
            ErrorKind::SelfConnect,
            "self_connect",
            Io::AddrInUse,
        ),
        (
            Error::ConnectionRefused { local: None, remote, source: os(Io::ConnectionRefused) },
            ErrorKind::ConnectionRefused,
            "connection_refused",
            Io::ConnectionRefused,
        ),
        (
            Error::TimedOut { local: Some(local), remote, timeout: Some(Duration::from_secs(3)), source: os(Io::TimedOut) },
            ErrorKind::TimedOut,
            "timed_out",
            Io::TimedOut,
        ),
        (
            Error::NetworkUnreachable { local: None, remote, source: os(Io::NetworkUnreachable) },
            ErrorKind::NetworkUnreachable,
            "network_unreachable",
            Io::NetworkUnreachable,
        ),
        (
            Error::HostUnreachable { local: None, remote, source: os(Io::HostUnreachable) },
            ErrorKind::HostUnreachable,
            "host_unreachable",
            Io::HostUnreachable,
        ),
        (
            Error::Unsupported { option: "SO_BINDTODEVICE" },
            ErrorKind::Unsupported,
            "unsupported",
            Io::Unsupported,
        ),
        (
            Error::DadFailed { addr: ip("fd00::7"), interface: "eth0".into(), prefix_len: 64 },
            ErrorKind::DadFailed,
            "dad_failed",
            Io::AddrNotAvailable,
        ),
        (
            Error::Io { addr: local, phase: Phase::Listen, source: os(Io::Other) },
            ErrorKind::Io,
            "io",
            Io::Other,
        ),
        (
            Error::UriWithoutHost { uri: "/index.html".into() },
            ErrorKind::InvalidUri,
            "invalid_uri",
            Io::InvalidInput,
        ),
        (
            Error::HostNotFound { host: "example.invalid".into(), port: 80, source: Some(os(Io::Other)) },
            ErrorKind::HostNotFound,
            "host_not_found",
            Io::NotFound,
        ),
    ]
}

/// The last error of the range in `every_variant`'s `PortRangeExhausted`.
fn exhausted_cause() -> bindpolicy::Cause {
    bindpolicy::Cause::from(Error::TimeWait {
        local: sa("192.0.2.7:40001"),
        remote: sa("192.0.2.1:443"),
        source: os(io::ErrorKind::AddrNotAvailable),
    })
}

/// A violation of `local_only` by 0.0.0.0:80, from a real check.
fn policy_violation() -> PolicyViolation {
    let lo = Interfaces::from_interfaces([
        Interface::new("lo", 1).with_addr(InterfaceAddr::new(ip("127.0.0.1"), 8))
    ]);
    let resolved = BindTarget::any_v4(80)
        .resolve_with(&lo)
        .expect("0.0.0.0 resolves");
    BindPolicy::local_only()
        .check(&resolved)
        .expect_err("local_only refuses a wildcard")
}

/// One value of every `ConfigError` variant beyond the wrapped `Error`.
#[rustfmt::skip]
fn every_config_variant() -> Vec<(ConfigError, ErrorKind, &'static str, io::ErrorKind)> {
    use io::ErrorKind as Io;
    vec![
        (
            ConfigError::Policy(policy_violation()),
            ErrorKind::PolicyViolation,
            "policy_violation",
            Io::PermissionDenied,
        ),
        (
            ConfigError::Overlap(Box::new(Overlap::Duplicate("*:80".parse().unwrap()))),
            ErrorKind::Overlap,
            "overlap",
            Io::InvalidInput,
        ),
        (
            ConfigError::EnvNotSet { var: "APP_BIND".into() },
            ErrorKind::EnvNotSet,
            "env_not_set",
            Io::NotFound,
        ),
        (
            ConfigError::EnvInvalid { var: "APP_BIND".into(), error: parse_error() },
            ErrorKind::EnvInvalid,
            "env_invalid",
            Io::InvalidInput,
        ),
        (
            ConfigError::EnvNotUnicode { var: "APP_BIND".into(), value: "\u{fffd}".into() },
            ErrorKind::EnvInvalid,
            "env_invalid",
            Io::InvalidInput,
        ),
        (
            ConfigError::Bind(Error::Unsupported { option: "SO_BINDTODEVICE" }),
            ErrorKind::Unsupported,
            "unsupported",
            Io::Unsupported,
        ),
    ]
}

#[test]
fn every_variant_has_its_kind_and_stable_name() {
    for (err, kind, name, _) in every_variant() {
        assert_eq!(err.kind(), kind, "{err:?}");
        assert_eq!(err.kind().as_str(), name, "{err:?}");
        assert_eq!(err.kind().to_string(), name, "Display of {kind:?}");
    }
    for (err, kind, name, _) in every_config_variant() {
        assert_eq!(err.kind(), kind, "{err:?}");
        assert_eq!(err.kind().as_str(), name, "{err:?}");
    }
    assert_eq!(policy_violation().kind(), ErrorKind::PolicyViolation);
    assert_eq!(policy_violation().rule(), PolicyRule::Wildcard);
}

#[test]
fn kind_names_are_distinct_snake_case() {
    let mut names: Vec<&str> = every_variant()
        .iter()
        .map(|(_, k, _, _)| k.as_str())
        .chain(every_config_variant().iter().map(|(_, k, _, _)| k.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    // 26 `Error` variants and 5 of `ConfigError`'s own share 27 kinds: AddrNotLocal and
    // ZoneMismatch are AddrNotAvailable, EphemeralPortsExhausted is PortRangeExhausted, and
    // EnvNotUnicode is EnvInvalid.
    assert_eq!(names.len(), 27, "{names:?}");
    for name in names {
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{name:?} is not snake_case"
        );
    }
}

#[test]
fn into_io_error_keeps_the_io_kind_and_downcasts_back() {
    for (err, kind, _, io_kind) in every_variant() {
        let message = err.to_string();
        assert_eq!(kind.io_kind(), io_kind, "{kind:?}");
        let io_err = io::Error::from(err);
        assert_eq!(io_err.kind(), io_kind, "{message}");
        assert_eq!(
            io_err.to_string(),
            message,
            "the io::Error shows our message"
        );
        let back = io_err
            .into_inner()
            .expect("an inner error")
            .downcast::<Error>()
            .expect("the inner error is ours");
        assert_eq!(back.kind(), kind);
        assert_eq!(back.to_string(), message);
    }
    for (err, kind, _, io_kind) in every_config_variant() {
        let message = err.to_string();
        let io_err = io::Error::from(err);
        assert_eq!(io_err.kind(), io_kind, "{message}");
        let back = io_err
            .into_inner()
            .expect("an inner error")
            .downcast::<ConfigError>()
            .expect("the inner error is ours");
        assert_eq!(back.kind(), kind);
        assert_eq!(back.to_string(), message);
    }
    let violation = policy_violation();
    let io_err = io::Error::from(violation.clone());
    assert_eq!(io_err.kind(), io::ErrorKind::PermissionDenied);
    assert_eq!(io_err.to_string(), violation.to_string());
}

#[test]
fn a_parse_error_becomes_invalid_input_directly() {
    let parse = parse_error();
    let io_err = io::Error::from(parse.clone());
    assert_eq!(io_err.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(io_err.to_string(), parse.to_string());
    let back = io_err
        .into_inner()
        .expect("an inner error")
        .downcast::<bindpolicy::ParseError>()
        .expect("the inner error is the ParseError");
    assert_eq!(*back, parse);
    fn load(spec: &str) -> io::Result<BindTarget> {
        Ok(spec.parse::<BindTarget>()?)
    }
    assert_eq!(load("80").unwrap_err().kind(), io::ErrorKind::InvalidInput);
}

/// Every part of the exhaustion message: the counts that are not zero, and the sysctl that kept
/// the kernel from searching.
#[test]
fn range_exhausted_says_what_held_the_ports_and_which_sysctl_refused() {
    let exhausted = |ports: Option<RangeUse>, kernel_refusal: Option<KernelRefusal>| {
        Error::PortRangeExhausted {
            range: PortRange::new(40000, 40009).unwrap(),
            remote: sa("198.18.0.1:5000"),
            attempts: 10,
            ports,
            kernel_refusal,
            last: exhausted_cause(),
        }
        .to_string()
    };
    assert_eq!(
        exhausted(None, None),
        "every source port in 40000-40009 failed toward 198.18.0.1:5000 (10 tried); widen the \
         range, or close connections that hold it"
    );
    assert_eq!(
        exhausted(Some(RangeUse::new(0, 0, 0)), None),
        "every source port in 40000-40009 failed toward 198.18.0.1:5000 (10 tried); widen the \
         range, or close connections that hold it"
    );
    assert_eq!(
        exhausted(
            Some(RangeUse::new(7, 2, 1)),
            Some(KernelRefusal::OutsideLocalPortRange {
                lo: 50000,
                hi: 60999
            })
        ),
        "every source port in 40000-40009 failed toward 198.18.0.1:5000 (10 tried: 7 with a \
         live connection to it, 2 in TIME-WAIT toward it and 1 held by other sockets); widen \
         the range, or close connections that hold it. The kernel's own port search \
         (IP_LOCAL_PORT_RANGE) was not used: net.ipv4.ip_local_port_range is 50000 60999, \
         which does not hold the whole range"
    );
    assert_eq!(
        exhausted(
            Some(RangeUse::new(0, 0, 10)),
            Some(KernelRefusal::Reserved {
                ports: "40000-40009".into()
            })
        ),
        "every source port in 40000-40009 failed toward 198.18.0.1:5000 (10 tried: 10 held by \
         other sockets); widen the range, or close connections that hold it. The kernel's own \
         port search (IP_LOCAL_PORT_RANGE) was not used: net.ipv4.ip_local_reserved_ports \
         reserves 40000-40009 of it"
    );
}

/// The ephemeral range's message: the sysctl and its size, the counts that are not zero, and
/// the generic form where the OS does not say.
#[test]
fn ephemeral_exhaustion_names_the_sysctl_and_what_holds_it() {
    let exhausted = |range: Option<PortRange>, ports: Option<RangeUse>| {
        Error::EphemeralPortsExhausted {
            remote: sa("198.18.0.1:5000"),
            range,
            ports,
            source: os(io::ErrorKind::AddrNotAvailable),
        }
        .to_string()
    };
    let range = PortRange::new(32768, 60999).ok();
    assert_eq!(
        exhausted(range, Some(RangeUse::new(27900, 332, 0))),
        "cannot connect to 198.18.0.1:5000: no ephemeral source port is free toward it \
         (net.ipv4.ip_local_port_range is 32768-60999, 28232 ports: 27900 with a live \
         connection to it and 332 in TIME-WAIT toward it); reuse connections (keep-alive) or \
         close idle ones, or widen net.ipv4.ip_local_port_range"
    );
    assert_eq!(
        exhausted(range, Some(RangeUse::new(0, 0, 0))),
        "cannot connect to 198.18.0.1:5000: no ephemeral source port is free toward it \
         (net.ipv4.ip_local_port_range is 32768-60999, 28232 ports); reuse connections \
         (keep-alive) or close idle ones, or widen net.ipv4.ip_local_port_range"
    );
    assert_eq!(
        exhausted(None, None),
        "cannot connect to 198.18.0.1:5000: no ephemeral source port is free toward it \
         (EADDRNOTAVAIL at connect()); reuse connections (keep-alive) or close idle ones, or \
         widen the OS's ephemeral port range"
    );
}

/// A holder's phrase in each case: a process, a connected socket, a TIME-WAIT entry, a socket
/// whose process is hidden.
#[test]
fn a_holder_says_what_it_is() {
    let holder = PortHolder::new(sa("0.0.0.0:80"), SocketState::Listen).with_process(812, "nginx");
    assert_eq!(holder.to_string(), "pid 812 (nginx) on 0.0.0.0:80 (LISTEN)");
    let connected = PortHolder::new(sa("127.0.0.1:8080"), SocketState::Established)
        .with_remote(sa("127.0.0.1:5555"))
        .with_process(9, "curl");
    assert_eq!(
        connected.to_string(),
        "pid 9 (curl) on 127.0.0.1:8080 connected to 127.0.0.1:5555 (ESTAB)"
    );
    let time_wait = PortHolder::new(sa("127.0.0.1:8080"), SocketState::TimeWait)
        .with_remote(sa("127.0.0.1:5555"));
    assert_eq!(
        time_wait.to_string(),
        "a TIME-WAIT entry of 127.0.0.1:8080 connected to 127.0.0.1:5555, a closed connection \
         that no process holds; the kernel frees it within 60 s"
    );
    let hidden = PortHolder::new(sa("[::]:80"), SocketState::Listen).with_uid(33);
    assert_eq!(
        hidden.to_string(),
        "a socket on [::]:80 (LISTEN) whose process this user cannot see (uid 33; as root, the \
         error names it)"
    );
    let err = |holder: PortHolder| {
        Error::AddrInUse {
            addr: sa("0.0.0.0:8080"),
            phase: Phase::Bind,
            protocol: Protocol::Tcp,
            holder: Some(Box::new(holder)),
            source: os(io::ErrorKind::AddrInUse),
        }
        .to_string()
    };
    assert!(err(time_wait).ends_with("; wait for it, or pick another port"));
    let hidden = err(hidden);
    assert!(
        hidden.contains("whose process this user cannot see (uid 33; as root, the error names it)"),
        "{hidden}"
    );
    assert!(hidden.ends_with("only one; pick another port"), "{hidden}");
    let udp = Error::AddrInUse {
        addr: sa("0.0.0.0:53"),
        phase: Phase::Bind,
        protocol: Protocol::Udp,
        holder: None,
        source: os(io::ErrorKind::AddrInUse),
    };
    assert_eq!(
        udp.to_string(),
        "0.0.0.0:53 is already in use (EADDRINUSE at bind()); to see who holds it run `ss -uanp \
         'sport = :53'` (as root to see every process), or pick another port"
    );
    assert_eq!(SocketState::from_kernel(13), SocketState::Other(13));
    assert_eq!(SocketState::from_kernel(7).as_str(), "UNCONN");
}

#[test]
fn range_exhausted_gives_its_last_error_as_source_without_repeating_it() {
    let (err, ..) = every_variant()
        .into_iter()
        .find(|(_, kind, _, _)| *kind == ErrorKind::PortRangeExhausted)
        .expect("the table has one");
    let source = err.source().expect("the last port's error");
    let last = source
        .downcast_ref::<Error>()
        .expect("source() is a bindpolicy::Error, not a Box of one");
    assert_eq!(last.kind(), ErrorKind::TimeWait);
    assert_eq!(
        err.to_string(),
        "every source port in 40000-40001 failed toward 192.0.2.1:443 (2 tried: 1 with a live \
         connection to it and 1 in TIME-WAIT toward it); widen the range, or close connections \
         that hold it"
    );
    assert!(!err.to_string().contains(&last.to_string()));
    // And the chain goes on down to the OS error.
    assert!(
        last.source()
            .is_some_and(|os| os.downcast_ref::<io::Error>().is_some())
    );
}

#[test]
fn no_message_repeats_its_cause() {
    let errors: Vec<Box<dyn std::error::Error>> = every_variant()
        .into_iter()
        .map(|(e, ..)| Box::new(e) as Box<dyn std::error::Error>)
        .chain(
            every_config_variant()
                .into_iter()
                .map(|(e, ..)| Box::new(e) as Box<dyn std::error::Error>),
        )
        .collect();
    for err in errors {
        let message = err.to_string();
        let mut cause = err.source();
        while let Some(c) = cause {
            // A transparent wrapper (Error::Parse, ConfigError::Bind) is its cause's message.
            if c.to_string() != message {
                assert!(
                    !message.contains(&c.to_string()),
                    "{message:?} repeats its cause {c}"
                );
            }
            cause = c.source();
        }
    }
}

#[test]
fn debug_shows_the_kind_and_the_message() {
    let err = Error::AddrInUse {
        addr: sa("0.0.0.0:80"),
        phase: Phase::Bind,
        protocol: Protocol::Tcp,
        holder: None,
        source: os(io::ErrorKind::AddrInUse),
    };
    assert_eq!(
        format!("{err:?}"),
        format!("addr_in_use: {err}\n  caused by: the OS said no")
    );
    let config = ConfigError::EnvNotSet {
        var: "APP_BIND".into(),
    };
    assert_eq!(
        format!("{config:?}"),
        "env_not_set: environment variable APP_BIND is not set"
    );
    assert_eq!(
        format!("{:?}", ConfigError::Bind(err)),
        format!(
            "{:?}",
            Error::AddrInUse {
                addr: sa("0.0.0.0:80"),
                phase: Phase::Bind,
                protocol: Protocol::Tcp,
                holder: None,
                source: os(io::ErrorKind::AddrInUse),
            }
        )
    );
    let violation = policy_violation();
    assert_eq!(
        format!("{violation:?}"),
        format!("policy_violation: {violation}")
    );
}

#[test]
fn a_parse_error_becomes_invalid_input_and_comes_back_whole() {
    let parse = parse_error();
    let err = Error::from(parse.clone());
    assert_eq!(err.kind(), ErrorKind::Parse);
    assert_eq!(err.kind().as_str(), "parse");
    assert_eq!(
        err.to_string(),
        parse.to_string(),
        "Error::Parse is transparent"
    );

    let io_err: io::Error = err.into();
    assert_eq!(io_err.kind(), io::ErrorKind::InvalidInput);
    let inner = io_err.get_ref().expect("an inner error");
    match inner.downcast_ref::<Error>() {
        Some(Error::Parse(back)) => assert_eq!(back, &parse),
        other => panic!("not a parse error: {other:?}"),
    }
}

#[test]
fn question_mark_works_in_io_result_code() {
    fn load(spec: &str) -> io::Result<BindTarget> {
        Ok(spec.parse::<BindTarget>().map_err(Error::from)?)
    }
    assert_eq!(load("*:80").unwrap(), BindTarget::any(80));
    assert_eq!(load("80").unwrap_err().kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn the_os_error_is_the_source_and_not_in_the_message() {
    for (err, kind, _, _) in every_variant() {
        if let Some(source) = err.source() {
            let message = err.to_string();
            if source.to_string() == "the OS said no" {
                assert!(
                    !message.contains("the OS said no"),
                    "{kind:?} pastes its source into the message: {message}"
                );
            }
        }
    }
    let err = Error::AddrInUse {
        addr: sa("0.0.0.0:80"),
        phase: Phase::Bind,
        protocol: Protocol::Tcp,
        holder: None,
        source: os(io::ErrorKind::AddrInUse),
    };
    let source = err.source().expect("a source");
    assert_eq!(source.to_string(), "the OS said no");
    assert_eq!(
        source.downcast_ref::<io::Error>().map(io::Error::kind),
        Some(io::ErrorKind::AddrInUse)
    );
}
