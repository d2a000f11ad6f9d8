//! hyper 1 on every socket of a target (feature `tokio`): HTTP/1 and HTTP/2 through
//! hyper-util's auto builder, one accept loop over all the sockets
//! (`TokioListeners::accept`), and a graceful shutdown on Ctrl-C (requests in flight finish,
//! then every socket closes).
//!
//! `cargo run --example hyper_server --features tokio -- [TARGET]`
//!
//! e.g. `cargo run --example hyper_server --features tokio -- localhost:8080`, then
//! `curl http://127.0.0.1:8080`, `curl --http2-prior-knowledge 'http://[::1]:8080'`.
//! `GET /slow?ms=N` answers after N milliseconds.
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bindpolicy::{Accepted, BindTarget, TokioListeners};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;

/// Requests being answered right now (printed at shutdown).
pub static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target: BindTarget = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => BindTarget::loopback(8080),
    };
    let listeners = target.listen()?;
    for url in listeners.exposure().urls("http") {
        println!("listening on {url}");
    }
    for warning in listeners.warnings() {
        eprintln!("warning [{}]: {warning}", warning.kind());
    }
    serve(listeners.into_tokio()?, async {
        tokio::signal::ctrl_c().await.unwrap_or(());
        let in_flight = IN_FLIGHT.load(Ordering::SeqCst);
        println!("shutting down, {in_flight} requests in flight");
    })
    .await;
    println!("stopped");
    Ok(())
}

/// Serves every socket of `listeners` until `shutdown` completes, then closes them, lets the
/// requests in flight finish and returns when every connection is closed.
pub async fn serve(listeners: TokioListeners, shutdown: impl Future<Output = ()>) {
    let builder = Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listeners.accept() => accepted,
            () = &mut shutdown => break,
        };
        let Accepted { stream, peer, .. } = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                eprintln!("accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let local = stream.local_addr().unwrap_or(peer);
        let service = service_fn(move |request| respond(request, peer, local));
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                eprintln!("connection from {peer} failed: {err}");
            }
        });
    }
    drop(listeners);
    graceful.shutdown().await;
}

/// `/` greets the client by address; `/slow?ms=N` answers after N ms.
async fn respond(
    request: Request<Incoming>,
    peer: SocketAddr,
    local: SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
    let version = request.version();
    let body = if request.uri().path() == "/slow" {
        let ms: u64 = request
            .uri()
            .query()
            .and_then(|q| q.strip_prefix("ms="))
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(0);
        println!("slow request from {peer}");
        tokio::time::sleep(Duration::from_millis(ms)).await;
        format!("slow hello {peer}, after {ms} ms\n")
    } else {
        println!("served {peer} on {local} over {version:?}");
        format!("hello {peer}, you reached {local} over {version:?}\n")
    };
    IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    Ok(Response::new(Full::new(Bytes::from(body))))
}
