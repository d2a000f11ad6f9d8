//! Explains in plain words what listening on a bind target would do on this machine, with the
//! library alone: parse, resolve against the interfaces, and print [`Resolved::explain`].
//!
//! Run it with one or more specs (quote `*` and brackets for the shell):
//!
//! ```text
//! cargo run --example explain -- 0.0.0.0:5000 localhost:5000 '[::]:5000' eth0:8080
//! ```
//!
//! It binds nothing. It exits 0 when every spec resolves, 1 when one does not (the error is
//! printed in its place) and 2 without a spec. It prints what `bindpolicy explain SPEC`
//! (package bindpolicy-cli) prints; docs/guide.md explains the rules behind it.
//!
//! [`Resolved::explain`]: bindpolicy::Resolved::explain
use std::process::ExitCode;

use bindpolicy::{BindTarget, Interfaces};

fn main() -> ExitCode {
    let specs: Vec<String> = std::env::args().skip(1).collect();
    if specs.is_empty() {
        eprintln!("usage: explain SPEC...   e.g. explain 0.0.0.0:5000 localhost:5000");
        return ExitCode::from(2);
    }
    // One enumeration for every spec: they are all judged against the same snapshot.
    let interfaces = match Interfaces::current() {
        Ok(interfaces) => interfaces,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut code = ExitCode::SUCCESS;
    for (i, spec) in specs.iter().enumerate() {
        if i > 0 {
            println!();
        }
        let resolved = spec
            .parse::<BindTarget>()
            .map_err(bindpolicy::Error::from)
            .and_then(|target| target.resolve_with(&interfaces));
        match resolved {
            Ok(resolved) => println!("{}", resolved.explain()),
            Err(err) => {
                eprintln!("{spec}: {err}");
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}
