//! Prints what a bind target means, or why it is rejected: `cargo run --example explain -- SPEC`.
fn main() {
    for spec in std::env::args().skip(1) {
        match spec.parse::<bindpolicy::BindTarget>() {
            Ok(target) => println!("{spec:?} -> {target} ({target:?})"),
            Err(err) => println!("{spec:?} -> ERR {err}"),
        }
    }
}
