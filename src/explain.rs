//! Words for people: what a target means, who can reach a resolved set, and the paragraph
//! that explains a resolve.
//!
//! Every text is written here once and phrases facts the other modules computed: a
//! [`BindTarget`]'s [`meaning`](BindTarget::meaning), an [`Exposure`]'s and a [`Reachable`]'s
//! `Display`, and [`Resolved::explain`]. The `bindpolicy` command-line tool prints them as they
//! are.

use std::fmt;
use std::net::IpAddr;

use crate::text::join_and;
use crate::{
    BindTarget, Exposure, Family, LocalInterface, Reach, Reachable, Resolved, Scope, Warning,
};

impl BindTarget {
    /// The stable name of the target's kind: `any`, `loopback`, `address` (one address),
    /// `interface` (every address of an interface, by name) or `port` (a client source).
    ///
    /// ```
    /// use bindpolicy::BindTarget;
    ///
    /// let kinds: Vec<&str> = ["*:80", "localhost:80", "192.0.2.1:80", "eth0:80", "port:80"]
    ///     .iter()
    ///     .map(|spec| Ok(spec.parse::<BindTarget>()?.kind_name()))
    ///     .collect::<Result<_, bindpolicy::ParseError>>()?;
    /// assert_eq!(kinds, ["any", "loopback", "address", "interface", "port"]);
    /// # Ok::<(), bindpolicy::ParseError>(())
    /// ```
    pub fn kind_name(&self) -> &'static str {
        match self {
            BindTarget::Any { .. } => "any",
            BindTarget::Loopback { .. } => "loopback",
            BindTarget::SpecificInterface {
                interface: LocalInterface::Address(_),
                ..
            } => "address",
            BindTarget::SpecificInterface {
                interface: LocalInterface::Name(_),
                ..
            } => "interface",
            BindTarget::Port(_) => "port",
            BindTarget::Inherited(_) => "inherited",
        }
    }

    /// What the target means, from the target alone: no look at this machine.
    ///
    /// ```
    /// use bindpolicy::BindTarget;
    ///
    /// assert_eq!(
    ///     "0.0.0.0:5000".parse::<BindTarget>()?.meaning(),
    ///     "every IPv4 address of this machine (no IPv6), on port 5000"
    /// );
    /// # Ok::<(), bindpolicy::ParseError>(())
    /// ```
    pub fn meaning(&self) -> String {
        let port = self.port();
        match self {
            BindTarget::Any { family, .. } => match family {
                Family::Both => format!(
                    "every IPv4 and IPv6 address of this machine, one socket each, {}",
                    on_port(port)
                ),
                Family::Ipv4 => format!(
                    "every IPv4 address of this machine (no IPv6), {}",
                    on_port(port)
                ),
                Family::Ipv6 => format!(
                    "every IPv6 address of this machine (no IPv4: the socket is IPv6-only), {}",
                    on_port(port)
                ),
            },
            BindTarget::Loopback { family, .. } => {
                let which = match family {
                    Family::Both => "127.0.0.1 and ::1",
                    Family::Ipv4 => "127.0.0.1 (IPv4 only)",
                    Family::Ipv6 => "::1 (IPv6 only)",
                };
                format!(
                    "this machine only: {which}, never looked up in DNS, {}",
                    on_port(port)
                )
            }
            BindTarget::SpecificInterface {
                interface: LocalInterface::Address(addr),
                ..
            } => {
                let ip = addr.ip();
                match (Scope::of(ip), addr.zone()) {
                    (Scope::Loopback, _) => format!(
                        "the loopback address {ip} only (this machine only), {}",
                        on_port(port)
                    ),
                    (Scope::LinkLocal, Some(zone)) => format!(
                        "the link-local address {ip} on the link of {zone} only, {}",
                        on_port(port)
                    ),
                    (Scope::LinkLocal, None) if ip.is_ipv6() => format!(
                        "the link-local address {ip} only, on the one interface that carries it \
                         (with several, a zone is needed: [{ip}%IFACE]), {}",
                        on_port(port)
                    ),
                    _ => format!(
                        "the one address {ip}, which must be an address of this machine, {}",
                        on_port(port)
                    ),
                }
            }
            BindTarget::SpecificInterface {
                interface: LocalInterface::Name(name),
                ..
            } => format!(
                "every address of interface {name}, IPv4 and IPv6, as assigned when it binds, {}",
                on_port(port)
            ),
            BindTarget::Port(range) if range.len() > 1 => format!(
                "a client's source port range: a connection from it uses a free local port in \
                 {range} and an OS-chosen address of the remote's family; it cannot listen"
            ),
            BindTarget::Port(range) if range.first() == 0 => "a client source left to the OS: \
                 any local port and address, as an ordinary client uses; it cannot listen"
                .to_owned(),
            BindTarget::Port(range) => format!(
                "a client's source port: a connection from it uses local port {range} and an \
                 OS-chosen address of the remote's family; it cannot listen"
            ),
            BindTarget::Inherited(which) => match (which.fd_number(), which.fd_name()) {
                (Some(fd), _) => format!(
                    "the socket a service manager hands over at fd {fd} (socket activation), \
                     as its .socket unit bound it; this process binds nothing"
                ),
                (None, name) => format!(
                    "the socket a service manager hands over with FileDescriptorName={} \
                     (socket activation), as its .socket unit bound it; this process binds \
                     nothing",
                    name.unwrap_or_default()
                ),
            },
        }
    }
}

/// "on port 5000", or "on a port the OS picks ..." for port 0.
fn on_port(port: u16) -> String {
    if port == 0 {
        "on a port the OS picks when it binds (port 0)".to_owned()
    } else {
        format!("on port {port}")
    }
}

impl fmt::Display for Exposure {
    /// Who can connect, in a few words: `this machine only`, `hosts on 192.0.2.0/24 on eth0`,
    /// `all networks: any host that can route to this machine`, or, for a client source,
    /// `nothing: a client source accepts no connection`.
    ///
    /// ```
    /// use bindpolicy::{BindTarget, Interface, InterfaceAddr, Interfaces};
    ///
    /// let snapshot = Interfaces::from_interfaces([
    ///     Interface::new("lo", 1).with_addr(InterfaceAddr::new([127, 0, 0, 1].into(), 8)),
    ///     Interface::new("eth0", 2).with_addr(InterfaceAddr::new([192, 0, 2, 2].into(), 24)),
    /// ]);
    /// let resolved = "eth0:80".parse::<BindTarget>()?.resolve_with(&snapshot)?;
    /// assert_eq!(resolved.exposure().to_string(), "hosts on 192.0.2.0/24 on eth0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reach() {
            Reach::ThisMachine => f.write_str("this machine only"),
            Reach::Networks => {
                let networks: Vec<String> =
                    self.networks().iter().map(ToString::to_string).collect();
                write!(f, "hosts on {}", join_and(&networks))
            }
            Reach::AllNetworks => {
                f.write_str("all networks: any host that can route to this machine")
            }
            Reach::Nothing => f.write_str("nothing: a client source accepts no connection"),
        }
    }
}

impl Reachable {
    /// Who can reach this address, by its [scope](Scope) and network: `this machine only`,
    /// `link-local: the attached link fe80::/64 only`, `network 192.168.1.0/24`,
    /// `network 100.64.0.0/10, carrier-grade NAT space`,
    /// `network 192.0.2.0/24, documentation space: not routed on the internet` (and so for
    /// `benchmarking space` and `reserved space`), `network 224.0.0.0/24, multicast space`, or
    /// `network 192.31.196.0/24, globally routable`.
    ///
    /// ```
    /// use bindpolicy::{BindTarget, Interface, InterfaceAddr, Interfaces};
    ///
    /// let snapshot = Interfaces::from_interfaces([
    ///     Interface::new("eth0", 2).with_addr(InterfaceAddr::new([192, 0, 2, 2].into(), 24)),
    /// ]);
    /// let resolved = "192.0.2.2:80".parse::<BindTarget>()?.resolve_with(&snapshot)?;
    /// let reachable = &resolved.exposure().reachable()[0];
    /// assert_eq!(
    ///     reachable.scope_note(),
    ///     "network 192.0.2.0/24, documentation space: not routed on the internet"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scope_note(&self) -> String {
        let cidr = self.network().net;
        match self.scope() {
            Scope::Loopback => "this machine only".to_owned(),
            Scope::LinkLocal => format!("link-local: the attached link {cidr} only"),
            Scope::Private => format!("network {cidr}"),
            Scope::Shared => format!("network {cidr}, carrier-grade NAT space"),
            Scope::Documentation => {
                format!("network {cidr}, documentation space: not routed on the internet")
            }
            Scope::Benchmarking => {
                format!("network {cidr}, benchmarking space: not routed on the internet")
            }
            Scope::Reserved => {
                format!("network {cidr}, reserved space: not routed on the internet")
            }
            Scope::Multicast => format!("network {cidr}, multicast space"),
            Scope::Global => format!("network {cidr}, globally routable"),
        }
    }
}

impl fmt::Display for Reachable {
    /// The address, its interface and [who can reach it](Reachable::scope_note):
    /// `127.0.0.1 (lo, this machine only)`; without an interface, `127.0.0.2 (this machine
    /// only)`.
    ///
    /// ```
    /// use bindpolicy::{BindTarget, Interface, InterfaceAddr, Interfaces};
    ///
    /// let snapshot = Interfaces::from_interfaces([
    ///     Interface::new("lo", 1).with_addr(InterfaceAddr::new([127, 0, 0, 1].into(), 8)),
    /// ]);
    /// let resolved = "127.0.0.1:80".parse::<BindTarget>()?.resolve_with(&snapshot)?;
    /// let reachable = &resolved.exposure().reachable()[0];
    /// assert_eq!(reachable.to_string(), "127.0.0.1 (lo, this machine only)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.interface().is_empty() {
            write!(f, "{} ({})", self.ip(), self.scope_note())
        } else {
            write!(
                f,
                "{} ({}, {})",
                self.ip(),
                self.interface(),
                self.scope_note()
            )
        }
    }
}

/// The plain-words explanation of a [`Resolved`]: what listening on it does on the machine it
/// was resolved on, who can connect and how, then a `Beware:` paragraph for each warning the
/// text does not already cover. The warnings of where the process runs (a container, WSL,
/// macOS: [`Warning::is_deployment`]) lead instead, one `Beware:` paragraph each before the
/// rest, since they change what the rest means. Made by [`Resolved::explain`]; `Display` writes the text,
/// which is what `bindpolicy explain SPEC` prints.
///
/// Where a step needs a tool (learning the port the OS picked, trying a client source), the
/// text names the `bindpolicy` command of the package bindpolicy-cli.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Explanation {
    /// The paragraphs, separated by blank lines.
    text: String,
}

impl Explanation {
    /// The text, as `Display` writes it.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<Explanation> for String {
    fn from(explanation: Explanation) -> String {
        explanation.text
    }
}

impl Resolved {
    /// Explains in plain words what listening on this resolved target does: which addresses
    /// it binds, who can connect and at which URL, what a client must write to reach it, and
    /// any warning worth a word. It reads only this value, which keeps what it needs of the
    /// interface snapshot it was resolved against.
    ///
    /// ```
    /// use bindpolicy::{BindTarget, Interface, InterfaceAddr, Interfaces};
    ///
    /// let snapshot = Interfaces::from_interfaces([
    ///     Interface::new("lo", 1).with_addr(InterfaceAddr::new([127, 0, 0, 1].into(), 8)),
    /// ]);
    /// let resolved = "localhost:8080".parse::<BindTarget>()?.resolve_with(&snapshot)?;
    /// assert_eq!(
    ///     resolved.explain().to_string(),
    ///     "localhost:8080 listens on 127.0.0.1 (lo): only programs on this machine can \
    ///      connect, e.g. http://127.0.0.1:8080. No other machine can reach it, whatever the \
    ///      firewall allows. This machine has no ::1, so only 127.0.0.1 is bound. localhost is \
    ///      never looked up in DNS or /etc/hosts."
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(&self) -> Explanation {
        let target = self.target();
        let exposure = self.exposure();
        let spec = target.to_string();
        let port = target.port();
        let mut text = match target {
            BindTarget::Any { family, .. } => self.any_text(&spec, *family),
            BindTarget::Loopback { family, .. } => self.loopback_text(&spec, *family),
            BindTarget::SpecificInterface {
                interface: LocalInterface::Address(addr),
                ..
            } => self.address_text(&spec, addr.ip(), addr.zone().is_some()),
            BindTarget::SpecificInterface {
                interface: LocalInterface::Name(name),
                ..
            } => {
                let items: Vec<String> = exposure
                    .reachable()
                    .iter()
                    .map(|r| format!("{} ({})", r.ip(), r.scope_note()))
                    .collect();
                let who = match exposure.reach() {
                    Reach::ThisMachine => "Only programs on this machine can connect",
                    _ => "Machines that can route to these addresses can connect",
                };
                format!(
                    "{spec} listens on every address of {name}, one socket each: {}. {who}{}. \
                     The list is read once, when the sockets bind: an address added to {name} \
                     later is not listened on.",
                    join_and(&items),
                    eg(exposure, port)
                )
            }
            // resolve() refuses an inherited target, so no Resolved holds one.
            BindTarget::Inherited(_) => format!("{spec} is {}.", target.meaning()),
            BindTarget::Port(range) => {
                let ports = if range.len() > 1 {
                    format!(
                        "one local port of {range} that is free toward that remote (the kernel searches the range where it lies inside net.ipv4.ip_local_port_range, else each port is tried in turn from a random start),"
                    )
                } else if range.first() == 0 {
                    "a local port the OS picks,".to_owned()
                } else {
                    format!("local port {range}")
                };
                let listen_port = if range.first() == 0 {
                    "PORT".to_owned()
                } else {
                    range.first().to_string()
                };
                format!(
                    "{spec} is a client source, not a listener: a connection made from it binds \
                     {ports} and lets the OS pick the source address, of the remote's family. \
                     Nothing can connect to it; to listen, write *:{listen_port} (every \
                     address) or localhost:{listen_port} (this machine only). Try it with: \
                     bindpolicy connect REMOTE --from {spec}"
                )
            }
        };
        if port == 0 && !target.is_port_only() {
            text.push_str(&format!(
                " Port 0 means the OS picks a free port when it binds; `bindpolicy listen \
                 {spec}` prints the one it got."
            ));
        }
        for warning in self.warnings() {
            let covered = matches!(
                warning,
                Warning::AllNetworks { .. }
                    | Warning::EphemeralPort
                    | Warning::NoIpv6 { .. }
                    | Warning::LinkLocalOnly { .. }
            ) || warning.is_deployment();
            if !covered {
                text.push_str(&format!("\n\nBeware: {warning}."));
            }
        }
        let mut lead: String = self
            .warnings()
            .iter()
            .filter(|w| w.is_deployment())
            .map(|w| format!("Beware: {w}.\n\n"))
            .collect();
        if !lead.is_empty() {
            lead.push_str(&text);
            text = lead;
        }
        Explanation { text }
    }

    /// Whether the machine lacked IPv6 (or `::1`), so a both-families target bound IPv4 only.
    fn lacks_ipv6(&self) -> bool {
        self.warnings()
            .iter()
            .any(|w| matches!(w, Warning::NoIpv6 { .. }))
    }

    /// `*:P`, `0.0.0.0:P`, `[::]:P`.
    fn any_text(&self, spec: &str, family: Family) -> String {
        let exposure = self.exposure();
        let port = self.target().port();
        let list = reachable_list(exposure);
        let e_g = eg(exposure, port);
        let can = format!("Any machine that can route to these addresses can connect{e_g}.");
        match family {
            Family::Ipv4 => format!(
                "{spec} listens on every IPv4 address of this machine: {list}. {can} It does \
                 not listen on IPv6; write *:{port} for both families."
            ),
            Family::Ipv6 => format!(
                "{spec} listens on every IPv6 address of this machine: {list}. {can} It does \
                 not listen on IPv4 (the socket is IPv6-only); write *:{port} for both families."
            ),
            Family::Both if self.lacks_ipv6() => format!(
                "{spec} listens on every IPv4 address of this machine: {list}. This machine has \
                 no IPv6 address, so there is no IPv6 socket. {can} To let only this machine \
                 connect, write localhost:{port}."
            ),
            Family::Both => format!(
                "{spec} listens on every address of this machine, IPv4 and IPv6, one socket \
                 each: {list}. {can} To let only this machine connect, write localhost:{port}."
            ),
        }
    }

    /// `localhost:P`, `127.0.0.1:P`, `[::1]:P`.
    fn loopback_text(&self, spec: &str, family: Family) -> String {
        let exposure = self.exposure();
        let port = self.target().port();
        let ips: Vec<String> = self
            .addrs()
            .iter()
            .map(|a| a.addr().ip().to_string())
            .collect();
        let mut names: Vec<&str> = self.addrs().iter().filter_map(|a| a.interface()).collect();
        names.dedup();
        let on = match names.as_slice() {
            [] => String::new(),
            names => format!(" ({})", names.join(", ")),
        };
        let mut text = format!(
            "{spec} listens on {}{on}: only programs on this machine can connect{}. No other \
             machine can reach it, whatever the firewall allows.",
            join_and(&ips),
            eg(exposure, port)
        );
        match family {
            Family::Both if self.lacks_ipv6() => text.push_str(
                " This machine has no ::1, so only 127.0.0.1 is bound. localhost is never looked \
                 up in DNS or /etc/hosts.",
            ),
            Family::Both => text.push_str(" localhost is never looked up in DNS or /etc/hosts."),
            Family::Ipv4 => text.push_str(&format!(
                " It does not listen on ::1, which clients may try first for localhost; write \
                 localhost:{port} for both families."
            )),
            Family::Ipv6 => text.push_str(&format!(
                " It does not listen on 127.0.0.1, which most clients use for localhost; write \
                 localhost:{port} for both families."
            )),
        }
        text
    }

    /// One address: `127.0.0.2:P`, `192.0.2.2:P`, `[fe80::1%eth0]:P`.
    fn address_text(&self, spec: &str, ip: IpAddr, zoned: bool) -> String {
        let exposure = self.exposure();
        let port = self.target().port();
        let e_g = eg(exposure, port);
        let iface = self
            .addrs()
            .first()
            .and_then(|a| a.interface())
            .unwrap_or("its interface");
        match Scope::of(ip) {
            Scope::Loopback => {
                let mut text = format!(
                    "{spec} listens on {ip} only, a loopback address ({iface}): only programs \
                     on this machine can connect, and only to {ip}{e_g}. Clients of 127.0.0.1 \
                     or localhost do not reach it."
                );
                // Resolved on Linux, where 127.0.0.0/8 is local without being assigned.
                if !self.machine().iter().any(|r| r.ip() == ip) {
                    text.push_str(&format!(
                        " {ip} is not assigned to {iface}, but the kernel routes the whole of \
                         127.0.0.0/8 to it, so it binds all the same."
                    ));
                }
                text
            }
            Scope::LinkLocal => {
                let mut text = format!(
                    "{spec} listens on {ip} on {iface} only, a link-local address: only hosts \
                     on the link attached to {iface} can connect{e_g}; routers never forward it."
                );
                if ip.is_ipv6() && !zoned {
                    text.push_str(&format!(
                        " The spec has no zone, and {iface} is the one interface with {ip}, so \
                         it is used; write [{ip}%{iface}]:{port} to say so."
                    ));
                }
                text
            }
            scope => {
                let item = exposure
                    .reachable()
                    .first()
                    .map_or_else(|| ip.to_string(), ToString::to_string);
                let mut text = format!(
                    "{spec} listens on {item} only: machines that can route to {ip} can \
                     connect{e_g}. Connections to this machine's other addresses, 127.0.0.1 \
                     included, do not reach it, so local clients must use {ip} too."
                );
                let reserved_for = match scope {
                    Scope::Documentation => Some("documentation"),
                    Scope::Benchmarking => Some("benchmarking"),
                    Scope::Reserved => Some("special purposes"),
                    _ => None,
                };
                if let Some(purpose) = reserved_for {
                    text.push_str(&format!(
                        " {ip} is reserved for {purpose}: the internet does not route it, so \
                         only hosts on networks that route it themselves can connect."
                    ));
                } else if scope == Scope::Global {
                    text.push_str(&format!(
                        " {ip} is globally routable: unless a firewall stops them, hosts far \
                         beyond the local network may connect."
                    ));
                }
                text
            }
        }
    }
}

/// The URL to show as an example: the first one off the loopback, else the first; none for a
/// port chosen by the OS (it is not known before the bind).
fn example_url(exposure: &Exposure, port: u16) -> Option<String> {
    if port == 0 {
        return None;
    }
    let urls = exposure.urls("http");
    let mut first = None;
    for (reachable, url) in exposure.reachable().iter().zip(urls) {
        if reachable.scope() != Scope::Loopback {
            return Some(url);
        }
        first.get_or_insert(url);
    }
    first
}

/// ", e.g. URL" or "".
fn eg(exposure: &Exposure, port: u16) -> String {
    example_url(exposure, port).map_or_else(String::new, |url| format!(", e.g. {url}"))
}

/// The reachable addresses, or a note that there is none.
fn reachable_list(exposure: &Exposure) -> String {
    let items: Vec<String> = exposure
        .reachable()
        .iter()
        .map(ToString::to_string)
        .collect();
    if items.is_empty() {
        "no address at the moment".to_owned()
    } else {
        join_and(&items)
    }
}
