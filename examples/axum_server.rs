//! axum on every socket of each `--listen` target (features `axum` and `clap`): one
//! `axum::serve` per target takes all its sockets, handlers see the client through
//! `ConnectInfo<Peer>`, and Ctrl-C shuts down gracefully (requests in flight finish, then every
//! socket closes).
//!
//! `cargo run --example axum_server --features axum,clap -- [--listen TARGET]... [options]`
//!
//! e.g. `--listen localhost:3000` (the default), then `curl http://127.0.0.1:3000` and
//! `curl 'http://[::1]:3000'`. `--help` shows the target grammar and the listen options;
//! `--listen port:40000` is a usage error (exit 2). `GET /slow?ms=N` answers after N
//! milliseconds, to watch a graceful shutdown wait for it.
use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Query};
use axum::routing::get;
use bindpolicy::{ListenArgs, Listeners, Peer, TokioListeners};
use clap::Parser;

/// An axum server on every socket of each target.
#[derive(Parser, Debug)]
#[command(mut_arg("listen", |arg| arg.default_value("localhost:3000")))]
struct Args {
    #[command(flatten)]
    listen: ListenArgs,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    // The glue: bind every target (all or nothing), then one `axum::serve` per target, all
    // stopped by one Ctrl-C.
    let (stop, stopped) = tokio::sync::watch::channel(());
    let mut servers = tokio::task::JoinSet::new();
    for listeners in args.listen.config().listen()? {
        announce(&listeners);
        let mut stopped = stopped.clone();
        let shutdown = async move { stopped.changed().await.unwrap_or(()) };
        servers.spawn(serve(listeners.into_tokio()?, app(), shutdown));
    }
    tokio::signal::ctrl_c().await?;
    println!("shutting down");
    drop(stop);
    while let Some(result) = servers.join_next().await {
        result??;
    }
    println!("stopped");
    Ok(())
}

/// Serves `app` on every socket of `listeners` until `shutdown` completes, then lets the
/// requests in flight finish; returns when every connection is closed.
pub async fn serve(
    listeners: TokioListeners,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listeners, app.into_make_service_with_connect_info::<Peer>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// The routes: `/` greets the client by address, `/slow?ms=N` answers after N ms.
pub fn app() -> Router {
    Router::new()
        .route("/", get(hello))
        .route("/slow", get(slow))
}

async fn hello(ConnectInfo(peer): ConnectInfo<Peer>) -> String {
    println!("served {} on {}", peer.addr, peer.local);
    format!("hello {}, you reached {}\n", peer.addr, peer.local)
}

#[derive(serde::Deserialize)]
struct Slow {
    ms: u64,
}

async fn slow(ConnectInfo(peer): ConnectInfo<Peer>, Query(slow): Query<Slow>) -> String {
    println!("slow request from {}", peer.addr);
    tokio::time::sleep(Duration::from_millis(slow.ms)).await;
    format!("slow hello {}, after {} ms\n", peer.addr, slow.ms)
}

fn announce(listeners: &Listeners) {
    for url in listeners.exposure().urls("http") {
        println!("listening on {url}");
    }
    for warning in listeners.warnings() {
        eprintln!("warning [{}]: {warning}", warning.kind());
    }
}
