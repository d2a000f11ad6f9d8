//! One target, one verdict, on every path: `bindpolicy explain`, `check`, `listen` and the
//! library's `ListenConfig::listen` give the same error kind (or the same success) for each
//! target of one table, in a namespace this test builds: `lo`, a veth end `vd0` with
//! 198.18.90.1/24 and fd00:90::1/64, and its peer `vd1` with no address and down.
//!
//! The CLI runs under `ip netns exec`; the library in a thread inside the namespace.

mod support;
use support::netns::{Netns, require_netns};

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use bindpolicy::{BindTarget, ListenConfig};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_bindpolicy");

/// What a path said: `None` for success, else the error kind's name.
type Verdict = Option<String>;

fn cli(ns: &Netns, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new("ip")
        .args(["netns", "exec", ns.name(), BIN])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run bindpolicy");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `check SPEC --json`: the error's kind, or success.
fn check(ns: &Netns, spec: &str) -> Verdict {
    let (code, stdout, _) = cli(ns, &["check", spec, "--json"]);
    let json: Value = serde_json::from_str(&stdout).expect("check --json prints JSON");
    match json["error"]["kind"].as_str() {
        Some(kind) => Some(kind.to_owned()),
        None => {
            assert_eq!(code, Some(0), "{spec}: {stdout}");
            None
        }
    }
}

/// `listen SPEC --json`: the first event is `listening` (then it is ended) or an error.
fn listen(ns: &Netns, spec: &str) -> Verdict {
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns.name(), BIN, "listen", spec, "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn bindpolicy listen");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the first event");
    // Ours to end: the child we spawned, by its pid.
    let _ = child.kill();
    let _ = child.wait();
    let json: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{spec}: {e}: {line}"));
    json["error"]["kind"].as_str().map(str::to_owned)
}

/// `explain SPEC`: its message, and the message of the error when it fails (the kind is the
/// exit code's, so the message is compared with the library's word for word).
fn explain(ns: &Netns, spec: &str) -> (Option<i32>, String) {
    let (code, _, stderr) = cli(ns, &["explain", spec]);
    (code, stderr)
}

fn config_listen(ns: &Netns, spec: &str) -> (Verdict, Option<String>) {
    let spec = spec.to_owned();
    ns.run(move || {
        let target: BindTarget = spec.parse().expect("parses");
        let library = target.resolve().err().map(|e| e.to_string());
        let config = ListenConfig::new([target]);
        let verdict = config.listen().err().map(|e| e.kind().as_str().to_owned());
        (verdict, library)
    })
}

#[test]
fn every_path_gives_the_same_verdict() {
    require_netns!();
    let ns = Netns::new("verdict");
    ns.ip(&["link", "add", "vd0", "type", "veth", "peer", "name", "vd1"]);
    ns.addr_add("vd0", "198.18.90.1/24", false);
    ns.addr_add("vd0", "fd00:90::1/64", true);
    ns.link_set_up("vd0");
    let table: [(&str, Option<&str>); 9] = [
        ("localhost:0", None),
        ("198.18.90.1:0", None),
        ("[fd00:90::1]:0", None),
        ("vd0:0", None),
        ("*:0", None),
        ("vd1:80", Some("no_address")),
        ("nosuch0:80", Some("interface_not_found")),
        ("198.18.90.99:80", Some("addr_not_available")),
        ("[fd00:90::99]:80", Some("addr_not_available")),
    ];
    for (spec, want) in table {
        let want = want.map(str::to_owned);
        assert_eq!(check(&ns, spec), want, "check {spec}");
        assert_eq!(listen(&ns, spec), want, "listen {spec}");
        let (config, library_message) = config_listen(&ns, spec);
        assert_eq!(config, want, "ListenConfig::listen {spec}");
        let (code, stderr) = explain(&ns, spec);
        match &library_message {
            None => assert_eq!(code, Some(0), "explain {spec}: {stderr}"),
            Some(message) => {
                assert_eq!(code, Some(3), "explain {spec}: the target is unusable here");
                assert!(
                    stderr.contains(message.as_str()),
                    "explain {spec} says\n{stderr}\nthe library says\n{message}"
                );
            }
        }
    }
}
