//! Other tools' bind strings: what nginx's `listen`, HAProxy's `bind`, systemd's
//! `ListenStream=`, Docker's `-p` and eight more mean, as bindpolicy [`Binding`]s, with the
//! differences said out loud; and the reverse for the four that are configuration files.
//!
//! Each dialect has one small strict parser in its own file; they share the pieces in `lex`.
//! What a dialect's string means that bindpolicy cannot bind (a Unix socket, an abstract
//! socket, a passed file descriptor, a host name to look up) is a [`DialectError`] naming the
//! form, never an approximation. docs/dialects.md lists every form with its citation.

use std::fmt;
use std::str::FromStr;

use crate::listen::{FreeBind, ListenOptions};
use crate::target::{BindTarget, Family};

mod caddy;
mod docker;
mod envoy;
mod error;
mod gunicorn;
mod haproxy;
mod kubectl;
mod lex;
mod netgo;
mod nginx;
mod node;
mod systemd;
mod traefik;
mod uvicorn;
mod warning;

pub use self::error::{DialectError, DialectErrorKind, WriteError, WriteErrorKind};
pub use self::warning::DialectWarning;

/// A tool whose bind strings bindpolicy reads (and, for four of them, writes).
///
/// ```
/// use bindpolicy::Dialect;
///
/// let dialect: Dialect = "nginx".parse()?;
/// assert_eq!(dialect, Dialect::Nginx);
/// assert_eq!(dialect.to_string(), "nginx");
/// assert!(dialect.can_write());
/// assert!(!Dialect::Go.can_write());
/// # Ok::<(), bindpolicy::UnknownDialect>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Dialect {
    /// nginx's `listen` directive (http and stream modules): `listen [::]:8080 ipv6only=off;`.
    Nginx,
    /// HAProxy's `bind` line: `bind :::80 v4v6`, `bind ipv4@:8000-8010,ipv6@:9000`.
    Haproxy,
    /// A systemd socket unit's `[Socket]` settings: `ListenStream=8080 BindIPv6Only=both`.
    Systemd,
    /// Docker's `-p` (`--publish`), the host side: `-p 127.0.0.1:8080:80/udp`.
    Docker,
    /// gunicorn's `-b` (`--bind`): `-b [::]:8000`.
    Gunicorn,
    /// uvicorn's `--host`/`--port`/`--workers`, or hypercorn's `-b`: `--host :: --port 8000`.
    Uvicorn,
    /// Go's `net.Listen(network, address)`: `tcp :8080` or `net.Listen("tcp4", ":8080")`.
    Go,
    /// Envoy's `SocketAddress`: `address=:: port_value=8080 ipv4_compat=true`.
    Envoy,
    /// A Caddy network address: `[network/]host:port[-port]`, e.g. `udp/:443`.
    Caddy,
    /// A Traefik entryPoint `address`: `[host]:port[/tcp|/udp]`.
    Traefik,
    /// `kubectl port-forward`'s `--address` and ports: `--address 0.0.0.0 8080:80`.
    Kubectl,
    /// Node.js `server.listen(port, host)`: `8080 ::` or `8080 :: ipv6Only`.
    Node,
}

impl Dialect {
    /// Every dialect, in the order of the docs.
    pub const ALL: [Dialect; 12] = [
        Dialect::Nginx,
        Dialect::Haproxy,
        Dialect::Systemd,
        Dialect::Docker,
        Dialect::Gunicorn,
        Dialect::Uvicorn,
        Dialect::Go,
        Dialect::Envoy,
        Dialect::Caddy,
        Dialect::Traefik,
        Dialect::Kubectl,
        Dialect::Node,
    ];

    /// The name `FromStr` takes and `Display` writes, e.g. `haproxy`.
    ///
    /// ```
    /// assert_eq!(bindpolicy::Dialect::Haproxy.name(), "haproxy");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Dialect::Nginx => "nginx",
            Dialect::Haproxy => "haproxy",
            Dialect::Systemd => "systemd",
            Dialect::Docker => "docker",
            Dialect::Gunicorn => "gunicorn",
            Dialect::Uvicorn => "uvicorn",
            Dialect::Go => "go",
            Dialect::Envoy => "envoy",
            Dialect::Caddy => "caddy",
            Dialect::Traefik => "traefik",
            Dialect::Kubectl => "kubectl",
            Dialect::Node => "node",
        }
    }

    /// What the input is, for messages: e.g. `nginx listen`.
    ///
    /// ```
    /// assert_eq!(bindpolicy::Dialect::Docker.form(), "Docker -p");
    /// ```
    pub const fn form(self) -> &'static str {
        match self {
            Dialect::Nginx => "nginx listen",
            Dialect::Haproxy => "HAProxy bind",
            Dialect::Systemd => "systemd socket unit",
            Dialect::Docker => "Docker -p",
            Dialect::Gunicorn => "gunicorn -b",
            Dialect::Uvicorn => "uvicorn/hypercorn arguments",
            Dialect::Go => "Go net.Listen",
            Dialect::Envoy => "Envoy SocketAddress",
            Dialect::Caddy => "Caddy network address",
            Dialect::Traefik => "Traefik entryPoint address",
            Dialect::Kubectl => "kubectl port-forward arguments",
            Dialect::Node => "Node.js server.listen arguments",
        }
    }

    /// Whether [`Dialect::write`] can write this dialect: nginx, HAProxy, systemd and Docker.
    pub const fn can_write(self) -> bool {
        matches!(
            self,
            Dialect::Nginx | Dialect::Haproxy | Dialect::Systemd | Dialect::Docker
        )
    }

    /// What `input` means in this tool: the sockets it opens, as bindpolicy [`Binding`]s, and
    /// warnings where a reader would expect something else.
    ///
    /// Options the string does not set keep bindpolicy's defaults (e.g. backlog 1024), not the
    /// tool's. An IPv4 and an IPv6 binding of the same kind, port and options are merged into
    /// one of both families (`listen 80; listen [::]:80;` is `*:80`).
    ///
    /// # Errors
    ///
    /// A [`DialectError`] with the byte offset into `input`: a form the tool rejects, or one
    /// bindpolicy cannot bind (a Unix socket, a host name to look up, ...).
    ///
    /// ```
    /// use bindpolicy::{BindTarget, Dialect};
    ///
    /// let nginx = Dialect::Nginx.read("[::]:8080 ipv6only=off")?;
    /// assert_eq!(nginx.bindings()[0].target(), &BindTarget::any(8080));
    /// assert!(nginx.bindings()[0].options().is_dual_stack());
    ///
    /// let plain = Dialect::Nginx.read("8080")?;
    /// assert_eq!(plain.bindings()[0].target(), &BindTarget::any_v4(8080));
    /// assert_eq!(plain.warnings()[0].kind(), "ipv4_only");
    ///
    /// let err = Dialect::Nginx.read("unix:/run/app.sock").unwrap_err();
    /// assert_eq!(err.offset(), 0);
    /// # Ok::<(), bindpolicy::DialectError>(())
    /// ```
    pub fn read(self, input: &str) -> Result<Translation, DialectError> {
        let cx = lex::Cx::new(input);
        let read = match self {
            Dialect::Nginx => nginx::read(&cx),
            Dialect::Haproxy => haproxy::read(&cx),
            Dialect::Systemd => systemd::read(&cx),
            Dialect::Docker => docker::read(&cx),
            Dialect::Gunicorn => gunicorn::read(&cx),
            Dialect::Uvicorn => uvicorn::read(&cx),
            Dialect::Go => netgo::read(&cx),
            Dialect::Envoy => envoy::read(&cx),
            Dialect::Caddy => caddy::read(&cx),
            Dialect::Traefik => traefik::read(&cx),
            Dialect::Kubectl => kubectl::read(&cx),
            Dialect::Node => node::read(&cx),
        };
        let read = if input.trim().is_empty() {
            Err((0, DialectErrorKind::Empty))
        } else {
            read
        };
        match read {
            Ok(out) => Ok(Translation::new(self, input, out)),
            Err((offset, kind)) => Err(DialectError::new(self, input, offset, kind)),
        }
    }

    /// `binding` written in this dialect: one line per statement (`listen ...;`, `bind ...`,
    /// `Key=Value`, `-p ...`), so that [`Dialect::read`] gives back
    /// [`Binding::normalized`] (HAProxy's with `reuse_port`, which it sets on every listener).
    ///
    /// Docker's container port is written equal to the host port. Nonblocking mode is not
    /// configuration and is never written.
    ///
    /// # Errors
    ///
    /// A [`WriteError`] when the dialect cannot say it: a dialect without a writer, an
    /// interface target, a source port range, or an option the tool lacks.
    ///
    /// ```
    /// use bindpolicy::{BindTarget, Binding, Dialect, ListenOptions};
    ///
    /// let dual = Binding::new(BindTarget::any(8080)).with_options(ListenOptions::new().dual_stack(true));
    /// assert_eq!(Dialect::Nginx.write(&dual)?, "listen [::]:8080 ipv6only=off;");
    /// assert_eq!(Dialect::Haproxy.write(&dual)?, "bind :::8080 v4v6");
    /// assert_eq!(Dialect::Systemd.write(&dual)?, "ListenStream=[::]:8080\nBindIPv6Only=both");
    /// assert!(Dialect::Docker.write(&dual).is_err());
    /// # Ok::<(), bindpolicy::WriteError>(())
    /// ```
    pub fn write(self, binding: &Binding) -> Result<String, WriteError> {
        let written = match self {
            Dialect::Nginx => nginx::write(binding),
            Dialect::Haproxy => haproxy::write(binding),
            Dialect::Systemd => systemd::write(binding),
            Dialect::Docker => docker::write(binding),
            _ => Err(WriteErrorKind::NoWriter),
        };
        written.map_err(|kind| WriteError::new(self, binding, kind))
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = UnknownDialect;

    /// A [`Dialect::name`], ASCII case-insensitive.
    fn from_str(name: &str) -> Result<Self, UnknownDialect> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownDialect(name.to_owned()))
    }
}

/// A dialect name [`Dialect`]'s `FromStr` does not know.
///
/// ```
/// let err = "apache".parse::<bindpolicy::Dialect>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "unknown dialect \"apache\"; the dialects are nginx, haproxy, systemd, docker, gunicorn, \
///      uvicorn, go, envoy, caddy, traefik, kubectl and node"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDialect(String);

impl fmt::Display for UnknownDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = Dialect::ALL.iter().map(|d| d.name().to_owned()).collect();
        write!(
            f,
            "unknown dialect {:?}; the dialects are {}",
            self.0,
            crate::text::join_and(&names)
        )
    }
}

impl std::error::Error for UnknownDialect {}

/// TCP or UDP: which kind of socket a [`Binding`] opens.
///
/// ```
/// use bindpolicy::{Dialect, Transport};
///
/// let t = Dialect::Docker.read("-p 5353:53/udp")?;
/// assert_eq!(t.bindings()[0].transport(), Transport::Udp);
/// # Ok::<(), bindpolicy::DialectError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Transport {
    /// A TCP listener (nginx's default, systemd's `ListenStream=`).
    #[default]
    Tcp,
    /// A UDP socket (nginx's `udp` and `quic`, systemd's `ListenDatagram=`, Docker's `/udp`).
    Udp,
}

/// One listener a tool's string asks for: a target, the options that are part of its meaning
/// (dual-stack, SO_REUSEPORT, backlog, freebind) and TCP or UDP.
///
/// `Display` writes the target's canonical form followed by the non-default parts as words,
/// and `FromStr` reads that back:
///
/// ```
/// use bindpolicy::{BindTarget, Binding, ListenOptions, Transport};
///
/// let binding: Binding = "*:8080 dual_stack backlog=511".parse()?;
/// assert_eq!(binding.target(), &BindTarget::any(8080));
/// assert_eq!(binding.options(), &ListenOptions::new().dual_stack(true).backlog(511));
/// assert_eq!(binding.to_string(), "*:8080 dual_stack backlog=511");
/// assert_eq!("0.0.0.0:53 udp".parse::<Binding>()?.transport(), Transport::Udp);
/// # Ok::<(), bindpolicy::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Binding {
    target: BindTarget,
    options: ListenOptions,
    transport: Transport,
}

impl Binding {
    /// `target` over TCP with default options.
    pub fn new(target: BindTarget) -> Self {
        Binding {
            target,
            options: ListenOptions::default(),
            transport: Transport::Tcp,
        }
    }

    /// The same binding with `options`.
    #[must_use]
    pub fn with_options(mut self, options: ListenOptions) -> Self {
        self.options = options;
        self
    }

    /// The same binding over `transport`.
    #[must_use]
    pub fn with_transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The target.
    pub fn target(&self) -> &BindTarget {
        &self.target
    }

    /// The options; those the tool's string does not set are bindpolicy's defaults.
    pub fn options(&self) -> &ListenOptions {
        &self.options
    }

    /// TCP or UDP.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The same sockets, said one way: options that change nothing for this target are
    /// cleared (`dual_stack` off a target without the IPv6 wildcard, `bind_device` off one
    /// without an interface, `nonblocking`, which is not configuration), and a dual-stack
    /// `[::]:P` becomes `*:P`. A writer's output reads back as this.
    ///
    /// ```
    /// use bindpolicy::Binding;
    ///
    /// let b: Binding = "[::]:80 dual_stack nonblocking".parse()?;
    /// assert_eq!(b.normalized().to_string(), "*:80 dual_stack");
    /// let b: Binding = "localhost:80 dual_stack bind_device".parse()?;
    /// assert_eq!(b.normalized().to_string(), "localhost:80");
    /// # Ok::<(), bindpolicy::ParseError>(())
    /// ```
    #[must_use]
    pub fn normalized(&self) -> Binding {
        let v6_any = matches!(
            self.target,
            BindTarget::Any {
                family: Family::Both | Family::Ipv6,
                ..
            }
        );
        let dual = v6_any && self.options.is_dual_stack();
        let device = self.target.is_specific_interface() && self.options.is_bind_device();
        let target = if dual {
            BindTarget::any(self.target.port())
        } else {
            self.target.clone()
        };
        Binding {
            target,
            options: self
                .options
                .clone()
                .dual_stack(dual)
                .bind_device(device)
                .nonblocking(false),
            transport: self.transport,
        }
    }

    fn map_options(mut self, f: impl FnOnce(ListenOptions) -> ListenOptions) -> Self {
        self.options = f(self.options);
        self
    }
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.options;
        let defaults = ListenOptions::default();
        write!(f, "{}", self.target)?;
        if self.transport == Transport::Udp {
            f.write_str(" udp")?;
        }
        if o.is_dual_stack() {
            f.write_str(" dual_stack")?;
        }
        if o.is_reuse_port() {
            f.write_str(" reuse_port")?;
        }
        if o.get_backlog() != defaults.get_backlog() {
            write!(f, " backlog={}", o.get_backlog())?;
        }
        match o.get_freebind() {
            FreeBind::Always => f.write_str(" freebind=always")?,
            FreeBind::OnAddrNotAvailable => f.write_str(" freebind=on_addr_not_available")?,
            _ => {}
        }
        if o.is_bind_device() {
            f.write_str(" bind_device")?;
        }
        if o.is_nonblocking() {
            f.write_str(" nonblocking")?;
        }
        Ok(())
    }
}

impl FromStr for Binding {
    type Err = crate::target::ParseError;

    /// A target, then any of the words `udp`, `dual_stack`, `reuse_port`, `backlog=N`,
    /// `freebind=always`, `freebind=on_addr_not_available`, `bind_device`, `nonblocking`,
    /// separated by single spaces, as `Display` writes them.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut words = input.split(' ');
        let target: BindTarget = words.next().unwrap_or_default().parse()?;
        let mut binding = Binding::new(target);
        for word in words {
            let offset = lex::at(input, word);
            let bad = || {
                crate::target::ParseError::new(
                    input,
                    offset,
                    crate::target::ParseErrorKind::UnknownOption(word.to_owned()),
                )
            };
            binding = match word {
                "udp" => binding.with_transport(Transport::Udp),
                "dual_stack" => binding.map_options(|o| o.dual_stack(true)),
                "reuse_port" => binding.map_options(|o| o.reuse_port(true)),
                "bind_device" => binding.map_options(|o| o.bind_device(true)),
                "nonblocking" => binding.map_options(|o| o.nonblocking(true)),
                "freebind=always" => binding.map_options(|o| o.freebind(FreeBind::Always)),
                "freebind=on_addr_not_available" => {
                    binding.map_options(|o| o.freebind(FreeBind::OnAddrNotAvailable))
                }
                _ => match word.strip_prefix("backlog=").map(str::parse::<u32>) {
                    Some(Ok(n)) => binding.map_options(|o| o.backlog(n)),
                    _ => return Err(bad()),
                },
            };
        }
        Ok(binding)
    }
}

/// What a tool's bind string means: the [`Binding`]s it opens and the [`DialectWarning`]s
/// where a reader would expect something else. Made by [`Dialect::read`].
///
/// ```
/// use bindpolicy::{Dialect, Transport};
///
/// let t = Dialect::Haproxy.read("bind ipv4@:8000-8001,udp6@:::53 v6only")?;
/// assert_eq!(t.dialect(), Dialect::Haproxy);
/// let bindings: Vec<String> = t.bindings().iter().map(|b| b.to_string()).collect();
/// assert_eq!(bindings, ["0.0.0.0:8000 reuse_port", "0.0.0.0:8001 reuse_port", "[::]:53 udp reuse_port"]);
/// assert_eq!(t.bindings()[2].transport(), Transport::Udp);
/// assert!(t.warnings().is_empty());
/// # Ok::<(), bindpolicy::DialectError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    dialect: Dialect,
    input: String,
    bindings: Vec<Binding>,
    warnings: Vec<DialectWarning>,
}

impl Translation {
    fn new(dialect: Dialect, input: &str, out: lex::Out) -> Self {
        let (bindings, merged) = merge(out.bindings);
        let merged: std::collections::HashSet<u16> = merged.into_iter().collect();
        let mut warnings = out.warnings;
        // `listen 80; listen [::]:80;`: the first is no longer IPv4 only.
        warnings.retain(
            |w| !matches!(w, DialectWarning::Ipv4Only { port, .. } if merged.contains(port)),
        );
        let mut seen = Vec::with_capacity(warnings.len());
        for w in warnings {
            if !seen.contains(&w) {
                seen.push(w);
            }
        }
        Translation {
            dialect,
            input: input.to_owned(),
            bindings,
            warnings: seen,
        }
    }

    /// The dialect read.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The input, as given.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The listeners the tool opens for it, in order, IPv4/IPv6 pairs merged.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// What differs from a reader's expectation, or from bindpolicy's own grammar.
    pub fn warnings(&self) -> &[DialectWarning] {
        &self.warnings
    }

    /// The bindings written in `dialect`, one statement a line.
    ///
    /// # Errors
    ///
    /// The first binding `dialect` cannot say; see [`Dialect::write`].
    ///
    /// ```
    /// use bindpolicy::Dialect;
    ///
    /// let docker = Dialect::Docker.read("-p 127.0.0.1:8080:80")?;
    /// assert_eq!(docker.write(Dialect::Nginx)?, "listen 127.0.0.1:8080;");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write(&self, dialect: Dialect) -> Result<String, WriteError> {
        let lines: Result<Vec<String>, WriteError> =
            self.bindings.iter().map(|b| dialect.write(b)).collect();
        Ok(lines?.join("\n"))
    }
}

/// Merges each IPv4/IPv6 pair of `Any` (or `Loopback`) bindings with the same port, transport
/// and options into one of both families, at the first one's place. Returns the ports merged.
/// Linear: a HAProxy range of 65535 ports is 65535 bindings.
fn merge(bindings: Vec<Binding>) -> (Vec<Binding>, Vec<u16>) {
    use std::collections::{HashMap, VecDeque};
    type Key = (bool, u16, Transport, ListenOptions, Family);
    let mut out: Vec<Binding> = Vec::with_capacity(bindings.len());
    let mut merged = Vec::new();
    // The unpaired halves so far, by what their partner would be.
    let mut pending: HashMap<Key, VecDeque<usize>> = HashMap::new();
    for b in bindings {
        let half = match &b.target {
            BindTarget::Any { family, port } => Some((false, *port, *family)),
            BindTarget::Loopback { family, port } => Some((true, *port, *family)),
            _ => None,
        };
        let Some((loopback, port, family)) = half.filter(|_| !b.options.is_dual_stack()) else {
            out.push(b);
            continue;
        };
        let other = match family {
            Family::Ipv4 => Family::Ipv6,
            Family::Ipv6 => Family::Ipv4,
            _ => {
                out.push(b);
                continue;
            }
        };
        let partner_key = (loopback, port, b.transport, b.options.clone(), other);
        let partner = pending.get_mut(&partner_key).and_then(VecDeque::pop_front);
        match partner.and_then(|i| out.get_mut(i)) {
            Some(o) => {
                o.target = both(&o.target);
                merged.push(port);
            }
            None => {
                pending
                    .entry((loopback, port, b.transport, b.options.clone(), family))
                    .or_default()
                    .push_back(out.len());
                out.push(b);
            }
        }
    }
    (out, merged)
}

fn both(target: &BindTarget) -> BindTarget {
    match target {
        BindTarget::Any { port, .. } => BindTarget::any(*port),
        BindTarget::Loopback { port, .. } => BindTarget::loopback(*port),
        other => other.clone(),
    }
}

/// The IP addresses a writer spells out for `target`: both halves of a both-families target.
fn halves(target: &BindTarget) -> Result<Vec<std::net::IpAddr>, WriteErrorKind> {
    use crate::target::LocalInterface;
    use std::net::{Ipv4Addr, Ipv6Addr};
    let pick = |family: Family, v4: Ipv4Addr, v6: Ipv6Addr| match family {
        Family::Ipv4 => vec![v4.into()],
        Family::Ipv6 => vec![v6.into()],
        _ => vec![v4.into(), v6.into()],
    };
    match target {
        BindTarget::Any { family, .. } => {
            Ok(pick(*family, Ipv4Addr::UNSPECIFIED, Ipv6Addr::UNSPECIFIED))
        }
        BindTarget::Loopback { family, .. } => {
            Ok(pick(*family, Ipv4Addr::LOCALHOST, Ipv6Addr::LOCALHOST))
        }
        BindTarget::SpecificInterface {
            interface: LocalInterface::Address(addr),
            ..
        } if addr.zone().is_none() => Ok(vec![addr.ip()]),
        BindTarget::SpecificInterface {
            interface: LocalInterface::Address(_),
            ..
        } => Err(WriteErrorKind::Zone),
        BindTarget::SpecificInterface { .. } => Err(WriteErrorKind::InterfaceName),
        _ => Err(WriteErrorKind::SourcePorts),
    }
}

/// The backlog to write: `None` for bindpolicy's default.
fn backlog(options: &ListenOptions) -> Option<u32> {
    let n = options.get_backlog();
    (n != ListenOptions::default().get_backlog()).then_some(n)
}
