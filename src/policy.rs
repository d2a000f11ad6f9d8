//! `BindPolicy`: what a service may expose, checked against a resolved target before it binds.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::interfaces::{InterfaceAddr, Scope};
use crate::resolve::{Reach, Reachable, Resolved};
use crate::target::{BindTarget, PortRange};

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
/// # Ok::<(), bindpolicy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct BindPolicy {
    allow_wildcard: Option<bool>,
    networks: Option<Vec<Cidr>>,
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

/// The highest privileged port on every OS's default: ports below 1024.
const FIRST_UNPRIVILEGED: u16 = 1024;

impl BindPolicy {
    /// Allows everything: the same as `BindPolicy::default()`.
    pub fn permissive() -> Self {
        BindPolicy::default()
    }

    /// This machine only: no wildcard, loopback addresses only.
    pub fn local_only() -> Self {
        BindPolicy {
            allow_wildcard: Some(false),
            scopes: Some(vec![Scope::Loopback]),
            ..BindPolicy::default()
        }
    }

    /// Loopback, link-local and private (RFC 1918, ULA) addresses; a wildcard only where every
    /// address it covers is one of those.
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
    pub fn networks(mut self, networks: impl IntoIterator<Item = Cidr>) -> Self {
        self.networks = Some(networks.into_iter().collect());
        self
    }

    /// The interfaces every reachable address must be on.
    #[must_use]
    pub fn interfaces<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.interfaces = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// The scope classes every reachable address must have.
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
    /// [`Error::PolicyViolation`] naming the first rule broken, the offending address and the
    /// smallest change that complies, e.g. "listen on 10.0.0.5:8080 (eth1) instead of
    /// 0.0.0.0:8080".
    pub fn check(&self, resolved: &Resolved) -> Result<()> {
        let target = resolved.target();
        if let BindTarget::Port(range) = target {
            return self.check_source_ports(target, *range);
        }
        self.check_port(target)?;
        let exposure = resolved.exposure();
        let wildcard = resolved.socket_addrs().find(|a| a.ip().is_unspecified());
        if let (Some(wildcard), Some(false)) = (wildcard, self.allow_wildcard) {
            return Err(self.violation(PolicyRule::Wildcard, target, wildcard, resolved));
        }
        if exposure.reach() == Reach::Nothing {
            return Ok(());
        }
        for reachable in exposure.reachable() {
            if let Some(rule) = self.broken_rule(reachable) {
                let addr = SocketAddr::new(reachable.ip(), target.port());
                return Err(self.violation(rule, target, addr, resolved));
            }
        }
        Ok(())
    }

    /// The first address rule `reachable` breaks.
    fn broken_rule(&self, reachable: &Reachable) -> Option<PolicyRule> {
        if let Some(scopes) = &self.scopes {
            if !scopes.contains(&reachable.scope()) {
                return Some(PolicyRule::Scopes);
            }
        }
        if let Some(networks) = &self.networks {
            if !networks.iter().any(|n| n.contains(reachable.ip())) {
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

    fn check_port(&self, target: &BindTarget) -> Result<()> {
        let port = target.port();
        let fix_port = |fix: String, rule| Error::PolicyViolation {
            rule,
            target: target.to_string(),
            addr: None,
            fix,
        };
        if let Some(ports) = &self.ports {
            if port == 0 || !ports.iter().any(|r| r.contains(port)) {
                let allowed = list(ports.iter());
                let first = ports.first().map_or(0, PortRange::first);
                return Err(fix_port(
                    format!(
                        "port {port} is not in the allowed ports ({allowed}); listen on {} instead",
                        target.with_port(first)
                    ),
                    PolicyRule::Ports,
                ));
            }
        }
        if self.allow_privileged_ports == Some(false) && port != 0 && port < FIRST_UNPRIVILEGED {
            return Err(fix_port(
                format!(
                    "port {port} is privileged (below {FIRST_UNPRIVILEGED}); listen on {} or \
                     another port at or above {FIRST_UNPRIVILEGED} instead",
                    target.with_port(port.saturating_add(8000).max(FIRST_UNPRIVILEGED))
                ),
                PolicyRule::PrivilegedPorts,
            ));
        }
        Ok(())
    }

    fn check_source_ports(&self, target: &BindTarget, range: PortRange) -> Result<()> {
        let Some(allowed) = &self.source_ports else {
            return Ok(());
        };
        let inside = allowed
            .iter()
            .any(|r| r.contains(range.first()) && r.contains(range.last()));
        if inside {
            return Ok(());
        }
        let fix = match allowed.first() {
            Some(first) => format!(
                "source ports {range} are not within the allowed source ports ({}); pin port:{first} \
                 instead",
                list(allowed.iter())
            ),
            None => "no source port is allowed; connect without pinning one".to_owned(),
        };
        Err(Error::PolicyViolation {
            rule: PolicyRule::SourcePorts,
            target: target.to_string(),
            addr: None,
            fix,
        })
    }

    /// The violation, with the smallest complying change: the allowed addresses among those
    /// the target reaches, named one by one.
    fn violation(
        &self,
        rule: PolicyRule,
        target: &BindTarget,
        addr: SocketAddr,
        resolved: &Resolved,
    ) -> Error {
        let port = target.port();
        let complying: Vec<&Reachable> = resolved
            .exposure()
            .reachable()
            .iter()
            .filter(|r| self.broken_rule(r).is_none())
            .collect();
        // A listener that reached networks should keep reaching one: offer loopback only
        // when no network address complies.
        let networked = complying.iter().any(|r| r.scope() != Scope::Loopback);
        let allowed: Vec<String> = complying
            .into_iter()
            .filter(|r| !networked || r.scope() != Scope::Loopback)
            .map(|r| {
                let listen = match BindTarget::ip(r.ip(), port) {
                    Ok(t) => t.to_string(),
                    Err(_) => SocketAddr::new(r.ip(), port).to_string(),
                };
                format!("{listen} ({})", r.interface())
            })
            .collect();
        let what = match rule {
            PolicyRule::Wildcard => format!("{target} is a wildcard, which the policy forbids"),
            _ => format!(
                "{target} would accept connections on {}, which is outside the allowed {}",
                addr.ip(),
                rule
            ),
        };
        let fix = if allowed.is_empty() {
            format!("{what}; no address of this machine is allowed, so change the policy")
        } else {
            format!(
                "{what}; listen on {} instead of {target}",
                join_or(&allowed)
            )
        };
        Error::PolicyViolation {
            rule,
            target: target.to_string(),
            addr: Some(addr),
            fix,
        }
    }
}

fn list<T: fmt::Display>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A network in CIDR notation, e.g. `10.0.0.0/8` or `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix_len: u8,
}

impl Cidr {
    /// The network that holds `ip` with this prefix length (host bits are cleared).
    ///
    /// # Errors
    ///
    /// A prefix longer than the address (above 32 for IPv4, 128 for IPv6).
    pub fn new(ip: IpAddr, prefix_len: u8) -> std::result::Result<Self, CidrError> {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        if prefix_len > max {
            return Err(CidrError(format!(
                "prefix /{prefix_len} is longer than {max} bits"
            )));
        }
        Ok(Cidr {
            network: InterfaceAddr::new(ip, prefix_len).network(),
            prefix_len,
        })
    }

    /// Whether `ip` is in the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.network.is_ipv4()
            && InterfaceAddr::new(ip, self.prefix_len).network() == self.network
    }

    /// The network address.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    /// `ADDRESS/PREFIX`.
    fn from_str(text: &str) -> std::result::Result<Self, CidrError> {
        let (ip, prefix) = text
            .split_once('/')
            .ok_or_else(|| CidrError(format!("{text:?} has no /PREFIX")))?;
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| CidrError(format!("{ip:?} is not an IP address")))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| CidrError(format!("{prefix:?} is not a prefix length")))?;
        Cidr::new(ip, prefix)
    }
}

/// Why a CIDR string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid network: {0}")]
pub struct CidrError(String);

impl FromStr for Scope {
    type Err = ScopeError;

    /// `loopback`, `link_local`, `private`, `shared` or `global`.
    fn from_str(text: &str) -> std::result::Result<Self, ScopeError> {
        Ok(match text {
            "loopback" => Scope::Loopback,
            "link_local" => Scope::LinkLocal,
            "private" => Scope::Private,
            "shared" => Scope::Shared,
            "global" => Scope::Global,
            _ => return Err(ScopeError(text.to_owned())),
        })
    }
}

/// Why a scope name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}; expected loopback, link_local, private, shared or global")]
pub struct ScopeError(String);
