//! Prints what a bind target resolves to on this machine: `cargo run --example explain -- SPEC`.
fn main() {
    for spec in std::env::args().skip(1) {
        match spec
            .parse::<bindpolicy::BindTarget>()
            .map_err(bindpolicy::Error::from)
            .and_then(|t| t.resolve())
        {
            Ok(r) => {
                println!("{spec}: {:?}", r.socket_addrs().collect::<Vec<_>>());
                println!(
                    "  reach {:?} urls {:?}",
                    r.exposure().reach(),
                    r.exposure().urls("http")
                );
                for w in r.warnings() {
                    println!("  warning: {w}");
                }
            }
            Err(err) => println!("{spec}: ERR [{}] {err}", err.kind()),
        }
    }
}
