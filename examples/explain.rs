//! Explains in prose what listening on a bind target would expose on this machine, with the
//! library alone: parse, resolve against the interfaces, and phrase the [`Exposure`].
//!
//! Run it with one or more specs (quote `*` and brackets for the shell):
//!
//! ```text
//! cargo run --example explain -- 0.0.0.0:5000 localhost:5000 '[::]:5000' eth0:8080
//! ```
//!
//! It binds nothing. It exits 0 when every spec resolves, 1 when one does not (the error is
//! printed in its place) and 2 without a spec. `bindpolicy explain SPEC` (feature `cli`) says
//! the same at more length; docs/guide.md explains the rules behind it.
use std::process::ExitCode;

use bindpolicy::{BindTarget, Exposure, Family, Interfaces, Reach, Reachable, Resolved, Scope};

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
            Ok(resolved) => println!("{}", explain(&resolved)),
            Err(err) => {
                eprintln!("{spec}: {err}");
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}

/// A paragraph: what binds, who can connect and where, then one line per warning.
fn explain(resolved: &Resolved) -> String {
    let target = resolved.target();
    let exposure = resolved.exposure();
    let mut text = if target.is_port_only() {
        format!(
            "{target} is a client source, not a listener: BindTarget::connect binds it (ports \
             {}) before connecting, and nothing can connect to it.",
            target.ports()
        )
    } else {
        let sockets: Vec<String> = resolved
            .addrs()
            .iter()
            .map(|a| match a.interface() {
                Some(name) => format!("{} ({name})", a.addr()),
                None => format!("{} (every interface)", a.addr()),
            })
            .collect();
        let count = match sockets.len() {
            1 => "one socket".to_owned(),
            2 => "two sockets".to_owned(),
            n => format!("{n} sockets"),
        };
        format!(
            "{target} binds {count}: {}. {}",
            join(&sockets),
            who_can_connect(exposure, target.family())
        )
    };
    if !target.is_port_only() {
        if target.port() == 0 {
            text.push_str(" The OS picks the port when it binds.");
        } else if let Some(url) = example_url(exposure) {
            text.push_str(&format!(" Try {url}."));
        }
    }
    for warning in resolved.warnings() {
        text.push_str(&format!("\nWarning ({}): {warning}.", warning.kind()));
    }
    text
}

/// Who can connect, and on which addresses.
fn who_can_connect(exposure: &Exposure, family: Option<Family>) -> String {
    let on: Vec<String> = exposure.reachable().iter().map(describe).collect();
    let on = join(&on);
    match exposure.reach() {
        Reach::ThisMachine => format!("Only programs on this machine can connect, on {on}."),
        Reach::Networks => {
            let networks: Vec<String> = exposure
                .networks()
                .iter()
                .map(ToString::to_string)
                .collect();
            format!("Hosts on {} can connect, on {on}.", join(&networks))
        }
        Reach::AllNetworks => {
            let which = match family {
                Some(Family::Ipv4) => "IPv4 address",
                Some(Family::Ipv6) => "IPv6 address",
                _ => "address",
            };
            format!(
                "Any host that can route to this machine can connect, on any {which} it has now \
                 or gets later; today {on}."
            )
        }
        other => format!("Exposure: {}.", other.as_str()),
    }
}

/// `192.168.71.67 (eth0, private network 192.168.71.0/24)`.
fn describe(reachable: &Reachable) -> String {
    let network = reachable.network();
    let cidr = network.net.to_string();
    let what = match reachable.scope() {
        Scope::Loopback => "this machine only".to_owned(),
        Scope::LinkLocal => "the attached link only".to_owned(),
        Scope::Private => format!("private network {cidr}"),
        Scope::Shared => format!("carrier-grade NAT network {cidr}"),
        Scope::Global => format!("globally routable network {cidr}"),
        other => format!("{other} {cidr}"),
    };
    format!("{} ({}, {what})", reachable.ip(), reachable.interface())
}

/// The first URL off the loopback, else the first.
fn example_url(exposure: &Exposure) -> Option<String> {
    let urls = exposure.urls("http");
    exposure
        .reachable()
        .iter()
        .zip(&urls)
        .find(|(r, _)| r.scope() != Scope::Loopback)
        .map(|(_, url)| url.clone())
        .or_else(|| urls.first().cloned())
}

/// `a`, `a and b`, `a, b and c`.
fn join(items: &[String]) -> String {
    match items {
        [] => "no address".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
