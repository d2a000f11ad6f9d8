//! `--from DIALECT` and `--to DIALECT` on `parse`, `check`, `explain` and `listen`. Listeners
//! bind the loopback only; the one process a test starts is killed by its pid on every path.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_bindpolicy");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run bindpolicy");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(run: &Run) -> Value {
    serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn parse_from_docker_to_nginx_prints_only_the_configuration() {
    let r = run(&[
        "parse",
        "--from",
        "docker",
        "127.0.0.1:8080:80",
        "--to",
        "nginx",
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "listen 127.0.0.1:8080;\n", "")
    );
    let r = run(&["parse", "--from", "docker", "-p 8080:80", "--to", "systemd"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        "ListenStream=0.0.0.0:8080\nListenStream=[::]:8080\nBindIPv6Only=ipv6-only\n"
    );
    assert_eq!(
        r.stderr,
        "warning[docker: also_ipv6]: \"8080:80\" listens on IPv6 as well as IPv4\n"
    );
}

#[test]
fn parse_to_writes_a_bindpolicy_target() {
    let r = run(&["parse", "*:8080", "--to", "haproxy"]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "bind 0.0.0.0:8080\nbind :::8080 v6only\n")
    );
    let r = run(&["parse", "eth0:80", "--to", "docker"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: cannot write \"eth0:80\" as docker: docker has no form for every address of an \
         interface; write each address\n"
    );
}

#[test]
fn parse_from_json_has_bindings_and_warnings() {
    let r = run(&[
        "parse",
        "--from",
        "nginx",
        "[::]:8080 ipv6only=off",
        "--json",
    ]);
    assert_eq!(r.code, 0);
    let v = json(&r);
    assert_eq!(v["from"], "nginx");
    assert_eq!(v["bindings"][0]["binding"], "*:8080 dual_stack");
    assert_eq!(v["bindings"][0]["dual_stack"], true);
    assert_eq!(v["bindings"][0]["transport"], "tcp");
    assert_eq!(v["warnings"], serde_json::json!([]));
    let r = run(&["parse", "--from", "nginx", "8080", "--json"]);
    assert_eq!(json(&r)["warnings"][0]["kind"], "ipv4_only");
}

#[test]
fn parse_from_table_shows_each_binding_and_its_meaning() {
    let r = run(&["parse", "--from", "haproxy", "bind :8000-8001"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("binding  0.0.0.0:8000 reuse_port"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("binding  0.0.0.0:8001 reuse_port"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.starts_with("warning[haproxy: ipv4_only]"),
        "{}",
        r.stderr
    );
}

#[test]
fn rejected_dialect_strings_exit_2_with_offset() {
    let r = run(&["parse", "--from", "haproxy", "bind unix@/run/haproxy.sock"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: invalid HAProxy bind \"bind unix@/run/haproxy.sock\" at byte 5: a Unix socket \
         (unix@PATH) is not supported; bindpolicy binds IP sockets only\n"
    );
    let r = run(&["check", "--from", "gunicorn", "unix:/x", "--json"]);
    assert_eq!(r.code, 2);
    let e = &json(&r)["error"];
    assert_eq!(
        (
            e["kind"].as_str(),
            e["dialect"].as_str(),
            e["offset"].as_u64()
        ),
        (Some("parse"), Some("gunicorn"), Some(0))
    );
    let r = run(&["parse", "--from", "apache", "x"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown dialect \"apache\""),
        "{}",
        r.stderr
    );
}

#[test]
fn check_from_reports_each_binding() {
    let r = run(&["check", "--from", "nginx", "listen 127.0.0.1:8080;"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("from      nginx \"listen 127.0.0.1:8080;\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("binding   127.0.0.1:8080"),
        "{}",
        r.stdout
    );
    let r = run(&[
        "check",
        "--from",
        "kubectl",
        "--address 127.0.0.1 5000 6000",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["binding"]["binding"], "127.0.0.1:6000");
    assert_eq!(lines[0]["from"], "kubectl");
}

#[test]
fn explain_from_counts_bindings_and_notes_warnings() {
    let r = run(&["explain", "--from", "gunicorn", "-b 127.0.0.1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with(
            "gunicorn's \"-b 127.0.0.1\" opens 1 binding: 127.0.0.1:8000.\nNote: no port given: \
             the tool's default 8000 applies.\n\n127.0.0.1:8000:\n127.0.0.1:8000 listens on"
        ),
        "{}",
        r.stdout
    );
}

/// Kills the listener by its pid on every path.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn listen_from_binds_what_the_tool_would() {
    let child = Command::new(BIN)
        .args([
            "listen",
            "--from",
            "go",
            "tcp4 127.0.0.1:0",
            "--count",
            "1",
            "--json",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = Guard(child);
    let mut line = String::new();
    BufReader::new(guard.0.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["event"], "listening");
    let addr: SocketAddr = event["addresses"][0].as_str().unwrap().parse().unwrap();
    assert!(addr.ip().is_loopback() && addr.is_ipv4());
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(b"hi\n").unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    assert!(!reply.is_empty());
    let status = guard.0.wait().unwrap();
    assert!(status.success());
}

#[test]
fn listen_from_a_string_of_several_bindings_is_a_usage_error() {
    let r = run(&["listen", "--from", "haproxy", "bind 127.0.0.1:8000-8001"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: listen --from haproxy binds one binding, and \"bind 127.0.0.1:8000-8001\" opens 2: \
         127.0.0.1:8000 reuse_port, 127.0.0.1:8001 reuse_port; run one listen for each\n"
    );
}
