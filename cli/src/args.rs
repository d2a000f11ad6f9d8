//! The command line, declared with clap's derive API.
//!
//! Values that are not bind targets (the remote of `connect`, the timeout) are checked here, so
//! that a bad one is a usage error (exit 2) reported by clap. Bind targets are parsed by the
//! commands themselves, so that their `ParseError`, with its did-you-mean, is reported in full.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bindpolicy::Dialect;
use clap::{Parser, Subcommand};

/// Check, explain and try bind addresses: what a listen address means on this machine, who can
/// connect to it, and why a bind fails.
///
/// SPEC is a bind target: *:PORT, 0.0.0.0:PORT, [::]:PORT, localhost:PORT, an address of this
/// machine (127.0.0.1:PORT, [fe80::1%eth0]:PORT), an interface (eth0:PORT), or a client source
/// port (port:PORT, port:FIRST-LAST). Host names are never resolved.
///
/// With --from DIALECT, SPEC is another tool's bind string instead (nginx, haproxy, systemd,
/// docker, gunicorn, uvicorn, go, envoy, caddy, traefik, kubectl, node; docs/dialects.md), read
/// as what that tool would bind; `parse --to DIALECT` writes the result as nginx, haproxy,
/// systemd or docker configuration.
///
/// Exit codes: 0 success; 2 usage or parse error; 3 the target is valid but cannot be used on
/// this machine; 4 a policy violation; 1 any other failure (bind, connect).
#[derive(Debug, Parser)]
#[command(name = "bindpolicy", version)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// One subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every interface, its state and addresses, and what binding each address exposes.
    Interfaces {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the canonical form of SPEC and what it means, without looking at this machine.
    Parse {
        /// The bind target, e.g. 0.0.0.0:5000.
        /// With --from, it may start with '-' (`-p 8080:80`, `-b :8000`).
        #[arg(allow_hyphen_values = true)]
        spec: String,
        /// Read SPEC as another tool's bind string: nginx, haproxy, systemd, docker, gunicorn,
        /// uvicorn, go, envoy, caddy, traefik, kubectl or node.
        #[arg(long, value_name = "DIALECT", value_parser = parse_dialect)]
        from: Option<Dialect>,
        /// Write the result as this tool's configuration: nginx, haproxy, systemd or docker.
        #[arg(long, value_name = "DIALECT", value_parser = parse_dialect)]
        to: Option<Dialect>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Resolve SPEC on this machine: the addresses a listener would bind, who could connect,
    /// the URLs to try and the warnings.
    Check {
        /// The bind target, e.g. 0.0.0.0:5000.
        /// With --from, it may start with '-' (`-p 8080:80`, `-b :8000`).
        #[arg(allow_hyphen_values = true)]
        spec: String,
        /// Read SPEC as another tool's bind string: nginx, haproxy, systemd, docker, gunicorn,
        /// uvicorn, go, envoy, caddy, traefik, kubectl or node.
        #[arg(long, value_name = "DIALECT", value_parser = parse_dialect)]
        from: Option<Dialect>,
        /// Check the target against a policy: a TOML file of BindPolicy keys, or a preset
        /// (local_only, private_networks, permissive); a violation exits 4.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Wait up to DURATION (30s, 500ms, 2m, or seconds) for the target's addresses to be
        /// bindable before checking; at the deadline exit 3 with what was still missing.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        wait: Option<Duration>,
        /// Print one JSON object instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Explain in plain words what listening on SPEC would do on this machine.
    Explain {
        /// The bind target, e.g. 0.0.0.0:5000.
        /// With --from, it may start with '-' (`-p 8080:80`, `-b :8000`).
        #[arg(allow_hyphen_values = true)]
        spec: String,
        /// Read SPEC as another tool's bind string: nginx, haproxy, systemd, docker, gunicorn,
        /// uvicorn, go, envoy, caddy, traefik, kubectl or node.
        #[arg(long, value_name = "DIALECT", value_parser = parse_dialect)]
        from: Option<Dialect>,
    },
    /// Bind SPEC for real and answer connections (TCP) or datagrams (UDP) with one line each,
    /// until COUNT of them or Ctrl-C.
    Listen {
        /// The bind target, e.g. 127.0.0.1:0 (port 0: the OS picks one, and it is printed).
        /// With --from, it may start with '-' (`-p 8080:80`, `-b :8000`).
        #[arg(allow_hyphen_values = true)]
        spec: String,
        /// Read SPEC as another tool's bind string and bind what that tool would (its options,
        /// e.g. dual-stack, and UDP included); it must open one binding.
        #[arg(long, value_name = "DIALECT", value_parser = parse_dialect)]
        from: Option<Dialect>,
        /// Bind UDP sockets and answer each datagram, instead of TCP listeners.
        #[arg(long)]
        udp: bool,
        /// Use the sockets a service manager handed over (socket activation, LISTEN_FDS):
        /// off, on (use them when this process was activated; the default) or required. A
        /// handed-over socket that does not match SPEC exits 3.
        #[arg(long, value_name = "WHEN", default_value = "on", value_parser = parse_inherit)]
        inherit: bindpolicy::Inherit,
        /// Exit 0 after this many connections (or datagrams); without it, run until Ctrl-C.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        count: Option<u64>,
        /// Wait up to DURATION (30s, 500ms, 2m, or seconds) for the target's addresses (an
        /// interface created later, DHCP, IPv6 duplicate address detection) before binding; at
        /// the deadline exit 3 with what was still missing.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        wait: Option<Duration>,
        /// Print one JSON object a line, one per event.
        #[arg(long)]
        json: bool,
    },
    /// Connect to REMOTE from a pinned source and print `local -> remote`.
    Connect {
        /// The remote IP address and port, e.g. 127.0.0.1:5000 or [::1]:5000 (no host names).
        #[arg(value_parser = parse_remote)]
        remote: SocketAddr,
        /// The source to bind first: an address (127.0.0.1:0), a port or range
        /// (port:40000-40100), an interface (eth0:0); default: the OS picks (port:0).
        #[arg(long, value_name = "SPEC")]
        from: Option<String>,
        /// Give up connecting after SECS seconds (decimals allowed).
        #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
        timeout: Duration,
        /// Connect a UDP socket and send one line, instead of a TCP connection.
        #[arg(long)]
        udp: bool,
        /// Print one JSON object instead of a line.
        #[arg(long)]
        json: bool,
    },
}

impl Command {
    /// Whether the command was asked for JSON output.
    pub fn json(&self) -> bool {
        match self {
            Command::Interfaces { json }
            | Command::Parse { json, .. }
            | Command::Check { json, .. }
            | Command::Listen { json, .. }
            | Command::Connect { json, .. } => *json,
            Command::Explain { .. } => false,
        }
    }
}

/// `--wait`: a number with an optional unit, `ms`, `s`, `m` or `h` (humantime style, one
/// unit); a bare number is seconds. Decimals are allowed: `1.5s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1.0,
        "ms" => 0.001,
        "m" | "min" | "mins" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}; write e.g. 30s, 500ms, 2m or 1h"
            ));
        }
    };
    number
        .parse::<f64>()
        .ok()
        .and_then(|n| Duration::try_from_secs_f64(n * scale).ok())
        .ok_or_else(|| format!("{text:?} is not a duration; write e.g. 30s, 500ms, 2m or 1h"))
}

/// `--from` and `--to`: a dialect's name.
fn parse_dialect(text: &str) -> Result<Dialect, String> {
    text.parse()
        .map_err(|e: bindpolicy::UnknownDialect| e.to_string())
}

/// REMOTE: an IP socket address, never a host name.
fn parse_remote(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        format!(
            "{text:?} is not an IP address and port; write e.g. 127.0.0.1:5000 or [::1]:5000 \
             (host names are not resolved)"
        )
    })
}

/// `--timeout SECS`: a positive, finite number of seconds.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds; write e.g. 5 or 0.5"))?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(format!(
            "the timeout must be above 0 seconds, not {text}; write e.g. 5 or 0.5"
        ));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{text} seconds is too long"))
}

/// `--inherit`: off, on or required.
fn parse_inherit(value: &str) -> Result<bindpolicy::Inherit, String> {
    value.parse()
}
