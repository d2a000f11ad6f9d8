//! The server side against the real kernel: TCP listeners and UDP sockets, their options, and
//! the typed errors of a failed bind (addr_in_use with its holder, permission_denied,
//! addr_not_available, not_listenable).
//!
//! Every connection and datagram goes to loopback (127.0.0.1, ::1). The freebind tests bind an
//! address of 198.18.0.0/15 that is not on this machine and send nothing. The privileged-port
//! and foreign-holder tests re-run this binary as a child process: the env var
//! `BINDPOLICY_LISTEN_CHILD` selects a `child_*` test, which does nothing without it.

mod support;
use support::values::{target, v4, v6};

use std::io::{BufRead, BufReader, ErrorKind as IoKind, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6, TcpListener, TcpStream, UdpSocket,
};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use bindpolicy::{
    BindTarget, Error, ErrorKind, FreeBind, Interface, InterfaceAddr, Interfaces, ListenOptions,
    Listeners, Phase, Resolved, Warning,
};
use socket2::SockRef;

use support::netns::skip_or_fail;

/// Selects a `child_*` test when this binary runs as a child of one of the tests below.
const CHILD_ENV: &str = "BINDPOLICY_LISTEN_CHILD";

/// A bound on waits for the kernel (an accept, a datagram), never a timing assertion.
const PATIENCE: Duration = Duration::from_secs(30);

fn listen(spec: &str) -> Listeners {
    target(spec)
        .listen()
        .unwrap_or_else(|e| panic!("listen {spec}: [{}] {e}", e.kind()))
}

fn listen_with(spec: &str, options: &ListenOptions) -> Listeners {
    target(spec)
        .listen_with(options)
        .unwrap_or_else(|e| panic!("listen {spec} with {options:?}: [{}] {e}", e.kind()))
}

/// Prints a visible skip notice (libtest captures `eprintln!` of passing tests).
fn skip_loudly(reason: &str) {
    let current = thread::current();
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {}: {reason} ***\n",
        current.name().unwrap_or("<test>")
    );
}

/// The first 15 bytes of a name: what Linux keeps in /proc/PID/comm.
fn comm_of(name: &str) -> String {
    name.chars()
        .scan(0, |len, c| {
            *len += c.len_utf8();
            (*len <= 15).then_some(c)
        })
        .collect()
}

fn proc_comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/comm: {e}"))
        .trim()
        .to_owned()
}

fn effective_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .expect("read /proc/self/status")
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|uid| uid.parse().ok())
        .expect("Uid: line in /proc/self/status")
}

fn read_proc_number(path: &str) -> u32 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read {path}: {e}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

/// Accepts one connection, waiting at most [`PATIENCE`]; the listener is left as it was.
fn accept_one(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    let was_nonblocking = SockRef::from(listener).nonblocking().expect("O_NONBLOCK");
    listener.set_nonblocking(true).expect("set O_NONBLOCK");
    let deadline = Instant::now() + PATIENCE;
    let accepted = loop {
        match listener.accept() {
            Ok(accepted) => break accepted,
            Err(e) if e.kind() == IoKind::WouldBlock => {
                assert!(
                    Instant::now() < deadline,
                    "no connection reached {:?} within {PATIENCE:?}",
                    listener.local_addr()
                );
                thread::sleep(Duration::from_millis(2));
            }
            Err(e) => panic!("accept on {:?}: {e}", listener.local_addr()),
        }
    };
    listener
        .set_nonblocking(was_nonblocking)
        .expect("restore O_NONBLOCK");
    accepted.0.set_nonblocking(false).expect("blocking stream");
    accepted
}

/// Asserts that `listener` has no connection waiting.
fn assert_nothing_pending(listener: &TcpListener) {
    let was_nonblocking = SockRef::from(listener).nonblocking().expect("O_NONBLOCK");
    listener.set_nonblocking(true).expect("set O_NONBLOCK");
    match listener.accept() {
        Err(e) if e.kind() == IoKind::WouldBlock => {}
        Ok((_, peer)) => panic!(
            "{:?} accepted an unexpected connection from {peer}",
            listener.local_addr()
        ),
        Err(e) => panic!("accept on {:?}: {e}", listener.local_addr()),
    }
    listener
        .set_nonblocking(was_nonblocking)
        .expect("restore O_NONBLOCK");
}

/// Connects a std client to `to`, accepts it on `listener`, sends one byte through and returns
/// (the peer the listener saw, the client's own address).
fn round_trip(listener: &TcpListener, to: SocketAddr) -> (SocketAddr, SocketAddr) {
    let mut client = TcpStream::connect(to).unwrap_or_else(|e| panic!("connect {to}: {e}"));
    let client_addr = client.local_addr().expect("client local_addr");
    let (mut conn, peer) = accept_one(listener);
    client.write_all(b"Z").expect("client write");
    conn.set_read_timeout(Some(PATIENCE)).expect("read timeout");
    let mut byte = [0u8; 1];
    conn.read_exact(&mut byte).expect("the byte arrives");
    assert_eq!(&byte, b"Z");
    assert_eq!(
        conn.local_addr().expect("conn local_addr").port(),
        to.port()
    );
    (peer, client_addr)
}

fn only_v6(socket: SockRef<'_>) -> bool {
    socket.only_v6().expect("getsockopt(IPV6_V6ONLY)")
}

// ----- localhost:0 and *:0 ---------------------------------------------------------------

#[test]
fn localhost_0_listens_on_both_loopbacks_on_one_port() {
    let listeners = listen("localhost:0");
    let port = listeners.port();
    assert_ne!(port, 0, "port 0 must be replaced by the OS's choice");
    assert_eq!(
        listeners.local_addrs(),
        [v4(Ipv4Addr::LOCALHOST, port), v6(Ipv6Addr::LOCALHOST, port)]
    );
    assert_eq!(listeners.len(), 2);
    for (socket, addr) in listeners.iter() {
        assert_eq!(socket.local_addr().expect("local_addr"), addr);
    }
    assert!(
        !listeners.warnings().contains(&Warning::EphemeralPort),
        "the ephemeral-port warning is resolved once bound: {:?}",
        listeners.warnings()
    );
    assert!(listeners.exposure().is_this_machine_only());
    assert!(
        listeners
            .exposure()
            .urls("http")
            .contains(&format!("http://127.0.0.1:{port}")),
        "{:?}",
        listeners.exposure().urls("http")
    );

    let [l4, l6] = listeners.sockets() else {
        panic!("two sockets")
    };
    let (peer, client) = round_trip(l4, v4(Ipv4Addr::LOCALHOST, port));
    assert_eq!(peer, client);
    assert!(peer.is_ipv4());
    assert_nothing_pending(l6);
    let (peer, client) = round_trip(l6, v6(Ipv6Addr::LOCALHOST, port));
    assert_eq!(peer, client);
    assert_eq!(peer.ip(), IpAddr::V6(Ipv6Addr::LOCALHOST));
    assert_nothing_pending(l4);
}

#[test]
fn any_0_listens_on_both_wildcards_and_each_family_reaches_its_own_listener() {
    let listeners = listen("*:0");
    let port = listeners.port();
    assert_ne!(port, 0);
    assert_eq!(
        listeners.local_addrs(),
        [
            v4(Ipv4Addr::UNSPECIFIED, port),
            v6(Ipv6Addr::UNSPECIFIED, port)
        ]
    );
    let [l4, l6] = listeners.sockets() else {
        panic!("two sockets")
    };

    let (peer, client) = round_trip(l4, v4(Ipv4Addr::LOCALHOST, port));
    assert_eq!(peer, client);
    assert_eq!(peer.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_nothing_pending(l6);

    let (peer, client) = round_trip(l6, v6(Ipv6Addr::LOCALHOST, port));
    assert_eq!(peer, client);
    assert_eq!(peer.ip(), IpAddr::V6(Ipv6Addr::LOCALHOST));
    assert_nothing_pending(l4);
}

#[test]
fn listening_twice_on_localhost_0_gives_two_different_ports() {
    let a = listen("localhost:0");
    let b = listen("localhost:0");
    assert_ne!(a.port(), b.port());
}

// ----- addr_in_use and its holder ----------------------------------------------------------

#[test]
fn a_taken_port_is_addr_in_use_held_by_this_process() {
    let held = listen("127.0.0.1:0");
    let port = held.port();
    let err = target(&format!("127.0.0.1:{port}"))
        .listen()
        .expect_err("the port is taken");
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert_eq!(err.kind().as_str(), "addr_in_use");
    let Error::AddrInUse {
        addr,
        phase,
        holder,
        source,
        ..
    } = &err
    else {
        panic!("expected Error::AddrInUse, got {err:?}")
    };
    assert_eq!(*addr, v4(Ipv4Addr::LOCALHOST, port));
    assert_eq!(*phase, Phase::Bind);
    assert_eq!(source.kind(), IoKind::AddrInUse);
    let holder = holder.as_deref().expect("root sees the holder in /proc");
    let me = std::process::id();
    assert_eq!(holder.pid, Some(me));
    assert_eq!(holder.command, Some(proc_comm(me)));
    assert_eq!(holder.local, v4(Ipv4Addr::LOCALHOST, port));
    let exe = std::env::current_exe().expect("current_exe");
    let exe_name = exe.file_name().expect("file name").to_string_lossy();
    assert_eq!(holder.command, Some(comm_of(&exe_name)));
    assert_eq!(
        err.to_string(),
        format!(
            "127.0.0.1:{port} is already in use (EADDRINUSE at bind()): held by pid {me} ({}) \
             on 127.0.0.1:{port} (LISTEN); stop it, or pick another port",
            proc_comm(me)
        )
    );
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), IoKind::AddrInUse);
}

#[test]
fn a_dual_stack_holder_of_the_v6_wildcard_is_named_with_the_v6only_hint() {
    let held = listen_with("[::]:0", &ListenOptions::new().dual_stack(true));
    assert!(!only_v6(SockRef::from(&held.sockets()[0])));
    let port = held.port();
    let err = target(&format!("0.0.0.0:{port}"))
        .listen()
        .expect_err("[::] with V6ONLY off covers 0.0.0.0");
    let Error::AddrInUse { holder, .. } = &err else {
        panic!("expected Error::AddrInUse, got {err:?}")
    };
    let holder = holder.as_deref().expect("holder");
    assert_eq!(holder.pid, Some(std::process::id()));
    assert_eq!(holder.local, v6(Ipv6Addr::UNSPECIFIED, port));
    let text = err.to_string();
    assert!(
        text.contains("A [::] socket with IPV6_V6ONLY off (the Linux default) also covers 0.0.0.0"),
        "{text}"
    );
}

/// The holder must be the socket that conflicts with the address asked for, not any socket
/// on the same port number.
#[test]
fn the_holder_named_is_the_conflicting_socket() {
    let held = listen("localhost:0");
    let port = held.port();
    let err = target(&format!("[::1]:{port}"))
        .listen()
        .expect_err("[::1]:P is taken");
    let Error::AddrInUse { holder, .. } = &err else {
        panic!("expected Error::AddrInUse, got {err:?}")
    };
    let holder = holder.as_deref().expect("holder");
    assert_eq!(
        holder.local,
        v6(Ipv6Addr::LOCALHOST, port),
        "the holder of [::1]:{port} is the [::1] socket: {err}"
    );
}

/// Kills (SIGKILL, by its pid) and reaps a child process when dropped, also on a panic.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Run as a child by [`a_port_held_by_another_process_names_its_pid_and_command`]: holds a
/// port on 127.0.0.1 with std, prints it, and waits for its stdin to close (or to be killed).
#[test]
fn child_hold_port() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("hold_port") {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("child bind");
    let port = listener.local_addr().expect("child local_addr").port();
    let mut out = std::io::stdout();
    writeln!(out, "BINDPOLICY-CHILD-PORT={port}").expect("child stdout");
    out.flush().expect("child flush");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(listener);
}

#[test]
fn a_port_held_by_another_process_names_its_pid_and_command() {
    let exe = std::env::current_exe().expect("current_exe");
    let child = Command::new(&exe)
        .args([
            "--exact",
            "child_hold_port",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "hold_port")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn a second copy of this test binary");
    let mut child = KillOnDrop(child);
    let child_pid = child.0.id();
    let stdout = child.0.stdout.take().expect("child stdout");
    // Read on a thread so that a child that never prints fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let port = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| {
                // libtest writes "test child_hold_port ... " before the child's own output.
                line.split_once("BINDPOLICY-CHILD-PORT=")
                    .and_then(|(_, p)| p.trim().parse::<u16>().ok())
            });
        let _ = tx.send(port);
    });
    let port = rx
        .recv_timeout(PATIENCE)
        .ok()
        .flatten()
        .expect("the child prints its port");

    let err = target(&format!("127.0.0.1:{port}"))
        .listen()
        .expect_err("the child holds the port");
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    let Error::AddrInUse { holder, phase, .. } = &err else {
        panic!("expected Error::AddrInUse, got {err:?}")
    };
    assert_eq!(*phase, Phase::Bind);
    let holder = holder.as_deref().expect("root sees the holder in /proc");
    assert_eq!(holder.pid, Some(child_pid), "{err}");
    let exe_name = exe.file_name().expect("file name").to_string_lossy();
    assert_eq!(holder.command, Some(comm_of(&exe_name)));
    assert_eq!(holder.command, Some(proc_comm(child_pid)));
    assert_eq!(holder.local, v4(Ipv4Addr::LOCALHOST, port));
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "held by pid {child_pid} ({}) on 127.0.0.1:{port} (LISTEN)",
            proc_comm(child_pid)
        )),
        "{text}"
    );

    // End the child by its pid, and see the port free again.
    child.0.kill().expect("kill the child");
    let status = child.0.wait().expect("reap the child");
    assert!(!status.success(), "the child was killed: {status}");
    match target(&format!("127.0.0.1:{port}")).listen() {
        Ok(again) => assert_eq!(again.port(), port),
        // Another program on this shared machine may have taken the freed port meanwhile.
        Err(Error::AddrInUse {
            holder: Some(holder),
            ..
        }) => assert_ne!(
            holder.pid,
            Some(child_pid),
            "the killed child still holds the port"
        ),
        Err(err) => panic!("the port should be free again: {err}"),
    }
}

// ----- permission_denied and the privileged-port warning ----------------------------------

/// Run as a child, as the user nobody, by [`port_80_as_nobody_is_permission_denied_with_the_fix`].
#[test]
fn child_privileged_port() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("privileged_port") {
        return;
    }
    println!("BINDPOLICY-CHILD-START");
    assert_eq!(effective_uid(), 65534, "the child runs as nobody");
    let start = read_proc_number("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    let port: u16 = std::env::var("BINDPOLICY_LISTEN_PORT")
        .expect("port")
        .parse()
        .expect("port number");
    assert!(u32::from(port) < start);
    let start = u16::try_from(start).expect("start fits a port");

    let target = target(&format!("127.0.0.1:{port}"));
    let resolved = target.resolve().expect("resolve as nobody");
    let warning = Warning::PrivilegedPort {
        port,
        unprivileged_port_start: start,
    };
    assert!(
        resolved.warnings().contains(&warning),
        "resolve warns: {:?}",
        resolved.warnings()
    );
    let text = warning.to_string();
    assert!(text.contains("CAP_NET_BIND_SERVICE"), "{text}");
    assert!(
        text.contains("net.ipv4.ip_unprivileged_port_start"),
        "{text}"
    );

    for err in [
        resolved.listen().expect_err("privileged port"),
        target.listen().expect_err("privileged port"),
    ] {
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        assert_eq!(err.kind().as_str(), "permission_denied");
        let Error::PermissionDenied {
            addr,
            phase,
            unprivileged_port_start,
            source,
        } = &err
        else {
            panic!("expected Error::PermissionDenied, got {err:?}")
        };
        assert_eq!(*addr, v4(Ipv4Addr::LOCALHOST, port));
        assert_eq!(*phase, Phase::Bind);
        assert_eq!(*unprivileged_port_start, Some(start));
        assert_eq!(source.kind(), IoKind::PermissionDenied);
        let text = err.to_string();
        for needle in [
            format!("ports below {start} (net.ipv4.ip_unprivileged_port_start)"),
            "CAP_NET_BIND_SERVICE".to_owned(),
            "setcap cap_net_bind_service=+ep".to_owned(),
            format!("sysctl net.ipv4.ip_unprivileged_port_start={port}"),
            format!("use a port at or above {start}"),
        ] {
            assert!(text.contains(&needle), "{needle:?} missing from: {text}");
        }
    }
    let err = target.bind_udp().expect_err("privileged UDP port");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    println!("BINDPOLICY-CHILD-OK");
}

#[test]
fn port_80_as_nobody_is_permission_denied_with_the_fix() {
    let uid = effective_uid();
    if uid != 0 {
        skip_or_fail(&format!(
            "needs root to start a child as nobody (effective uid is {uid})"
        ));
        return;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        skip_or_fail("setpriv (util-linux) is not installed");
        return;
    }
    let start = read_proc_number("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    let port = match start {
        81.. => 80,
        2..=80 => start - 1,
        _ => {
            skip_or_fail(&format!(
                "net.ipv4.ip_unprivileged_port_start is {start}: no port is privileged"
            ));
            return;
        }
    };
    // As root, resolve does not warn: root has CAP_NET_BIND_SERVICE.
    let as_root = target(&format!("127.0.0.1:{port}"))
        .resolve()
        .expect("resolve");
    assert!(
        !as_root
            .warnings()
            .iter()
            .any(|w| matches!(w, Warning::PrivilegedPort { .. })),
        "{:?}",
        as_root.warnings()
    );

    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(&exe)
        .args([
            "--exact",
            "child_privileged_port",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "privileged_port")
        .env("BINDPOLICY_LISTEN_PORT", port.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("run setpriv");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stdout.contains("BINDPOLICY-CHILD-START") {
        // setpriv could not start the binary as nobody (e.g. a directory nobody cannot enter):
        // the environment's fault, not the library's.
        skip_or_fail(&format!(
            "could not run {} as nobody: {}\n{stdout}\n{stderr}",
            exe.display(),
            out.status
        ));
        return;
    }
    assert!(
        out.status.success() && stdout.contains("BINDPOLICY-CHILD-OK"),
        "the child as nobody failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

// ----- IPV6_V6ONLY and dual stack ----------------------------------------------------------

#[test]
fn every_ipv6_socket_has_v6only_on() {
    for spec in ["localhost:0", "*:0", "[::1]:0", "[::]:0"] {
        let listeners = listen(spec);
        let mut v6_count = 0;
        for (socket, addr) in listeners.iter() {
            if addr.is_ipv6() {
                v6_count += 1;
                assert!(
                    only_v6(SockRef::from(socket)),
                    "{spec}: TCP {addr} has IPV6_V6ONLY off"
                );
            }
        }
        assert_eq!(v6_count, 1, "{spec}: {:?}", listeners.local_addrs());

        let udp = target(spec)
            .bind_udp()
            .unwrap_or_else(|e| panic!("bind_udp {spec}: {e}"));
        let mut v6_count = 0;
        for (socket, addr) in udp.iter() {
            if addr.is_ipv6() {
                v6_count += 1;
                assert!(
                    only_v6(SockRef::from(socket)),
                    "{spec}: UDP {addr} has IPV6_V6ONLY off"
                );
            }
        }
        assert_eq!(v6_count, 1, "{spec}: {:?}", udp.local_addrs());
    }
}

#[test]
fn dual_stack_any_is_one_v6_socket_that_accepts_ipv4_clients() {
    let options = ListenOptions::new().dual_stack(true);
    assert!(options.is_dual_stack());
    let listeners = listen_with("*:0", &options);
    let port = listeners.port();
    assert_eq!(listeners.len(), 1, "{:?}", listeners.local_addrs());
    assert_eq!(listeners.local_addrs(), [v6(Ipv6Addr::UNSPECIFIED, port)]);
    let listener = &listeners.sockets()[0];
    assert!(!only_v6(SockRef::from(listener)), "dual stack: V6ONLY off");

    let (peer, client) = round_trip(listener, v4(Ipv4Addr::LOCALHOST, port));
    assert_eq!(
        peer,
        v6(Ipv4Addr::LOCALHOST.to_ipv6_mapped(), client.port()),
        "an IPv4 client appears as ::ffff:127.0.0.1"
    );
    assert_eq!(
        peer.to_string(),
        format!("[::ffff:127.0.0.1]:{}", client.port())
    );
    let (peer, client) = round_trip(listener, v6(Ipv6Addr::LOCALHOST, port));
    assert_eq!(peer, client);

    // UDP likewise: one socket.
    let udp = target("*:0")
        .bind_udp_with(&options)
        .expect("udp dual stack");
    assert_eq!(udp.local_addrs(), [v6(Ipv6Addr::UNSPECIFIED, udp.port())]);
    assert!(!only_v6(SockRef::from(&udp.sockets()[0])));
}

#[test]
fn dual_stack_leaves_specific_v6_addresses_v6only() {
    let listeners = listen_with("localhost:0", &ListenOptions::new().dual_stack(true));
    assert_eq!(listeners.len(), 2);
    assert!(only_v6(SockRef::from(&listeners.sockets()[1])));
}

// ----- other options -----------------------------------------------------------------------

#[test]
fn tcp_listeners_have_so_reuseaddr_and_udp_sockets_do_not() {
    for spec in ["localhost:0", "*:0"] {
        for (socket, addr) in listen(spec).iter() {
            assert!(
                SockRef::from(socket).reuse_address().expect("SO_REUSEADDR"),
                "TCP {addr} lacks SO_REUSEADDR"
            );
            assert!(!SockRef::from(socket).reuse_port().expect("SO_REUSEPORT"));
            assert_eq!(
                SockRef::from(socket).r#type().expect("SO_TYPE"),
                socket2::Type::STREAM
            );
        }
        for (socket, addr) in target(spec).bind_udp().expect("bind_udp").iter() {
            assert!(
                !SockRef::from(socket).reuse_address().expect("SO_REUSEADDR"),
                "UDP {addr} has SO_REUSEADDR"
            );
            assert_eq!(
                SockRef::from(socket).r#type().expect("SO_TYPE"),
                socket2::Type::DGRAM
            );
        }
    }
}

/// The accept-queue length of a listening socket, from `ss` (its Send-Q column).
fn ss_backlog(addr: SocketAddr) -> Option<u32> {
    let out = Command::new("ss")
        .args(["-H", "-l", "-t", "-n"])
        .arg(format!("sport = :{}", addr.port()))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let want = addr.to_string();
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(3) == Some(&want.as_str())).then(|| {
            fields
                .get(2)
                .and_then(|q| q.parse().ok())
                .unwrap_or_else(|| panic!("ss line {line:?}"))
        })
    })
}

#[test]
fn backlog_reaches_listen() {
    let options = ListenOptions::new().backlog(7);
    assert_eq!(options.get_backlog(), 7);
    let seven = listen_with("127.0.0.1:0", &options);
    let default = listen("127.0.0.1:0");
    let huge = listen_with("127.0.0.1:0", &ListenOptions::new().backlog(u32::MAX));
    let Some(backlog) = ss_backlog(seven.local_addrs()[0]) else {
        skip_loudly("`ss` (iproute2) is missing or shows no row; cannot read the backlog");
        return;
    };
    assert_eq!(backlog, 7);
    assert_eq!(ListenOptions::new().get_backlog(), 1024);
    let somaxconn = read_proc_number("/proc/sys/net/core/somaxconn");
    assert_eq!(
        ss_backlog(default.local_addrs()[0]),
        Some(1024.min(somaxconn))
    );
    // u32::MAX is clamped to i32::MAX, which the kernel caps at somaxconn.
    assert_eq!(ss_backlog(huge.local_addrs()[0]), Some(somaxconn));
}

#[test]
fn nonblocking_listeners_return_would_block_from_accept() {
    let listeners = listen_with("localhost:0", &ListenOptions::new().nonblocking(true));
    for (socket, addr) in listeners.iter() {
        assert!(SockRef::from(socket).nonblocking().expect("O_NONBLOCK"));
        let err = socket
            .accept()
            .expect_err("nothing is connecting, and the socket must not block");
        assert_eq!(err.kind(), IoKind::WouldBlock, "{addr}: {err}");
    }
    for socket in listen("localhost:0").sockets() {
        assert!(!SockRef::from(socket).nonblocking().expect("O_NONBLOCK"));
    }
    let udp = target("localhost:0")
        .bind_udp_with(&ListenOptions::new().nonblocking(true))
        .expect("udp");
    let mut buf = [0u8; 8];
    for socket in udp.sockets() {
        let err = socket.recv_from(&mut buf).expect_err("nothing was sent");
        assert_eq!(err.kind(), IoKind::WouldBlock);
    }
}

#[test]
fn reuse_port_shares_a_port_only_when_both_set_it() {
    let on = ListenOptions::new().reuse_port(true);
    let off = ListenOptions::new();
    assert!(on.is_reuse_port() && !off.is_reuse_port());
    for (first, second, shares) in [
        (&on, &on, true),
        (&on, &off, false),
        (&off, &on, false),
        (&off, &off, false),
    ] {
        let a = listen_with("127.0.0.1:0", first);
        let port = a.port();
        assert_eq!(
            SockRef::from(&a.sockets()[0])
                .reuse_port()
                .expect("SO_REUSEPORT"),
            first.is_reuse_port()
        );
        let b = target(&format!("127.0.0.1:{port}")).listen_with(second);
        match (b, shares) {
            (Ok(b), true) => {
                assert_eq!(b.port(), port);
                assert!(
                    SockRef::from(&b.sockets()[0])
                        .reuse_port()
                        .expect("SO_REUSEPORT")
                );
                // The kernel hands a connection to one of the two.
                let client =
                    TcpStream::connect(v4(Ipv4Addr::LOCALHOST, port)).expect("connect shared");
                let deadline = Instant::now() + PATIENCE;
                let peer = loop {
                    let mut got = None;
                    for listener in [&a.sockets()[0], &b.sockets()[0]] {
                        listener.set_nonblocking(true).expect("O_NONBLOCK");
                        if let Ok((_, peer)) = listener.accept() {
                            got = Some(peer);
                        }
                    }
                    if let Some(peer) = got {
                        break peer;
                    }
                    assert!(Instant::now() < deadline, "no listener accepted");
                    thread::sleep(Duration::from_millis(2));
                };
                assert_eq!(peer, client.local_addr().expect("client addr"));
            }
            (Err(err), false) => assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}"),
            (Ok(_), false) => panic!(
                "reuse_port {} then {}: the second listener must not share the port",
                first.is_reuse_port(),
                second.is_reuse_port()
            ),
            (Err(err), true) => panic!("both set SO_REUSEPORT, yet: {err}"),
        }
    }
    // UDP too.
    let a = target("127.0.0.1:0").bind_udp_with(&on).expect("udp a");
    let b = target(&format!("127.0.0.1:{}", a.port()))
        .bind_udp_with(&on)
        .expect("udp b shares with reuse_port");
    assert_eq!(a.port(), b.port());
    let err = target(&format!("127.0.0.1:{}", a.port()))
        .bind_udp()
        .expect_err("udp without reuse_port");
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

// ----- UDP ---------------------------------------------------------------------------------

#[test]
fn udp_localhost_0_is_two_sockets_on_one_port_and_datagrams_arrive() {
    let udp = target("localhost:0").bind_udp().expect("bind_udp");
    let port = udp.port();
    assert_ne!(port, 0);
    assert_eq!(
        udp.local_addrs(),
        [v4(Ipv4Addr::LOCALHOST, port), v6(Ipv6Addr::LOCALHOST, port)]
    );
    assert!(!udp.is_empty());
    for (socket, addr) in udp.iter() {
        assert_eq!(socket.local_addr().expect("local_addr"), addr);
        let sender = if addr.is_ipv4() {
            UdpSocket::bind("127.0.0.1:0")
        } else {
            UdpSocket::bind("[::1]:0")
        }
        .expect("sender");
        let payload = format!("to {addr}");
        sender.send_to(payload.as_bytes(), addr).expect("send_to");
        socket.set_read_timeout(Some(PATIENCE)).expect("timeout");
        let mut buf = [0u8; 64];
        let (n, from) = socket.recv_from(&mut buf).expect("the datagram arrives");
        assert_eq!(&buf[..n], payload.as_bytes());
        assert_eq!(from, sender.local_addr().expect("sender addr"));
    }
    assert!(
        !udp.warnings().contains(&Warning::EphemeralPort),
        "{:?}",
        udp.warnings()
    );
    let sockets = udp.into_sockets();
    assert_eq!(sockets.len(), 2);
}

#[test]
fn udp_taken_port_is_addr_in_use_held_by_this_process() {
    let held = target("127.0.0.1:0").bind_udp().expect("bind_udp");
    let port = held.port();
    let err = target(&format!("127.0.0.1:{port}"))
        .bind_udp()
        .expect_err("the UDP port is taken");
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    let Error::AddrInUse {
        addr,
        phase,
        holder,
        ..
    } = &err
    else {
        panic!("expected Error::AddrInUse, got {err:?}")
    };
    assert_eq!(*addr, v4(Ipv4Addr::LOCALHOST, port));
    assert_eq!(*phase, Phase::Bind);
    let holder = holder.as_deref().expect("holder");
    assert_eq!(holder.pid, Some(std::process::id()));
    assert_eq!(holder.local, v4(Ipv4Addr::LOCALHOST, port));
    assert!(
        err.to_string()
            .contains(&format!("held by pid {}", std::process::id())),
        "{err}"
    );
    // A TCP listener on the same number is no conflict for UDP, and the other way round.
    let tcp = listen(&format!("127.0.0.1:{port}"));
    assert_eq!(tcp.port(), port);
}

// ----- not_listenable ----------------------------------------------------------------------

#[test]
fn a_port_target_is_not_listenable() {
    let t = target("port:5");
    let expected = "port:5 pins a client's source port and cannot listen; to listen on every \
                    interface, write *:5";
    let errs = [
        t.listen().expect_err("tcp"),
        t.bind_udp().expect_err("udp"),
        t.resolve()
            .expect("port: resolves")
            .listen()
            .expect_err("tcp"),
        t.listen_with(&ListenOptions::new().reuse_port(true))
            .expect_err("tcp"),
    ];
    for err in errs {
        assert_eq!(err.kind(), ErrorKind::NotListenable);
        assert_eq!(err.kind().as_str(), "not_listenable");
        assert!(matches!(&err, Error::NotListenable { target } if *target == t));
        assert_eq!(err.to_string(), expected);
    }
}

// ----- link-local ----------------------------------------------------------------------------

#[test]
fn a_link_local_address_without_zone_gets_its_scope_id() {
    let interfaces = Interfaces::current().expect("interfaces");
    let found = interfaces.addresses().find_map(|(iface, a)| match a.ip() {
        IpAddr::V6(ip)
            if ip.is_unicast_link_local()
                && !a.is_tentative()
                && iface.is_up()
                && interfaces.carriers(a.ip()).count() == 1 =>
        {
            Some((ip, iface.name().to_owned(), iface.index()))
        }
        _ => None,
    });
    let Some((ip, name, Some(index))) = found else {
        skip_loudly("this machine has no usable fe80:: address on exactly one interface");
        return;
    };
    let t = BindTarget::ip(IpAddr::V6(ip), 0).expect("a link-local target");
    assert_eq!(t.to_string(), format!("[{ip}]:0"), "no zone in the target");
    let resolved = t.resolve().expect("resolve fills the zone");
    assert_eq!(
        resolved.addrs()[0].addr(),
        SocketAddr::V6(SocketAddrV6::new(ip, 0, 0, index))
    );
    assert_eq!(resolved.addrs()[0].interface(), Some(name.as_str()));
    let listeners = resolved.listen().expect("listen on the link-local address");
    let port = listeners.port();
    assert_ne!(port, 0);
    let want = SocketAddr::V6(SocketAddrV6::new(ip, port, 0, index));
    assert_eq!(listeners.local_addrs(), [want]);
    assert_eq!(listeners.sockets()[0].local_addr().expect("local"), want);
    assert!(
        listeners
            .warnings()
            .iter()
            .any(|w| matches!(w, Warning::LinkLocalOnly { .. })),
        "{:?}",
        listeners.warnings()
    );
    let udp = resolved.bind_udp().expect("udp on the link-local address");
    match udp.local_addrs() {
        [SocketAddr::V6(a)] => assert_eq!((a.ip(), a.scope_id()), (&ip, index)),
        other => panic!("{other:?}"),
    }
}

// ----- freebind ------------------------------------------------------------------------------

/// 198.18.99.1 and fd00:ffff:99::1: test-range addresses that are not on this machine.
const ABSENT_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 99, 1);
const ABSENT_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xffff, 0x99, 0, 0, 0, 0, 1);

/// Resolves `ip:port` against a snapshot that claims `ip` is on an interface, so the bind
/// phase is what meets an address the kernel does not have. `None` (after a loud skip) when
/// the machine has the address, or binds non-local addresses anyway.
fn resolved_absent(ip: IpAddr, port: u16) -> Option<Resolved> {
    let real = Interfaces::current().expect("interfaces");
    if real.carriers(ip).next().is_some() {
        skip_loudly(&format!("{ip} is assigned to this machine"));
        return None;
    }
    let sysctl = if ip.is_ipv4() {
        "/proc/sys/net/ipv4/ip_nonlocal_bind"
    } else {
        "/proc/sys/net/ipv6/ip_nonlocal_bind"
    };
    if std::fs::read_to_string(sysctl).is_ok_and(|v| v.trim() != "0") {
        skip_loudly(&format!("{sysctl} is on: every address binds"));
        return None;
    }
    let prefix = if ip.is_ipv4() { 24 } else { 64 };
    let snapshot = Interfaces::from_interfaces([
        Interface::new("lo", 1)
            .with_addr(InterfaceAddr::new(Ipv4Addr::LOCALHOST.into(), 8))
            .with_addr(InterfaceAddr::new(Ipv6Addr::LOCALHOST.into(), 128)),
        Interface::new("bp-vip0", 4242).with_addr(InterfaceAddr::new(ip, prefix)),
    ]);
    let resolved = BindTarget::ip(ip, port)
        .expect("target")
        .resolve_with(&snapshot)
        .expect("the snapshot has the address");
    assert_eq!(resolved.addrs()[0].interface(), Some("bp-vip0"));
    Some(resolved)
}

fn freebind_opt(socket: SockRef<'_>, ip: IpAddr) -> bool {
    if ip.is_ipv4() {
        socket.freebind_v4().expect("IP_FREEBIND")
    } else {
        socket.freebind_v6().expect("IPV6_FREEBIND")
    }
}

#[test]
fn freebind_never_gives_addr_not_available_at_bind_with_the_hint() {
    for ip in [IpAddr::V4(ABSENT_V4), IpAddr::V6(ABSENT_V6)] {
        let Some(resolved) = resolved_absent(ip, 0) else {
            continue;
        };
        let options = ListenOptions::new().freebind(FreeBind::Never);
        assert_eq!(ListenOptions::new(), options, "Never is the default");
        for err in [
            resolved.listen_with(&options).expect_err("not assigned"),
            resolved.bind_udp_with(&options).expect_err("not assigned"),
        ] {
            assert_eq!(err.kind(), ErrorKind::AddrNotAvailable, "{err}");
            assert_eq!(err.kind().as_str(), "addr_not_available");
            let Error::AddrNotAvailable {
                addr,
                phase,
                source,
            } = &err
            else {
                panic!("expected Error::AddrNotAvailable (bind phase), got {err:?}")
            };
            assert_eq!(*addr, SocketAddr::new(ip, 0));
            assert_eq!(*phase, Phase::Bind);
            assert_eq!(source.kind(), IoKind::AddrNotAvailable);
            assert_eq!(
                err.to_string(),
                format!(
                    "{} cannot be bound now: the address is not assigned to this machine (it \
                     was removed since it was checked, or IPv6 duplicate address detection has \
                     not finished) (EADDRNOTAVAIL at bind()); check `ip addr`, and for a server \
                     whose address is assigned later (DHCP, keepalived), set \
                     ListenOptions::freebind",
                    SocketAddr::new(ip, 0)
                )
            );
        }
    }
}

#[test]
fn freebind_on_addr_not_available_binds_and_warns() {
    for ip in [IpAddr::V4(ABSENT_V4), IpAddr::V6(ABSENT_V6)] {
        let Some(resolved) = resolved_absent(ip, 0) else {
            continue;
        };
        let options = ListenOptions::new().freebind(FreeBind::OnAddrNotAvailable);
        assert_eq!(options.get_freebind(), FreeBind::OnAddrNotAvailable);
        let listeners = resolved.listen_with(&options).expect("freebind retry");
        let port = listeners.port();
        assert_ne!(port, 0);
        assert_eq!(listeners.local_addrs(), [SocketAddr::new(ip, port)]);
        let socket = SockRef::from(&listeners.sockets()[0]);
        assert!(freebind_opt(socket, ip), "the retry set IP_FREEBIND");
        let freebinds: Vec<&Warning> = listeners
            .warnings()
            .iter()
            .filter(|w| w.kind() == "freebind")
            .collect();
        assert!(
            matches!(freebinds.as_slice(), [Warning::FreeBind { addr }] if addr.ip() == ip),
            "one freebind warning: {:?}",
            listeners.warnings()
        );
        assert!(
            !listeners.warnings().contains(&Warning::EphemeralPort),
            "{:?}",
            listeners.warnings()
        );

        let udp = resolved
            .bind_udp_with(&options)
            .expect("udp freebind retry");
        assert!(
            udp.warnings()
                .iter()
                .any(|w| matches!(w, Warning::FreeBind { addr } if addr.ip() == ip)),
            "{:?}",
            udp.warnings()
        );
    }
}

/// The warning is made after bind, so it can name the port the OS picked, as
/// [`bindpolicy::Bound::local_addrs`] and the exposure do.
#[test]
fn freebind_warning_names_the_bound_port() {
    let Some(resolved) = resolved_absent(IpAddr::V4(ABSENT_V4), 0) else {
        return;
    };
    let listeners = resolved
        .listen_with(&ListenOptions::new().freebind(FreeBind::OnAddrNotAvailable))
        .expect("freebind retry");
    let bound = listeners.local_addrs()[0];
    assert!(
        listeners
            .warnings()
            .contains(&Warning::FreeBind { addr: bound }),
        "{:?} should name {bound}",
        listeners.warnings()
    );
}

#[test]
fn freebind_always_binds_without_warning() {
    for ip in [IpAddr::V4(ABSENT_V4), IpAddr::V6(ABSENT_V6)] {
        let Some(resolved) = resolved_absent(ip, 0) else {
            continue;
        };
        let options = ListenOptions::new().freebind(FreeBind::Always);
        let listeners = resolved.listen_with(&options).expect("freebind always");
        assert_eq!(listeners.local_addrs()[0].ip(), ip);
        assert!(freebind_opt(SockRef::from(&listeners.sockets()[0]), ip));
        assert!(
            listeners.warnings().is_empty(),
            "no warning: {:?}",
            listeners.warnings()
        );
        let udp = resolved.bind_udp_with(&options).expect("udp freebind");
        assert!(udp.warnings().is_empty(), "{:?}", udp.warnings());
    }
    // On an address the machine has, Always sets the option and the bind is ordinary.
    let here = listen_with(
        "127.0.0.1:0",
        &ListenOptions::new().freebind(FreeBind::Always),
    );
    assert!(freebind_opt(
        SockRef::from(&here.sockets()[0]),
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    ));
    let plain = listen("127.0.0.1:0");
    assert!(!freebind_opt(
        SockRef::from(&plain.sockets()[0]),
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    ));
}

#[test]
fn a_fixed_port_on_an_absent_address_keeps_it() {
    // The same with a fixed port: the freebind socket really holds it.
    let probe = listen("127.0.0.1:0");
    let port = probe.port();
    drop(probe);
    let Some(resolved) = resolved_absent(IpAddr::V4(ABSENT_V4), port) else {
        return;
    };
    let listeners = resolved
        .listen_with(&ListenOptions::new().freebind(FreeBind::OnAddrNotAvailable))
        .expect("freebind retry");
    assert_eq!(listeners.local_addrs(), [v4(ABSENT_V4, port)]);
    assert!(
        listeners.warnings().contains(&Warning::FreeBind {
            addr: v4(ABSENT_V4, port)
        }),
        "{:?}",
        listeners.warnings()
    );
}

/// With freebind, `BindTarget::listen_with` takes an address this machine does not have yet
/// (the boot case: DHCP or keepalived assigns it later) instead of failing at resolve; without
/// it, resolve refuses the address before any bind.
#[cfg(target_os = "linux")]
#[test]
fn freebind_lets_listen_with_take_an_unassigned_address() {
    let target: BindTarget = "198.18.99.7:0".parse().unwrap();
    let err = target.listen().unwrap_err();
    assert!(matches!(err, Error::AddrNotLocal { .. }), "{err:?}");
    let options = ListenOptions::new().freebind(FreeBind::OnAddrNotAvailable);
    let listeners = target.listen_with(&options).unwrap();
    let bound = listeners.local_addrs()[0];
    assert_eq!(bound.ip().to_string(), "198.18.99.7");
    assert_ne!(bound.port(), 0);
    assert_eq!(listeners.warnings(), [Warning::FreeBind { addr: bound }]);
    let udp = target.bind_udp_with(&options).unwrap();
    assert_eq!(udp.local_addrs()[0].ip().to_string(), "198.18.99.7");
}
