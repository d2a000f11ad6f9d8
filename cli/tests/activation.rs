//! `bindpolicy listen` under the real `systemd-socket-activate`: the inherited socket serves
//! curl and the `listening` event names its fd; a mismatch exits 3 with the typed error.
#![cfg(target_os = "linux")]

use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_bindpolicy");

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    // Never the same port twice in this process: the tests run in parallel.
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap();
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) && !given.contains(&port.wrapping_sub(1)) {
            given.push(port);
            return port;
        }
    }
}

/// Runs `systemd-socket-activate -l LISTEN bindpolicy ARGS`, curls `url` until it answers
/// (the first connection starts the CLI), and waits for the CLI.
fn activated(listen: &str, args: &[&str], url: &str) -> (String, Output) {
    // One activation at a time: parallel ones sometimes stalled a curl for its whole timeout.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let child = Command::new("systemd-socket-activate")
        .args(["-l", listen, BIN])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut body = String::new();
    while Instant::now() < deadline {
        let curl = Command::new("curl")
            .args(["-s", "-m", "5", url])
            .output()
            .unwrap();
        body = String::from_utf8_lossy(&curl.stdout).into_owned();
        // 7: nothing listens yet; anything else: the activator took the connection.
        if curl.status.code() != Some(7) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (body, child.wait_with_output().unwrap())
}

#[test]
fn listen_serves_curl_on_the_inherited_socket() {
    if !have("systemd-socket-activate") || !have("curl") {
        eprintln!("systemd-socket-activate or curl is missing; skipped");
        return;
    }
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let (body, output) = activated(
        &addr,
        &["listen", &addr, "--count", "1", "--json"],
        &format!("http://{addr}/"),
    );
    assert!(output.status.success(), "{output:?}");
    assert!(body.contains("hello from bindpolicy"), "{body}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let listening: serde_json::Value =
        serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(listening["event"], "listening");
    assert_eq!(listening["inherited_fds"], serde_json::json!([3]));
    assert_eq!(listening["addresses"], serde_json::json!([addr]));
}

#[test]
fn a_mismatch_exits_3_with_the_typed_error() {
    if !have("systemd-socket-activate") || !have("curl") {
        eprintln!("systemd-socket-activate or curl is missing; skipped");
        return;
    }
    let port = free_port();
    let (_, output) = activated(
        &port.to_string(),
        &["listen", &format!("[::]:{port}"), "--count", "1", "--json"],
        &format!("http://127.0.0.1:{port}/"),
    );
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let error: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(error["error"]["kind"], "inherited_mismatch");
    assert_eq!(
        error["error"]["message"],
        format!(
            "[::]:{port}: the service manager handed over fd 3 (TCP [::]:{port}, IPv4 too), \
             and [::]:{port} wants TCP on [::]:{port}: fd 3 ([::]:{port}) takes IPv4 too \
             (IPV6_V6ONLY off), and [::]:{port} is IPv6 only; make the .socket unit say \
             ListenStream=[::]:{port} with BindIPv6Only=ipv6-only, or set inherit to off to \
             bind here"
        )
    );
}

#[test]
fn inherit_required_without_activation_exits_3() {
    let output = Command::new(BIN)
        .args(["listen", "127.0.0.1:0", "--inherit", "required"])
        .env_remove("LISTEN_FDS")
        .env_remove("LISTEN_PID")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("inherit is required"),
        "{output:?}"
    );
}

#[test]
fn check_shows_the_inherited_sockets_and_whether_they_match() {
    if !have("systemd-socket-activate") || !have("curl") {
        eprintln!("systemd-socket-activate or curl is missing; skipped");
        return;
    }
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let (_, output) = activated(&addr, &["check", &addr], &format!("http://{addr}/"));
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("inherited  fd 3 (TCP {addr}): matches")),
        "{stdout}"
    );
    let (_, output) = activated(
        &addr,
        &["check", &format!("localhost:{port}"), "--json"],
        &format!("http://{addr}/"),
    );
    let value: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&output.stdout).trim()).unwrap();
    assert_eq!(value["inherited"][0]["fd"], 3);
    assert_eq!(value["inherited"][0]["matches"], false);
    assert!(
        value["inherited_mismatch"]
            .as_str()
            .unwrap()
            .contains(&format!("wants TCP on 127.0.0.1:{port} and [::1]:{port}")),
        "{value}"
    );
}
