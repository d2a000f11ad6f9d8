//! Words for people: what a target means, who can reach an address, and `explain`'s prose.
//!
//! Pure presentation over the library's values ([`BindTarget`], [`Resolved`], [`Exposure`],
//! [`Reachable`]): every fact here comes from the library; this module only phrases it.

use std::net::IpAddr;

use bindpolicy::{
    BindTarget, Exposure, Family, Interfaces, LocalInterface, Reach, Reachable, Resolved, Scope,
    Warning,
};

/// The stable name of the target's kind: `any`, `loopback`, `address`, `interface` or `port`.
pub fn kind(target: &BindTarget) -> &'static str {
    match target {
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
        // `BindTarget` is non_exhaustive; a kind added later needs a name here.
        _ => "other",
    }
}

/// "on port 5000", or "on a port the OS picks" for port 0.
pub fn on_port(port: u16) -> String {
    if port == 0 {
        "on a port the OS picks when it binds (port 0)".to_owned()
    } else {
        format!("on port {port}")
    }
}

/// What the target means, from the target alone (no look at this machine).
pub fn meaning(target: &BindTarget) -> String {
    let port = target.port();
    match target {
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
            "a client's source port range: a connection from it uses a free local port in {range} \
             and an OS-chosen address of the remote's family; it cannot listen"
        ),
        BindTarget::Port(range) if range.first() == 0 => "a client source left to the OS: any \
             local port and address, as an ordinary client uses; it cannot listen"
            .to_owned(),
        BindTarget::Port(range) => format!(
            "a client's source port: a connection from it uses local port {range} and an \
             OS-chosen address of the remote's family; it cannot listen"
        ),
        _ => target.to_string(),
    }
}

/// Who can connect, in a few words: the summary line of `check` and `listen`.
pub fn reach(exposure: &Exposure) -> String {
    match exposure.reach() {
        Reach::ThisMachine => "this machine only".to_owned(),
        Reach::Networks => {
            let networks: Vec<String> = exposure
                .networks()
                .iter()
                .map(ToString::to_string)
                .collect();
            format!("hosts on {}", join_and(&networks))
        }
        Reach::AllNetworks => "all networks: any host that can route to this machine".to_owned(),
        Reach::Nothing => "nothing: a client source accepts no connection".to_owned(),
        _ => exposure.reach().as_str().to_owned(),
    }
}

/// Who can reach one address, by its class and network: "this machine only", "network
/// 192.0.2.0/24", ...
pub fn scope_note(reachable: &Reachable) -> String {
    let network = reachable.network();
    let cidr = format!("{}/{}", network.network, network.prefix_len);
    match reachable.scope() {
        Scope::Loopback => "this machine only".to_owned(),
        Scope::LinkLocal => format!("link-local: the attached link {cidr} only"),
        Scope::Private => format!("network {cidr}"),
        Scope::Shared => format!("network {cidr}, carrier-grade NAT space"),
        Scope::Global => format!("network {cidr}, globally routable"),
        _ => format!("network {cidr}"),
    }
}

/// `127.0.0.1 (lo, this machine only)`.
pub fn reachable_item(reachable: &Reachable) -> String {
    if reachable.interface().is_empty() {
        format!("{} ({})", reachable.ip(), scope_note(reachable))
    } else {
        format!(
            "{} ({}, {})",
            reachable.ip(),
            reachable.interface(),
            scope_note(reachable)
        )
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The URL to show as an example: the first one off the loopback, else the first; none for a
/// port chosen by the OS (it is not known before the bind).
fn example_url(exposure: &Exposure, port: u16) -> Option<String> {
    if port == 0 {
        return None;
    }
    let urls = exposure.urls("http");
    let pairs = exposure.reachable().iter().zip(urls.iter());
    let mut first = None;
    for (reachable, url) in pairs {
        if reachable.scope() != Scope::Loopback {
            return Some(url.clone());
        }
        first.get_or_insert_with(|| url.clone());
    }
    first
}

/// ", e.g. URL" or "".
fn eg(exposure: &Exposure, port: u16) -> String {
    example_url(exposure, port).map_or_else(String::new, |url| format!(", e.g. {url}"))
}

/// The list of reachable addresses, or a note that there is none.
fn reachable_list(exposure: &Exposure) -> String {
    let items: Vec<String> = exposure.reachable().iter().map(reachable_item).collect();
    if items.is_empty() {
        "no address at the moment".to_owned()
    } else {
        join_and(&items)
    }
}

/// `explain`'s prose: what listening on the resolved target does on this machine.
pub fn explain(resolved: &Resolved, interfaces: &Interfaces) -> String {
    let target = resolved.target();
    let exposure = resolved.exposure();
    let spec = target.to_string();
    let port = target.port();
    let mut text = match target {
        BindTarget::Any { family, .. } => any_text(&spec, *family, resolved),
        BindTarget::Loopback { family, .. } => loopback_text(&spec, *family, resolved),
        BindTarget::SpecificInterface {
            interface: LocalInterface::Address(addr),
            ..
        } => address_text(
            &spec,
            addr.ip(),
            addr.zone().is_some(),
            resolved,
            interfaces,
        ),
        BindTarget::SpecificInterface {
            interface: LocalInterface::Name(name),
            ..
        } => {
            let items: Vec<String> = exposure
                .reachable()
                .iter()
                .map(|r| format!("{} ({})", r.ip(), scope_note(r)))
                .collect();
            let who = match exposure.reach() {
                Reach::ThisMachine => "Only programs on this machine can connect".to_owned(),
                _ => "Machines that can route to these addresses can connect".to_owned(),
            };
            format!(
                "{spec} listens on every address of {name}, one socket each: {}. {who}{}. The \
                 list is read once, when the sockets bind: an address added to {name} later is \
                 not listened on.",
                join_and(&items),
                eg(exposure, port)
            )
        }
        BindTarget::Port(range) => {
            let ports = if range.len() > 1 {
                format!("one free local port of {range}, trying each once from a random start,")
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
                 Nothing can connect to it; to listen, write *:{listen_port} (every address) or \
                 localhost:{listen_port} (this machine only). Try it with: bindpolicy connect \
                 REMOTE --from {spec}"
            )
        }
        _ => format!("{spec}: {}.", meaning(target)),
    };
    if port == 0 && !target.is_port_only() {
        text.push_str(&format!(
            " Port 0 means the OS picks a free port when it binds; `bindpolicy listen {spec}` \
             prints the one it got."
        ));
    }
    for warning in resolved.warnings() {
        let covered = matches!(
            warning,
            Warning::AllNetworks { .. }
                | Warning::EphemeralPort
                | Warning::NoIpv6 { .. }
                | Warning::LinkLocalOnly { .. }
        );
        if !covered {
            text.push_str(&format!("\n\nBeware: {warning}."));
        }
    }
    text
}

/// `*:P`, `0.0.0.0:P`, `[::]:P`.
fn any_text(spec: &str, family: Family, resolved: &Resolved) -> String {
    let exposure = resolved.exposure();
    let port = resolved.target().port();
    let list = reachable_list(exposure);
    let e_g = eg(exposure, port);
    let can = format!("Any machine that can route to these addresses can connect{e_g}.");
    match family {
        Family::Ipv4 => format!(
            "{spec} listens on every IPv4 address of this machine: {list}. {can} It does not \
             listen on IPv6; write *:{port} for both families."
        ),
        Family::Ipv6 => format!(
            "{spec} listens on every IPv6 address of this machine: {list}. {can} It does not \
             listen on IPv4 (the socket is IPv6-only); write *:{port} for both families."
        ),
        Family::Both if resolved.addrs().len() < 2 => format!(
            "{spec} listens on every IPv4 address of this machine: {list}. This machine has no \
             IPv6 address, so there is no IPv6 socket. {can} To let only this machine connect, \
             write localhost:{port}."
        ),
        Family::Both => format!(
            "{spec} listens on every address of this machine, IPv4 and IPv6, one socket each: \
             {list}. {can} To let only this machine connect, write localhost:{port}."
        ),
    }
}

/// `localhost:P`, `127.0.0.1:P`, `[::1]:P`.
fn loopback_text(spec: &str, family: Family, resolved: &Resolved) -> String {
    let exposure = resolved.exposure();
    let port = resolved.target().port();
    let ips: Vec<String> = resolved
        .addrs()
        .iter()
        .map(|a| a.addr().ip().to_string())
        .collect();
    let mut names: Vec<&str> = resolved
        .addrs()
        .iter()
        .filter_map(|a| a.interface())
        .collect();
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
        Family::Both if resolved.addrs().len() < 2 => text.push_str(
            " This machine has no ::1, so only 127.0.0.1 is bound. localhost is never looked up \
             in DNS or /etc/hosts.",
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
fn address_text(
    spec: &str,
    ip: IpAddr,
    zoned: bool,
    resolved: &Resolved,
    interfaces: &Interfaces,
) -> String {
    let exposure = resolved.exposure();
    let port = resolved.target().port();
    let e_g = eg(exposure, port);
    let iface = resolved
        .addrs()
        .first()
        .and_then(|a| a.interface())
        .unwrap_or("its interface")
        .to_owned();
    match Scope::of(ip) {
        Scope::Loopback => {
            let mut text = format!(
                "{spec} listens on {ip} only, a loopback address ({iface}): only programs on \
                 this machine can connect, and only to {ip}{e_g}. Clients of 127.0.0.1 or \
                 localhost do not reach it."
            );
            if interfaces.carriers(ip).next().is_none() {
                text.push_str(&format!(
                    " {ip} is not assigned to {iface}, but the kernel routes the whole of \
                     127.0.0.0/8 to it, so it binds all the same."
                ));
            }
            text
        }
        Scope::LinkLocal => {
            let mut text = format!(
                "{spec} listens on {ip} on {iface} only, a link-local address: only hosts on \
                 the link attached to {iface} can connect{e_g}; routers never forward it."
            );
            if ip.is_ipv6() && !zoned {
                text.push_str(&format!(
                    " The spec has no zone, and {iface} is the one interface with {ip}, so it \
                     is used; write [{ip}%{iface}]:{port} to say so."
                ));
            }
            text
        }
        scope => {
            let item = exposure
                .reachable()
                .first()
                .map_or_else(|| ip.to_string(), reachable_item);
            let mut text = format!(
                "{spec} listens on {item} only: machines that can route to {ip} can connect{e_g}. \
                 Connections to this machine's other addresses, 127.0.0.1 included, do not \
                 reach it, so local clients must use {ip} too."
            );
            if scope == Scope::Global {
                text.push_str(&format!(
                    " {ip} is globally routable: unless a firewall stops them, hosts far beyond \
                     the local network may connect."
                ));
            }
            text
        }
    }
}
