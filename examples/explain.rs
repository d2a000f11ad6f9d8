//! Explains in plain words what listening on a bind target would do on this machine, with the
//! library alone: parse, resolve against this machine's interfaces, and print [`Resolved::explain`].
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

use bindpolicy::BindTarget;

fn main() -> ExitCode {
    let specs: Vec<String> = std::env::args().skip(1).collect();
    if specs.is_empty() {
        eprintln!("usage: explain SPEC...   e.g. explain 0.0.0.0:5000 localhost:5000");
        return ExitCode::from(2);
    }
    let mut code = ExitCode::SUCCESS;
    for (i, spec) in specs.iter().enumerate() {
        if i > 0 {
            println!();
        }
        // `resolve` reads what the target needs of this machine's interfaces.
        let resolved = spec
            .parse::<BindTarget>()
            .map_err(bindpolicy::Error::from)
            .and_then(|target| target.resolve());
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
