//! Socket activation with the real `systemd-socket-activate` (Debian's systemd package): it
//! binds, waits for the first connection or datagram, and execs this test binary in a child
//! mode (an `#[ignore]` test run with `--exact NAME --ignored --nocapture`) with the sockets
//! at fd 3.. and LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES set. The child reads what to do from
//! `BP_TARGET`, `BP_UDP`, `BP_INHERIT` and prints one `RESULT ...` line.
#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bindpolicy::{BindTarget, ErrorKind, Inherit, ListenOptions};

fn have_activator() -> bool {
    Command::new("systemd-socket-activate")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A port that was free a moment ago.
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

/// `systemd-socket-activate ARGS <this binary> --exact CHILD`, with `env` for the child.
fn activate(args: &[String], child: &str, env: &[(&str, &str)]) -> Child {
    let mut command = Command::new("systemd-socket-activate");
    command.args(args);
    for (key, value) in env {
        command.arg(format!("-E{key}={value}"));
    }
    command
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            child,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("systemd-socket-activate starts")
}

/// Connects (which starts the child), reads its answer, and waits for the child.
fn trigger_tcp(mut child: Child, addr: SocketAddr) -> (String, Output) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut stream = loop {
        match TcpStream::connect(addr) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(err) => {
                let _ = child.kill();
                panic!("connect {addr}: {err}");
            }
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(b"ping\n");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    (answer, child.wait_with_output().unwrap())
}

fn result_line(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
        .map(str::to_owned)
        .unwrap_or_else(|| {
            panic!(
                "no RESULT line; stdout: {stdout}\nstderr: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

/// Runs the TCP child under the activator with `listen` arguments and `target`.
fn tcp_case(listen: &[String], target: &str, connect: SocketAddr) -> (String, String) {
    let child = activate(listen, "child_listen", &[("BP_TARGET", target)]);
    let (answer, output) = trigger_tcp(child, connect);
    (answer, result_line(&output))
}

fn l(addr: &str) -> Vec<String> {
    vec!["-l".to_owned(), addr.to_owned()]
}

macro_rules! need_activator {
    () => {
        if !have_activator() {
            eprintln!("systemd-socket-activate is missing; skipped");
            return;
        }
    };
}

#[test]
fn a_matching_inherited_socket_serves() {
    need_activator!();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (answer, result) = tcp_case(&l(&addr.to_string()), &addr.to_string(), addr);
    assert_eq!(result, format!("ok fds=[3] addrs=[{addr}]"));
    assert_eq!(answer, "served\n");
}

#[test]
fn a_dual_stack_socket_covers_every_address() {
    need_activator!();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (_, result) = tcp_case(&l(&port.to_string()), &format!("*:{port}"), addr);
    assert_eq!(result, format!("ok fds=[3] addrs=[[::]:{port}]"));
}

#[test]
fn a_port_mismatch_is_a_typed_error() {
    need_activator!();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let other = port.wrapping_add(1).max(1024);
    let (_, result) = tcp_case(&l(&addr.to_string()), &format!("127.0.0.1:{other}"), addr);
    assert_eq!(
        result,
        format!(
            "inherited_mismatch 127.0.0.1:{other}: the service manager handed over fd 3 (TCP \
             127.0.0.1:{port}), and 127.0.0.1:{other} wants TCP on 127.0.0.1:{other}: fd 3 is \
             on port {port}, not {other}; make the .socket unit say \
             ListenStream=127.0.0.1:{other}, or set inherit to off to bind here"
        )
    );
}

#[test]
fn an_address_mismatch_is_a_typed_error() {
    need_activator!();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (_, result) = tcp_case(&l(&addr.to_string()), &format!("127.0.0.2:{port}"), addr);
    assert_eq!(
        result,
        format!(
            "inherited_mismatch 127.0.0.2:{port}: the service manager handed over fd 3 (TCP \
             127.0.0.1:{port}), and 127.0.0.2:{port} wants TCP on 127.0.0.2:{port}: fd 3 is \
             bound to 127.0.0.1:{port}, not 127.0.0.2:{port}; make the .socket unit say \
             ListenStream=127.0.0.2:{port}, or set inherit to off to bind here"
        )
    );
}

#[test]
fn a_family_mismatch_is_a_typed_error() {
    need_activator!();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (_, result) = tcp_case(&l(&addr.to_string()), &format!("[::1]:{port}"), addr);
    assert_eq!(
        result,
        format!(
            "inherited_mismatch [::1]:{port}: the service manager handed over fd 3 (TCP \
             127.0.0.1:{port}), and [::1]:{port} wants TCP on [::1]:{port}: fd 3 is IPv4 \
             (127.0.0.1:{port}), not IPv6 ([::1]:{port}); make the .socket unit say \
             ListenStream=[::1]:{port}, or set inherit to off to bind here"
        )
    );
}

#[test]
fn a_v6only_mismatch_is_a_typed_error() {
    need_activator!();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (_, result) = tcp_case(&l(&port.to_string()), &format!("[::]:{port}"), addr);
    assert_eq!(
        result,
        format!(
            "inherited_mismatch [::]:{port}: the service manager handed over fd 3 (TCP \
             [::]:{port}, IPv4 too), and [::]:{port} wants TCP on [::]:{port}: fd 3 \
             ([::]:{port}) takes IPv4 too (IPV6_V6ONLY off), and [::]:{port} is IPv6 only; \
             make the .socket unit say ListenStream=[::]:{port} with BindIPv6Only=ipv6-only, \
             or set inherit to off to bind here"
        )
    );
}

#[test]
fn a_type_mismatch_is_a_typed_error() {
    need_activator!();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut args = l(&addr.to_string());
    args.push("--datagram".to_owned());
    let child = activate(&args, "child_listen", &[("BP_TARGET", &addr.to_string())]);
    let output = trigger_udp(child, addr);
    assert_eq!(
        result_line(&output),
        format!(
            "inherited_mismatch {addr}: the service manager handed over fd 3 (UDP {addr}), and \
             {addr} wants TCP on {addr}: fd 3 is UDP, not TCP; make the .socket unit say \
             ListenStream={addr}, or set inherit to off to bind here"
        )
    );
}

/// Sends datagrams until the child (started by the first) exits.
fn trigger_udp(mut child: Child, addr: SocketAddr) -> Output {
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        let _ = client.send_to(b"ping", addr);
        std::thread::sleep(Duration::from_millis(50));
    }
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
    }
    child.wait_with_output().unwrap()
}

#[test]
fn udp_sockets_are_inherited() {
    need_activator!();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut args = l(&addr.to_string());
    args.push("--datagram".to_owned());
    let child = activate(
        &args,
        "child_listen",
        &[("BP_TARGET", &addr.to_string()), ("BP_UDP", "1")],
    );
    let output = trigger_udp(child, addr);
    assert_eq!(result_line(&output), format!("ok fds=[3] addrs=[{addr}]"));
}

#[test]
fn several_named_sockets_make_one_localhost_set() {
    need_activator!();
    let port = free_port();
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut args = l(&v4.to_string());
    args.extend(l(&format!("[::1]:{port}")));
    args.push("--fdname=web:web6".to_owned());
    let (_, result) = tcp_case(&args, &format!("localhost:{port}"), v4);
    assert_eq!(
        result,
        format!(
            "ok fds=[3, 4] addrs=[127.0.0.1:{port}, [::1]:{port}] \
             handed=[fd 3 \"web\" (TCP 127.0.0.1:{port}), fd 4 \"web6\" (TCP [::1]:{port})]"
        )
    );
}

#[test]
fn localhost_with_one_family_handed_over_names_the_missing_one() {
    need_activator!();
    let port = free_port();
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (_, result) = tcp_case(&l(&v4.to_string()), &format!("localhost:{port}"), v4);
    assert_eq!(
        result,
        format!(
            "inherited_mismatch localhost:{port}: the service manager handed over fd 3 (TCP \
             127.0.0.1:{port}), and localhost:{port} wants TCP on 127.0.0.1:{port} and \
             [::1]:{port}: fd 3 is IPv4 (127.0.0.1:{port}), not IPv6 ([::1]:{port}); make the \
             .socket unit say ListenStream=127.0.0.1:{port} and ListenStream=[::1]:{port}, or \
             set inherit to off to bind here"
        )
    );
}

#[cfg(feature = "tokio")]
#[test]
fn the_tokio_path_takes_inherited_blocking_sockets() {
    need_activator!();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = activate(
        &l(&addr.to_string()),
        "child_tokio",
        &[("BP_TARGET", &addr.to_string())],
    );
    let (answer, output) = trigger_tcp(child, addr);
    assert_eq!(
        result_line(&output),
        format!("ok tokio fds=[3] addrs=[{addr}]")
    );
    assert_eq!(answer, "served\n");
}

#[test]
fn inherit_off_binds_here_and_collides() {
    need_activator!();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = activate(
        &l(&addr.to_string()),
        "child_listen",
        &[("BP_TARGET", &addr.to_string()), ("BP_INHERIT", "off")],
    );
    let (_, output) = trigger_tcp(child, addr);
    assert!(
        result_line(&output).starts_with("addr_in_use "),
        "{output:?}"
    );
}

/// A LISTEN_PID of another process: the variables are ignored and the target binds here.
#[test]
fn listen_pid_of_another_process_is_ignored() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_listen", "--ignored", "--nocapture"])
        .env("BP_TARGET", "127.0.0.1:0")
        .env("BP_NO_ACCEPT", "1")
        .env("LISTEN_FDS", "1")
        .env("LISTEN_PID", "1")
        .output()
        .unwrap();
    let result = result_line(&output);
    assert!(
        result.starts_with("ok fds=[] addrs=[127.0.0.1:"),
        "{result}"
    );
}

/// Inheriting required, and not activated.
#[test]
fn inherit_required_without_activation_is_a_typed_error() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_listen", "--ignored", "--nocapture"])
        .env("BP_TARGET", "127.0.0.1:8080")
        .env("BP_INHERIT", "required")
        .env_remove("LISTEN_FDS")
        .env_remove("LISTEN_PID")
        .output()
        .unwrap();
    assert_eq!(
        result_line(&output),
        "inherited_mismatch 127.0.0.1:8080: inherit is required, but this process was not \
         socket-activated (LISTEN_PID is unset); start it from its .socket unit \
         (ListenStream=127.0.0.1:8080), or set inherit to on"
    );
}

/// fd 3 a pipe: the shell duplicates its standard input (a pipe) to 3 and execs the child
/// with its own pid as LISTEN_PID.
#[test]
fn a_pipe_is_not_a_socket() {
    let exe = std::env::current_exe().unwrap();
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "exec 3<&0; LISTEN_FDS=1 LISTEN_PID=$$ exec '{}' --exact child_listen --ignored --nocapture",
            exe.display()
        ))
        .env("BP_TARGET", "127.0.0.1:8080")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(
        result_line(&output),
        "inherited_mismatch 127.0.0.1:8080: the service manager handed over fd 3 (a pipe, \
         not an IP socket), and 127.0.0.1:8080 wants TCP on 127.0.0.1:8080: fd 3 is a pipe, \
         not a socket; make the .socket unit say ListenStream=127.0.0.1:8080, or set inherit \
         to off to bind here"
    );
}

/// The child under `sh -c "SETUP; VARS exec CHILD"`, `$$` being the child's pid (exec keeps
/// it), listening on 127.0.0.1:8080 with `inherit`.
fn hostile(setup: &str, vars: &str, inherit: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let output = Command::new("sh")
        .arg("-c")
        // fd 3 starts closed whatever this process inherited (cargo-mutants, a shell, a
        // jobserver may leave one open), so "[fd 3 closed]" says what the crate did.
        .arg(format!(
            "exec 3<&-; {setup} {vars} exec '{}' --exact child_listen --ignored --nocapture",
            exe.display()
        ))
        .env("BP_TARGET", "127.0.0.1:8080")
        .env("BP_INHERIT", inherit)
        .env("BP_REPORT_FD3", "1")
        .env("BP_NO_ACCEPT", "1")
        .env_remove("LISTEN_FDS")
        .env_remove("LISTEN_PID")
        .env_remove("LISTEN_FDNAMES")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    result_line(&output)
}

const MALFORMED: &str = "inherited_mismatch 127.0.0.1:8080: the socket-activation variables \
    name this process but are malformed: ";
const MALFORMED_FIX: &str = "; fix the service manager's environment (the unit's \
    Environment= lines, or what started this process), or set inherit to off to bind here";

/// Hostile activation variables, each through a real exec: garbage, negative, huge and
/// overflowing numbers, a first fd of 0, fds that are closed. Variables naming this process
/// but malformed fail every inheriting listen closed (typed, never a panic, never an abort
/// from allocating for a huge count); naming another process or garbage in LISTEN_PID is no
/// handover, and `inherit = "required"` then says which.
#[test]
fn hostile_activation_variables_are_typed_errors() {
    let cases: [(&str, &str, &str, String); 11] = [
        (
            "exec 3<&-;",
            "LISTEN_FDS=1 LISTEN_PID=$$",
            "on",
            format!(
                "{MALFORMED}LISTEN_FDS=1 names fds 3 to 3, but fd 3 is not open{MALFORMED_FIX} [fd 3 closed]"
            ),
        ),
        (
            "",
            "LISTEN_FDS=99999999999999999999 LISTEN_PID=$$",
            "on",
            format!(
                "{MALFORMED}LISTEN_FDS=99999999999999999999 is more fds than a handover holds (at most 65536){MALFORMED_FIX} [fd 3 closed]"
            ),
        ),
        (
            "",
            "LISTEN_FDS=4000000000 LISTEN_PID=$$",
            "required",
            format!(
                "{MALFORMED}LISTEN_FDS=4000000000 is more fds than a handover holds (at most 65536){MALFORMED_FIX} [fd 3 closed]"
            ),
        ),
        (
            "",
            "LISTEN_FDS=-1 LISTEN_PID=$$",
            "on",
            format!(
                "{MALFORMED}LISTEN_FDS=\"-1\" is not a count of fds{MALFORMED_FIX} [fd 3 closed]"
            ),
        ),
        (
            "",
            "LISTEN_FDS=one LISTEN_PID=$$",
            "on",
            format!(
                "{MALFORMED}LISTEN_FDS=\"one\" is not a count of fds{MALFORMED_FIX} [fd 3 closed]"
            ),
        ),
        (
            "",
            "LISTEN_FDS=1 LISTEN_FDS_FIRST_FD=0 LISTEN_PID=$$",
            "on",
            format!(
                "{MALFORMED}LISTEN_FDS_FIRST_FD=\"0\" is not an fd number of 3 or more{MALFORMED_FIX} [fd 3 closed]"
            ),
        ),
        (
            "",
            "LISTEN_FDS=1 LISTEN_PID=not-a-pid",
            "required",
            "inherited_mismatch 127.0.0.1:8080: inherit is required, but this process was not \
             socket-activated (LISTEN_PID=\"not-a-pid\" is not a process id); start it from its \
             .socket unit (ListenStream=127.0.0.1:8080), or set inherit to on [fd 3 closed]"
                .to_owned(),
        ),
        (
            "",
            "LISTEN_FDS=1 LISTEN_PID=-$$",
            "required",
            "inherited_mismatch 127.0.0.1:8080: inherit is required, but this process was not \
             socket-activated (LISTEN_PID=\"-"
                .to_owned(),
        ),
        // An fd: target has no address to bind instead, so that fix is not offered.
        (
            "",
            "BP_TARGET=fd:3 LISTEN_FDS=one LISTEN_PID=$$",
            "on",
            "inherited_mismatch fd:3: the socket-activation variables name this process but are \
             malformed: LISTEN_FDS=\"one\" is not a count of fds; fix the service manager's \
             environment (the unit's Environment= lines, or what started this process) [fd 3 \
             closed]"
                .to_owned(),
        ),
        (
            "",
            "BP_TARGET=fd:3 LISTEN_FDS=one LISTEN_PID=$$",
            "off",
            "inherited_mismatch fd:3: inherit is off, and fd:3 names an inherited socket; set \
             inherit to on, or name an address to bind [fd 3 closed]"
                .to_owned(),
        ),
        (
            "",
            "LISTEN_PID=$$",
            "on",
            format!(
                "{MALFORMED}LISTEN_PID is set but LISTEN_FDS is not{MALFORMED_FIX} [fd 3 closed]"
            ),
        ),
    ];
    for (setup, vars, inherit, expected) in cases {
        let result = hostile(setup, vars, inherit);
        assert!(result.starts_with(&expected), "{vars}: {result}");
    }
}

/// Two handed-over fds, the first a listening TCP socket and the second closed: the handover
/// is refused whole, and the socket it did take (fd 3) is closed, not leaked.
#[test]
fn a_closed_fd_after_a_good_one_refuses_the_handover_and_closes_what_was_taken() {
    let python = "import os, socket, sys\n\
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n\
        s.bind(('127.0.0.1', 0)); s.listen(1)\n\
        if s.fileno() != 3: os.dup2(s.fileno(), 3)\n\
        os.set_inheritable(3, True)\n\
        try: os.close(4)\n\
        except OSError: pass\n\
        os.environ.update(LISTEN_FDS='2', LISTEN_PID=str(os.getpid()), BP_REPORT_FD3='1', BP_NO_ACCEPT='1')\n\
        os.execv(sys.argv[1], [sys.argv[1], '--exact', 'child_listen', '--ignored', '--nocapture'])\n";
    let Ok(output) = Command::new("python3")
        .args(["-c", python])
        .arg(std::env::current_exe().unwrap())
        .env("BP_TARGET", "127.0.0.1:8080")
        .output()
    else {
        panic!("python3 is missing");
    };
    assert_eq!(
        result_line(&output),
        format!(
            "{MALFORMED}LISTEN_FDS=2 names fds 3 to 4, but fd 4 is not open{MALFORMED_FIX} \
             [fd 3 closed]"
        )
    );
}

/// fds 3 and 4 the same listening socket (dup2): it is taken once, from fd 3, and serves.
#[test]
fn a_duplicated_fd_is_taken_once() {
    let python = "import os, socket, sys\n\
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n\
        s.bind(('127.0.0.1', 0)); s.listen(1)\n\
        port = s.getsockname()[1]\n\
        if s.fileno() != 3: os.dup2(s.fileno(), 3)\n\
        os.dup2(3, 4)\n\
        os.set_inheritable(3, True); os.set_inheritable(4, True)\n\
        os.environ.update(LISTEN_FDS='2', LISTEN_PID=str(os.getpid()), BP_TARGET='127.0.0.1:%d' % port, BP_NO_ACCEPT='1', BP_SHOW_HANDED='1')\n\
        print('PORT', port, flush=True)\n\
        os.execv(sys.argv[1], [sys.argv[1], '--exact', 'child_listen', '--ignored', '--nocapture'])\n";
    let output = Command::new("python3")
        .args(["-c", python])
        .arg(std::env::current_exe().unwrap())
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let port: u16 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("PORT "))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("{output:?}"));
    assert_eq!(
        result_line(&output),
        format!(
            "ok fds=[3] addrs=[127.0.0.1:{port}] handed=[fd 3 (TCP 127.0.0.1:{port}), fd 4 (the \
             same socket as an earlier fd, taken there)]"
        )
    );
}

/// systemd's placeholders for a socket without FileDescriptorName=: `unknown`, and an empty
/// entry. Neither is a name: the handed-over sockets are listed unnamed, and `fd:unknown`
/// finds nothing.
#[test]
fn placeholder_fd_names_are_no_name() {
    let fds = ["tcp 127.0.0.1 0", "tcp 127.0.0.1 0"];
    let names = ("LISTEN_FDNAMES", "unknown:");
    let (p, out) = python_handover(
        &fds,
        &[
            names,
            ("BP_TARGET", "127.0.0.1:{0}"),
            ("BP_SHOW_HANDED", "1"),
        ],
    );
    let (a, b) = (p[0], p[1]);
    assert_eq!(
        line_of(&out, "RESULT "),
        format!(
            "ok fds=[3] addrs=[127.0.0.1:{a}] handed=[fd 3 (TCP 127.0.0.1:{a}), fd 4 (TCP \
             127.0.0.1:{b})]"
        )
    );
    let (p, out) = python_handover(&fds, &[names, ("BP_TARGET", "fd:unknown")]);
    let (a, b) = (p[0], p[1]);
    assert_eq!(
        line_of(&out, "RESULT "),
        format!(
            "inherited_mismatch fd:unknown: the service manager handed over fd 3 (TCP \
             127.0.0.1:{a}) and fd 4 (TCP 127.0.0.1:{b}), and an fd named \"unknown\" is not \
             among them; add FileDescriptorName=unknown to the .socket unit"
        )
    );
}

/// `InheritedSocket`'s accessors over a mixed handover: fd 3 a TCP listener named "web" (the
/// one the target takes), fd 4 a UDP socket named "dns", fd 5 a pipe, unnamed.
#[test]
fn inherited_sockets_say_what_each_fd_is() {
    let (p, out) = python_handover(
        &["tcp 127.0.0.1 0", "udp 127.0.0.1 0", "pipe"],
        &[
            ("LISTEN_FDNAMES", "web:dns:"),
            ("BP_TARGET", "127.0.0.1:{0}"),
            ("BP_SHOW_ACCESSORS", "1"),
        ],
    );
    let (t, u) = (p[0], p[1]);
    assert_eq!(
        line_of(&out, "RESULT "),
        format!(
            "ok fds=[3] addrs=[127.0.0.1:{t}] accessors=[fd=3 name=Some(\"web\") \
             addr=Some(127.0.0.1:{t}) tcp=true taken=true, fd=4 name=Some(\"dns\") \
             addr=Some(127.0.0.1:{u}) tcp=false taken=false, fd=5 name=None addr=None \
             tcp=false taken=false]"
        )
    );
}

/// The child under a handover Python makes: `fds` are `KIND ADDRESS PORT [DEVICE]` (KIND `tcp`
/// for a listening TCP socket, `udp`; PORT `0` for a fresh port, `=N` for the port of fd N's
/// line, counted from 0) or `pipe`, placed at fd 3, 4, ...; `{N}` in `env` values is that
/// line's port (0 for a pipe). Returns the ports and the child's stdout.
fn python_handover(fds: &[&str], env: &[(&str, &str)]) -> (Vec<u16>, String) {
    let python = "import json, os, socket, sys\n\
        specs = json.loads(sys.argv[2]); env = json.loads(sys.argv[3])\n\
        made = []; keep = []; ports = []\n\
        for spec in specs:\n\
        \x20   if spec == 'pipe':\n\
        \x20       r, w = os.pipe(); keep.append(w); made.append(r); ports.append(0); continue\n\
        \x20   kind, addr, port = spec.split(' ')[:3]\n\
        \x20   device = spec.split(' ')[3] if len(spec.split(' ')) > 3 else None\n\
        \x20   port = ports[int(port[1:])] if port.startswith('=') else int(port)\n\
        \x20   family = socket.AF_INET6 if ':' in addr else socket.AF_INET\n\
        \x20   s = socket.socket(family, socket.SOCK_STREAM if kind == 'tcp' else socket.SOCK_DGRAM)\n\
        \x20   if family == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)\n\
        \x20   if device: s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())\n\
        \x20   s.bind((addr, port))\n\
        \x20   if kind == 'tcp': s.listen(1)\n\
        \x20   keep.append(s); made.append(s.fileno()); ports.append(s.getsockname()[1])\n\
        for i, fd in enumerate(made):\n\
        \x20   os.dup2(fd, 3 + i); os.set_inheritable(3 + i, True)\n\
        for key, value in env.items():\n\
        \x20   for i, port in enumerate(ports): value = value.replace('{%d}' % i, str(port))\n\
        \x20   os.environ[key] = value\n\
        os.environ.update(LISTEN_FDS=str(len(made)), LISTEN_PID=str(os.getpid()), BP_NO_ACCEPT='1')\n\
        print('PORTS', *ports, flush=True)\n\
        os.execv(sys.argv[1], [sys.argv[1], '--exact', 'child_listen', '--ignored', '--nocapture'])\n";
    let quote = |items: Vec<String>| format!("[{}]", items.join(","));
    let specs = quote(fds.iter().map(|f| format!("{f:?}")).collect());
    let env = format!(
        "{{{}}}",
        env.iter()
            .map(|(k, v)| format!("{k:?}:{v:?}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let output = Command::new("python3")
        .args(["-c", python])
        .arg(std::env::current_exe().unwrap())
        .arg(specs)
        .arg(env)
        .env_remove("LISTEN_FDNAMES")
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let ports = stdout
        .lines()
        .find_map(|l| l.strip_prefix("PORTS "))
        .map(|p| p.split(' ').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| panic!("{output:?}"));
    (ports, stdout)
}

fn line_of<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in {stdout}"))
}

/// When no handed-over fd serves the target, the error names the nearest one: same transport
/// and family first, the first of equals (fd 4: the right address on another port, before
/// fd 5, another address on the right port).
#[test]
fn a_mismatch_names_the_nearest_fd() {
    let (p, out) = python_handover(
        &[
            "udp 127.0.0.1 0",
            "tcp 127.0.0.1 0",
            "tcp 127.0.0.2 =0",
            "tcp ::1 =0",
        ],
        &[("BP_TARGET", "127.0.0.1:{0}")],
    );
    assert_eq!(
        line_of(&out, "RESULT "),
        format!(
            "inherited_mismatch 127.0.0.1:{a}: the service manager handed over fd 3 (UDP \
             127.0.0.1:{a}), fd 4 (TCP 127.0.0.1:{b}), fd 5 (TCP 127.0.0.2:{a}) and fd 6 (TCP \
             [::1]:{a}), and 127.0.0.1:{a} wants TCP on 127.0.0.1:{a}: fd 4 is on port {b}, not \
             {a}; make the .socket unit say ListenStream=127.0.0.1:{a}, or set inherit to off \
             to bind here",
            a = p[0],
            b = p[1]
        )
    );
}

/// A listener that only some other address covers: 127.0.0.1 is not 0.0.0.0.
#[test]
fn a_specific_address_does_not_serve_the_wildcard() {
    let (p, out) = python_handover(&["tcp 127.0.0.1 0"], &[("BP_TARGET", "0.0.0.0:{0}")]);
    assert_eq!(
        line_of(&out, "RESULT "),
        format!(
            "inherited_mismatch 0.0.0.0:{a}: the service manager handed over fd 3 (TCP \
             127.0.0.1:{a}), and 0.0.0.0:{a} wants TCP on 0.0.0.0:{a}: fd 3 is bound to \
             127.0.0.1:{a}, not 0.0.0.0:{a}; make the .socket unit say \
             ListenStream=0.0.0.0:{a}, or set inherit to off to bind here",
            a = p[0]
        )
    );
}

/// A handed-over socket is taken by one listen: a second listen of the same target is told
/// so, not bound anew beside it.
#[test]
fn a_socket_taken_by_one_listen_is_not_taken_again() {
    let (p, out) = python_handover(
        &["tcp 127.0.0.1 0"],
        &[("BP_TARGET", "127.0.0.1:{0}"), ("BP_TWICE", "1")],
    );
    assert_eq!(
        line_of(&out, "RESULT "),
        format!(
            "ok fds=[3] addrs=[127.0.0.1:{a}] again=inherited_mismatch 127.0.0.1:{a}: the \
             service manager handed over fd 3 (TCP 127.0.0.1:{a}), and 127.0.0.1:{a} wants TCP \
             on 127.0.0.1:{a}: fd 3 is taken by another listen; make the .socket unit say \
             ListenStream=127.0.0.1:{a}, or set inherit to off to bind here",
            a = p[0]
        )
    );
}

/// `Resolved::inherited_match` says which sockets a listen would take, per transport, and
/// takes none.
#[test]
fn inherited_match_answers_per_transport_without_taking() {
    let (p, out) = python_handover(
        &["tcp 127.0.0.1 0"],
        &[("BP_TARGET", "127.0.0.1:{0}"), ("BP_MATCH", "1")],
    );
    let a = p[0];
    assert_eq!(
        line_of(&out, "MATCH tcp="),
        format!("[fd 3 (TCP 127.0.0.1:{a})]")
    );
    assert_eq!(
        line_of(&out, "MATCH udp="),
        format!(
            "inherited_mismatch 127.0.0.1:{a}: the service manager handed over fd 3 (TCP \
             127.0.0.1:{a}), and 127.0.0.1:{a} wants UDP on 127.0.0.1:{a}: fd 3 is TCP, not \
             UDP; make the .socket unit say ListenDatagram=127.0.0.1:{a}, or set inherit to off \
             to bind here"
        )
    );
    // The listen after it still takes fd 3.
    assert_eq!(
        line_of(&out, "RESULT "),
        format!("ok fds=[3] addrs=[127.0.0.1:{a}]")
    );
}

/// With `bind_device`, an interface target wants sockets bound to that interface
/// (SO_BINDTODEVICE): handed over so, they serve; one without it is named.
#[test]
fn bind_device_wants_sockets_bound_to_the_interface() {
    let env = [("BP_TARGET", "lo:{0}"), ("BP_BIND_DEVICE", "1")];
    let (p, out) = python_handover(&["tcp 127.0.0.1 0 lo", "tcp ::1 =0 lo"], &env);
    let a = p[0];
    assert_eq!(
        line_of(&out, "RESULT "),
        format!(
            "ok fds=[3, 4] addrs=[127.0.0.1:{a}, [::1]:{a}] handed=[fd 3 (TCP 127.0.0.1:{a}, on \
             lo only), fd 4 (TCP [::1]:{a}, on lo only)]"
        )
    );
    let (p, out) = python_handover(&["tcp 127.0.0.1 0 lo", "tcp ::1 =0"], &env);
    let a = p[0];
    assert_eq!(
        line_of(&out, "RESULT "),
        format!(
            "inherited_mismatch lo:{a}: the service manager handed over fd 3 (TCP \
             127.0.0.1:{a}, on lo only) and fd 4 (TCP [::1]:{a}), and lo:{a} wants TCP on \
             127.0.0.1:{a} and [::1]:{a}: fd 4 is not bound to lo (SO_BINDTODEVICE); make the \
             .socket unit say ListenStream=127.0.0.1:{a} and ListenStream=[::1]:{a} with \
             BindToDevice=lo, or set inherit to off to bind here"
        )
    );
}

/// fd 3 a TCP socket bound but not listening, put there by Python, inheritable.
#[test]
fn a_socket_bound_but_not_listening_is_refused() {
    let python = "import os, socket, sys\n\
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n\
        s.bind(('127.0.0.1', 0))\n\
        port = s.getsockname()[1]\n\
        if s.fileno() != 3: os.dup2(s.fileno(), 3)\n\
        os.set_inheritable(3, True)\n\
        os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid()), BP_TARGET='127.0.0.1:%d' % port)\n\
        print('PORT', port, flush=True)\n\
        os.execv(sys.argv[1], [sys.argv[1], '--exact', 'child_listen', '--ignored', '--nocapture'])\n";
    let Ok(output) = Command::new("python3")
        .args(["-c", python])
        .arg(std::env::current_exe().unwrap())
        .output()
    else {
        eprintln!("python3 is missing; skipped");
        return;
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let port: u16 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("PORT "))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("{output:?}"));
    assert_eq!(
        result_line(&output),
        format!(
            "inherited_mismatch 127.0.0.1:{port}: the service manager handed over fd 3 (TCP \
             127.0.0.1:{port}, not listening), and 127.0.0.1:{port} wants TCP on \
             127.0.0.1:{port}: fd 3 is bound to 127.0.0.1:{port} but not listening; make the \
             .socket unit say ListenStream=127.0.0.1:{port}, or set inherit to off to bind here"
        )
    );
}

/// The child mode: listens (or binds UDP) on `BP_TARGET` with `BP_INHERIT`, prints the result,
/// serves one connection (or datagram), and starts a grandchild with the variables pointing
/// at itself, which must not take the sockets.
#[test]
#[ignore = "a child process of the activation tests"]
fn child_listen() {
    watchdog();
    let target: BindTarget = std::env::var("BP_TARGET").unwrap().parse().unwrap();
    let inherit: Inherit = std::env::var("BP_INHERIT")
        .unwrap_or_else(|_| "on".to_owned())
        .parse()
        .unwrap();
    let options = ListenOptions::new()
        .inherit(inherit)
        .bind_device(std::env::var_os("BP_BIND_DEVICE").is_some());
    let udp = std::env::var_os("BP_UDP").is_some();
    if std::env::var_os("BP_MATCH").is_some() {
        // What `inherited_match` says, for each transport, before anything is taken.
        let resolved = target.resolve().unwrap();
        let line = |udp: bool| match resolved.inherited_match(udp) {
            Ok(sockets) => {
                let each: Vec<String> = sockets.iter().map(ToString::to_string).collect();
                format!("[{}]", each.join(", "))
            }
            Err(err) => format!("{} {err}", err.kind()),
        };
        println!("MATCH tcp={}", line(false));
        println!("MATCH udp={}", line(true));
    }
    let result = if udp {
        target.bind_udp_with(&options).map(|b| {
            let line = describe(b.inherited_fds(), b.local_addrs());
            let mut buf = [0u8; 64];
            let _ = b.recv_from(&mut buf);
            line
        })
    } else {
        target.listen_with(&options).map(|b| {
            let mut line = describe(b.inherited_fds(), b.local_addrs());
            if std::env::var_os("BP_SHOW_ACCESSORS").is_some() {
                let each: Vec<String> = bindpolicy::inherited_sockets()
                    .iter()
                    .map(|s| {
                        format!(
                            "fd={} name={:?} addr={:?} tcp={} taken={}",
                            s.fd(),
                            s.name(),
                            s.local_addr(),
                            s.is_tcp(),
                            s.is_taken()
                        )
                    })
                    .collect();
                line.push_str(&format!(" accessors=[{}]", each.join(", ")));
            }
            if b.len() > 1 || std::env::var_os("BP_SHOW_HANDED").is_some() {
                let handed: Vec<String> = bindpolicy::inherited_sockets()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                line.push_str(&format!(" handed=[{}]", handed.join(", ")));
            }
            if std::env::var_os("BP_TWICE").is_some() {
                // A second listen of the same target in the same process.
                match target.listen_with(&options) {
                    Ok(again) => line.push_str(&format!(" again=ok {:?}", again.inherited_fds())),
                    Err(err) => line.push_str(&format!(" again={} {err}", err.kind())),
                }
            }
            if std::env::var_os("BP_NO_ACCEPT").is_none() {
                grandchild_takes_nothing(b.inherited_fds().contains(&3));
                if let Ok(mut accepted) = b.accept() {
                    let _ = accepted.stream.write_all(b"served\n");
                }
            }
            line
        })
    };
    match result {
        Ok(line) => println!("RESULT {line}"),
        Err(err) => {
            assert_eq!(
                err.kind() == ErrorKind::InheritedMismatch,
                err.kind().as_str() == "inherited_mismatch"
            );
            let fd3 = match std::env::var_os("BP_REPORT_FD3") {
                Some(_) if std::fs::metadata("/proc/self/fd/3").is_ok() => " [fd 3 open]",
                Some(_) => " [fd 3 closed]",
                None => "",
            };
            println!("RESULT {} {err}{fd3}", err.kind());
        }
    }
}

/// A child never outlives its test by more than 10 s, whatever it waits for.
fn watchdog() {
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(10));
        println!("RESULT the child timed out");
        std::process::exit(2);
    });
}

fn describe(fds: &[i32], addrs: &[SocketAddr]) -> String {
    let addrs: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    format!("ok fds={fds:?} addrs=[{}]", addrs.join(", "))
}

/// A program the server starts, with LISTEN_FDS and LISTEN_PID set as a careless parent
/// would pass them on (naming the parent): it sees no inherited socket.
/// `took_fd3`: the listen took fd 3, which is then close-on-exec, so the program does not hold
/// the socket either.
fn grandchild_takes_nothing(took_fd3: bool) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_grandchild", "--ignored", "--nocapture"])
        .env("LISTEN_FDS", "1")
        .env("LISTEN_PID", std::process::id().to_string())
        .output()
        .unwrap();
    let want = if took_fd3 {
        "GRANDCHILD none fd3=false"
    } else {
        "GRANDCHILD none"
    };
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(want),
        "{output:?}"
    );
}

#[test]
#[ignore = "a grandchild process of the activation tests"]
fn child_grandchild() {
    let handed = bindpolicy::inherited_sockets();
    // fd 3 is close-on-exec in the server, and LISTEN_PID is not this process.
    let fd3 = std::fs::metadata("/proc/self/fd/3").is_ok();
    if handed.is_empty() {
        println!("GRANDCHILD none fd3={fd3}");
    } else {
        println!("GRANDCHILD took {}", handed.len());
    }
}

/// The tokio child: inherited blocking sockets into tokio (which refuses blocking ones).
#[cfg(feature = "tokio")]
#[test]
#[ignore = "a child process of the activation tests"]
fn child_tokio() {
    watchdog();
    let target: BindTarget = std::env::var("BP_TARGET").unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listeners = match target.listen() {
            Ok(listeners) => listeners,
            Err(err) => {
                println!("RESULT {} {err}", err.kind());
                return;
            }
        };
        let line = describe(listeners.inherited_fds(), listeners.local_addrs());
        let listeners = listeners.into_tokio().unwrap();
        let mut accepted = listeners.accept().await.unwrap();
        use tokio::io::AsyncWriteExt;
        accepted.stream.write_all(b"served\n").await.unwrap();
        println!("RESULT ok tokio {}", line.trim_start_matches("ok "));
    });
}

#[test]
fn inherit_is_on_by_default_and_parses_its_three_words() {
    assert_eq!(ListenOptions::new().get_inherit(), Inherit::On);
    for (word, inherit) in [
        ("off", Inherit::Off),
        ("on", Inherit::On),
        ("Required", Inherit::Required),
    ] {
        assert_eq!(word.parse::<Inherit>(), Ok(inherit));
        assert_eq!(inherit.to_string(), word.to_ascii_lowercase());
    }
    assert_eq!(
        "yes".parse::<Inherit>(),
        Err("\"yes\" is not an inherit setting; use off, on or required".to_owned())
    );
}

#[cfg(feature = "serde")]
#[test]
fn the_listen_config_takes_inherit() {
    let options: ListenOptions = toml::from_str("inherit = \"required\"").unwrap();
    assert_eq!(options.get_inherit(), Inherit::Required);
    let config: bindpolicy::ListenConfig =
        toml::from_str("listen = [\"*:8080\"]\n[options]\ninherit = \"off\"\n").unwrap();
    assert_eq!(config.options.get_inherit(), Inherit::Off);
    assert!(toml::from_str::<ListenOptions>("inherit = \"maybe\"").is_err());
}

#[cfg(feature = "clap")]
#[test]
fn listen_args_take_inherit() {
    use clap::Parser;
    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        listen: bindpolicy::ListenArgs,
    }
    let args = Args::try_parse_from(["app", "--inherit", "required"]).unwrap();
    assert_eq!(args.listen.options().get_inherit(), Inherit::Required);
    let args = Args::try_parse_from(["app"]).unwrap();
    assert_eq!(args.listen.options().get_inherit(), Inherit::On);
    assert!(Args::try_parse_from(["app", "--inherit", "maybe"]).is_err());
}

#[test]
fn fd_targets_take_the_socket_by_number_and_by_name() {
    need_activator!();
    let port = free_port();
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut args = l(&v4.to_string());
    args.extend(l(&format!("[::1]:{port}")));
    args.push("--fdname=web:admin".to_owned());
    let (answer, result) = tcp_case(&args, "fd:3", v4);
    assert_eq!(result, format!("ok fds=[3] addrs=[{v4}]"));
    assert_eq!(answer, "served\n");
    let v6: SocketAddr = format!("[::1]:{port}").parse().unwrap();
    let (_, result) = tcp_case(&args, "sd-listen:admin", v6);
    assert_eq!(result, format!("ok fds=[4] addrs=[{v6}]"));
}

#[test]
fn an_fd_name_not_handed_over_is_a_typed_error() {
    need_activator!();
    let port = free_port();
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut args = l(&v4.to_string());
    args.push("--fdname=web".to_owned());
    let (_, result) = tcp_case(&args, "fd:api", v4);
    assert_eq!(
        result,
        format!(
            "inherited_mismatch fd:api: the service manager handed over fd 3 \"web\" (TCP \
             {v4}), and an fd named \"api\" is not among them; add FileDescriptorName=api to \
             the .socket unit"
        )
    );
}

#[test]
fn an_fd_target_of_the_wrong_transport_is_a_typed_error() {
    need_activator!();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut args = l(&addr.to_string());
    args.push("--datagram".to_owned());
    let child = activate(&args, "child_listen", &[("BP_TARGET", "fd:3")]);
    let output = trigger_udp(child, addr);
    assert_eq!(
        result_line(&output),
        format!(
            "inherited_mismatch fd:3: the service manager handed over fd 3 (UDP {addr}), and \
             fd 3 is UDP, not TCP; make the .socket unit say ListenStream="
        )
    );
}

/// LISTEN_PIDFDID: the right pidfs inode takes the socket; another is a process that reused
/// the pid, which ignores the variables. Python puts a listening socket at fd 3 and computes
/// the inode with os.pidfd_open (the same process after exec).
#[test]
fn listen_pidfdid_is_checked_where_the_kernel_has_pidfs() {
    let python = "import os, socket, sys\n\
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n\
        s.bind(('127.0.0.1', 0))\n\
        s.listen(8)\n\
        port = s.getsockname()[1]\n\
        if s.fileno() != 3: os.dup2(s.fileno(), 3)\n\
        os.set_inheritable(3, True)\n\
        ino = os.fstat(os.pidfd_open(os.getpid())).st_ino\n\
        ino = ino if sys.argv[2] == 'right' else ino + 1\n\
        os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid()), LISTEN_PIDFDID=str(ino), BP_TARGET='127.0.0.1:0', BP_NO_ACCEPT='1')\n\
        print('PORT', port, flush=True)\n\
        os.execv(sys.argv[1], [sys.argv[1], '--exact', 'child_listen', '--ignored', '--nocapture'])\n";
    let run = |which: &str| {
        Command::new("python3")
            .args(["-c", python])
            .arg(std::env::current_exe().unwrap())
            .arg(which)
            .output()
    };
    let Ok(right) = run("right") else {
        eprintln!("python3 is missing; skipped");
        return;
    };
    if !String::from_utf8_lossy(&right.stdout).contains("PORT") {
        eprintln!("no pidfd_open here; skipped: {right:?}");
        return;
    }
    assert!(
        result_line(&right).starts_with("ok fds=[3] addrs=[127.0.0.1:"),
        "{right:?}"
    );
    let wrong = run("wrong").unwrap();
    assert!(
        result_line(&wrong).starts_with("ok fds=[] addrs=[127.0.0.1:"),
        "{wrong:?}"
    );
}

/// The child mode of a listen section: `ListenConfig::listen` of the targets in `BP_TARGETS`
/// (space-separated), with `BP_POLICY` `no_wildcard` where set. It prints each listener's fds
/// and addresses, `; `-separated, then serves one connection on the last one.
#[test]
#[ignore = "a child process of the activation tests"]
fn child_config() {
    watchdog();
    let targets: Vec<BindTarget> = std::env::var("BP_TARGETS")
        .unwrap()
        .split(' ')
        .map(|t| t.parse().unwrap())
        .collect();
    let mut config = bindpolicy::ListenConfig::new(targets);
    if std::env::var("BP_POLICY").as_deref() == Ok("no_wildcard") {
        config.policy = bindpolicy::BindPolicy::permissive().allow_wildcard(false);
    }
    match config.listen() {
        Ok(sets) => {
            let lines: Vec<String> = sets
                .iter()
                .map(|b| describe(b.inherited_fds(), b.local_addrs()))
                .collect();
            println!("RESULT {}", lines.join("; "));
            if let Some(Ok(mut accepted)) = sets.last().map(|b| b.accept()) {
                let _ = accepted.stream.write_all(b"served\n");
            }
        }
        Err(err) => println!("RESULT {} {err}", err.kind()),
    }
}

#[test]
fn a_listen_config_takes_fd_targets_and_inherits_the_rest() {
    need_activator!();
    let port = free_port();
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut args = l(&v4.to_string());
    args.extend(l(&format!("[::1]:{port}")));
    args.push("--fdname=web:admin".to_owned());
    // fd:admin by name (fd 4), then an ordinary target that inherits fd 3 by its address.
    let targets = format!("fd:admin {v4}");
    let child = activate(&args, "child_config", &[("BP_TARGETS", &targets)]);
    let (answer, output) = trigger_tcp(child, v4);
    assert_eq!(
        result_line(&output),
        format!("ok fds=[4] addrs=[[::1]:{port}]; ok fds=[3] addrs=[{v4}]")
    );
    assert_eq!(answer, "served\n");
}

#[test]
fn a_listen_config_checks_an_fd_target_against_its_policy_and_overlaps() {
    need_activator!();
    let port = free_port();
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // `-l PORT` hands over a dual-stack [::]:PORT: a wildcard, which the policy forbids.
    let child = activate(
        &l(&port.to_string()),
        "child_config",
        &[("BP_TARGETS", "fd:3"), ("BP_POLICY", "no_wildcard")],
    );
    let (_, output) = trigger_tcp(child, v4);
    let result = result_line(&output);
    assert!(
        result.starts_with(&format!(
            "policy_violation policy violation (allow_wildcard): *:{port} is a wildcard, which \
             the policy forbids; listen on "
        )),
        "{result}"
    );
    // An fd: target and an ordinary target on its address: one socket, listed twice.
    let child = activate(
        &l(&v4.to_string()),
        "child_config",
        &[("BP_TARGETS", &format!("fd:3 {v4}"))],
    );
    let (_, output) = trigger_tcp(child, v4);
    assert_eq!(
        result_line(&output),
        format!(
            "overlap overlapping listen targets: fd:3 and {v4} both bind {v4}, and the second \
             bind fails with EADDRINUSE; keep one"
        )
    );
}
