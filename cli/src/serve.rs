//! `listen`: bind for real through the library, then answer each connection or datagram with
//! one line, until `--count` of them or until the default SIGINT (Ctrl-C) ends the process.
//!
//! One thread waits on every socket at once (`Listeners::accept`, `UdpSockets::recv_from`:
//! poll(2), fair between the sockets), prints what arrives and answers, one at a time, so that
//! `--count N` is exact: the process exits 0 right after answering the Nth.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use bindpolicy::{BindTarget, Bound, Inherit, ListenOptions, Resolved};
use serde_json::json;

use crate::output::{self, Failure, Table, paint};

/// How long to wait for a client to speak first (an HTTP client does; `nc` may not).
const FIRST_READ: Duration = Duration::from_millis(500);

/// The largest request head read before answering.
const MAX_REQUEST: usize = 16 * 1024;

/// Request methods that mark a client as HTTP, which then gets an HTTP response.
const HTTP_METHODS: [&[u8]; 7] = [
    b"GET ",
    b"HEAD ",
    b"POST ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
];

/// After a failed accept or receive, the pause before the next, so that a persistent error
/// (EMFILE) does not spin the CPU.
const PAUSE_AFTER_FAILURE: Duration = Duration::from_millis(100);

/// `--wait`: waits for the target's addresses. With `--json`, one `waiting` event per check
/// that found something missing; on a terminal, one status line on standard error, rewritten
/// in place at each check and cleared at the end; otherwise silent until the result.
pub fn wait(target: &BindTarget, timeout: Duration, json: bool) -> Result<Resolved, Failure> {
    use std::io::IsTerminal;
    let terminal = !json && std::io::stderr().is_terminal();
    // The status line's width so far: a shorter line is padded to cover it, and the end
    // blanks it (spaces, not escape codes, which NO_COLOR strips).
    let mut width: usize = 0;
    let result = target.wait_reporting(timeout, |missing, elapsed| {
        let what: Vec<String> = missing.iter().map(ToString::to_string).collect();
        if json {
            let _ = output::print_json(&json!({
                "event": "waiting",
                "target": target,
                "missing": what,
                "elapsed_ms": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                "timeout_ms": u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            }));
        } else if terminal {
            let line = format!(
                "waiting for {target}: {}, {:.1} s",
                what.join("; "),
                elapsed.as_secs_f64()
            );
            let len = line.chars().count();
            output::eprint(&format!(
                "\r{line}{}",
                " ".repeat(width.saturating_sub(len))
            ));
            width = width.max(len);
        }
    });
    if width > 0 {
        output::eprint(&format!("\r{}\r", " ".repeat(width)));
    }
    Ok(result?)
}

/// Runs `listen`: binds, prints the `listening` event, then serves.
pub fn listen(
    target: &BindTarget,
    options: &ListenOptions,
    udp: bool,
    inherit: Inherit,
    count: Option<u64>,
    wait: Option<Duration>,
    json: bool,
) -> Result<(), Failure> {
    let options = options.clone().inherit(inherit);
    // An `fd:` target has nothing to resolve or wait for: the listen takes the socket.
    let resolved = match wait {
        _ if target.is_inherited() => None,
        Some(timeout) => Some(self::wait(target, timeout, json)?),
        None => Some(target.resolve()?),
    };
    let mut served: u64 = 0;
    if udp {
        let sockets = match &resolved {
            Some(resolved) => resolved.bind_udp_with(&options)?,
            None => target.bind_udp_with(&options)?,
        };
        announce(&sockets, "udp", count, json)?;
        let mut buf = vec![0u8; 65536];
        while count != Some(served) {
            let received = match sockets.recv_from(&mut buf) {
                Ok(received) => received,
                Err(error) => {
                    failed("receiving", &error);
                    continue;
                }
            };
            let (local, peer) = (received.local, received.peer);
            let data = buf.get(..received.len).unwrap_or_default();
            let text = String::from_utf8_lossy(data);
            if json {
                output::print_json(&json!({
                    "event": "received",
                    "local": local.to_string(),
                    "peer": peer.to_string(),
                    "bytes": data.len(),
                    "text": text,
                }))?;
            } else {
                output::print(&format!(
                    "{} {} bytes from {} on {local}: {:?}\n",
                    paint::green("received"),
                    data.len(),
                    paint::cyan(&peer.to_string()),
                    text.trim_end()
                ))?;
            }
            if let Some(socket) = sockets.sockets().get(received.index) {
                let _ = socket.send_to(greeting(local, peer).as_bytes(), peer);
            }
            served += 1;
        }
    } else {
        let listeners = match &resolved {
            Some(resolved) => resolved.listen_with(&options)?,
            None => target.listen_with(&options)?,
        };
        announce(&listeners, "tcp", count, json)?;
        while count != Some(served) {
            let accepted = match listeners.accept() {
                Ok(accepted) => accepted,
                Err(error) => {
                    failed("accepting", &error);
                    continue;
                }
            };
            let peer = accepted.peer;
            let local = accepted
                .stream
                .local_addr()
                .unwrap_or(accepted.listener_addr);
            if json {
                output::print_json(&json!({
                    "event": "accepted",
                    "local": local.to_string(),
                    "peer": peer.to_string(),
                }))?;
            } else {
                output::print(&format!(
                    "{} connection from {} on {local}\n",
                    paint::green("accepted"),
                    paint::cyan(&peer.to_string())
                ))?;
            }
            answer_tcp(accepted.stream, local, peer);
            served += 1;
        }
    }
    Ok(())
}

/// Reports a failed accept or receive, then pauses.
fn failed(what: &str, error: &std::io::Error) {
    output::eprint(&format!(
        "{} {what} failed: {error}\n",
        paint::yellow("warning:")
    ));
    thread::sleep(PAUSE_AFTER_FAILURE);
}

/// Prints the `listening` event: the bound addresses, the URLs, who can connect, the warnings.
fn announce<S>(
    bound: &Bound<S>,
    transport: &str,
    count: Option<u64>,
    json: bool,
) -> Result<(), Failure> {
    let scheme = if transport == "udp" { "udp" } else { "http" };
    let addrs: Vec<String> = bound
        .local_addrs()
        .iter()
        .map(ToString::to_string)
        .collect();
    let urls = bound.exposure().urls(scheme);
    if json {
        output::print_json(&json!({
            "event": "listening",
            "transport": transport,
            "target": bound.target(),
            "addresses": addrs,
            "inherited_fds": bound.inherited_fds(),
            "urls": urls,
            "exposure": bound.exposure().reach(),
            "warnings": bound.warnings(),
            "count": count,
        }))?;
        return Ok(());
    }
    let mut table = Table::new();
    for (i, addr) in addrs.iter().enumerate() {
        let key = if i == 0 { "listening on" } else { "" };
        let how = match bound.inherited_fds().get(i) {
            Some(fd) => format!("{}, inherited fd {fd}", transport.to_uppercase()),
            None => transport.to_uppercase(),
        };
        table.row_painted(&[key, &format!("{addr} ({how})")], paint::cyan);
    }
    for (i, url) in urls.iter().enumerate() {
        let key = if i == 0 { "urls" } else { "" };
        table.row_painted(&[key, url], paint::cyan);
    }
    table.row(&["exposure", &bound.exposure().to_string()]);
    let unit = if transport == "udp" {
        "datagram"
    } else {
        "connection"
    };
    let stops = match count {
        Some(1) => format!("after 1 {unit}, or on Ctrl-C"),
        Some(n) => format!("after {n} {unit}s, or on Ctrl-C"),
        None => "on Ctrl-C".to_owned(),
    };
    table.row(&["stops", &stops]);
    let mut text = table.render();
    text.push_str(&output::warnings_text(bound.warnings()));
    output::print(&text)?;
    Ok(())
}

/// The line written back to each client.
fn greeting(local: SocketAddr, peer: SocketAddr) -> String {
    format!("hello from bindpolicy: you are {peer}, connected to {local}\n")
}

/// Whether the bytes start with an HTTP request line.
fn is_http(head: &[u8]) -> bool {
    HTTP_METHODS.iter().any(|m| head.starts_with(m))
}

/// Answers one connection: waits briefly for the client to speak, then writes the greeting, as
/// an HTTP response to an HTTP client (so `curl` prints it) and as a bare line otherwise (so
/// `nc` prints it), and closes. Failures of a client that went away are ignored.
fn answer_tcp(mut stream: TcpStream, local: SocketAddr, peer: SocketAddr) {
    let _ = stream.set_read_timeout(Some(FIRST_READ));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    let started = Instant::now();
    while let Ok(n) = stream.read(&mut chunk) {
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
        let done = !is_http(&head)
            || head.windows(4).any(|w| w == b"\r\n\r\n")
            || head.len() > MAX_REQUEST
            || started.elapsed() > FIRST_READ;
        if done {
            break;
        }
    }
    let line = greeting(local, peer);
    let reply = if is_http(&head) {
        format!(
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \
             {}\r\nConnection: close\r\n\r\n{line}",
            line.len()
        )
    } else {
        line
    };
    if stream.write_all(reply.as_bytes()).is_err() {
        return;
    }
    let _ = stream.shutdown(Shutdown::Write);
    // Read what the client still sends until it closes (briefly): closing a socket with unread
    // data makes the kernel send a reset, which can destroy the reply before it is read.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}
