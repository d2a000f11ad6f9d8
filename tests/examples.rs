//! The example servers (examples/std_server.rs, axum_server.rs, hyper_server.rs) as their
//! users run them: each is started on `localhost:0` and reached with real curl on 127.0.0.1
//! and ::1, and on `*:0` inside a network namespace, reached from a second namespace on the
//! server's IPv4 and IPv6 addresses. Every socket answers, and the body names the client's
//! address (the handler saw the peer). axum and hyper shut down gracefully on SIGINT: a
//! request in flight completes, then the port is closed. The clap flags: `--listen port:40000`
//! is a usage error (exit 2) with the did-you-mean, and `--help` shows the grammar. With
//! feature `hyper`, examples/http_client.rs fetches from hyper_server through a pinned range.
//!
//! The binaries are those cargo builds for `cargo test` (and .ci/run's `cargo build
//! --examples --all-features`), in target/debug/examples.
#![cfg(all(feature = "axum", feature = "clap"))]

mod support;
use support::netns::*;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Bound for a server to print a line, or to exit (generous: the suite runs in parallel).
const WAIT: Duration = Duration::from_secs(30);

/// How each example takes its target, and how it stops.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Example {
    /// `std_server TARGET --count N`: stops after N requests.
    Std,
    /// `axum_server --listen TARGET`: stops on SIGINT.
    Axum,
    /// `hyper_server TARGET`: stops on SIGINT.
    Hyper,
}

impl Example {
    fn name(self) -> &'static str {
        match self {
            Example::Std => "std_server",
            Example::Axum => "axum_server",
            Example::Hyper => "hyper_server",
        }
    }

    fn args(self, target: &str, requests: usize) -> Vec<String> {
        match self {
            Example::Std => vec![target.into(), "--count".into(), requests.to_string()],
            Example::Axum => vec!["--listen".into(), target.into()],
            Example::Hyper => vec![target.into()],
        }
    }
}

/// target/debug/examples/NAME, beside this test's target/debug/deps/.
fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = debug.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: build the examples first (cargo build --examples --all-features)",
        path.display()
    );
    path
}

/// A running example, its stdout read line by line on a thread.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    fn start(mut command: Command) -> Server {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a line that contains `text` and returns it.
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {text:?}; saw {:#?}", self.seen),
            }
        }
    }

    /// The port of the first `listening on URL` line.
    fn port(&mut self) -> u16 {
        let line = self.wait_for("listening on");
        line.rsplit(':').next().unwrap().parse().unwrap()
    }

    fn interrupt(&self) {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGINT).unwrap();
    }

    /// Waits for the exit (bounded) and returns whether it was a success.
    fn wait_exit(&mut self) -> bool {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit; saw {:#?}", self.seen);
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops it as `example` stops and checks that it exited cleanly.
    fn stop(&mut self, example: Example) {
        if example != Example::Std {
            self.interrupt();
            self.wait_for("stopped");
        }
        assert!(self.wait_exit(), "exit status; saw {:#?}", self.seen);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `curl -sS URL` (no globbing, so `[::1]` stays literal), optionally inside a namespace.
fn curl(ns: Option<&Netns>, extra: &[&str], url: &str) -> Output {
    let mut args: Vec<&str> = vec!["curl", "-sS", "-g", "--max-time", "20"];
    args.extend_from_slice(extra);
    args.push(url);
    match ns {
        Some(ns) => ns.exec(&args),
        None => Command::new(args[0]).args(&args[1..]).output().unwrap(),
    }
}

fn body(output: &Output) -> String {
    assert!(output.status.success(), "curl failed: {output:#?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn on_localhost(example: Example) {
    let mut command = Command::new(example_path(example.name()));
    command.args(example.args("localhost:0", 2));
    let mut server = Server::start(command);
    let port = server.port();
    for (host, peer) in [("127.0.0.1", "hello 127.0.0.1:"), ("[::1]", "hello [::1]:")] {
        let text = body(&curl(None, &[], &format!("http://{host}:{port}/")));
        assert!(text.starts_with(peer), "{host}: {text:?}");
        server.wait_for("served");
    }
    server.stop(example);
}

#[test]
fn std_server_answers_on_127_0_0_1_and_ipv6_loopback() {
    on_localhost(Example::Std);
}

#[test]
fn axum_server_answers_on_127_0_0_1_and_ipv6_loopback() {
    on_localhost(Example::Axum);
}

#[test]
fn hyper_server_answers_on_127_0_0_1_and_ipv6_loopback() {
    on_localhost(Example::Hyper);
}

/// examples/http_client.rs against examples/hyper_server.rs on `localhost:0`: a GET to
/// 127.0.0.1 and to [::1] from a pinned range; the client prints the status and a local port
/// inside the range, and the server's answer names that same port.
#[cfg(feature = "hyper")]
#[test]
fn http_client_fetches_from_a_pinned_port_range() {
    static BLOCKS: support::ports::PortBlocks = support::ports::PortBlocks::new(170);
    let mut command = Command::new(example_path("hyper_server"));
    command.arg("localhost:0");
    let mut server = Server::start(command);
    let port = server.port();
    let first = BLOCKS.free(8);
    let source = format!("port:{first}-{}", first + 7);
    for host in ["127.0.0.1", "[::1]"] {
        let url = format!("http://{host}:{port}/");
        let output = Command::new(example_path("http_client"))
            .args([&url, &source])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:#?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(&format!("GET {url}: 200 OK")), "{stdout}");
        let local: u16 = stdout
            .split("(local port ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no local port in {stdout}"));
        assert!((first..=first + 7).contains(&local), "{stdout}");
        assert!(
            stdout.contains(&format!("hello {host}:{local}, you reached {host}:{port}")),
            "{stdout}"
        );
        server.wait_for("served");
    }
    server.stop(Example::Hyper);
}

#[test]
fn hyper_server_speaks_http2_on_every_socket() {
    let mut command = Command::new(example_path("hyper_server"));
    command.arg("localhost:0");
    let mut server = Server::start(command);
    let port = server.port();
    for host in ["127.0.0.1", "[::1]"] {
        let url = format!("http://{host}:{port}/");
        let text = body(&curl(None, &["--http2-prior-knowledge"], &url));
        assert!(text.contains("over HTTP/2"), "{host}: {text:?}");
        let text = body(&curl(None, &["--http1.1"], &url));
        assert!(text.contains("over HTTP/1.1"), "{host}: {text:?}");
    }
    server.stop(Example::Hyper);
}

/// SIGINT while a request is in flight: it completes, the server exits 0, and the port is
/// closed on both addresses.
fn graceful_on_sigint(example: Example) {
    let mut command = Command::new(example_path(example.name()));
    command.args(example.args("localhost:0", 1));
    let mut server = Server::start(command);
    let port = server.port();
    let slow = thread::spawn(move || curl(None, &[], &format!("http://[::1]:{port}/slow?ms=1500")));
    server.wait_for("slow request from");
    server.interrupt();
    server.wait_for("shutting down");
    let output = slow.join().unwrap();
    let text = body(&output);
    assert!(text.starts_with("slow hello [::1]:"), "{text:?}");
    server.wait_for("stopped");
    assert!(server.wait_exit(), "exit status; saw {:#?}", server.seen);
    for host in ["127.0.0.1", "[::1]"] {
        let refused = curl(None, &[], &format!("http://{host}:{port}/"));
        assert_eq!(
            refused.status.code(),
            Some(7),
            "{host} still answers: {refused:#?}"
        );
    }
}

#[test]
fn axum_server_finishes_the_request_in_flight_on_sigint() {
    graceful_on_sigint(Example::Axum);
}

#[test]
fn hyper_server_finishes_the_request_in_flight_on_sigint() {
    graceful_on_sigint(Example::Hyper);
}

/// `*:0` in a server namespace: curl from the laptop namespace on the server's IPv4 and IPv6
/// addresses, and from inside the server namespace on both loopbacks.
fn in_namespace(example: Example) {
    require_netns!();
    let lan = Lan::new();
    let path = example_path(example.name());
    let mut args = vec!["ip".to_owned(), "netns".into(), "exec".into()];
    args.push(lan.server.name().to_owned());
    args.push(path.display().to_string());
    args.extend(example.args("*:0", 4));
    let mut command = Command::new(&args[0]);
    command.args(&args[1..]);
    let mut server = Server::start(command);
    let port = server.port();
    let cases = [
        (
            &lan.laptop,
            format!("{SERVER_V4}"),
            format!("hello {LAPTOP_V4}:"),
        ),
        (
            &lan.laptop,
            format!("[{SERVER_V6}]"),
            format!("hello [{LAPTOP_V6}]:"),
        ),
        (
            &lan.server,
            "127.0.0.1".to_owned(),
            "hello 127.0.0.1:".to_owned(),
        ),
        (&lan.server, "[::1]".to_owned(), "hello [::1]:".to_owned()),
    ];
    for (ns, host, peer) in cases {
        let text = body(&curl(Some(ns), &[], &format!("http://{host}:{port}/")));
        assert!(text.starts_with(&peer), "{host}: {text:?}");
        server.wait_for("served");
    }
    server.stop(example);
}

#[test]
fn std_server_on_every_interface_in_a_namespace() {
    in_namespace(Example::Std);
}

#[test]
fn axum_server_on_every_interface_in_a_namespace() {
    in_namespace(Example::Axum);
}

#[test]
fn hyper_server_on_every_interface_in_a_namespace() {
    in_namespace(Example::Hyper);
}

#[test]
fn axum_server_refuses_a_source_port_as_a_usage_error() {
    let output = Command::new(example_path("axum_server"))
        .args(["--listen", "port:40000"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:#?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid value 'port:40000' for '--listen <TARGET>'"),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"did you mean "*:40000" (all interfaces) or "localhost:40000""#),
        "{stderr}"
    );

    let output = Command::new(example_path("axum_server"))
        .args(["--listen", "8080"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:#?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(r#"did you mean ":8080""#), "{stderr}");
}

#[test]
fn axum_server_help_shows_the_grammar_and_the_options() {
    let output = Command::new(example_path("axum_server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:#?}");
    let help = String::from_utf8_lossy(&output.stdout);
    for text in [
        "--listen <TARGET>",
        "every address, IPv4 and IPv6",
        "this machine only: 127.0.0.1 and ::1",
        "every address of one interface",
        "[default: localhost:3000]",
        "--backlog <N>",
        "--dual-stack",
        "--reuse-port",
        "--freebind[=<WHEN>]",
        "--bind-device",
    ] {
        assert!(help.contains(text), "{text:?} missing from:\n{help}");
    }
}
