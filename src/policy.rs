//! `BindPolicy`: what a service may expose, checked against a resolved target before it binds.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};

use ipnet::IpNet;

use crate::error::ErrorKind;
use crate::interfaces::Scope;
use crate::resolve::{Reach, Reachable, Resolved};
use crate::target::{BindTarget, PortRange};
use crate::text::join_or;

/// Rules for what a resolved target may expose. Every rule left unset allows everything.
///
/// ```
/// use bindpolicy::{BindPolicy, BindTarget, Interface, InterfaceAddr, Interfaces};
///
/// let snapshot = Interfaces::from_interfaces([
///     Interface::new("lo", 1).with_addr(InterfaceAddr::new([127, 0, 0, 1].into(), 8)),
///     Interface::new("eth1", 2).with_addr(InterfaceAddr::new([10, 0, 0, 5].into(), 24)),
/// ]);
/// let policy = BindPolicy::private_networks().allow_wildcard(false);
/// let resolved = BindTarget::any_v4(8080).resolve_with(&snapshot)?;
/// let err = policy.check(&resolved).unwrap_err();
/// assert!(err.to_string().contains("listen on 10.0.0.5:8080 (eth1) instead of 0.0.0.0:8080"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct BindPolicy {
    allow_wildcard: Option<bool>,
    #[cfg_attr(feature = "serde", serde(deserialize_with = "networks::deserialize"))]
    networks: Option<Vec<IpNet>>,
    interfaces: Option<Vec<String>>,
    scopes: Option<Vec<Scope>>,
    ports: Option<Vec<PortRange>>,
    allow_privileged_ports: Option<bool>,
    source_ports: Option<Vec<PortRange>>,
}

/// The rule a [`BindPolicy`] check failed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyRule {
    /// `allow_wildcard = false`.
    Wildcard,
    /// `networks`.
    Networks,
    /// `interfaces`.
    Interfaces,
    /// `scopes`.
    Scopes,
    /// `ports`.
    Ports,
    /// `allow_privileged_ports = false`.
    PrivilegedPorts,
    /// `source_ports`.
    SourcePorts,
}

impl PolicyRule {
    /// The rule's key in a config file, e.g. `allow_wildcard`.
    pub const fn as_str(self) -> &'static str {
        match self {
            PolicyRule::Wildcard => "allow_wildcard",
            PolicyRule::Networks => "networks",
            PolicyRule::Interfaces => "interfaces",
            PolicyRule::Scopes => "scopes",
            PolicyRule::Ports => "ports",
            PolicyRule::PrivilegedPorts => "allow_privileged_ports",
            PolicyRule::SourcePorts => "source_ports",
        }
    }
}

impl fmt::Display for PolicyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resolved target breaks a [`BindPolicy`] rule: the error of [`BindPolicy::check`].
///
/// The message names the rule and ends with the smallest change that complies with every rule
/// at once:
///
/// ```
/// use bindpolicy::{BindPolicy, BindTarget, ErrorKind, Interface, InterfaceAddr, Interfaces, PolicyRule};
///
/// let snapshot = Interfaces::from_interfaces([
///     Interface::new("lo", 1).with_addr(InterfaceAddr::new([127, 0, 0, 1].into(), 8)),
/// ]);
/// let resolved = BindTarget::any_v4(8080).resolve_with(&snapshot)?;
/// let err = BindPolicy::local_only().check(&resolved).unwrap_err();
/// assert_eq!(err.rule(), PolicyRule::Wildcard);
/// assert_eq!(err.kind(), ErrorKind::PolicyViolation);
/// assert_eq!(err.addr(), Some("0.0.0.0:8080".parse()?));
/// assert_eq!(
///     err.to_string(),
///     "policy violation (allow_wildcard): 0.0.0.0:8080 is a wildcard, which the policy \
///      forbids; listen on 127.0.0.1:8080 (lo) instead of 0.0.0.0:8080"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy violation ({rule}): {fix}")]
pub struct PolicyViolation {
    rule: PolicyRule,
    target: String,
    addr: Option<SocketAddr>,
    fix: String,
}

impl PolicyViolation {
    /// The rule that was broken.
    pub fn rule(&self) -> PolicyRule {
        self.rule
    }

    /// The target, as written.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The offending address, for the address rules (with a link-local zone).
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// What is wrong and the smallest change that complies.
    pub fn fix(&self) -> &str {
        &self.fix
    }

    /// Always [`ErrorKind::PolicyViolation`], for code that matches kinds of every error.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::PolicyViolation
    }
}

impl fmt::Debug for PolicyViolation {
    /// The kind and the message, so `fn main() -> Result<…>` prints the fix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {self}", self.kind())
    }
}

impl From<PolicyViolation> for io::Error {
    /// `PermissionDenied`, with the violation as the inner error.
    fn from(err: PolicyViolation) -> io::Error {
        io::Error::new(err.kind().io_kind(), err)
    }
}

/// The highest privileged port on every OS's default: ports below 1024.
const FIRST_UNPRIVILEGED: u16 = 1024;

impl BindPolicy {
    /// Allows everything: the same as `BindPolicy::default()`.
    pub fn permissive() -> Self {
        BindPolicy::default()
    }

    /// This machine only: no wildcard, loopback addresses only ([`Scope::Loopback`]); every
    /// other class, [`Scope::Benchmarking`] and [`Scope::Documentation`] included, is refused.
    pub fn local_only() -> Self {
        BindPolicy {
            allow_wildcard: Some(false),
            scopes: Some(vec![Scope::Loopback]),
            ..BindPolicy::default()
        }
    }

    /// Loopback, link-local and private (RFC 1918, ULA) addresses; a wildcard only where every
    /// address it covers is one of those.
    ///
    /// Only [`Scope::Loopback`], [`Scope::LinkLocal`] and [`Scope::Private`]: a shared
    /// (carrier-grade NAT), documentation, benchmarking, multicast, reserved or global address
    /// is refused. None of those is a private network of yours: a documentation or reserved
    /// address on an interface is a mistake, and a benchmarking network (198.18.0.0/15) is a
    /// lab's, so a policy that means to allow one names its class:
    /// `.scopes([Scope::Loopback, Scope::Private, Scope::Benchmarking])`.
    pub fn private_networks() -> Self {
        BindPolicy {
            scopes: Some(vec![Scope::Loopback, Scope::LinkLocal, Scope::Private]),
            ..BindPolicy::default()
        }
    }

    /// Whether a wildcard (`*`, `0.0.0.0`, `[::]`) is allowed.
    #[must_use]
    pub fn allow_wildcard(mut self, allow: bool) -> Self {
        self.allow_wildcard = Some(allow);
        self
    }

    /// The networks every reachable address must be in.
    #[must_use]
    /// Host bits are cleared: `10.9.8.7/16` is kept as `10.9.0.0/16`.
    pub fn networks(mut self, networks: impl IntoIterator<Item = IpNet>) -> Self {
        self.networks = Some(networks.into_iter().map(|n| n.trunc()).collect());
        self
    }

    /// The interfaces every reachable address must be on.
    #[must_use]
    pub fn interfaces<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.interfaces = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// The scope classes every reachable address must have: a reachable address whose
    /// [`Scope`] is not among them breaks the policy. Named in a config by
    /// [`Scope::as_str`]: `scopes = ["loopback", "private", "benchmarking"]`.
    #[must_use]
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = Scope>) -> Self {
        self.scopes = Some(scopes.into_iter().collect());
        self
    }

    /// The ports a listener may use (port 0 is then refused: the OS could pick any port).
    #[must_use]
    pub fn ports(mut self, ports: impl IntoIterator<Item = PortRange>) -> Self {
        self.ports = Some(ports.into_iter().collect());
        self
    }

    /// Whether ports below 1024 are allowed.
    #[must_use]
    pub fn allow_privileged_ports(mut self, allow: bool) -> Self {
        self.allow_privileged_ports = Some(allow);
        self
    }

    /// The source ports a client bind (`port:`) may pin.
    #[must_use]
    pub fn source_ports(mut self, ports: impl IntoIterator<Item = PortRange>) -> Self {
        self.source_ports = Some(ports.into_iter().collect());
        self
    }

    /// Checks a resolved target against every rule.
    ///
    /// A wildcard is judged by every address it covers (its exposure), so `0.0.0.0` on a
    /// machine with a public address fails `scopes = ["private"]`.
    ///
    /// # Errors
    ///
    /// A [`PolicyViolation`] naming the first rule broken (wildcard, then the address
    /// rules, then the port rules), the offending address, and the smallest change that
    /// complies with every rule at once, e.g. "listen on 10.0.0.5:8080 (eth1) instead of
    /// 0.0.0.0:8080". The alternatives are this machine's addresses that comply; a listener
    /// that reached networks is offered network addresses before loopback ones.
    pub fn check(&self, resolved: &Resolved) -> Result<(), PolicyViolation> {
        let target = resolved.target();
        if let BindTarget::Port(range) = target {
            return self.check_source_ports(target, *range);
        }
        let wildcard = resolved.socket_addrs().find(|a| a.ip().is_unspecified());
        let offending = resolved
            .exposure()
            .reachable()
            .iter()
            .find_map(|r| self.broken_rule(r).map(|rule| (rule, r)));
        let (rule, addr, what) =
            if let (Some(wildcard), Some(false)) = (wildcard, self.allow_wildcard) {
                let what = format!("{target} is a wildcard, which the policy forbids");
                (PolicyRule::Wildcard, Some(wildcard), what)
            } else if let Some((rule, reachable)) = offending {
                let addr = reachable_socket_addr(reachable, target.port());
                (
                    rule,
                    Some(addr),
                    self.address_problem(target, rule, reachable),
                )
            } else if let Some((rule, what)) = self.port_problem(target.port()) {
                (rule, None, format!("{target}: {what}"))
            } else {
                return Ok(());
            };
        let address_ok = rule != PolicyRule::Wildcard && offending.is_none();
        let fix = format!("{what}; {}", self.remedy(resolved, address_ok));
        Err(PolicyViolation {
            rule,
            target: target.to_string(),
            addr,
            fix,
        })
    }

    /// The first address rule `reachable` breaks.
    fn broken_rule(&self, reachable: &Reachable) -> Option<PolicyRule> {
        if let Some(scopes) = &self.scopes {
            if !scopes.contains(&reachable.scope()) {
                return Some(PolicyRule::Scopes);
            }
        }
        if let Some(networks) = &self.networks {
            if !networks.iter().any(|n| n.contains(&reachable.ip())) {
                return Some(PolicyRule::Networks);
            }
        }
        if let Some(interfaces) = &self.interfaces {
            if !interfaces.iter().any(|i| i == reachable.interface()) {
                return Some(PolicyRule::Interfaces);
            }
        }
        None
    }

    /// "T would accept connections on IP (IFACE, a SCOPE address), outside the allowed RULE
    /// (LIST)".
    fn address_problem(&self, target: &BindTarget, rule: PolicyRule, r: &Reachable) -> String {
        let allowed = match rule {
            PolicyRule::Scopes => self
                .scopes
                .as_deref()
                .map(|s| list(s.iter().map(|s| s.as_str()))),
            PolicyRule::Networks => self
                .networks
                .as_deref()
                .map(|n| list(n.iter().map(IpNet::trunc))),
            PolicyRule::Interfaces => self.interfaces.as_deref().map(|i| list(i.iter())),
            _ => None,
        }
        .unwrap_or_default();
        format!(
            "{target} would accept connections on {} ({}, a {} address), outside the allowed \
             {rule} ({allowed})",
            r.ip(),
            r.interface(),
            r.scope().as_str().replace('_', "-"),
        )
    }

    /// Whether `port` is allowed, and if not, which rule says no and why.
    fn port_problem(&self, port: u16) -> Option<(PolicyRule, String)> {
        if let Some(ports) = &self.ports {
            if port == 0 {
                return Some((
                    PolicyRule::Ports,
                    format!(
                        "port 0 lets the OS pick any port, and the policy allows only {}",
                        list(ports.iter())
                    ),
                ));
            }
            if ports.is_empty() {
                return Some((
                    PolicyRule::Ports,
                    "the policy allows no port (its ports list is empty)".to_owned(),
                ));
            }
            if !ports.iter().any(|r| r.contains(port)) {
                return Some((
                    PolicyRule::Ports,
                    format!(
                        "port {port} is not among the allowed ports ({})",
                        list(ports.iter())
                    ),
                ));
            }
        }
        if self.allow_privileged_ports == Some(false) && port != 0 && port < FIRST_UNPRIVILEGED {
            return Some((
                PolicyRule::PrivilegedPorts,
                format!("port {port} is privileged (below {FIRST_UNPRIVILEGED})"),
            ));
        }
        None
    }

    /// The allowed port nearest to `port` (itself when allowed); `None` when no port is.
    fn nearest_port(&self, port: u16) -> Option<u16> {
        if self.port_problem(port).is_none() {
            return Some(port);
        }
        let floor = if self.allow_privileged_ports == Some(false) {
            FIRST_UNPRIVILEGED
        } else {
            1
        };
        let all = [PortRange::single(0)];
        let ranges: &[PortRange] = self.ports.as_deref().unwrap_or(&all);
        ranges
            .iter()
            .filter_map(|r| {
                let (lo, hi) = match self.ports {
                    Some(_) => (r.first().max(floor), r.last()),
                    None => (floor, u16::MAX),
                };
                (lo <= hi).then(|| port.clamp(lo, hi))
            })
            .min_by_key(|p| p.abs_diff(port))
    }

    /// "listen on A (eth1) or B (eth0) instead of T", with an allowed port, or why not.
    fn remedy(&self, resolved: &Resolved, address_ok: bool) -> String {
        let target = resolved.target();
        let Some(port) = self.nearest_port(target.port()) else {
            return "the policy allows no port at all; change its ports".to_owned();
        };
        if address_ok {
            return format!("listen on {} instead", target.with_port(port));
        }
        let complying: Vec<&Reachable> = resolved
            .machine()
            .iter()
            .filter(|r| self.broken_rule(r).is_none())
            .collect();
        // A listener that reached networks should keep reaching one: offer loopback only
        // when no network address complies, or when the target was loopback already.
        let networked = resolved.exposure().reach() != Reach::ThisMachine
            && complying.iter().any(|r| r.scope() != Scope::Loopback);
        let complying: Vec<&Reachable> = complying
            .into_iter()
            .filter(|r| !networked || r.scope() != Scope::Loopback)
            .collect();
        // `0.0.0.0:P` is answered with IPv4 addresses, `[::]:P` with IPv6 ones, where any.
        let same_family = |r: &&Reachable| target.family().is_none_or(|f| f.includes(r.ip()));
        let family_only = complying.iter().any(same_family);
        let allowed: Vec<String> = complying
            .into_iter()
            .filter(|r| !family_only || same_family(r))
            .map(|r| {
                let listen = match (r.ip(), BindTarget::ip(r.ip(), port)) {
                    (IpAddr::V6(v6), _) if v6.is_unicast_link_local() => {
                        format!("[{v6}%{}]:{port}", r.interface())
                    }
                    (_, Ok(t)) => t.to_string(),
                    (ip, Err(_)) => SocketAddr::new(ip, port).to_string(),
                };
                format!("{listen} ({})", r.interface())
            })
            .collect();
        if allowed.is_empty() {
            "no address of this machine complies, so change the policy".to_owned()
        } else {
            format!("listen on {} instead of {target}", join_or(&allowed))
        }
    }

    fn check_source_ports(
        &self,
        target: &BindTarget,
        range: PortRange,
    ) -> Result<(), PolicyViolation> {
        let Some(allowed) = &self.source_ports else {
            return Ok(());
        };
        // Every port of the range must be allowed; adjacent allowed ranges may share the work.
        if range.iter().all(|p| allowed.iter().any(|r| r.contains(p))) {
            return Ok(());
        }
        let overlap = allowed
            .iter()
            .filter_map(|r| {
                let first = r.first().max(range.first());
                let last = r.last().min(range.last());
                PortRange::new(first, last).ok()
            })
            .max_by_key(PortRange::len);
        let suggestion = overlap.or_else(|| allowed.first().copied());
        let what = format!(
            "{target} is outside the allowed source ports ({})",
            list(allowed.iter())
        );
        let fix = match suggestion {
            Some(fix) => format!("{what}; pin port:{fix} instead"),
            None => format!("{what}; no source port is allowed, so connect without pinning one"),
        };
        Err(PolicyViolation {
            rule: PolicyRule::SourcePorts,
            target: target.to_string(),
            addr: None,
            fix,
        })
    }
}

/// The socket address of a reachable address, with the zone of a link-local one.
fn reachable_socket_addr(r: &Reachable, port: u16) -> SocketAddr {
    match r.ip() {
        IpAddr::V6(v6) if v6.is_unicast_link_local() => {
            SocketAddr::V6(SocketAddrV6::new(v6, port, 0, r.zone()))
        }
        ip => SocketAddr::new(ip, port),
    }
}

fn list<T: fmt::Display>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

/// A policy's `networks` as config files write them: `ADDRESS/PREFIX` strings, host bits
/// cleared, with messages that say what is wrong (ipnet's own says only "invalid IP address
/// syntax").
#[cfg(feature = "serde")]
mod networks {
    use std::net::IpAddr;

    use ipnet::IpNet;
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<IpNet>>, D::Error> {
        let nets: Option<Vec<Subnet>> = Option::deserialize(deserializer)?;
        Ok(nets.map(|nets| nets.into_iter().map(|Subnet(net)| net).collect()))
    }

    /// One network, read on its own so that a config file's error points at it.
    struct Subnet(IpNet);

    impl<'de> Deserialize<'de> for Subnet {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            // In a visitor, so the error is raised inside the element's deserializer and a
            // config file's message points at the element.
            deserializer.deserialize_str(SubnetVisitor)
        }
    }

    struct SubnetVisitor;

    impl serde::de::Visitor<'_> for SubnetVisitor {
        type Value = Subnet;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a network such as \"10.0.0.0/8\"")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Subnet, E> {
            parse(text)
                .map(Subnet)
                .map_err(|why| E::custom(format!("invalid network: {why}")))
        }
    }

    fn parse(text: &str) -> Result<IpNet, String> {
        let (ip, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} has no /PREFIX"))?;
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| format!("{ip:?} is not an IP address"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| format!("{prefix:?} is not a prefix length"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        IpNet::new(ip, prefix)
            .map(|net| net.trunc())
            .map_err(|_| format!("prefix /{prefix} is longer than {max} bits"))
    }
}
