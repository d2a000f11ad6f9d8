//! A blocking HTTP server on every socket of a target, with std only: no threads, no async
//! runtime, no extra dependency. `Listeners::incoming()` waits on all the sockets at once
//! (poll(2)) and says which one took each connection.
//!
//! `cargo run --example std_server -- [TARGET] [--count N]`
//!
//! e.g. `cargo run --example std_server -- localhost:8080`, then `curl http://127.0.0.1:8080`
//! and `curl 'http://[::1]:8080'`: both answer. With `--count N` it stops after N requests,
//! closes every socket and exits 0.
use std::io::{BufRead, BufReader, Write};

use bindpolicy::{Accepted, BindTarget};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut target: BindTarget = BindTarget::loopback(8080);
    let mut count: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--count" => count = Some(args.next().ok_or("--count needs a number")?.parse()?),
            _ => target = arg.parse()?,
        }
    }

    // The glue: bind every address of the target, then one loop over all of them.
    let listeners = target.listen()?;
    announce(&listeners);
    for (served, accepted) in listeners.incoming().enumerate() {
        match accepted {
            Ok(accepted) => {
                if let Err(err) = respond(accepted) {
                    eprintln!("request failed: {err}");
                }
            }
            Err(err) => eprintln!("accept failed: {err}"),
        }
        if Some(served + 1) == count {
            break;
        }
    }
    Ok(())
}

fn announce(listeners: &bindpolicy::Listeners) {
    for url in listeners.exposure().urls("http") {
        println!("listening on {url}");
    }
    for warning in listeners.warnings() {
        eprintln!("warning [{}]: {warning}", warning.kind());
    }
}

/// Reads the request head and answers with who the client is and where it arrived.
fn respond(accepted: Accepted) -> std::io::Result<()> {
    let Accepted {
        stream,
        peer,
        index,
        ..
    } = accepted;
    let local = stream.local_addr()?;
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 && !line.trim_end().is_empty() {
        line.clear();
    }
    let body = format!("hello {peer}, you reached {local} (listener {index})\n");
    println!("served {peer} on {local}");
    write!(
        &stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    (&stream).flush()?;
    stream
        .shutdown(std::net::Shutdown::Write)
        .or_else(ignore_disconnect)
}

fn ignore_disconnect(err: std::io::Error) -> std::io::Result<()> {
    match err.kind() {
        std::io::ErrorKind::NotConnected => Ok(()),
        _ => Err(err),
    }
}
