//! serde support (feature `serde`): a [`BindTarget`] is its canonical string, and the report
//! types serialize as the `bindpolicy` tool's `--json` prints them (docs/cli.md).
//!
//! Written by hand rather than derived: `Display` and `FromStr` stay the only definition of the
//! form, the deserializer's error is the parser's message, word for word, and the report types
//! keep private fields while their JSON keys stay what scripts read.
//!
//! Library types are named through the crate root's re-exports only, so that this module does
//! not depend on where each type lives.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, SerializeStruct, Serializer};

use crate::{
    BindTarget, ConfigError, Error, ErrorKind, Exposure, Interface, InterfaceAddr, Interfaces,
    Network, ParseError, PolicyViolation, PortHolder, PortInUse, PortRange, PortStatus, Reach,
    Reachable, Resolved, ResolvedAddr, Scope, Warning,
};

impl Serialize for BindTarget {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BindTarget {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FromStrVisitor::<BindTarget>::new(
            "a bind target such as \"localhost:8080\"",
        ))
    }
}

impl Serialize for PortRange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PortRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FromStrVisitor::<PortRange>::new(
            "a port range such as \"40000-40100\"",
        ))
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FromStrVisitor::<Scope>::new("a scope such as \"private\""))
    }
}

/// Deserializes any `FromStr` type from a string, with the parser's error as the message.
struct FromStrVisitor<T> {
    expecting: &'static str,
    marker: std::marker::PhantomData<T>,
}

impl<T> FromStrVisitor<T> {
    fn new(expecting: &'static str) -> Self {
        FromStrVisitor {
            expecting,
            marker: std::marker::PhantomData,
        }
    }
}

impl<T> Visitor<'_> for FromStrVisitor<T>
where
    T: std::str::FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        value.parse().map_err(E::custom)
    }
}

impl Serialize for Reach {
    /// [`Reach::as_str`]: `"this_machine"`, `"networks"`, `"all_networks"` or `"nothing"`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Serialize for ErrorKind {
    /// [`ErrorKind::as_str`], e.g. `"addr_not_available"`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Serialize for Network {
    /// `{"interface": "eth0", "network": "192.0.2.0/24"}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("Network", 2)?;
        map.serialize_field("interface", &self.interface)?;
        map.serialize_field("network", &self.net)?;
        map.end()
    }
}

impl Serialize for Reachable {
    /// `{"address": "127.0.0.1", "interface": "lo", "network": "127.0.0.0/8",
    /// "scope": "loopback"}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("Reachable", 4)?;
        map.serialize_field("address", &self.ip())?;
        map.serialize_field("interface", self.interface())?;
        map.serialize_field("network", &self.network().net)?;
        map.serialize_field("scope", &self.scope())?;
        map.end()
    }
}

impl Serialize for ResolvedAddr {
    /// `{"address": "127.0.0.1:5000", "interface": "lo"}`; `interface` is null for a wildcard.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("ResolvedAddr", 2)?;
        map.serialize_field("address", &self.addr())?;
        map.serialize_field("interface", &self.interface())?;
        map.end()
    }
}

impl Serialize for Exposure {
    /// `{"reach": ..., "networks": [...], "reachable": [...]}`: the [`Reach`], the
    /// [`Network`]s and the [`Reachable`] addresses.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("Exposure", 3)?;
        map.serialize_field("reach", &self.reach())?;
        map.serialize_field("networks", &self.networks())?;
        map.serialize_field("reachable", self.reachable())?;
        map.end()
    }
}

impl Serialize for Warning {
    /// `{"kind": "all_networks", "message": ...}`: [`Warning::kind`] and the `Display` text.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("Warning", 2)?;
        map.serialize_field("kind", self.kind())?;
        map.serialize_field("message", &self.to_string())?;
        map.end()
    }
}

/// `{"first": N, "last": M}`.
struct Ports(PortRange);

impl Serialize for Ports {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("Ports", 2)?;
        map.serialize_field("first", &self.0.first())?;
        map.serialize_field("last", &self.0.last())?;
        map.end()
    }
}

impl Serialize for Resolved {
    /// One flat object, the JSON of `bindpolicy check` less its `urls`:
    ///
    /// - the target: `target` (canonical), `kind` ([`BindTarget::kind_name`]), `family`
    ///   (`"ipv4"`, `"ipv6"`, `"both"` or null), `port`, `ports` (`{"first", "last"}`);
    /// - what binds: `addresses` (socket addresses) and `bind` ([`ResolvedAddr`]s);
    /// - who can connect: `exposure` (the [`Reach`]), `networks` and `reachable`, as in
    ///   [`Exposure`]'s JSON;
    /// - `warnings`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let target = self.target();
        let exposure = self.exposure();
        let mut map = serializer.serialize_struct("Resolved", 11)?;
        map.serialize_field("target", target)?;
        map.serialize_field("kind", target.kind_name())?;
        map.serialize_field("family", &target.family().map(|f| f.as_str()))?;
        map.serialize_field("port", &target.port())?;
        map.serialize_field("ports", &Ports(target.ports()))?;
        let addresses: Vec<String> = self.socket_addrs().map(|a| a.to_string()).collect();
        map.serialize_field("addresses", &addresses)?;
        map.serialize_field("bind", self.addrs())?;
        map.serialize_field("exposure", &exposure.reach())?;
        map.serialize_field("networks", &exposure.networks())?;
        map.serialize_field("reachable", exposure.reachable())?;
        map.serialize_field("warnings", self.warnings())?;
        map.end()
    }
}

impl Serialize for InterfaceAddr {
    /// `{"address": "192.0.2.2", "prefix_len": 24, "network": "192.0.2.0/24",
    /// "scope": "documentation", "tentative": false}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("InterfaceAddr", 5)?;
        map.serialize_field("address", &self.ip())?;
        map.serialize_field("prefix_len", &self.prefix_len())?;
        map.serialize_field("network", &self.network())?;
        map.serialize_field("scope", &self.scope())?;
        map.serialize_field("tentative", &self.is_tentative())?;
        map.end()
    }
}

impl Serialize for Interface {
    /// `{"name": "eth0", "index": 2, "state": "up", "loopback": false, "addresses": [...]}`,
    /// the addresses as [`InterfaceAddr`]'s JSON.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("Interface", 5)?;
        map.serialize_field("name", self.name())?;
        map.serialize_field("index", &self.index())?;
        map.serialize_field("state", self.state())?;
        map.serialize_field("loopback", &self.is_loopback())?;
        map.serialize_field("addresses", self.addrs())?;
        map.end()
    }
}

impl Serialize for Interfaces {
    /// The interfaces in the OS's order, an array of [`Interface`]'s JSON.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for interface in self {
            seq.serialize_element(interface)?;
        }
        seq.end()
    }
}

/// The messages of an error's causes, outermost first.
fn causes(err: &dyn std::error::Error) -> Vec<String> {
    let mut causes = Vec::new();
    let mut source = err.source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    causes
}

/// The keys a parse error adds: `input`, `offset` and `suggestions`.
fn parse_fields<M: SerializeMap>(map: &mut M, err: &ParseError) -> Result<(), M::Error> {
    map.serialize_entry("input", err.input())?;
    map.serialize_entry("offset", &err.offset())?;
    map.serialize_entry("suggestions", &err.suggestions().collect::<Vec<_>>())
}

impl Serialize for Error {
    /// `{"kind": ..., "message": ..., "causes": [...]}`: [`Error::kind`], the message with its
    /// fix, and the messages of the underlying errors (the OS's), outermost first. A parse
    /// error adds `input`, `offset` and `suggestions`, as [`ParseError`]'s JSON.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kind", &self.kind())?;
        map.serialize_entry("message", &self.to_string())?;
        map.serialize_entry("causes", &causes(self))?;
        if let Error::Parse(parse) = self {
            parse_fields(&mut map, parse)?;
        }
        map.end()
    }
}

impl Serialize for ParseError {
    /// The JSON of the [`Error`] it becomes: `{"kind": "parse", "message": ..., "causes": [],
    /// "input": ..., "offset": N, "suggestions": [...]}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kind", &ErrorKind::Parse)?;
        map.serialize_entry("message", &self.to_string())?;
        map.serialize_entry("causes", &causes(self))?;
        parse_fields(&mut map, self)?;
        map.end()
    }
}

impl Serialize for PolicyViolation {
    /// `{"kind": "policy_violation", "message": ..., "causes": [], "rule": ..., "target": ...,
    /// "addr": ..., "fix": ...}`: the keys of [`Error`]'s JSON, then the
    /// [`rule`](PolicyViolation::rule) (`PolicyRule::as_str`), the target as written, the
    /// offending socket address (null for a rule about the whole target) and the fix.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kind", &self.kind())?;
        map.serialize_entry("message", &self.to_string())?;
        map.serialize_entry("causes", &causes(self))?;
        map.serialize_entry("rule", self.rule().as_str())?;
        map.serialize_entry("target", self.target())?;
        map.serialize_entry("addr", &self.addr())?;
        map.serialize_entry("fix", self.fix())?;
        map.end()
    }
}

impl Serialize for ConfigError {
    /// The JSON of the error it wraps ([`Error`]'s or [`PolicyViolation`]'s); for the others,
    /// `{"kind": ..., "message": ..., "causes": [...]}`, with the input, offset and suggestions
    /// of an invalid variable's value as in [`ParseError`]'s JSON.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ConfigError::Bind(err) => err.serialize(serializer),
            ConfigError::Policy(violation) => violation.serialize(serializer),
            other => {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("kind", &other.kind())?;
                map.serialize_entry("message", &other.to_string())?;
                map.serialize_entry("causes", &causes(other))?;
                if let ConfigError::EnvInvalid { error, .. } = other {
                    parse_fields(&mut map, error)?;
                }
                map.end()
            }
        }
    }
}

impl Serialize for PortHolder {
    /// `{"address": "0.0.0.0:80", "remote": null, "state": "LISTEN", "uid": 0, "pid": 812,
    /// "command": "nginx"}`: the holder's socket, its peer, its state (`ss`'s name) and its
    /// process (`null` where unseen, and for a TIME-WAIT entry).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(6))?;
        map.serialize_entry("address", &self.local.to_string())?;
        map.serialize_entry("remote", &self.remote.map(|r| r.to_string()))?;
        map.serialize_entry("state", self.state.as_str())?;
        map.serialize_entry("uid", &self.uid)?;
        map.serialize_entry("pid", &self.pid)?;
        map.serialize_entry("command", &self.command)?;
        map.end()
    }
}

impl Serialize for PortInUse {
    /// `{"address": "127.0.0.1:80", "holder": {...} or null}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("address", &self.addr.to_string())?;
        map.serialize_entry("holder", &self.holder)?;
        map.end()
    }
}

impl Serialize for PortStatus {
    /// `{"state": "free" | "in_use" | "ephemeral", "in_use": [...]}`, the list empty unless the
    /// port is in use.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (state, busy): (&str, &[PortInUse]) = match self {
            PortStatus::Ephemeral => ("ephemeral", &[]),
            PortStatus::Free => ("free", &[]),
            PortStatus::InUse(busy) => ("in_use", busy),
        };
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("state", state)?;
        map.serialize_entry("in_use", busy)?;
        map.end()
    }
}
