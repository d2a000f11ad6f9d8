//! A small HTTP server over std whose listen section comes from a TOML file: it lints, checks
//! the policy and binds every target (all or nothing), prints its URLs and warnings, and
//! answers each connection with one line, one thread per listening socket.
//!
//! `cargo run --example server --features serde -- [CONFIG] [--count N]`
//!
//! CONFIG defaults to examples/server.toml. With `--count N` the server exits after N
//! connections, e.g. `cargo run --example server --features serde -- --count 1` and then
//! `curl http://localhost:8080` in another terminal.
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use bindpolicy::{ListenConfig, Listeners};

const DEFAULT_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/server.toml");

fn main() -> ExitCode {
    let (path, count) = match args() {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("{usage}\nusage: server [CONFIG] [--count N]");
            return ExitCode::from(2);
        }
    };
    let config: ListenConfig = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| toml::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{path}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let bound = match config.listen() {
        Ok(bound) => bound,
        Err(err) => {
            eprintln!("error [{}]: {err}", err.kind());
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            return ExitCode::FAILURE;
        }
    };
    for listeners in &bound {
        for url in listeners.exposure().urls("http") {
            println!("listening on {url}");
        }
        for warning in listeners.warnings() {
            eprintln!("warning [{}]: {warning}", warning.kind());
        }
    }

    let (done, served) = mpsc::channel();
    for listener in bound.into_iter().flat_map(Listeners::into_sockets) {
        let done = done.clone();
        std::thread::spawn(move || serve(listener, &done));
    }
    drop(done);
    for (n, result) in served.iter().enumerate() {
        match result {
            Ok(peer) => println!("served {peer}"),
            Err(err) => eprintln!("connection failed: {err}"),
        }
        if Some(n + 1) == count {
            break;
        }
    }
    ExitCode::SUCCESS
}

/// `[CONFIG] [--count N]`.
fn args() -> Result<(String, Option<usize>), String> {
    let mut path = None;
    let mut count = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--count" {
            let n = args.next().ok_or("--count needs a number")?;
            count = Some(
                n.parse()
                    .map_err(|_| format!("--count {n}: not a number"))?,
            );
        } else if path.is_none() {
            path = Some(arg);
        } else {
            return Err(format!("unexpected argument {arg:?}"));
        }
    }
    Ok((path.unwrap_or_else(|| DEFAULT_CONFIG.to_owned()), count))
}

/// Accepts forever, reporting each connection on `done`.
fn serve(listener: TcpListener, done: &mpsc::Sender<io::Result<SocketAddr>>) {
    // The config may ask for nonblocking sockets; this server blocks in accept.
    if let Err(err) = listener.set_nonblocking(false) {
        eprintln!("listener: {err}");
        return;
    }
    loop {
        let result = listener
            .accept()
            .and_then(|(stream, peer)| respond(&stream).map(|()| peer));
        if done.send(result).is_err() {
            return;
        }
    }
}

/// Reads the request head and answers with one line.
fn respond(stream: &TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 && !line.trim_end().is_empty() {
        line.clear();
    }
    let body = "hello from bindpolicy\n";
    let mut writer = stream;
    write!(
        writer,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    writer.flush()
}
