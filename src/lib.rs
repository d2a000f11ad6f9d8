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
//! | `fd:3`, `fd:web`, `sd-listen:web` | the socket a service manager hands over, by fd or `FileDescriptorName=` | `fd:3`, `fd:web` |
//!
//! Keywords are ASCII case-insensitive. Everything else is rejected with a [`ParseError`] that
//! names the byte offset and, where one exists, what you probably meant. docs/grammar.md lists
//! every rule.
//!
//! # What a target can do
//!
//! [`BindTarget`]'s verbs, each defined in the layer that performs it:
//!
//! | verb | does | layer |
//! |---|---|---|
//! | `parse`, [`BindTarget::any`], [`BindTarget::ip`], `try_from`, ... | build and take apart; no I/O | target |
//! | [`BindTarget::resolve`], [`BindTarget::resolve_with`] | addresses, [`Exposure`], [`Warning`]s | resolve |
//! | [`BindTarget::wait`], [`BindTarget::wait_reporting`] | wait, with a deadline, until every address binds (DAD-aware, on kernel events) | wait |
//! | [`BindTarget::listen`], [`BindTarget::bind_udp`] (and `_with` options) | bind, all or nothing | listen |
//! | [`Resolved::port_status`] | whether the port is free now, and who holds it | listen |
//! | [`Listeners::accept`], [`Listeners::incoming`], [`UdpSockets::recv_from`], `into_tokio` | serve every socket through one loop | serve |
//! | [`BindTarget::connect`], [`BindTarget::connect_udp`], [`BindTarget::connector`] | a pinned client source | client |
//! | [`BindTarget::from_env`], [`BindTarget::from_port_env`] | read the operator's variable | config |
//! | [`BindTarget::meaning`], [`BindTarget::kind_name`] | say what it means; no I/O | explain |
//!
//! # Architecture
//!
//! Layers, bottom to top. Each top-level module imports only from the layers below it;
//! tests/layers.rs fails on any import cycle and on any platform `cfg` outside `sys`.
//!
//! 1. **Leaves**: `text` (lists in English, did-you-mean) and `sys`, the platform seam. `sys`
//!    speaks std types, libc constants and plain data only, and holds every
//!    `cfg(target_os)` decision of the crate; its module docs write down the contract every
//!    OS backend provides.
//! 2. **Vocabulary and grammar**: `target` — [`BindTarget`] and its value types, the parser,
//!    and [`ParseError`] beside it. Each value type has private fields and one validating
//!    constructor, which the parser uses too, so every value prints a canonical string that
//!    parses back.
//! 3. **The core error**: `error` — [`Error`] for resolve, bind and connect, its
//!    [`ErrorKind`]s and messages.
//! 4. **The machine's facts**: `interfaces` — [`Interfaces`], the one type the resolver reads,
//!    and the [`Deployment`] it carries (a container, WSL, macOS).
//! 5. **The pure resolver**: `resolve` — [`Resolved`], the [`Exposure`] model and the
//!    [`Warning`]s. `resolve()` is exactly `resolve_with(&Interfaces::for_target(..)?)`, so a
//!    target gets the same verdict on every path.
//! 6. **The I/O shell**: `wait` (until the target's addresses bind, re-checked on the
//!    kernel's link and address events, with a deadline), `socket` (sockets, options, OS
//!    errors classified), `listen`
//!    ([`Listeners`], [`UdpSockets`], [`PortStatus`]), `serve` (one fair accept or receive over
//!    every socket, blocking through `sys`' poll and async on tokio), `activation` (the
//!    sockets a service manager handed over, [`Inherit`], checked against the plan before
//!    `listen` binds anything) and `client`
//!    ([`Connector`], one retry decision for the blocking and the tokio loops).
//! 7. **Policy and configuration**: `policy` ([`BindPolicy`], its [`PolicyViolation`]) and
//!    `config` ([`ListenConfig`], its [`ConfigError`] wrapping the lower errors).
//!
//! Adapters sit on top: `explain`, the same facts in plain words ([`BindTarget::meaning`], the
//! `Display` of [`Exposure`] and [`Reachable`], [`Resolved::explain`] and its [`Explanation`]),
//! `dialect`, other tools' bind strings ([`Dialect::read`] to [`Binding`]s of a target and its
//! [`ListenOptions`], with [`DialectWarning`]s apart from the [`DialectError`]; [`Dialect::write`]
//! for nginx, HAProxy, systemd and Docker; it imports `target` and `listen` only),
//! `serde` (feature `serde`), `axum` (feature `axum`: the tokio listeners as an
//! `axum::serve::Listener`), `hyper` (feature `hyper`: `PinnedConnector`, a [`Connector`] as
//! hyper-util's client connector; it imports `client` and `error` only) and `clap` (feature
//! `clap`: `ListenArgs`, beside config).
//!
//! # Serving every socket
//!
//! `localhost:P` is two sockets and an interface name one per address, but a server loop wants
//! one place to wait. [`Listeners::accept`] waits on all of them (poll(2)) and says which one
//! took the connection, fairly; `into_tokio()` keeps the addresses and warnings and gives the
//! same accept in async; with feature `axum`, `axum::serve(listeners, app)` takes them as they
//! are. examples/std_server.rs, examples/axum_server.rs and examples/hyper_server.rs show each.
//!
//! ```
//! use bindpolicy::BindTarget;
//! use std::io::Write;
//! use std::net::TcpStream;
//!
//! let listeners = "localhost:0".parse::<BindTarget>()?.listen()?;
//! let _client = TcpStream::connect(listeners.local_addrs()[0])?;
//! let mut accepted = listeners.accept()?;
//! writeln!(accepted.stream, "hello {}", accepted.peer)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Other tools' bind strings
//!
//! ```
//! use bindpolicy::{BindTarget, Dialect};
//!
//! // nginx's `listen 8080` is IPv4 only, and the translation says so.
//! let nginx = Dialect::Nginx.read("listen 8080;")?;
//! assert_eq!(nginx.bindings()[0].target(), &BindTarget::any_v4(8080));
//! assert_eq!(nginx.warnings()[0].kind(), "ipv4_only");
//!
//! // Docker's `-p 127.0.0.1:8080:80`, written as nginx configuration.
//! let docker = Dialect::Docker.read("-p 127.0.0.1:8080:80")?;
//! assert_eq!(docker.write(Dialect::Nginx)?, "listen 127.0.0.1:8080;");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! docs/dialects.md lists every form of the twelve dialects with its citation.

//! # Features
//!
//! - `serde`: targets, port ranges, policies and listen sections (de)serialize, targets as
//!   their canonical strings; the report types ([`Resolved`], [`Exposure`], [`Warning`],
//!   [`Interfaces`], [`Error`], ...) serialize, as the `bindpolicy` tool's `--json` shows them.
//! - `tokio`: [`Connector::connect_tokio`], `Listeners::into_tokio` and `UdpSockets::into_tokio`
//!   (`TokioListeners` and `TokioUdpSockets`, with `accept` and `recv_from` over every socket).
//! - `axum`: `TokioListeners` is an `axum::serve::Listener` (axum 0.8); `Peer` is the
//!   `ConnectInfo` for a handler.
//! - `hyper`: `PinnedConnector` (`Connector::into_hyper`), a connector for hyper-util's legacy
//!   `Client` (a `tower_service::Service<http::Uri>`), so HTTP requests leave from a pinned
//!   source port; TLS connectors wrap it. Implies `tokio`.
//! - `clap`: `ListenArgs` (`--listen`, `--backlog`, `--dual-stack`, `--reuse-port`,
//!   `--freebind`, `--bind-device`) for `#[command(flatten)]`, and `parse_listen_target`.
//!
//! The default feature set is empty.
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
#![cfg_attr(doctest, doc = include_str!("../docs/dialects.md"))]

// The modules, as rustfmt orders them. Their layers, bottom to top, are in the Architecture
// section above; tests/layers.rs checks that each imports only from the layers below it.
mod activation;
#[cfg(feature = "axum")]
mod axum;
#[cfg(feature = "clap")]
mod clap;
mod client;
mod config;
mod dialect;
mod error;
mod explain;
// Entry points for fuzz/, under cargo-fuzz's `--cfg fuzzing` only; not part of the API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "hyper")]
mod hyper;
mod interfaces;
mod listen;
mod policy;
mod resolve;
#[cfg(feature = "serde")]
mod serde;
mod serve;
mod socket;
mod sys;
mod target;
mod text;
mod wait;

pub use crate::activation::{Inherit, InheritedSocket, inherited_sockets};
#[cfg(feature = "axum")]
pub use crate::axum::Peer;
#[cfg(feature = "clap")]
pub use crate::clap::{ListenArgs, ListenTargetError, parse_listen_target};
pub use crate::client::Connector;
pub use crate::config::{ConfigError, ListenConfig, Overlap};
pub use crate::dialect::{
    Binding, Dialect, DialectError, DialectErrorKind, DialectWarning, Translation, Transport,
    UnknownDialect, WriteError, WriteErrorKind,
};
pub use crate::error::{
    ActivationMismatch, Cause, Error, ErrorKind, KernelRefusal, Pending, Phase, PortHolder,
    Protocol, RangeUse, Result, SocketState,
};
pub use crate::explain::Explanation;
#[cfg(feature = "hyper")]
pub use crate::hyper::PinnedConnector;
pub use crate::interfaces::{
    Dad, Deployment, Interface, InterfaceAddr, Interfaces, LocalRoute, NonlocalBind, PortPrivilege,
    Scope, ScopeError,
};
pub use crate::listen::{
    Bound, FreeBind, ListenOptions, Listeners, PortInUse, PortStatus, UdpSockets,
};
pub use crate::policy::{BindPolicy, PolicyRule, PolicyViolation};
pub use crate::resolve::{Exposure, Network, Reach, Reachable, Resolved, ResolvedAddr, Warning};
pub use crate::serve::{Accepted, Incoming, Received};
#[cfg(feature = "tokio")]
pub use crate::serve::{TokioListeners, TokioUdpSockets};
pub use crate::target::{
    BindTarget, Family, Inherited, InterfaceName, LocalAddress, LocalInterface, ParseError,
    ParseErrorKind, PortRange, Zone,
};
