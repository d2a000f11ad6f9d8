//! Graceful shutdown of the example servers, in this process so that its file descriptors can
//! be counted (tests/support/fds.rs): the examples' own `serve` functions (axum and hyper) are
//! started on `localhost:0`, a request is held in flight, shutdown is triggered, and then:
//! every socket of the target stops accepting (connect is refused), the request in flight
//! still completes, `serve` returns, and no file descriptor remains. The same for the blocking
//! merged accept. One `#[test]` only: fd counts are process-wide.
#![cfg(all(feature = "axum", feature = "clap"))]

mod support;
use support::fds;
use support::values::target;

#[path = "../examples/axum_server.rs"]
#[allow(dead_code)]
mod axum_server;
#[path = "../examples/hyper_server.rs"]
#[allow(dead_code)]
mod hyper_server;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Notify, oneshot};

/// Bound for the sockets to close after shutdown (generous: the suite runs in parallel).
const WAIT: Duration = Duration::from_secs(30);

/// Waits (bounded) until nothing accepts on any of `addrs`.
fn wait_refused(addrs: &[SocketAddr]) {
    let deadline = Instant::now() + WAIT;
    for addr in addrs {
        loop {
            match TcpStream::connect_timeout(addr, Duration::from_secs(5)) {
                Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => break,
                _ => {
                    assert!(
                        Instant::now() < deadline,
                        "{addr} still accepts after shutdown"
                    );
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    }
}

/// A raw HTTP/1.1 GET with `Connection: close`; the whole response.
async fn get_raw(addr: SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

async fn axum_graceful() {
    let listeners = target("localhost:0")
        .listen()
        .unwrap()
        .into_tokio()
        .unwrap();
    let addrs = listeners.local_addrs().to_vec();
    assert_eq!(addrs.len(), 2, "{addrs:?}");
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let (entered_h, release_h) = (Arc::clone(&entered), Arc::clone(&release));
    let app = axum_server::app().route(
        "/hold",
        get(move || {
            let (entered, release) = (Arc::clone(&entered_h), Arc::clone(&release_h));
            async move {
                entered.notify_one();
                release.notified().await;
                "held to the end\n"
            }
        }),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(axum_server::serve(listeners, app, async {
        stopped.await.unwrap_or(());
    }));
    // Every socket answers, with the client's address.
    for addr in &addrs {
        let response = get_raw(*addr, "/").await;
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        let peer = SocketAddr::new(addr.ip(), 0).to_string();
        let peer = peer.strip_suffix('0').unwrap();
        assert!(response.contains(&format!("hello {peer}")), "{response}");
    }
    let in_flight = tokio::spawn(get_raw(addrs[1], "/hold"));
    entered.notified().await;
    stop.send(()).unwrap();
    tokio::task::spawn_blocking({
        let addrs = addrs.clone();
        move || wait_refused(&addrs)
    })
    .await
    .unwrap();
    release.notify_one();
    let response = in_flight.await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.ends_with("held to the end\n"), "{response}");
    server.await.unwrap().unwrap();
}

async fn hyper_graceful() {
    let listeners = target("localhost:0")
        .listen()
        .unwrap()
        .into_tokio()
        .unwrap();
    let addrs = listeners.local_addrs().to_vec();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(hyper_server::serve(listeners, async {
        stopped.await.unwrap_or(());
    }));
    for addr in &addrs {
        let response = get_raw(*addr, "/").await;
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    }
    let in_flight = tokio::spawn(get_raw(addrs[0], "/slow?ms=300"));
    let deadline = Instant::now() + WAIT;
    while hyper_server::IN_FLIGHT.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the slow request never arrived");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.send(()).unwrap();
    let response = in_flight.await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("slow hello 127.0.0.1:"), "{response}");
    server.await.unwrap();
    wait_refused(&addrs);
}

fn std_accept_then_close() {
    let listeners = target("localhost:0").listen().unwrap();
    let addrs = listeners.local_addrs().to_vec();
    let mut client = TcpStream::connect(addrs[1]).unwrap();
    let mut accepted = listeners.accept().unwrap();
    drop(listeners);
    wait_refused(&addrs);
    // The connection taken before the close still works.
    accepted.stream.write_all(b"still here").unwrap();
    drop(accepted);
    let mut text = String::new();
    client.read_to_string(&mut text).unwrap();
    assert_eq!(text, "still here");
}

#[test]
fn graceful_shutdown_completes_in_flight_closes_every_socket_and_leaves_no_fd() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The runtime's own descriptors (epoll, eventfd, signal pipe) exist before the baseline.
    runtime
        .block_on(async { tokio::task::spawn_blocking(|| ()).await })
        .unwrap();
    let before = fds::count();
    let listing = fds::describe();

    runtime.block_on(axum_graceful());
    runtime.block_on(hyper_graceful());
    std_accept_then_close();

    assert_eq!(
        fds::count(),
        before,
        "descriptors before:\n{listing}\nafter:\n{}",
        fds::describe()
    );
}
