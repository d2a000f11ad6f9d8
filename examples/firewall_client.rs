//! Connects from a pinned source port, falling back to a range, and prints `local -> remote`.
//!
//! `cargo run --example firewall_client -- REMOTE [SOURCE]`, e.g.
//! `cargo run --example firewall_client -- 127.0.0.1:8080 port:40000-40010`.
use std::process::ExitCode;

use bindpolicy::{BindTarget, ErrorKind};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(remote), source) = (args.next(), args.next()) else {
        eprintln!("usage: firewall_client REMOTE [SOURCE]");
        return ExitCode::from(2);
    };
    let result = (|| -> Result<String, Box<dyn std::error::Error>> {
        let remote = remote.parse()?;
        let source: BindTarget = source.as_deref().unwrap_or("port:40000").parse()?;
        let stream = match source.connect(remote) {
            // The pinned port is busy or in TIME_WAIT: widen to a range around it.
            Err(err)
                if source.ports().len() == 1
                    && matches!(err.kind(), ErrorKind::AddrInUse | ErrorKind::TimeWait) =>
            {
                let first = source.port();
                let range = format!("port:{first}-{}", first.saturating_add(10));
                eprintln!("{err}\nretrying from {range}");
                range.parse::<BindTarget>()?.connect(remote)?
            }
            other => other?,
        };
        Ok(format!(
            "{} -> {}",
            stream.local_addr()?,
            stream.peer_addr()?
        ))
    })();
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}
