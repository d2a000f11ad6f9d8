//! Opens and closes N listening sockets on 127.0.0.1:0, for counting syscalls with `strace -f -c`: `cargo run --release --example listen_loop -- MODE N [TARGET]`, TARGET (bindpolicy modes only) 127.0.0.1:0 unless given, MODE one of `resolved` (bindpolicy, resolved once), `resolve` (bindpolicy, resolving each time), `socket2` (the raw sequence), `socket2-port` (the raw sequence plus getsockname), `std`.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::ExitCode;

use bindpolicy::BindTarget;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

fn raw(addr: &SockAddr, learn_port: bool) -> std::io::Result<u16> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(addr)?;
    socket.listen(1024)?;
    if learn_port {
        return Ok(socket.local_addr()?.as_socket().map_or(0, |a| a.port()));
    }
    Ok(0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(count)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<u32>().ok()),
    ) else {
        eprintln!("usage: listen_loop resolved|resolve|socket2|socket2-port|std N [TARGET]");
        return ExitCode::FAILURE;
    };
    let target: BindTarget = match args.get(2).map_or("127.0.0.1:0", String::as_str).parse() {
        Ok(target) => target,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let addr = SockAddr::from(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    let resolved = (mode == "resolved").then(|| target.resolve().expect("resolve"));
    let mut ports: u64 = 0;
    for _ in 0..count {
        let port = match mode.as_str() {
            "resolved" => resolved
                .as_ref()
                .map(|r| r.listen().map(|l| l.port()).map_err(Into::into)),
            "resolve" => Some(target.listen().map(|l| l.port()).map_err(Into::into)),
            "socket2" => Some(raw(&addr, false)),
            "socket2-port" => Some(raw(&addr, true)),
            "std" => Some(
                TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map(|a| a.port()),
            ),
            _ => None,
        };
        match port {
            Some(Ok(port)) => ports += u64::from(port),
            Some(Err(err)) => {
                let err: std::io::Error = err;
                eprintln!("listen failed: {err}");
                return ExitCode::FAILURE;
            }
            None => {
                eprintln!("unknown mode {mode:?}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{mode}: {count} listens (port sum {ports})");
    ExitCode::SUCCESS
}
