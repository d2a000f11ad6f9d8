//! Who holds a port, as `addr_in_use` names it: the socket from sock_diag (every state, IPv4-
//! mapped addresses as IPv4) and its process from /proc/PID/fd. Each case runs in a namespace
//! of its own, on loopback, so no other program's sockets are in the way. Without root or `ip`
//! every test prints SKIPPED, unless `BINDPOLICY_REQUIRE_NETNS=1`.

mod support;
use support::netns::{Netns, require_netns};
use support::values::target;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use bindpolicy::{Error, ErrorKind, PortHolder, SocketState};
use socket2::{Domain, SockAddr, Socket, Type};

const SERVER: u16 = 5000;

fn comm() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .expect("comm")
        .trim()
        .to_owned()
}

/// `listen` on `addr` must fail with `addr_in_use`; its holder.
fn holder_of_busy(addr: SocketAddr) -> (PortHolder, String) {
    let err = target(&addr.to_string())
        .listen()
        .expect_err("the port is held");
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    let text = err.to_string();
    let Error::AddrInUse { holder, .. } = err else {
        unreachable!()
    };
    (*holder.expect("the holder is found"), text)
}

/// A connection's own ephemeral port blocks a listener on it (the connect's automatic bind
/// did not set SO_REUSEADDR): the holder is the connected socket, with its peer.
#[test]
fn a_connected_socket_is_named_with_its_peer() {
    require_netns!();
    Netns::new("holders").run(|| {
        let server = TcpListener::bind((Ipv4Addr::LOCALHOST, SERVER)).expect("listen");
        let client = TcpStream::connect(server.local_addr().unwrap()).expect("connect");
        let local = client.local_addr().unwrap();
        let (holder, text) = holder_of_busy(local);
        assert_eq!(holder.local, local);
        assert_eq!(holder.remote, Some(server.local_addr().unwrap()));
        assert_eq!(holder.state, SocketState::Established);
        assert_eq!(holder.pid, Some(std::process::id()));
        assert_eq!(holder.command, Some(comm()));
        assert!(
            text.ends_with(&format!(
                "held by pid {} ({}) on {local} connected to 127.0.0.1:{SERVER} (ESTAB); stop \
                 it, or pick another port",
                std::process::id(),
                comm()
            )),
            "{text}"
        );
    });
}

/// A closed connection's TIME_WAIT entry holds its port against a listener, and no process
/// holds it: the message says so, and that it frees itself.
#[test]
fn a_time_wait_entry_is_named_without_a_process() {
    require_netns!();
    Netns::new("holders").run(|| {
        let server = TcpListener::bind((Ipv4Addr::LOCALHOST, SERVER)).expect("listen");
        let client = TcpStream::connect(server.local_addr().unwrap()).expect("connect");
        let local = client.local_addr().unwrap();
        let (accepted, _) = server.accept().expect("accept");
        drop(client); // the client closes first: its end goes to TIME_WAIT
        let mut buf = [0u8; 1];
        let _ = std::io::Read::read(&mut &accepted, &mut buf);
        drop(accepted);
        wait_for_state(local, "time-wait");
        let (holder, text) = holder_of_busy(local);
        assert_eq!(holder.state, SocketState::TimeWait, "{text}");
        assert_eq!(holder.pid, None);
        assert_eq!(holder.remote, Some(server.local_addr().unwrap()));
        assert_eq!(
            text,
            format!(
                "{local} is already in use (EADDRINUSE at bind()): held by a TIME-WAIT entry of \
                 {local} connected to 127.0.0.1:{SERVER}, a closed connection that no process \
                 holds; the kernel frees it within 60 s; wait for it, or pick another port"
            )
        );
    });
}

/// A dual-stack IPv6 socket bound to `[::ffff:127.0.0.1]:P` holds 127.0.0.1:P: it is named,
/// as the IPv4 address it stands for.
#[test]
fn an_ipv4_mapped_socket_is_named_as_ipv4() {
    require_netns!();
    Netns::new("holders").run(|| {
        let socket = Socket::new(Domain::IPV6, Type::STREAM, None).expect("socket");
        socket.set_only_v6(false).expect("dual stack");
        let mapped = SocketAddr::from((Ipv4Addr::LOCALHOST.to_ipv6_mapped(), SERVER));
        socket.bind(&SockAddr::from(mapped)).expect("bind mapped");
        socket.listen(16).expect("listen");
        let (holder, text) = holder_of_busy((Ipv4Addr::LOCALHOST, SERVER).into());
        assert_eq!(
            holder.local,
            SocketAddr::from((Ipv4Addr::LOCALHOST, SERVER)),
            "{text}"
        );
        assert_eq!(holder.state, SocketState::Listen);
        assert_eq!(holder.pid, Some(std::process::id()));
        drop(socket);
    });
}

/// Another process's listener: its pid and command, from /proc/PID/fd (the holder runs
/// `python3 -c` in the namespace, so its command is `python3`).
#[test]
fn another_process_is_named_by_pid_and_command() {
    require_netns!();
    let ns = Netns::new("holders");
    let script = format!(
        "import socket,sys,time\n\
         s=socket.socket(socket.AF_INET6); s.bind(('::1',{SERVER})); s.listen(1)\n\
         print('ready', flush=True); time.sleep(30)"
    );
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns.name(), "python3", "-c", &script])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().expect("stdout")),
        &mut line,
    )
    .expect("read");
    assert_eq!(line.trim(), "ready");
    let pid = child.id();
    let result = ns.run(|| holder_of_busy((Ipv6Addr::LOCALHOST, SERVER).into()));
    // End the child by its pid, whatever the assertions say.
    let _ = child.kill();
    let _ = child.wait();
    let (holder, text) = result;
    assert_eq!(holder.pid, Some(pid), "{text}");
    assert_eq!(holder.command.as_deref(), Some("python3"), "{text}");
    assert_eq!(holder.state, SocketState::Listen);
    assert_eq!(
        holder.local,
        SocketAddr::from((Ipv6Addr::LOCALHOST, SERVER))
    );
}

/// Waits (5 s at most) until the socket on `local` is in `state` (ss's filter name).
fn wait_for_state(local: SocketAddr, state: &str) {
    let filter = format!("( sport = :{} )", local.port());
    for _ in 0..500 {
        let out = Command::new("ss")
            .args(["-tanH", "state", state, &filter])
            .output()
            .expect("ss");
        if !String::from_utf8_lossy(&out.stdout).trim().is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{local} did not reach {state}");
}
