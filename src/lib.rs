//! Bind sockets without surprises.
//!
//! A bind address is a one-line config value that means something else in every tool: `*` is
//! IPv4-only in nginx but `0.0.0.0` is dual-stack in Go, and `localhost` is `::1` on one box and
//! `127.0.0.1` on the next. This crate gives it one strict grammar ([`BindTarget`]), checks it
//! against the machine's interfaces before any `bind()` ([`BindTarget::resolve`]), says who can
//! reach the listener ([`Exposure`]), and explains every failure with the fix ([`Error`]).
//!
//! ```
//! use bindpolicy::{BindTarget, ErrorKind};
//!
//! // Parse strictly; a bare port is ambiguous, so it is refused with a did-you-mean.
//! let target: BindTarget = "localhost:0".parse()?;
//! let err = "8080".parse::<BindTarget>().unwrap_err();
//! assert!(err.to_string().contains("did you mean \":8080\" (all interfaces)"));
//!
//! // Resolve and listen: 127.0.0.1 and ::1 (where the machine has it), on one port.
//! let listeners = target.listen()?;
//! assert!(listeners.exposure().is_this_machine_only());
//! for url in listeners.exposure().urls("http") {
//!     println!("listening on {url}");
//! }
//!
//! // Connect to it from a pinned source port range, as a firewall may require.
//! let source: BindTarget = "port:40000-40100".parse()?;
//! let stream = source.connect(listeners.local_addrs()[0])?;
//! assert!(source.ports().contains(stream.local_addr()?.port()));
//!
//! // An address this machine does not have fails before bind(), naming the ones it has.
//! let err = "192.0.2.254:5000".parse::<BindTarget>()?.resolve().unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The grammar
//!
//! | input | meaning | canonical |
//! |---|---|---|
//! | `*:8080`, `:8080`, `any:8080` | every address, IPv4 and IPv6 | `*:8080` |
//! | `0.0.0.0:8080` | every IPv4 address | `0.0.0.0:8080` |
//! | `[::]:8080` | every IPv6 address | `[::]:8080` |
//! | `localhost:5000`, `loopback:5000` | this machine only, 127.0.0.1 and ::1; no DNS | `localhost:5000` |
//! | `127.0.0.1:5000`, `[::1]:5000` | this machine only, one family | unchanged |
//! | `192.168.71.67:5000`, `[fe80::1%eth0]:80` | one local address | unchanged |
//! | `eth0:8080` | every address of one interface | unchanged |
//! | `port:40000`, `port:40000-40100` | a client's source port(s) | unchanged |
//!
//! Keywords are ASCII case-insensitive. Everything else is rejected with a [`ParseError`] that
//! names the byte offset and, where one exists, what you probably meant. docs/grammar.md lists
//! every rule.
//!
//! # Organization
//!
//! - [`BindTarget`] and its parts ([`Family`], [`LocalInterface`], [`LocalAddress`], [`Zone`],
//!   [`InterfaceName`], [`PortRange`]): what to bind, and the grammar.
//! - [`Interfaces`]: a snapshot of the machine's interfaces; [`BindTarget::resolve_with`] is
//!   pure over it, so tests and callers can supply their own.
//! - [`Resolved`]: the addresses to bind, their [`Exposure`] and [`Warning`]s.
//! - [`Resolved::listen_with`] and [`ListenOptions`]: TCP [`Listeners`] and [`UdpSockets`].
//! - [`Connector`]: a client bound to a source address, port or port range before connect.
//! - [`BindPolicy`] and [`ListenConfig`]: what a service may expose, checked before it binds.
//! - [`Error`], [`ErrorKind`] and [`ParseError`]: errors that carry the data and the fix.
//! - [`BindTarget::meaning`], the `Display` of [`Exposure`] and [`Reachable`], and
//!   [`Resolved::explain`] ([`Explanation`]): the same facts in plain words.
//!
//! # Features
//!
//! - `serde`: targets, port ranges, policies and listen sections (de)serialize, targets as
//!   their canonical strings; the report types ([`Resolved`], [`Exposure`], [`Warning`],
//!   [`Interfaces`], [`Error`], ...) serialize, as the `bindpolicy` tool's `--json` shows them.
//! - `tokio`: [`Connector::connect_tokio`] and [`Listeners::into_tokio`].
//!
//! # Platform support
//!
//! Linux is tested in CI, including real network namespaces and nftables. macOS and Windows
//! build the same code; Linux-only options (SO_BINDTODEVICE, IP_FREEBIND) return
//! [`ErrorKind::Unsupported`] elsewhere. Windows listeners never set SO_REUSEADDR; see
//! docs/platforms.md for every difference and what is untested where.
#![cfg_attr(docsrs, feature(doc_cfg))]
// A crate at every server's start-up must not panic on a config value: no unwrap, no indexing.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented,
    clippy::string_slice
)]
#![cfg_attr(doctest, doc = include_str!("../README.md"))]
#![cfg_attr(doctest, doc = include_str!("../docs/guide.md"))]

// Layers, bottom to top; each module imports only from the layers below it
// (tests/layers.rs checks it). See the Architecture section above.
mod client;
mod config;
mod error;
mod explain;
mod interfaces;
mod listen;
mod policy;
mod resolve;
#[cfg(feature = "serde")]
mod serde;
mod socket;
mod sys;
mod target;
mod text;

pub use crate::client::Connector;
pub use crate::config::{ConfigError, ListenConfig, Overlap};
pub use crate::error::{Cause, Error, ErrorKind, Phase, PortHolder, Result};
pub use crate::explain::Explanation;
pub use crate::interfaces::{
    Interface, InterfaceAddr, Interfaces, PortPrivilege, Scope, ScopeError,
};
pub use crate::listen::{Bound, FreeBind, ListenOptions, Listeners, UdpSockets};
pub use crate::policy::{BindPolicy, PolicyRule, PolicyViolation};
pub use crate::resolve::{Exposure, Network, Reach, Reachable, Resolved, ResolvedAddr, Warning};
pub use crate::target::{
    BindTarget, Family, InterfaceName, LocalAddress, LocalInterface, ParseError, ParseErrorKind,
    PortRange, Zone,
};
