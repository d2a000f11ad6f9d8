//! Where the server runs: the warnings of a [`Deployment`] (a loopback target in a container,
//! a listener WSL 2 does not forward to Windows' localhost, an AirPlay port on macOS), word for
//! word over supplied facts, how an explanation leads with them, and this machine as it is
//! (a VM made from a Docker image, whose `/.dockerenv` alone must not raise a container
//! warning).

mod support;
use support::snapshot::{resolve, seed};

use bindpolicy::{BindTarget, Deployment, Interfaces, Warning};

fn in_container() -> Interfaces {
    seed().with_deployment(Deployment::host().with_container("podman (/run/.containerenv)"))
}

fn under_wsl(version: u8) -> Interfaces {
    seed().with_deployment(Deployment::host().with_wsl(version))
}

fn on_macos() -> Interfaces {
    seed().with_deployment(Deployment::host().with_macos(true))
}

fn kinds(spec: &str, snapshot: &Interfaces) -> Vec<&'static str> {
    resolve(spec, snapshot)
        .warnings()
        .iter()
        .map(Warning::kind)
        .collect()
}

fn messages(spec: &str, snapshot: &Interfaces) -> Vec<String> {
    resolve(spec, snapshot)
        .warnings()
        .iter()
        .filter(|w| w.is_deployment())
        .map(ToString::to_string)
        .collect()
}

fn container_message(target: &str, port: &str) -> String {
    format!(
        "this process runs in a container (podman (/run/.containerenv)), so {target} is the \
         container's own loopback: nothing outside the container can reach it, `docker run -p` \
         included (the published port is forwarded to the container's interface address, not \
         to its loopback); listen on *:{port} and let the host choose the exposure with \
         -p 127.0.0.1:{port}:{port}"
    )
}

#[test]
fn a_loopback_target_in_a_container_warns_first() {
    for spec in [
        "localhost:8080",
        "127.0.0.1:8080",
        "[::1]:8080",
        "127.0.0.2:8080",
        "lo:8080",
    ] {
        let resolved = resolve(spec, &in_container());
        assert_eq!(
            resolved.warnings().first().map(ToString::to_string),
            Some(container_message(spec, "8080")),
            "{spec}"
        );
        assert!(resolved.warnings()[0].is_deployment());
        assert_eq!(resolved.warnings()[0].kind(), "loopback_in_container");
    }
    // Port 0: the fix names a port to choose.
    assert_eq!(
        messages("localhost:0", &in_container()),
        [container_message("localhost:0", "PORT")]
    );
    assert_eq!(
        kinds("localhost:0", &in_container()),
        ["loopback_in_container", "ephemeral_port"]
    );
}

#[test]
fn targets_beyond_the_loopback_in_a_container_do_not_warn() {
    for spec in ["*:8080", "0.0.0.0:8080", "eth0:8080", "192.168.71.67:8080"] {
        assert_eq!(
            messages(spec, &in_container()),
            Vec::<String>::new(),
            "{spec}"
        );
    }
    // And a loopback target outside a container does not either.
    assert_eq!(kinds("localhost:8080", &seed()), Vec::<&str>::new());
}

#[test]
fn under_wsl2_a_target_without_127_0_0_1_or_0_0_0_0_warns() {
    for spec in [
        "[::]:8080",
        "[::1]:8080",
        "eth0:8080",
        "192.168.71.67:8080",
        "127.0.0.2:8080",
    ] {
        assert_eq!(
            messages(spec, &under_wsl(2)),
            [format!(
                "under WSL 2, Windows forwards its localhost only to IPv4 listeners on 127.0.0.1 \
                 or 0.0.0.0 (microsoft/WSL#10206), so programs on Windows cannot reach {spec} as \
                 localhost; listen on 127.0.0.1:8080 or *:8080 (in mirrored networking mode, \
                 networkingMode=mirrored in .wslconfig, Linux shares Windows' addresses, but ::1 \
                 still is not shared)"
            )],
            "{spec}"
        );
        assert!(kinds(spec, &under_wsl(2)).contains(&"wsl_not_forwarded"));
    }
    for spec in ["*:8080", "0.0.0.0:8080", "localhost:8080", "127.0.0.1:8080"] {
        assert_eq!(
            messages(spec, &under_wsl(2)),
            Vec::<String>::new(),
            "{spec}"
        );
    }
    // WSL 1 shares Windows' network stack: nothing to forward.
    assert_eq!(messages("[::1]:8080", &under_wsl(1)), Vec::<String>::new());
}

#[test]
fn on_macos_ports_5000_and_7000_warn_of_airplay() {
    for (spec, port) in [
        ("*:5000", 5000),
        ("localhost:7000", 7000),
        ("eth0:5000", 5000),
    ] {
        assert_eq!(
            messages(spec, &on_macos()),
            [format!(
                "on macOS, AirPlay Receiver listens on ports 5000 and 7000 by default, so binding \
                 {port} may fail with EADDRINUSE, or clients may reach AirPlay instead \
                 (pallets/flask#4328); turn it off (System Settings → General → AirDrop & Handoff \
                 → AirPlay Receiver) or use another port"
            )],
            "{spec}"
        );
        assert!(kinds(spec, &on_macos()).contains(&"airplay_port"));
    }
    assert_eq!(messages("*:5001", &on_macos()), Vec::<String>::new());
    assert_eq!(messages("*:5000", &seed()), Vec::<String>::new());
}

#[test]
fn a_client_source_gets_no_deployment_warning() {
    let everywhere = seed().with_deployment(
        Deployment::host()
            .with_container("docker (/.dockerenv, root on overlay)")
            .with_wsl(2)
            .with_macos(true),
    );
    assert_eq!(kinds("port:5000", &everywhere), Vec::<&str>::new());
    // Several at once: each, in the order container, WSL, macOS.
    assert_eq!(
        kinds("[::1]:5000", &everywhere),
        ["loopback_in_container", "wsl_not_forwarded", "airplay_port"]
    );
}

#[test]
fn an_explanation_leads_with_where_the_server_runs() {
    let plain = resolve("localhost:5000", &seed()).explain().to_string();
    let facts = seed().with_deployment(
        Deployment::host()
            .with_container("podman (/run/.containerenv)")
            .with_macos(true),
    );
    let text = resolve("localhost:5000", &facts).explain().to_string();
    let lines: Vec<&str> = text.split("\n\n").collect();
    assert_eq!(
        lines[0],
        format!("Beware: {}.", container_message("localhost:5000", "5000"))
    );
    assert!(
        lines[1].starts_with("Beware: on macOS, AirPlay Receiver listens on ports 5000 and 7000"),
        "{text}"
    );
    // The rest is the explanation without them, unchanged.
    assert_eq!(lines[2..].join("\n\n"), plain);
    assert_eq!(
        plain,
        "localhost:5000 listens on 127.0.0.1 and ::1 (lo): only programs on this machine can \
         connect, e.g. http://127.0.0.1:5000. No other machine can reach it, whatever the \
         firewall allows. localhost is never looked up in DNS or /etc/hosts."
    );
    // Other warnings stay at the end.
    let wsl = resolve("[::1]:0", &under_wsl(2)).explain().to_string();
    assert!(
        wsl.starts_with("Beware: under WSL 2, Windows forwards"),
        "{wsl}"
    );
    assert!(!wsl.ends_with("still is not shared)."), "{wsl}");
}

#[cfg(feature = "serde")]
#[test]
fn the_json_of_a_deployment_warning_is_its_kind_and_message() {
    let resolved = resolve("127.0.0.1:8080", &in_container());
    assert_eq!(
        serde_json::to_value(&resolved.warnings()[0]).unwrap(),
        serde_json::json!({
            "kind": "loopback_in_container",
            "message": container_message("127.0.0.1:8080", "8080"),
        })
    );
}

#[test]
fn a_deployment_is_built_from_data_and_says_what_it_is() {
    assert_eq!(Deployment::host(), Deployment::default());
    assert_eq!(Interfaces::default().deployment(), &Deployment::host());
    assert_eq!(Deployment::host().to_string(), "no container, WSL or macOS");
    let both = Deployment::host()
        .with_container("docker (/.dockerenv, root on overlay)")
        .with_wsl(2);
    assert!(both.is_container());
    assert_eq!(
        both.container(),
        Some("docker (/.dockerenv, root on overlay)")
    );
    assert_eq!(both.wsl(), Some(2));
    assert!(!both.is_macos());
    assert_eq!(
        both.to_string(),
        "a container: docker (/.dockerenv, root on overlay); WSL 2"
    );
    assert_eq!(Deployment::host().with_macos(true).to_string(), "macOS");
}

/// This machine as it is: a Firecracker VM made from a Docker image. It has `/.dockerenv`,
/// but its root is ext4 and its cgroup paths name no engine, so it is no container; it is not
/// WSL or macOS either. The real detection, through every path that reads the OS.
#[cfg(target_os = "linux")]
#[test]
fn this_machine_gets_no_deployment_warning() {
    let current = Deployment::current();
    assert_eq!(current, Deployment::host(), "{current}");
    assert_eq!(
        Interfaces::current().unwrap().deployment(),
        &Deployment::host()
    );
    for spec in [
        "localhost:0",
        "127.0.0.1:0",
        "*:5000",
        "0.0.0.0:7000",
        "lo:0",
    ] {
        let target: BindTarget = spec.parse().unwrap();
        let resolved = target.resolve().unwrap();
        assert!(
            resolved.warnings().iter().all(|w| !w.is_deployment()),
            "{spec}: {:?}",
            resolved.warnings()
        );
        assert!(
            !resolved.explain().as_str().starts_with("Beware:"),
            "{spec}"
        );
    }
}
