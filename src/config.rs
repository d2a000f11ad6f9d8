//! An application's listen section: several targets, a policy and the options, linted and
//! checked as a whole before anything binds. Also: targets from environment variables.

use std::fmt;
use std::io;

use crate::error::{Error, ErrorKind};
use crate::interfaces::Interfaces;
use crate::listen::{ListenOptions, Listeners};
use crate::policy::{BindPolicy, PolicyViolation};
use crate::resolve::Resolved;
use crate::target::{BindTarget, Family, ParseError, parse_port};

/// The error of a listen section: [`ListenConfig::listen`], [`BindTarget::from_env`] and
/// [`BindTarget::from_port_env`]. It wraps the lower layers' errors and adds its own.
///
/// Match on [`ConfigError::kind`] for one stable category across all of them.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Resolving or binding a target failed.
    #[error(transparent)]
    Bind(#[from] Error),

    /// A resolved target breaks the section's policy.
    #[error(transparent)]
    Policy(#[from] PolicyViolation),

    /// Two targets of the section would collide.
    #[error("overlapping listen targets: {0}")]
    Overlap(Box<Overlap>),

    /// The environment variable is not set.
    #[error("environment variable {var} is not set")]
    EnvNotSet {
        /// The variable.
        var: String,
    },

    /// The environment variable holds no valid bind target (or port).
    #[error("environment variable {var}: {error}")]
    EnvInvalid {
        /// The variable.
        var: String,
        /// Why its value does not parse; [`ParseError::input`] is the value.
        error: ParseError,
    },

    /// The environment variable's value is not Unicode.
    #[error("environment variable {var} is not valid Unicode: {value:?}")]
    EnvNotUnicode {
        /// The variable.
        var: String,
        /// Its value, lossily converted.
        value: String,
    },
}

impl ConfigError {
    /// The stable category: the wrapped error's kind, [`ErrorKind::Overlap`],
    /// [`ErrorKind::EnvNotSet`] or [`ErrorKind::EnvInvalid`] (a value that is not Unicode too).
    pub fn kind(&self) -> ErrorKind {
        match self {
            ConfigError::Bind(err) => err.kind(),
            ConfigError::Policy(violation) => violation.kind(),
            ConfigError::Overlap(_) => ErrorKind::Overlap,
            ConfigError::EnvNotSet { .. } => ErrorKind::EnvNotSet,
            ConfigError::EnvInvalid { .. } | ConfigError::EnvNotUnicode { .. } => {
                ErrorKind::EnvInvalid
            }
        }
    }
}

impl fmt::Debug for ConfigError {
    /// The kind and the message (a wrapped [`Error`]'s causes too), so that `fn main() ->
    /// Result<(), ConfigError>` prints the fix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Bind(err) => fmt::Debug::fmt(err, f),
            _ => write!(f, "{}: {self}", self.kind()),
        }
    }
}

impl From<ConfigError> for io::Error {
    /// The matching `io::ErrorKind`, with the whole [`ConfigError`] as the inner error.
    fn from(err: ConfigError) -> io::Error {
        io::Error::new(err.kind().io_kind(), err)
    }
}

/// An application's listen section.
///
/// With the `serde` feature it deserializes from a config file; unknown keys are errors.
/// `listen` is a list of targets or one target as a string (`listen = "localhost:8080"`), in
/// any self-describing format (TOML, JSON, YAML) and through an environment override, which
/// usually arrives as a string (figment's `Env` is tested: one target, or a list in its array
/// syntax):
///
/// ```toml
/// listen = ["127.0.0.1:8080", "[::1]:8080"]
///
/// [policy]
/// allow_wildcard = false
/// scopes = ["loopback", "private"]
///
/// [options]
/// backlog = 512
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct ListenConfig {
    /// The targets, each bound on its own. Deserializes from a list or from one string.
    #[cfg_attr(feature = "serde", serde(deserialize_with = "one_or_many"))]
    pub listen: Vec<BindTarget>,
    /// What they may expose (default: everything).
    #[cfg_attr(feature = "serde", serde(default))]
    pub policy: BindPolicy,
    /// The options for every target.
    #[cfg_attr(feature = "serde", serde(default))]
    pub options: ListenOptions,
}

/// `listen`: one target as a string, or a list of them.
#[cfg(feature = "serde")]
fn one_or_many<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<BindTarget>, D::Error> {
    struct OneOrMany;

    impl<'de> serde::de::Visitor<'de> for OneOrMany {
        type Value = Vec<BindTarget>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a bind target such as \"localhost:8080\", or a list of them")
        }

        fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
            value.parse().map(|t| vec![t]).map_err(E::custom)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut targets = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(target) = seq.next_element::<BindTarget>()? {
                targets.push(target);
            }
            Ok(targets)
        }
    }

    deserializer.deserialize_any(OneOrMany)
}

/// Two targets of one [`ListenConfig`] that would collide, found before any bind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Overlap {
    /// The same target twice.
    Duplicate(BindTarget),
    /// Two wildcards that cover one family on one port, e.g. `0.0.0.0:P` with `*:P`.
    WildcardTwice(BindTarget, BindTarget),
    /// A specific address (or interface, or loopback) with a wildcard of its family on the
    /// same port: Linux refuses the second listener with EADDRINUSE.
    SpecificWithWildcard {
        /// The specific target.
        specific: BindTarget,
        /// The wildcard.
        wildcard: BindTarget,
    },
    /// With `dual_stack`, `[::]:P` also covers IPv4, so an IPv4 target on P collides.
    DualStack {
        /// The IPv6 wildcard.
        dual: BindTarget,
        /// The IPv4 target.
        ipv4: BindTarget,
    },
    /// `localhost:P` with `127.0.0.1:P` or `[::1]:P`.
    LoopbackTwice(BindTarget, BindTarget),
    /// Two targets that resolve to the same address and port, e.g. `eth0:P` and one of eth0's
    /// addresses; found after resolve.
    SameAddress {
        /// The first target.
        first: BindTarget,
        /// The second target.
        second: BindTarget,
        /// The address both would bind.
        addr: std::net::SocketAddr,
    },
}

impl fmt::Display for Overlap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Overlap::Duplicate(t) => write!(f, "{t} is listed twice; remove one"),
            Overlap::WildcardTwice(a, b) => write!(
                f,
                "{a} and {b} both cover every address of one family on port {}; keep {}",
                a.port(),
                if a.family() == Some(Family::Both) {
                    a
                } else {
                    b
                }
            ),
            Overlap::SpecificWithWildcard { specific, wildcard } => write!(
                f,
                "{specific} overlaps {wildcard}: the wildcard already accepts on that address, \
                 and Linux refuses the second listener with EADDRINUSE (with reuse_port both \
                 bind, and the kernel splits the connections between them); keep one"
            ),
            Overlap::DualStack { dual, ipv4 } => write!(
                f,
                "{ipv4} overlaps {dual}: with dual_stack, {dual} also accepts IPv4; drop {ipv4} \
                 or turn dual_stack off"
            ),
            Overlap::LoopbackTwice(a, b) => write!(
                f,
                "{a} and {b} overlap: localhost already covers 127.0.0.1 and ::1; keep one"
            ),
            Overlap::SameAddress {
                first,
                second,
                addr,
            } => write!(
                f,
                "{first} and {second} both bind {addr}, and the second bind fails with \
                 EADDRINUSE; keep one"
            ),
        }
    }
}

impl ListenConfig {
    /// A config of `targets` with the permissive policy and default options.
    pub fn new(targets: impl IntoIterator<Item = BindTarget>) -> Self {
        ListenConfig {
            listen: targets.into_iter().collect(),
            ..ListenConfig::default()
        }
    }

    /// Every pair of targets that would collide on bind, from the targets alone. Port 0 never
    /// collides (each target gets its own port), but a target listed twice is reported
    /// whatever its port. Interface names are compared with wildcards here and with addresses
    /// after resolve, in [`ListenConfig::listen`].
    pub fn lint(&self) -> Vec<Overlap> {
        let mut found = Vec::new();
        for (i, a) in self.listen.iter().enumerate() {
            for b in self.listen.iter().skip(i + 1) {
                if let Some(overlap) = overlap(a, b, self.options.is_dual_stack()) {
                    found.push(overlap);
                }
            }
        }
        found
    }

    /// Lints, resolves (one enumeration for all targets), checks the policy, then binds, in
    /// that order. All or nothing: on any error every listener already bound is closed.
    ///
    /// An `fd:N` or `fd:NAME` target takes the socket the service manager handed over, as
    /// [`BindTarget::listen_with`] does, at the resolve step: its address is known only then.
    /// That address (a dual-stack `[::]:P` as `*:P`) stands for it before the policy and the
    /// overlap check, so a `.socket` unit cannot widen what the section allows. Ordinary
    /// targets inherit as [`ListenOptions::inherit`] says.
    ///
    /// ```
    /// use bindpolicy::{BindTarget, ErrorKind, ListenConfig};
    ///
    /// // Not socket-activated: an fd: target is refused, and nothing else was bound.
    /// let config = ListenConfig::new(["localhost:0".parse()?, "fd:web".parse()?]);
    /// let err = config.listen().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InheritedMismatch);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::Overlap`] for the first lint finding, [`ConfigError::Policy`], and
    /// [`ConfigError::Bind`] with any error of [`BindTarget::resolve_with`] and
    /// [`Resolved::listen_with`] (and, for an `fd:` target, `inherited_mismatch` as
    /// [`BindTarget::listen_with`] gives it). The facts are those of
    /// [`Interfaces::current_for`], a superset of what [`BindTarget::resolve`] reads: each
    /// target gets the verdict `resolve()` gives it, and the policy's fix can name any address
    /// of the machine.
    pub fn listen(&self) -> Result<Vec<Listeners>, ConfigError> {
        if let Some(overlap) = self.lint().into_iter().next() {
            return Err(ConfigError::Overlap(Box::new(overlap)));
        }
        let interfaces = Interfaces::current_for(&self.listen)?;
        // Each target's plan: what it resolves to, and the listener of an fd: target, taken.
        let mut plans: Vec<(Resolved, Option<Listeners>)> = Vec::with_capacity(self.listen.len());
        for t in &self.listen {
            plans.push(match t {
                BindTarget::Inherited(which) => {
                    let (listeners, resolved) =
                        crate::listen::inherited_listen(t, which, &self.options, &interfaces)?;
                    (resolved, Some(listeners))
                }
                _ => (
                    crate::listen::freebind_fallback(
                        t.resolve_with(&interfaces),
                        t,
                        &self.options,
                    )?,
                    None,
                ),
            });
        }
        let resolved: Vec<(&BindTarget, &Resolved)> = self
            .listen
            .iter()
            .zip(plans.iter().map(|(r, _)| r))
            .collect();
        if let Some(overlap) = same_address(&resolved) {
            return Err(ConfigError::Overlap(Box::new(overlap)));
        }
        for (_, r) in &resolved {
            self.policy.check(r)?;
        }
        Ok(plans
            .into_iter()
            .map(|(r, taken)| match taken {
                Some(listeners) => Ok(listeners),
                None => r.listen_with(&self.options),
            })
            .collect::<Result<_, Error>>()?)
    }
}

fn overlap(a: &BindTarget, b: &BindTarget, dual_stack: bool) -> Option<Overlap> {
    use BindTarget::{Any, Loopback, SpecificInterface};
    if a == b {
        return Some(Overlap::Duplicate(a.clone()));
    }
    if a.port() != b.port() || a.port() == 0 || a.is_port_only() || b.is_port_only() {
        return None;
    }
    // Which families each covers; None for an interface name (either).
    let covers = |t: &BindTarget, v6: bool| match t.family() {
        Some(Family::Both) | None => true,
        Some(Family::Ipv4) => !v6,
        Some(Family::Ipv6) => v6,
    };
    let shares = |x: &BindTarget, y: &BindTarget| {
        (covers(x, false) && covers(y, false)) || (covers(x, true) && covers(y, true))
    };
    let dual_v6 = |t: &BindTarget| {
        dual_stack
            && matches!(
                t,
                Any {
                    family: Family::Ipv6 | Family::Both,
                    ..
                }
            )
    };
    match (a, b) {
        (Any { .. }, Any { .. }) if shares(a, b) => {
            Some(Overlap::WildcardTwice(a.clone(), b.clone()))
        }
        (Any { .. }, Any { .. }) if dual_v6(a) || dual_v6(b) => Some(dual(a, b)),
        (Any { .. }, Loopback { .. } | SpecificInterface { .. }) if shares(a, b) => {
            Some(Overlap::SpecificWithWildcard {
                specific: b.clone(),
                wildcard: a.clone(),
            })
        }
        (Loopback { .. } | SpecificInterface { .. }, Any { .. }) if shares(a, b) => {
            Some(Overlap::SpecificWithWildcard {
                specific: a.clone(),
                wildcard: b.clone(),
            })
        }
        (Any { .. }, _) | (_, Any { .. })
            if (dual_v6(a) && covers(b, false)) || (dual_v6(b) && covers(a, false)) =>
        {
            Some(dual(a, b))
        }
        (Loopback { .. }, Loopback { .. }) if shares(a, b) => {
            Some(Overlap::LoopbackTwice(a.clone(), b.clone()))
        }
        _ => None,
    }
}

/// Two resolved targets that bind one address and port (port 0 aside), named as the section
/// writes them (an `fd:` target's plan is its socket's address).
fn same_address(resolved: &[(&BindTarget, &Resolved)]) -> Option<Overlap> {
    for (i, (first, a)) in resolved.iter().enumerate() {
        for (second, b) in resolved.iter().skip(i + 1) {
            let shared = a
                .socket_addrs()
                .filter(|addr| addr.port() != 0)
                .find(|addr| b.socket_addrs().any(|other| other == *addr));
            if let Some(addr) = shared {
                return Some(Overlap::SameAddress {
                    first: (*first).clone(),
                    second: (*second).clone(),
                    addr,
                });
            }
        }
    }
    None
}

fn dual(a: &BindTarget, b: &BindTarget) -> Overlap {
    let a_is_dual = matches!(
        a,
        BindTarget::Any {
            family: Family::Ipv6 | Family::Both,
            ..
        }
    );
    let (dual, ipv4) = if a_is_dual { (a, b) } else { (b, a) };
    Overlap::DualStack {
        dual: dual.clone(),
        ipv4: ipv4.clone(),
    }
}

impl BindTarget {
    /// Parses the environment variable `var`, e.g. `APP_BIND=127.0.0.1:8080`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::EnvNotSet`] when it is unset (so a caller can fall back to a default);
    /// [`ConfigError::EnvInvalid`], naming the variable, its value and why, when it does not
    /// parse; [`ConfigError::EnvNotUnicode`] when it is not Unicode (kind `env_invalid` too).
    ///
    /// ```
    /// use bindpolicy::{BindTarget, ErrorKind};
    ///
    /// let target = BindTarget::from_env("APP_BIND_NEVER_SET").or_else(|err| match err.kind() {
    ///     ErrorKind::EnvNotSet => Ok(BindTarget::loopback(8080)),
    ///     _ => Err(err),
    /// })?;
    /// assert_eq!(target.to_string(), "localhost:8080");
    /// # Ok::<(), bindpolicy::ConfigError>(())
    /// ```
    pub fn from_env(var: &str) -> Result<BindTarget, ConfigError> {
        let value = env_value(var)?;
        value.parse().map_err(|error| ConfigError::EnvInvalid {
            var: var.to_owned(),
            error,
        })
    }

    /// `*:$PORT` from a variable that holds only a port, as Heroku, Cloud Run, Fly.io and
    /// Render hand one out: every interface, both families.
    ///
    /// # Errors
    ///
    /// As [`BindTarget::from_env`]; the value must be a port (0-65535, no sign or leading zero).
    pub fn from_port_env(var: &str) -> Result<BindTarget, ConfigError> {
        let value = env_value(var)?;
        parse_port(&value)
            .map(BindTarget::any)
            .map_err(|error| ConfigError::EnvInvalid {
                var: var.to_owned(),
                error,
            })
    }
}

fn env_value(var: &str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(value) => Ok(value),
        Err(std::env::VarError::NotPresent) => Err(ConfigError::EnvNotSet {
            var: var.to_owned(),
        }),
        Err(std::env::VarError::NotUnicode(raw)) => Err(ConfigError::EnvNotUnicode {
            var: var.to_owned(),
            value: raw.to_string_lossy().into_owned(),
        }),
    }
}
