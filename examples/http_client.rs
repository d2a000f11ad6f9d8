//! An HTTP GET from a pinned source port range (feature `hyper`): hyper-util's legacy `Client`
//! through `PinnedConnector`, made from `port:40000-40099` (or the SOURCE given). Prints the
//! status, the local and remote addresses the connection used (hyper-util's `HttpInfo`), and
//! the body.
//!
//! `cargo run --example http_client --features hyper -- URL [SOURCE]`
//!
//! e.g. with `cargo run --example hyper_server --features tokio -- localhost:8080` running,
//! `cargo run --example http_client --features hyper -- http://localhost:8080/`.
//! Plain HTTP only: for https, wrap the connector in hyper-rustls' or hyper-tls' connector.
use std::process::ExitCode;
use std::time::Duration;

use bindpolicy::BindTarget;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpInfo;
use hyper_util::rt::TokioExecutor;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(url) = args.next() else {
        eprintln!("usage: http_client URL [SOURCE]   (SOURCE defaults to port:40000-40099)");
        return ExitCode::from(2);
    };
    let source = args.next().unwrap_or_else(|| "port:40000-40099".to_owned());
    match get(&url, &source).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            let mut cause = err.source();
            while let Some(err) = cause {
                eprintln!("  caused by: {err}");
                cause = err.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn get(url: &str, source: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let source: BindTarget = source.parse()?;
    let connector = source
        .connector()
        .timeout(Duration::from_secs(10))
        .into_hyper();
    let client = Client::builder(TokioExecutor::new()).build::<_, Empty<Bytes>>(connector);
    let response = client.get(url.parse()?).await?;
    println!("GET {url}: {}", response.status());
    if let Some(info) = response.extensions().get::<HttpInfo>() {
        println!(
            "from {} (local port {}) to {}",
            info.local_addr(),
            info.local_addr().port(),
            info.remote_addr()
        );
    }
    let body = response.into_body().collect().await?.to_bytes();
    let body = String::from_utf8_lossy(&body);
    print!("{body}");
    if !body.ends_with('\n') {
        println!();
    }
    Ok(())
}
