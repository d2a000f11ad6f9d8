//! Integration tests of the `bindpolicy` binary: every subcommand, every exit code (0, 1, 2, 3),
//! the JSON shapes and the key phrases of the human output. Each test runs the built binary.
//!
//! Network traffic stays on the loopback: listeners bind 127.0.0.1 or localhost, and clients
//! connect there. Every process a test starts is held by a [`ChildGuard`], which kills it by its
//! pid on every path, a failing assertion included.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_bindpolicy");

/// How long a test waits for a line or an exit before failing.
const PATIENCE: Duration = Duration::from_secs(15);

/// An address of TEST-NET-3 (RFC 5737), which no test machine has.
const FOREIGN: &str = "203.0.113.77";

/// A finished run.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// stdout as one JSON value.
    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!("stdout is not one JSON value ({e}): {self:?}");
        })
    }

    /// Asserts the exit code, showing the run on failure.
    fn expect(self, code: i32) -> Run {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        self
    }
}

/// The binary with colour settings cleared, so that output does not depend on the caller's
/// environment.
fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
    cmd
}

/// Runs the binary to completion.
fn run(args: &[&str]) -> Run {
    run_cmd(command(args))
}

/// Runs a prepared command to completion.
fn run_cmd(mut cmd: Command) -> Run {
    let out = cmd.output().expect("run the bindpolicy binary");
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// Asserts a `{"error": {"kind", "message", "causes"}}` object and returns it.
fn error_of(run: &Run, kind: &str) -> Value {
    let value = run.json();
    let error = value["error"].clone();
    assert_eq!(error["kind"], kind, "{run:#?}");
    assert!(
        error["message"].as_str().is_some_and(|m| m.len() > 20),
        "{run:#?}"
    );
    assert!(error["causes"].is_array(), "{run:#?}");
    error
}

/// A process a test started: killed by its pid and reaped when dropped, on every path.
struct ChildGuard {
    child: Child,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // Child::kill signals this child's pid only; an already exited child is fine.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `bindpolicy` whose stdout lines arrive on a channel.
struct Running {
    guard: ChildGuard,
    lines: Receiver<String>,
    stderr: Receiver<String>,
}

impl Running {
    /// Starts the binary with piped output.
    fn start(args: &[&str]) -> Running {
        let mut cmd = command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn bindpolicy");
        let stdout = child.stdout.take().expect("piped stdout");
        let err_pipe = child.stderr.take().expect("piped stderr");
        let guard = ChildGuard { child };
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let (etx, stderr) = mpsc::channel();
        thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(err_pipe).read_to_string(&mut text);
            let _ = etx.send(text);
        });
        Running {
            guard,
            lines,
            stderr,
        }
    }

    /// The next stdout line; fails the test after [`PATIENCE`].
    fn line(&mut self) -> String {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(e) => {
                let _ = self.guard.child.kill();
                let stderr = self.stderr.recv_timeout(PATIENCE).unwrap_or_default();
                panic!("no line from bindpolicy ({e}); stderr: {stderr}");
            }
        }
    }

    /// The next stdout line, as JSON.
    fn json(&mut self) -> Value {
        let line = self.line();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Waits for the process to exit by itself and returns its code.
    fn exit_code(&mut self) -> i32 {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.guard.child.try_wait().expect("try_wait") {
                return status.code().expect("exited, not killed");
            }
            assert!(
                Instant::now() < deadline,
                "bindpolicy did not exit by itself"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process is still running.
    fn is_running(&mut self) -> bool {
        self.guard.child.try_wait().expect("try_wait").is_none()
    }
}

/// The listening event's first address.
fn listening_addr(event: &Value) -> SocketAddr {
    assert_eq!(event["event"], "listening", "{event}");
    event["addresses"][0]
        .as_str()
        .expect("an address")
        .parse()
        .expect("a socket address")
}

/// What `bindpolicy interfaces --json` says about this machine.
struct Machine {
    json: Value,
}

impl Machine {
    fn get() -> Machine {
        Machine {
            json: run(&["interfaces", "--json"]).expect(0).json(),
        }
    }

    fn addresses(&self) -> impl Iterator<Item = (&Value, &Value)> {
        self.json["interfaces"]
            .as_array()
            .expect("interfaces array")
            .iter()
            .flat_map(|i| {
                i["addresses"]
                    .as_array()
                    .expect("addresses array")
                    .iter()
                    .map(move |a| (i, a))
            })
    }

    fn has_ipv6(&self) -> bool {
        self.addresses()
            .any(|(_, a)| a["address"].as_str().is_some_and(|s| s.contains(':')))
    }

    /// A link-local IPv6 address and its interface, if any.
    fn link_local_v6(&self) -> Option<(String, String)> {
        self.addresses()
            .find(|(_, a)| {
                a["scope"] == "link_local" && a["address"].as_str().is_some_and(|s| s.contains(':'))
            })
            .map(|(i, a)| {
                (
                    a["address"].as_str().unwrap_or_default().to_owned(),
                    i["name"].as_str().unwrap_or_default().to_owned(),
                )
            })
    }

    /// The interface that carries 127.0.0.1.
    fn loopback_name(&self) -> String {
        self.addresses()
            .find(|(_, a)| a["address"] == "127.0.0.1")
            .and_then(|(i, _)| i["name"].as_str())
            .expect("an interface with 127.0.0.1")
            .to_owned()
    }
}

/// A port on 127.0.0.1 where nothing listens right now.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// Skips a test that needs a tool this machine lacks, loudly; fails it instead when
/// BINDPOLICY_REQUIRE_NETNS=1 (CI's way of saying every test must run).
fn skip_or_fail(what: &str) {
    if std::env::var("BINDPOLICY_REQUIRE_NETNS").as_deref() == Ok("1") {
        panic!("{what}, and BINDPOLICY_REQUIRE_NETNS=1 requires this test to run");
    }
    eprintln!("SKIPPED: {what} (set BINDPOLICY_REQUIRE_NETNS=1 to make this a failure)");
}

// ---------------------------------------------------------------------------------------------
// interfaces

#[test]
fn interfaces_table_names_loopback_and_what_it_exposes() {
    let run = run(&["interfaces"]).expect(0);
    let header = run.stdout.lines().next().expect("a header line");
    for column in [
        "INTERFACE",
        "STATE",
        "ADDRESS",
        "SCOPE",
        "BINDING IT EXPOSES",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let lo = run
        .stdout
        .lines()
        .find(|l| l.contains("127.0.0.1/8"))
        .expect("a row for 127.0.0.1/8");
    assert!(
        lo.contains("loopback") && lo.contains("this machine only"),
        "{lo}"
    );
    assert!(run.stdout.contains("every address with *:PORT"), "{run:#?}");
    assert!(!run.stdout.contains('\x1b'), "no colour on a pipe");
}

#[test]
fn interfaces_json_has_state_prefix_scope_and_exposure() {
    let machine = Machine::get();
    let interfaces = machine.json["interfaces"].as_array().expect("array");
    assert!(!interfaces.is_empty());
    for iface in interfaces {
        assert!(iface["name"].is_string(), "{iface}");
        assert!(
            iface["index"].is_u64() || iface["index"].is_null(),
            "{iface}"
        );
        assert!(["up", "down"].contains(&iface["state"].as_str().unwrap_or("")));
        assert!(iface["loopback"].is_boolean(), "{iface}");
        for addr in iface["addresses"].as_array().expect("addresses") {
            assert!(addr["address"].is_string(), "{addr}");
            assert!(addr["prefix_len"].is_u64(), "{addr}");
            assert!(addr["network"].as_str().is_some_and(|n| n.contains('/')));
            let scopes = [
                "loopback",
                "link_local",
                "private",
                "shared",
                "documentation",
                "benchmarking",
                "multicast",
                "reserved",
                "global",
            ];
            assert!(
                scopes.contains(&addr["scope"].as_str().unwrap_or("")),
                "{addr}"
            );
            assert!(addr["tentative"].is_boolean(), "{addr}");
            assert!(addr["exposes"].is_string(), "{addr}");
        }
    }
    let (_, lo) = machine
        .addresses()
        .find(|(_, a)| a["address"] == "127.0.0.1")
        .expect("127.0.0.1");
    assert_eq!(lo["prefix_len"], 8);
    assert_eq!(lo["network"], "127.0.0.0/8");
    assert_eq!(lo["scope"], "loopback");
    assert_eq!(lo["exposure"], "this_machine");
    assert_eq!(lo["exposes"], "this machine only");
}

// ---------------------------------------------------------------------------------------------
// parse

#[test]
fn parse_json_gives_canonical_kind_family_and_ports() {
    // (input, canonical, kind, family, first port, last port)
    let cases: [(&str, &str, &str, Value, u64, u64); 10] = [
        (":5000", "*:5000", "any", "both".into(), 5000, 5000),
        ("any:5000", "*:5000", "any", "both".into(), 5000, 5000),
        (
            "0.0.0.0:5000",
            "0.0.0.0:5000",
            "any",
            "ipv4".into(),
            5000,
            5000,
        ),
        ("[::]:80", "[::]:80", "any", "ipv6".into(), 80, 80),
        (
            "LOOPBACK:5000",
            "localhost:5000",
            "loopback",
            "both".into(),
            5000,
            5000,
        ),
        (
            "127.0.0.1:0",
            "127.0.0.1:0",
            "loopback",
            "ipv4".into(),
            0,
            0,
        ),
        (
            "192.0.2.10:80",
            "192.0.2.10:80",
            "address",
            "ipv4".into(),
            80,
            80,
        ),
        (
            "eth0:8080",
            "eth0:8080",
            "interface",
            Value::Null,
            8080,
            8080,
        ),
        (
            "port:40000",
            "port:40000",
            "port",
            Value::Null,
            40000,
            40000,
        ),
        (
            "port:40000-40100",
            "port:40000-40100",
            "port",
            Value::Null,
            40000,
            40100,
        ),
    ];
    for (input, canonical, kind, family, first, last) in cases {
        let value = run(&["parse", input, "--json"]).expect(0).json();
        assert_eq!(value["input"], input);
        assert_eq!(value["target"], canonical, "{input}");
        assert_eq!(value["canonical"], input == canonical, "{input}");
        assert_eq!(value["kind"], kind, "{input}");
        assert_eq!(value["family"], family, "{input}");
        assert_eq!(value["port"], first, "{input}");
        assert_eq!(value["ports"]["first"], first, "{input}");
        assert_eq!(value["ports"]["last"], last, "{input}");
        assert!(value["meaning"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let zoned = run(&["parse", "[fe80::1%eth0]:80", "--json"])
        .expect(0)
        .json();
    assert_eq!(zoned["kind"], "address");
    assert_eq!(zoned["address"], "fe80::1");
    assert_eq!(zoned["zone"], "eth0");
    assert_eq!(zoned["interface"], Value::Null);
    let named = run(&["parse", "eth0:8080", "--json"]).expect(0).json();
    assert_eq!(named["interface"], "eth0");
    assert_eq!(named["address"], Value::Null);
}

#[test]
fn parse_table_shows_canonical_form_and_meaning() {
    let run = run(&["parse", ":5000"]).expect(0);
    assert!(run.stdout.starts_with("target   *:5000\n"), "{run:#?}");
    assert!(run.stdout.contains("canonical form: *:5000"), "{run:#?}");
    assert!(
        run.stdout
            .contains("every IPv4 and IPv6 address of this machine"),
        "{run:#?}"
    );
    let range = self::run(&["parse", "port:40000-40100"]).expect(0);
    assert!(range.stdout.contains("ports    40000-40100"), "{range:#?}");
    assert!(range.stdout.contains("it cannot listen"), "{range:#?}");
}

#[test]
fn parse_error_exits_2_with_the_full_message() {
    let human = run(&["parse", "8080"]).expect(2);
    assert!(human.stdout.is_empty(), "{human:#?}");
    assert!(
        human.stderr.starts_with(
            "error: invalid bind target \"8080\" at byte 0: a bare port is not a bind target"
        ),
        "{human:#?}"
    );
    assert!(
        human.stderr.contains("did you mean \":8080\""),
        "{human:#?}"
    );

    let json = run(&["parse", "8080", "--json"]).expect(2);
    assert!(
        json.stderr.is_empty(),
        "with --json, errors go to stdout: {json:#?}"
    );
    let error = error_of(&json, "parse");
    assert_eq!(error["input"], "8080");
    assert_eq!(error["offset"], 0);
    assert_eq!(
        error["suggestions"],
        serde_json::json!([":8080", "localhost:8080", "port:8080"])
    );
}

// ---------------------------------------------------------------------------------------------
// check

#[test]
fn check_loopback_json() {
    let value = run(&["check", "127.0.0.1:5000", "--json"]).expect(0).json();
    assert_eq!(value["target"], "127.0.0.1:5000");
    assert_eq!(value["kind"], "loopback");
    assert_eq!(value["addresses"], serde_json::json!(["127.0.0.1:5000"]));
    assert_eq!(value["bind"][0]["address"], "127.0.0.1:5000");
    assert_eq!(value["exposure"], "this_machine");
    assert_eq!(value["networks"], serde_json::json!([]));
    assert_eq!(value["reachable"][0]["address"], "127.0.0.1");
    assert_eq!(value["reachable"][0]["scope"], "loopback");
    assert_eq!(value["urls"], serde_json::json!(["http://127.0.0.1:5000"]));
    assert_eq!(value["warnings"], serde_json::json!([]));
}

#[test]
fn check_wildcard_exposes_all_networks_and_warns() {
    let value = run(&["check", "0.0.0.0:5000", "--json"]).expect(0).json();
    assert_eq!(value["addresses"], serde_json::json!(["0.0.0.0:5000"]));
    assert_eq!(value["bind"][0]["interface"], Value::Null);
    assert_eq!(value["exposure"], "all_networks");
    let urls = value["urls"].as_array().expect("urls");
    assert!(urls.contains(&"http://127.0.0.1:5000".into()), "{value}");
    let warnings = value["warnings"].as_array().expect("warnings");
    let all = warnings
        .iter()
        .find(|w| w["kind"] == "all_networks")
        .expect("an all_networks warning");
    assert!(
        all["message"]
            .as_str()
            .is_some_and(|m| m.contains("listen on localhost:5000")),
        "{all}"
    );
}

#[test]
fn check_port_zero_warns_and_has_no_urls() {
    let value = run(&["check", "127.0.0.1:0", "--json"]).expect(0).json();
    assert_eq!(value["urls"], serde_json::json!([]));
    assert_eq!(value["warnings"][0]["kind"], "ephemeral_port");
    let human = run(&["check", "127.0.0.1:0"]).expect(0);
    assert!(human.stdout.contains("(port chosen at bind)"), "{human:#?}");
    assert!(
        human.stdout.contains("warning[ephemeral_port]: port 0"),
        "{human:#?}"
    );
}

#[test]
fn check_client_source_exposes_nothing() {
    let value = run(&["check", "port:40000-40100", "--json"])
        .expect(0)
        .json();
    assert_eq!(value["kind"], "port");
    assert_eq!(value["exposure"], "nothing");
    assert_eq!(value["urls"], serde_json::json!([]));
    assert_eq!(value["reachable"], serde_json::json!([]));
    assert_eq!(value["ports"]["last"], 40100);
    assert!(
        value["addresses"]
            .as_array()
            .expect("addresses")
            .contains(&"0.0.0.0:40000".into())
    );
}

#[test]
fn check_tables_show_bind_reachable_and_warnings() {
    let run = run(&["check", "0.0.0.0:5000"]).expect(0);
    let out = &run.stdout;
    assert!(out.starts_with("target    0.0.0.0:5000\n"), "{out}");
    assert!(
        out.contains("exposure  all networks: any host that can route to this machine"),
        "{out}"
    );
    assert!(out.contains("BIND          INTERFACE\n0.0.0.0:5000  (every interface)\n"));
    assert!(out.contains("REACHABLE AT"), "{out}");
    let lo_row = out
        .lines()
        .find(|l| l.starts_with("127.0.0.1 "))
        .expect("a reachable row for 127.0.0.1");
    assert!(
        lo_row.contains("loopback") && lo_row.ends_with("http://127.0.0.1:5000"),
        "{lo_row}"
    );
    assert!(out.contains("warning[all_networks]: 0.0.0.0:5000 accepts connections"));
}

#[test]
fn check_unusable_targets_exit_3() {
    let spec = format!("{FOREIGN}:5000");
    let human = run(&["check", &spec]).expect(3);
    assert!(human.stdout.is_empty());
    assert!(
        human.stderr.starts_with(&format!(
            "error: {FOREIGN} is not an address of this machine"
        )),
        "{human:#?}"
    );
    assert!(
        human.stderr.contains("listen on 0.0.0.0:5000"),
        "{human:#?}"
    );
    error_of(
        &run(&["check", &spec, "--json"]).expect(3),
        "addr_not_available",
    );

    let iface = run(&["check", "nosuchif0:80", "--json"]).expect(3);
    let error = error_of(&iface, "interface_not_found");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("This machine has:")),
        "{error}"
    );

    let zone = run(&["check", "[fe80::1:2:3:4]:80", "--json"]).expect(3);
    error_of(&zone, "zone_required");
}

/// A policy file in a fresh temporary directory (removed on drop).
struct PolicyFile {
    dir: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl PolicyFile {
    fn new(name: &str, text: &str) -> PolicyFile {
        let dir =
            std::env::temp_dir().join(format!("bindpolicy-cli-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("policy.toml");
        std::fs::write(&path, text).expect("write policy");
        PolicyFile { dir, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for PolicyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn check_policy_violation_exits_4() {
    let file = PolicyFile::new(
        "violation",
        "allow_wildcard = false\nscopes = [\"loopback\"]\n",
    );
    let human = run(&["check", "0.0.0.0:5000", "--policy", file.arg()]).expect(4);
    assert!(
        human.stderr.starts_with(
            "error: policy violation (allow_wildcard): 0.0.0.0:5000 is a wildcard, which the \
             policy forbids; listen on 127.0.0.1:5000 (lo)"
        ),
        "{human:#?}"
    );
    assert!(human.stdout.is_empty(), "{human:#?}");
    let json = run(&["check", "0.0.0.0:5000", "--policy", file.arg(), "--json"]).expect(4);
    let error = error_of(&json, "policy_violation");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("instead of 0.0.0.0:5000")),
        "{error}"
    );
    assert_eq!(error["rule"], "allow_wildcard", "{error}");
    assert_eq!(error["target"], "0.0.0.0:5000", "{error}");
    // The same file admits a loopback target.
    let ok = run(&["check", "127.0.0.1:5000", "--policy", file.arg(), "--json"]).expect(0);
    assert_eq!(ok.json()["exposure"], "this_machine");
}

#[test]
fn check_policy_presets_by_name() {
    run(&["check", "*:5000", "--policy", "local_only"]).expect(4);
    run(&["check", "localhost:5000", "--policy", "local_only"]).expect(0);
    run(&["check", "*:5000", "--policy", "permissive"]).expect(0);
    let ports = PolicyFile::new("ports", "ports = [\"8000-8099\"]\n");
    let out = run(&["check", "localhost:80", "--policy", ports.arg()]).expect(4);
    assert!(
        out.stderr.contains(
            "port 80 is not among the allowed ports (8000-8099); listen on localhost:8000 instead"
        ),
        "{out:#?}"
    );
}

#[test]
fn check_policy_file_errors_exit_2() {
    let missing = run(&[
        "check",
        "127.0.0.1:5000",
        "--policy",
        "/nonexistent/policy.toml",
    ])
    .expect(2);
    assert!(
        missing
            .stderr
            .starts_with("error: cannot read the policy file /nonexistent/policy.toml:"),
        "{missing:#?}"
    );
    let bad = PolicyFile::new("bad", "allow_wildcards = false\n");
    let out = run(&["check", "127.0.0.1:5000", "--policy", bad.arg(), "--json"]).expect(2);
    let error = error_of(&out, "usage");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("unknown field `allow_wildcards`")),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// explain

#[test]
fn readme_command_explains_the_ipv4_wildcard() {
    // The README's main example: `cargo run -p bindpolicy-cli -- explain 0.0.0.0:5000`.
    let run = run(&["explain", "0.0.0.0:5000"]).expect(0);
    let text = run.stdout.trim_end();
    assert!(
        text.starts_with("0.0.0.0:5000 listens on every IPv4 address of this machine: 127.0.0.1 ("),
        "{text}"
    );
    assert!(text.contains(", this machine only)"), "{text}");
    assert!(
        text.contains("Any machine that can route to these addresses can connect"),
        "{text}"
    );
    assert!(
        text.contains("It does not listen on IPv6; write *:5000 for both families."),
        "{text}"
    );
    assert!(run.stderr.is_empty(), "{run:#?}");
}

#[test]
fn explain_wildcards_of_both_families_and_ipv6() {
    let machine = Machine::get();
    let both = run(&["explain", "*:5000"]).expect(0);
    if machine.has_ipv6() {
        assert!(
            both.stdout.starts_with(
                "*:5000 listens on every address of this machine, IPv4 and IPv6, one socket each:"
            ),
            "{both:#?}"
        );
        let v6 = run(&["explain", "[::]:5000"]).expect(0);
        assert!(
            v6.stdout
                .starts_with("[::]:5000 listens on every IPv6 address of this machine: ::1 ("),
            "{v6:#?}"
        );
        assert!(v6.stdout.contains("It does not listen on IPv4"), "{v6:#?}");
    } else {
        assert!(both.stdout.contains("This machine has no IPv6 address"));
        let v6 = run(&["explain", "[::]:5000"]).expect(3);
        assert!(v6.stderr.contains("IPv6 is not available"), "{v6:#?}");
    }
    assert!(
        both.stdout
            .contains("To let only this machine connect, write localhost:5000."),
        "{both:#?}"
    );
}

#[test]
fn explain_loopback_targets() {
    let machine = Machine::get();
    let lo = machine.loopback_name();
    let both = run(&["explain", "localhost:5000"]).expect(0);
    assert!(
        both.stdout
            .contains("only programs on this machine can connect, e.g. http://127.0.0.1:5000"),
        "{both:#?}"
    );
    assert!(both.stdout.contains("never looked up in DNS"), "{both:#?}");
    let v4 = run(&["explain", "127.0.0.1:5000"]).expect(0);
    assert!(
        v4.stdout
            .starts_with(&format!("127.0.0.1:5000 listens on 127.0.0.1 ({lo}):")),
        "{v4:#?}"
    );
    assert!(
        v4.stdout
            .contains("It does not listen on ::1, which clients may try first for localhost"),
        "{v4:#?}"
    );
    if machine.has_ipv6() {
        let v6 = run(&["explain", "[::1]:5000"]).expect(0);
        assert!(
            v6.stdout.contains("It does not listen on 127.0.0.1"),
            "{v6:#?}"
        );
    }
}

#[test]
#[cfg(target_os = "linux")]
fn explain_another_loopback_address() {
    let run = run(&["explain", "127.0.0.2:5000"]).expect(0);
    let text = &run.stdout;
    assert!(
        text.starts_with("127.0.0.2:5000 listens on 127.0.0.2 only, a loopback address ("),
        "{text}"
    );
    assert!(text.contains("and only to 127.0.0.2"), "{text}");
    assert!(text.contains("routes the whole of 127.0.0.0/8"), "{text}");
}

#[test]
fn explain_link_local_address() {
    let Some((ip, iface)) = Machine::get().link_local_v6() else {
        skip_or_fail("this machine has no IPv6 link-local address to explain");
        return;
    };
    let zoned = format!("[{ip}%{iface}]:5000");
    let run = run(&["explain", &zoned]).expect(0);
    assert!(
        run.stdout.starts_with(&format!(
            "{zoned} listens on {ip} on {iface} only, a link-local address"
        )),
        "{run:#?}"
    );
    assert!(
        run.stdout
            .contains(&format!("e.g. http://[{ip}%25{iface}]:5000")),
        "{run:#?}"
    );
}

#[test]
fn explain_interface_name() {
    let lo = Machine::get().loopback_name();
    let spec = format!("{lo}:0");
    let run = run(&["explain", &spec]).expect(0);
    assert!(
        run.stdout.starts_with(&format!(
            "{spec} listens on every address of {lo}, one socket each: 127.0.0.1 (this machine only)"
        )),
        "{run:#?}"
    );
    assert!(
        run.stdout
            .contains("Only programs on this machine can connect"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("Port 0 means the OS picks"), "{run:#?}");
}

#[test]
fn explain_client_source_ports() {
    let one = run(&["explain", "port:40000"]).expect(0);
    assert!(
        one.stdout
            .starts_with("port:40000 is a client source, not a listener"),
        "{one:#?}"
    );
    assert!(one.stdout.contains("binds local port 40000"), "{one:#?}");
    assert!(one.stdout.contains("Nothing can connect to it"), "{one:#?}");
    let range = run(&["explain", "port:40000-40100"]).expect(0);
    assert!(
        range
            .stdout
            .contains("one local port of 40000-40100 that is free toward that remote"),
        "{range:#?}"
    );
}

#[test]
fn explain_errors_give_the_message_and_the_exit_code() {
    let parse = run(&["explain", "8080"]).expect(2);
    assert!(parse.stdout.is_empty());
    assert!(
        parse.stderr.contains(
            "error: invalid bind target \"8080\" at byte 0: a bare port is not a bind target; \
             did you mean \":8080\" (all interfaces), \"localhost:8080\" (this machine only) or \
             \"port:8080\" (client source port)?"
        ),
        "{parse:#?}"
    );
    assert!(
        parse
            .stderr
            .contains("bindpolicy exits with code 2: the command line or the target is not valid."),
        "{parse:#?}"
    );
    let spec = format!("{FOREIGN}:5000");
    let unusable = run(&["explain", &spec]).expect(3);
    assert!(
        unusable
            .stderr
            .contains(&format!("{FOREIGN} is not an address of this machine")),
        "{unusable:#?}"
    );
    assert!(
        unusable.stderr.contains(
            "bindpolicy exits with code 3: the target is valid but cannot be used on this machine."
        ),
        "{unusable:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// listen

/// The source port curl is asked to use. If it is busy, the test falls back to a range.
const CURL_PORT: u16 = 45000;
/// The fallback range's last port.
const CURL_PORT_LAST: u16 = 45100;

#[test]
fn listen_answers_curl_and_reports_its_pinned_source_port() {
    if Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        skip_or_fail("curl is not installed");
        return;
    }
    let mut listener = Running::start(&["listen", "127.0.0.1:0", "--count", "1", "--json"]);
    let listening = listener.json();
    let addr = listening_addr(&listening);
    assert_eq!(
        listening["urls"],
        serde_json::json!([format!("http://{addr}")])
    );
    assert_eq!(listening["count"], 1);
    let url = format!("http://{addr}/");
    let curl = |local_port: &str| {
        Command::new("curl")
            .args(["-sS", "--noproxy", "*", "--max-time", "10"])
            .args(["--local-port", local_port, &url])
            .stdin(Stdio::null())
            .output()
            .expect("run curl")
    };
    // Port 45000 is the one to pin. Something else on this machine may hold it (another
    // program, or a connection of an earlier run); then curl cannot bind it (curl's exit 45),
    // and the test pins the range 45000-45100 instead, from which curl takes the first free
    // port, and checks that the listener saw a peer port within that range.
    let mut out = curl(&CURL_PORT.to_string());
    let mut ranged = false;
    if out.status.code() == Some(45) {
        eprintln!("port {CURL_PORT} is busy; pinning {CURL_PORT}-{CURL_PORT_LAST} instead");
        ranged = true;
        out = curl(&format!("{CURL_PORT}-{CURL_PORT_LAST}"));
    }
    let body = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let accepted = listener.json();
    assert_eq!(accepted["event"], "accepted", "{accepted}");
    assert_eq!(accepted["local"], addr.to_string());
    let peer: SocketAddr = accepted["peer"]
        .as_str()
        .expect("peer")
        .parse()
        .expect("peer address");
    if ranged {
        assert!(
            (CURL_PORT..=CURL_PORT_LAST).contains(&peer.port()),
            "{peer}"
        );
    } else {
        assert_eq!(
            peer.port(),
            CURL_PORT,
            "the listener saw curl's pinned port"
        );
    }
    assert_eq!(
        body,
        format!("hello from bindpolicy: you are {peer}, connected to {addr}\n")
    );
    assert_eq!(listener.exit_code(), 0, "--count 1 exits 0 after one");
}

#[test]
fn listen_count_is_exact_with_connect() {
    let mut listener = Running::start(&["listen", "127.0.0.1:0", "--count", "2", "--json"]);
    let addr = listening_addr(&listener.json()).to_string();
    let mut locals = Vec::new();
    for n in 0..2 {
        let connect = run(&["connect", &addr, "--from", "127.0.0.1:0", "--json"])
            .expect(0)
            .json();
        assert_eq!(connect["remote"], addr.as_str());
        assert_eq!(connect["transport"], "tcp");
        locals.push(connect["local"].clone());
        let accepted = listener.json();
        assert_eq!(accepted["event"], "accepted");
        assert_eq!(accepted["peer"], connect["local"], "{accepted}");
        if n == 0 {
            thread::sleep(Duration::from_millis(300));
            assert!(listener.is_running(), "exited after 1 of --count 2");
        }
    }
    assert_ne!(locals[0], locals[1]);
    assert_eq!(listener.exit_code(), 0);
}

#[test]
fn listen_human_output_and_a_plain_line_for_nc() {
    let mut listener = Running::start(&["listen", "localhost:0", "--count", "1"]);
    let first = listener.line();
    assert!(first.starts_with("listening on  127.0.0.1:"), "{first}");
    assert!(first.ends_with(" (TCP)"), "{first}");
    let addr: SocketAddr = first
        .trim_start_matches("listening on")
        .trim()
        .trim_end_matches(" (TCP)")
        .parse()
        .expect("the bound address");
    let mut header = vec![first];
    loop {
        let line = listener.line();
        let done = line.starts_with("stops");
        header.push(line);
        if done {
            break;
        }
    }
    let header = header.join("\n");
    assert!(
        header.contains(&format!("urls          http://{addr}")),
        "{header}"
    );
    assert!(
        header.contains("exposure      this machine only"),
        "{header}"
    );
    assert!(
        header.contains("stops         after 1 connection, or on Ctrl-C"),
        "{header}"
    );

    // Like `nc`: connect, say something that is not HTTP, read the line.
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(b"hi\n").expect("write");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("read timeout");
    let mut reply = String::new();
    BufReader::new(&stream)
        .read_line(&mut reply)
        .expect("read the reply");
    let me = stream.local_addr().expect("local addr");
    assert_eq!(
        reply,
        format!("hello from bindpolicy: you are {me}, connected to {addr}\n")
    );
    let event = listener.line();
    assert_eq!(event, format!("accepted connection from {me} on {addr}"));
    assert_eq!(listener.exit_code(), 0);
}

#[test]
fn listen_udp_answers_each_datagram() {
    let mut listener =
        Running::start(&["listen", "127.0.0.1:0", "--udp", "--count", "1", "--json"]);
    let listening = listener.json();
    assert_eq!(listening["transport"], "udp");
    let addr = listening_addr(&listening);
    assert_eq!(
        listening["urls"],
        serde_json::json!([format!("udp://{addr}")])
    );
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP client");
    socket
        .set_read_timeout(Some(PATIENCE))
        .expect("read timeout");
    socket.send_to(b"ping\n", addr).expect("send");
    let mut buf = [0u8; 512];
    let (n, from) = socket.recv_from(&mut buf).expect("a reply");
    assert_eq!(from, addr);
    let me = socket.local_addr().expect("local addr");
    assert_eq!(
        String::from_utf8_lossy(&buf[..n]),
        format!("hello from bindpolicy: you are {me}, connected to {addr}\n")
    );
    let received = listener.json();
    assert_eq!(received["event"], "received", "{received}");
    assert_eq!(received["peer"], me.to_string());
    assert_eq!(received["local"], addr.to_string());
    assert_eq!(received["bytes"], 5);
    assert_eq!(received["text"], "ping\n");
    assert_eq!(listener.exit_code(), 0);
}

#[test]
fn listen_on_a_taken_port_exits_1() {
    let holder = TcpListener::bind("127.0.0.1:0").expect("hold a port");
    let spec = holder.local_addr().expect("addr").to_string();
    let json = run(&["listen", &spec, "--json"]).expect(1);
    let error = error_of(&json, "addr_in_use");
    assert!(
        error["causes"][0]
            .as_str()
            .is_some_and(|c| c.contains("os error")),
        "the OS error is kept as a cause: {error}"
    );
    let human = run(&["listen", &spec]).expect(1);
    assert!(
        human.stderr.starts_with(&format!(
            "error: {spec} is already in use (EADDRINUSE at bind())"
        )),
        "{human:#?}"
    );
    assert!(human.stderr.contains("\n  caused by: "), "{human:#?}");
}

#[test]
fn listen_usage_and_unusable_targets() {
    let source = run(&["listen", "port:40000", "--json"]).expect(2);
    error_of(&source, "not_listenable");
    let bad = run(&["listen", "8080"]).expect(2);
    assert!(bad.stderr.contains("did you mean"), "{bad:#?}");
    let foreign = format!("{FOREIGN}:5000");
    error_of(
        &run(&["listen", &foreign, "--json"]).expect(3),
        "addr_not_available",
    );
    let zero = run(&["listen", "127.0.0.1:0", "--count", "0"]).expect(2);
    assert!(zero.stderr.contains("--count"), "{zero:#?}");
}

// ---------------------------------------------------------------------------------------------
// connect

#[test]
fn connect_prints_local_and_remote() {
    let server = TcpListener::bind("127.0.0.1:0").expect("bind");
    let remote = server.local_addr().expect("addr").to_string();
    let human = run(&["connect", &remote]).expect(0);
    let line = human.stdout.trim_end();
    let (local, shown_remote) = line.split_once(" -> ").expect("local -> remote");
    assert_eq!(shown_remote, remote);
    let local: SocketAddr = local.parse().expect("a local address");
    let (_, peer) = server.accept().expect("accept");
    assert_eq!(peer, local, "the server saw the printed source");

    let json = run(&["connect", &remote, "--from", "127.0.0.1:0", "--json"])
        .expect(0)
        .json();
    assert_eq!(json["remote"], remote.as_str());
    assert_eq!(json["transport"], "tcp");
    let local: SocketAddr = json["local"]
        .as_str()
        .expect("local")
        .parse()
        .expect("addr");
    assert_eq!(local.ip().to_string(), "127.0.0.1");
    let (_, peer) = server.accept().expect("accept");
    assert_eq!(peer, local);
}

#[test]
fn connect_from_a_pinned_port_range() {
    let server = TcpListener::bind("127.0.0.1:0").expect("bind");
    let remote = server.local_addr().expect("addr").to_string();
    let json = run(&[
        "connect",
        &remote,
        "--from",
        "port:46000-46100",
        "--timeout",
        "5",
        "--json",
    ])
    .expect(0)
    .json();
    let local: SocketAddr = json["local"]
        .as_str()
        .expect("local")
        .parse()
        .expect("addr");
    assert!((46000..=46100).contains(&local.port()), "{local}");
    let (_, peer) = server.accept().expect("accept");
    assert_eq!(peer.port(), local.port());
}

#[test]
fn connect_udp_sends_one_line_from_the_printed_source() {
    let server = UdpSocket::bind("127.0.0.1:0").expect("bind");
    server
        .set_read_timeout(Some(PATIENCE))
        .expect("read timeout");
    let remote = server.local_addr().expect("addr").to_string();
    let json = run(&["connect", &remote, "--udp", "--json"])
        .expect(0)
        .json();
    assert_eq!(json["transport"], "udp");
    let mut buf = [0u8; 512];
    let (n, from) = server.recv_from(&mut buf).expect("a datagram");
    assert_eq!(json["local"], from.to_string());
    assert_eq!(&buf[..n], b"hello from bindpolicy connect\n");
}

#[test]
fn connect_refused_exits_1() {
    let remote = format!("127.0.0.1:{}", closed_port());
    let json = run(&["connect", &remote, "--json"]).expect(1);
    let error = error_of(&json, "connection_refused");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("nothing listens there")),
        "{error}"
    );
    let human = run(&["connect", &remote]).expect(1);
    assert!(
        human
            .stderr
            .starts_with(&format!("error: {remote} refused the connection")),
        "{human:#?}"
    );
    assert!(human.stderr.contains("  caused by: "), "{human:#?}");
}

#[test]
fn connect_sources_that_cannot_work_here() {
    let remote = format!("127.0.0.1:{}", closed_port());
    // The source's family is not the remote's: a usage error.
    error_of(
        &run(&["connect", "[::1]:5000", "--from", "127.0.0.1:0", "--json"]).expect(2),
        "family_mismatch",
    );
    // Valid sources that this machine cannot use.
    let foreign = format!("{FOREIGN}:0");
    error_of(
        &run(&["connect", &remote, "--from", &foreign, "--json"]).expect(3),
        "addr_not_available",
    );
    error_of(
        &run(&["connect", &remote, "--from", "nosuchif0:0", "--json"]).expect(3),
        "interface_not_found",
    );
    // A source that does not parse.
    error_of(
        &run(&["connect", &remote, "--from", "40000", "--json"]).expect(2),
        "parse",
    );
}

// ---------------------------------------------------------------------------------------------
// usage, help and colour

#[test]
fn usage_errors_exit_2() {
    let none = run(&[]).expect(2);
    assert!(
        none.stderr.contains("Usage: bindpolicy <COMMAND>"),
        "{none:#?}"
    );
    run(&["frobnicate"]).expect(2);
    let host = run(&["connect", "localhost:80"]).expect(2);
    assert!(
        host.stderr.contains("host names are not resolved"),
        "{host:#?}"
    );
    let timeout = run(&["connect", "127.0.0.1:80", "--timeout", "0"]).expect(2);
    assert!(timeout.stderr.contains("above 0 seconds"), "{timeout:#?}");
    // With --json, even clap's usage errors are JSON on stdout.
    let json = run(&["connect", "localhost:80", "--json"]).expect(2);
    let error = error_of(&json, "usage");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("host names are not resolved")),
        "{error}"
    );
}

#[test]
fn help_lists_commands_and_exit_codes() {
    let help = run(&["--help"]).expect(0);
    for word in [
        "interfaces",
        "parse",
        "check",
        "explain",
        "listen",
        "connect",
    ] {
        assert!(help.stdout.contains(word), "{help:#?}");
    }
    assert!(help.stdout.contains("Exit codes: 0 success"), "{help:#?}");
}

#[test]
fn colour_only_when_forced_and_never_with_no_color() {
    let plain = run(&["check", "0.0.0.0:5000"]).expect(0);
    assert!(!plain.stdout.contains('\x1b'), "no colour on a pipe");

    let mut forced = command(&["check", "0.0.0.0:5000"]);
    forced.env("CLICOLOR_FORCE", "1");
    let forced = run_cmd(forced).expect(0);
    assert!(forced.stdout.contains("\x1b[1mBIND"), "{forced:#?}");
    assert!(forced.stdout.contains("\x1b[33mwarning[all_networks]"));

    let mut forced_err = command(&["parse", "8080"]);
    forced_err.env("CLICOLOR_FORCE", "1");
    let forced_err = run_cmd(forced_err).expect(2);
    assert!(forced_err.stderr.starts_with("\x1b[1;31merror:\x1b[0m "));

    let mut no_color = command(&["check", "0.0.0.0:5000"]);
    no_color.env("CLICOLOR_FORCE", "1").env("NO_COLOR", "1");
    let no_color = run_cmd(no_color).expect(0);
    assert!(!no_color.stdout.contains('\x1b'), "NO_COLOR wins");
    assert_eq!(no_color.stdout, plain.stdout);
}

/// `check` on a port this test holds: the `port` row names the holder (this process), and the
/// JSON's `port_status` too; once closed, the port is free.
#[test]
fn check_names_the_holder_of_a_busy_port() {
    let held = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap();
    let spec = addr.to_string();
    let port = addr.port();
    let me = std::process::id();

    let text = run(&["check", &spec]).expect(0);
    let row = text
        .stdout
        .lines()
        .find(|l| l.starts_with("port "))
        .unwrap_or_else(|| panic!("no port row: {text:#?}"));
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    let expected = format!(
        "{port} is in use on {addr} by pid {me} ({}) on {addr} (LISTEN)",
        comm.trim()
    );
    assert!(row.ends_with(&expected), "{row}");

    let json = run(&["check", &spec, "--json"]).expect(0).json();
    let status = &json["port_status"];
    assert_eq!(status["state"], "in_use", "{json}");
    assert_eq!(status["in_use"][0]["address"], spec.as_str(), "{json}");
    assert_eq!(status["in_use"][0]["holder"]["pid"], me, "{json}");
    assert_eq!(status["in_use"][0]["holder"]["state"], "LISTEN", "{json}");
    assert_eq!(
        status["in_use"][0]["holder"]["address"],
        spec.as_str(),
        "{json}"
    );

    drop(held);
    // Another test's fork may still hold a copy of the closed socket until its exec closes it
    // (CLOEXEC): ask again, a bounded number of times, until the port shows free.
    let free = format!("port      {port} is free now");
    let mut text = run(&["check", &spec]).expect(0);
    for _ in 0..50 {
        if text.stdout.contains(&free) {
            break;
        }
        thread::sleep(Duration::from_millis(20));
        text = run(&["check", &spec]).expect(0);
    }
    assert!(text.stdout.contains(&free), "{text:#?}");
    let json = run(&["check", "localhost:0", "--json"]).expect(0).json();
    assert_eq!(json["port_status"]["state"], "ephemeral", "{json}");
    let json = run(&["check", "port:40000", "--json"]).expect(0).json();
    assert!(json.get("port_status").is_none(), "{json}");
}

#[test]
fn wait_reports_waiting_events_then_exits_3_at_the_deadline() {
    // TEST-NET-3: never this machine's, so the wait runs to its deadline.
    let out = run(&["listen", "203.0.113.9:5000", "--wait", "200ms", "--json"]).expect(3);
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    let (error, waiting) = lines.split_last().expect("at least the error");
    assert!(!waiting.is_empty(), "{out:#?}");
    for event in waiting {
        assert_eq!(event["event"], "waiting");
        assert_eq!(event["target"], "203.0.113.9:5000");
        assert_eq!(
            event["missing"],
            serde_json::json!(["203.0.113.9 is not assigned to any interface"])
        );
        assert_eq!(event["timeout_ms"], 200);
    }
    assert_eq!(error["error"]["kind"], "address_wait_timed_out");
    assert_eq!(
        error["error"]["message"],
        "gave up waiting for 203.0.113.9:5000 after 0.2 s: 203.0.113.9 is not assigned to any \
         interface; check `ip addr` and `ip link`, or wait longer"
    );
    // `check --wait` waits the same way without binding; a ready target checks at once.
    let out = run(&["check", "203.0.113.9:5000", "--wait", "0.1"]).expect(3);
    assert!(
        out.stderr
            .contains("gave up waiting for 203.0.113.9:5000 after 0.1 s"),
        "{out:#?}"
    );
    run(&["check", "127.0.0.1:0", "--wait", "30s"]).expect(0);
    // A duration that does not parse is a usage error.
    let out = run(&["check", "127.0.0.1:0", "--wait", "3 fortnights"]).expect(2);
    assert!(out.stderr.contains("unknown unit"), "{out:#?}");
}

#[test]
fn wait_shows_one_status_line_on_a_terminal() {
    // util-linux's script(1) gives the command a pseudo-terminal.
    let Ok(out) = Command::new("script")
        .args([
            "-qec",
            &format!("{BIN} check 203.0.113.9:80 --wait 0.3"),
            "/dev/null",
        ])
        .env("NO_COLOR", "1")
        .output()
    else {
        eprintln!("SKIPPED: no script(1) for a pseudo-terminal");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    // Each check rewrites the one line in place (a carriage return, no newline); the end
    // blanks it before the error.
    let line = "waiting for 203.0.113.9:80: 203.0.113.9 is not assigned to any interface, ";
    assert!(text.starts_with(&format!("\r{line}")), "{text:?}");
    let (status, error) = text
        .split_once("error: ")
        .expect("the error follows the status line");
    assert!(!status.contains('\n'), "one line, rewritten: {text:?}");
    assert!(status.matches('\r').count() >= 2, "{text:?}");
    assert!(
        status.ends_with(&format!("\r{}\r", " ".repeat(line.len() + 5))),
        "blanked at the end: {text:?}"
    );
    assert!(
        error.starts_with("gave up waiting for 203.0.113.9:80 after 0.3 s"),
        "{text:?}"
    );
}
