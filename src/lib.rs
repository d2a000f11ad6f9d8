//! Bind sockets without surprises.
//!
//! A bind address is a one-line config value that means something else in every tool. This
//! crate gives it one strict grammar ([`BindTarget`]), checks it against the machine's
//! interfaces before any `bind()`, and explains every failure with the fix.
//!
//! ```
//! use bindpolicy::BindTarget;
//!
//! let target: BindTarget = "localhost:8080".parse()?;
//! assert!(target.is_loopback());
//! assert_eq!(target.to_string(), "localhost:8080");
//!
//! let err = "8080".parse::<BindTarget>().unwrap_err();
//! assert!(err.to_string().contains("did you mean \":8080\" (all interfaces)"));
//! # Ok::<(), bindpolicy::ParseError>(())
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

mod client;
mod config;
mod error;
mod interfaces;
mod listen;
mod parse;
mod policy;
mod resolve;
#[cfg(feature = "serde")]
mod serde;
mod socket;
mod sys;
mod target;
mod warning;

pub use crate::client::Connector;
pub use crate::config::{ListenConfig, Overlap};
pub use crate::error::{Error, ErrorKind, ParseError, ParseErrorKind, Phase, PortHolder, Result};
pub use crate::interfaces::{Interface, InterfaceAddr, Interfaces, PortPrivilege, Scope};
pub use crate::listen::{Bound, FreeBind, ListenOptions, Listeners, UdpSockets};
pub use crate::policy::{BindPolicy, Cidr, CidrError, PolicyRule, ScopeError};
pub use crate::resolve::{Exposure, Network, Reach, Reachable, Resolved, ResolvedAddr};
pub use crate::target::{
    BindTarget, Family, InterfaceName, LocalAddress, LocalInterface, PortRange, Zone,
};
pub use crate::warning::Warning;
