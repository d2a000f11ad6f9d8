//! The server example on tokio (feature `tokio`), with its targets from the command line or
//! the environment, as a container platform hands them out: each TARGET argument, else
//! `APP_BIND`, else `*:$PORT` from `PORT`, else `localhost:8080`. It lints and binds the whole
//! set (all or nothing), prints its URLs and warnings, moves each target's listeners into tokio
//! with `Listeners::into_tokio` and answers each connection with one line: one task per target,
//! accepting on all of its sockets (`TokioListeners::accept`).
//!
//! `cargo run --example tokio_server --features tokio -- [TARGET...] [--count N]`
//!
//! e.g. `PORT=8080 cargo run --example tokio_server --features tokio -- --count 1`, then
//! `curl http://127.0.0.1:8080`. With `--count N` it exits after N connections.
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::mpsc;

use bindpolicy::{Accepted, BindTarget, ErrorKind, ListenConfig, TokioListeners};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            let mut source = err.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut targets = Vec::new();
    let mut count: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--count" {
            count = Some(args.next().ok_or("--count needs a number")?.parse()?);
        } else {
            targets.push(arg.parse::<BindTarget>()?);
        }
    }
    if targets.is_empty() {
        targets.push(from_environment()?);
    }

    let config = ListenConfig::new(targets);
    // A std channel: its sender never blocks, and one blocking thread counts for `--count`.
    let (done, served) = mpsc::channel();
    for bound in config.listen()? {
        for url in bound.exposure().urls("http") {
            println!("listening on {url}");
        }
        for warning in bound.warnings() {
            eprintln!("warning [{}]: {warning}", warning.kind());
        }
        tokio::spawn(serve(bound.into_tokio()?, done.clone()));
    }
    drop(done);
    let counter = tokio::task::spawn_blocking(move || {
        for (n, result) in served.iter().enumerate() {
            match result {
                Ok(peer) => println!("served {peer}"),
                Err(err) => eprintln!("connection failed: {err}"),
            }
            if Some(n + 1) == count {
                return;
            }
        }
    });
    counter.await?;
    Ok(())
}

/// `APP_BIND`, else `*:$PORT`, else `localhost:8080`; a variable that is set but invalid is an
/// error, never silently replaced by the default.
fn from_environment() -> Result<BindTarget, bindpolicy::ConfigError> {
    match BindTarget::from_env("APP_BIND") {
        Err(err) if err.kind() == ErrorKind::EnvNotSet => {}
        other => return other,
    }
    match BindTarget::from_port_env("PORT") {
        Err(err) if err.kind() == ErrorKind::EnvNotSet => Ok(BindTarget::loopback(8080)),
        other => other,
    }
}

/// Accepts on every socket of one target forever; each connection in its own task, reported
/// on `done`.
async fn serve(listeners: TokioListeners, done: mpsc::Sender<io::Result<SocketAddr>>) {
    loop {
        let Accepted { stream, peer, .. } = match listeners.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                if done.send(Err(err)).is_err() {
                    return;
                }
                continue;
            }
        };
        let done = done.clone();
        tokio::spawn(async move {
            let _ = done.send(respond(stream).await.map(|()| peer));
        });
    }
}

/// Reads the request head and answers with one line.
async fn respond(stream: TcpStream) -> io::Result<()> {
    let mut stream = BufReader::new(stream);
    let mut line = String::new();
    while stream.read_line(&mut line).await? > 0 && !line.trim_end().is_empty() {
        line.clear();
    }
    let body = "hello from bindpolicy on tokio\n";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.get_mut().write_all(response.as_bytes()).await?;
    stream.get_mut().shutdown().await
}
