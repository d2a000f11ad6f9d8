//! Connects COUNT times from SOURCE to a listener of its own on 127.0.0.1, for tracing.
//!
//! `cargo run --example connect_loop -- SOURCE [COUNT]`, e.g. to check the cost rule (no
//! interface enumeration for a `port:`, wildcard, loopback or literal source):
//!
//! ```text
//! cargo build --example connect_loop
//! strace -f -e trace=socket,setsockopt target/debug/examples/connect_loop port:40000-40100 100 \
//!     2>&1 | grep -c 'socket(AF_NETLINK'      # 0
//! strace -f -e trace=socket,setsockopt target/debug/examples/connect_loop lo:0 3 \
//!     2>&1 | grep -c 'socket(AF_NETLINK'      # 3: an interface name is looked up
//! ```
//!
//! With FILL, FILL connections from SOURCE are opened first and kept open while the COUNT
//! connects run (`connect_loop port:41000-41999 1000 900`: syscalls per connect at 900 live
//! connections of the range, by subtracting a run with COUNT 0).
//!
//! Each connection is closed with SO_LINGER 0 (an RST), so a rerun finds no TIME_WAIT entries.
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use bindpolicy::BindTarget;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(source) = args.next() else {
        eprintln!("usage: connect_loop SOURCE [COUNT [FILL]]");
        return ExitCode::from(2);
    };
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let source: BindTarget = source.parse()?;
        let count: u32 = args.next().as_deref().unwrap_or("100").parse()?;
        let fill: u32 = args.next().as_deref().unwrap_or("0").parse()?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let remote = listener.local_addr()?;
        let mut open = Vec::new();
        for _ in 0..fill {
            let stream = source.connect(remote)?;
            open.push((stream, listener.accept()?.0));
        }
        for _ in 0..count {
            let stream = source.connect(remote)?;
            let (server, _) = listener.accept()?;
            socket2::SockRef::from(&server).set_linger(Some(Duration::ZERO))?;
            drop(server);
            drop(stream);
        }
        println!(
            "{count} connections from {source} to {remote} ({} kept open)",
            open.len()
        );
        Ok(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
