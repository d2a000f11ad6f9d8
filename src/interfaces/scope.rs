//! [`Scope`]: the class of an address by its range, who could possibly reach it.

use std::net::IpAddr;

/// The class of an address, by its range: who could possibly reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scope {
    /// 127.0.0.0/8 and ::1: this machine only.
    Loopback,
    /// 169.254.0.0/16 and fe80::/10: the directly attached link only.
    LinkLocal,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16) and RFC 4193 ULA (fc00::/7).
    Private,
    /// 100.64.0.0/10, carrier-grade NAT's shared space (RFC 6598).
    Shared,
    /// Anything else: possibly the whole internet.
    Global,
}

impl Scope {
    /// The class of `ip`.
    pub fn of(ip: IpAddr) -> Scope {
        match ip {
            IpAddr::V4(v4) => {
                let [a, b, ..] = v4.octets();
                if v4.is_loopback() {
                    Scope::Loopback
                } else if v4.is_link_local() {
                    Scope::LinkLocal
                } else if v4.is_private() {
                    Scope::Private
                } else if a == 100 && (b & 0xc0) == 64 {
                    Scope::Shared
                } else {
                    Scope::Global
                }
            }
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    Scope::of(IpAddr::V4(v4))
                } else if v6.is_loopback() {
                    Scope::Loopback
                } else if v6.is_unicast_link_local() {
                    Scope::LinkLocal
                } else if v6.is_unique_local() {
                    Scope::Private
                } else {
                    Scope::Global
                }
            }
        }
    }

    /// The stable snake_case name: `loopback`, `link_local`, `private`, `shared` or `global`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Loopback => "loopback",
            Scope::LinkLocal => "link_local",
            Scope::Private => "private",
            Scope::Shared => "shared",
            Scope::Global => "global",
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scope::Loopback => "this machine only",
            Scope::LinkLocal => "the attached link only",
            Scope::Private => "private network",
            Scope::Shared => "shared (carrier-grade NAT) network",
            Scope::Global => "global",
        })
    }
}

impl std::str::FromStr for Scope {
    type Err = ScopeError;

    /// `loopback`, `link_local`, `private`, `shared` or `global`.
    fn from_str(text: &str) -> Result<Self, ScopeError> {
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
