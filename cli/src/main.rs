//! `bindpolicy`: the command line of the `bindpolicy` library (package bindpolicy-cli).
//!
//! ```text
//! bindpolicy interfaces [--json]
//! bindpolicy parse SPEC [--from DIALECT] [--to DIALECT] [--json]
//! bindpolicy check SPEC [--from DIALECT] [--policy FILE] [--wait DURATION] [--json]
//! bindpolicy explain SPEC [--from DIALECT]
//! bindpolicy listen SPEC [--from DIALECT] [--udp] [--count N] [--wait DURATION] [--json]
//! bindpolicy connect REMOTE [--from SPEC] [--timeout SECS] [--udp] [--json]
//! ```
//!
//! The binary is thin: parsing, resolving, binding and connecting are the library's, and so is
//! every word it says about a target (`BindTarget::meaning`, the `Display` of `Exposure` and
//! `Reachable`, `Resolved::explain`) and the JSON of its values (their `Serialize` impls). This
//! crate parses the arguments, lays the results out as aligned tables, prose or one JSON object
//! a line, picks the exit code and runs the `listen` loop. docs/cli.md
//! documents every command, the JSON of each and the exit codes:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | any other runtime failure (bind, connect, I/O) |
//! | 2 | usage error, or a target that does not parse |
//! | 3 | the target is valid but cannot be used on this machine |
//! | 4 | the target breaks the policy (`check --policy`) |

mod args;
mod output;
mod serve;

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use bindpolicy::{
    BindPolicy, BindTarget, Binding, Dialect, Exposure, Family, Interface, InterfaceAddr,
    Interfaces, LocalAddress, LocalInterface, PortInUse, PortRange, PortStatus, Transport, Zone,
};
use clap::Parser as _;
use serde_json::{Value, json};

use crate::args::{Cli, Command};
use crate::output::{EXIT_OK, EXIT_USAGE, Failure, Table, paint};

/// Parses the command line, runs the command, reports a failure and returns its exit code.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    let json = cli.command.json();
    let explaining = matches!(cli.command, Command::Explain { .. });
    match run(cli.command) {
        Ok(()) => ExitCode::from(EXIT_OK),
        // The reader went away (`bindpolicy interfaces | head -1`): nothing left to tell.
        Err(Failure::Io(err)) if err.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::from(output::EXIT_FAILURE)
        }
        Err(failure) => {
            failure.report(json);
            let code = failure.exit_code();
            if explaining {
                output::eprint(&format!(
                    "bindpolicy exits with code {code}: {}.\n",
                    output::exit_code_meaning(code)
                ));
            }
            ExitCode::from(code)
        }
    }
}

/// A usage error found by clap: clap's own report on standard error (exit 2; help and version
/// exit 0), or, when `--json` is among the arguments, `{"error": {"kind": "usage", ...}}` on
/// standard output.
fn usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind as ClapKind;
    let informational = matches!(err.kind(), ClapKind::DisplayHelp | ClapKind::DisplayVersion);
    if informational || !std::env::args_os().skip(1).any(|a| a == "--json") {
        err.exit();
    }
    let rendered = err.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    Failure::Usage(message.to_owned()).report(true);
    ExitCode::from(EXIT_USAGE)
}

/// Runs one command.
fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Interfaces { json } => interfaces(json),
        Command::Parse {
            spec,
            from: None,
            to: None,
            json,
        } => parse(&spec, json),
        Command::Parse {
            spec,
            from,
            to,
            json,
        } => parse_dialect(&spec, from, to, json),
        Command::Check {
            spec,
            from,
            policy,
            wait,
            json,
        } => {
            let policy = policy.as_deref().map(load_policy).transpose()?;
            match from {
                None => check(&spec.parse()?, None, policy.as_ref(), wait, json),
                Some(dialect) => {
                    let translation = dialect.read(&spec)?;
                    for binding in translation.bindings() {
                        check(
                            binding.target(),
                            Some((binding, &translation)),
                            policy.as_ref(),
                            wait,
                            json,
                        )?;
                    }
                    Ok(())
                }
            }
        }
        Command::Explain { spec, from } => explain(&spec, from),
        Command::Listen {
            spec,
            from,
            udp,
            inherit,
            count,
            wait,
            json,
        } => {
            let (binding, translation) = match from {
                None => (Binding::new(spec.parse()?), None),
                Some(dialect) => {
                    let translation = dialect.read(&spec)?;
                    let [binding] = translation.bindings() else {
                        return Err(Failure::Usage(format!(
                            "listen --from {dialect} binds one binding, and {spec:?} opens {}: \
                             {}; run one listen for each",
                            translation.bindings().len(),
                            bindings_list(&translation)
                        )));
                    };
                    (binding.clone(), Some(translation))
                }
            };
            if let Some(translation) = &translation {
                if !json {
                    output::eprint(&output::dialect_warnings_text(translation));
                }
            }
            let udp = udp || binding.transport() == Transport::Udp;
            serve::listen(
                binding.target(),
                binding.options(),
                udp,
                inherit,
                count,
                wait,
                json,
            )
        }
        Command::Connect {
            remote,
            from,
            timeout,
            udp,
            json,
        } => connect(remote, from.as_deref(), timeout, udp, json),
    }
}

/// What binding one interface address would expose, through the library's resolve: the address
/// as a target (a link-local one with its interface's index as zone) on the same snapshot.
fn address_exposure(
    iface: &Interface,
    addr: &InterfaceAddr,
    interfaces: &Interfaces,
) -> Option<Exposure> {
    let ip = addr.ip();
    let target = match (ip, iface.index().and_then(NonZeroU32::new)) {
        (IpAddr::V6(v6), Some(index)) if v6.is_unicast_link_local() => {
            BindTarget::SpecificInterface {
                interface: LocalInterface::Address(
                    LocalAddress::new(ip, Some(Zone::Index(index))).ok()?,
                ),
                port: 0,
            }
        }
        _ => BindTarget::ip(ip, 0).ok()?,
    };
    let resolved = target.resolve_with(interfaces).ok()?;
    Some(resolved.exposure().clone())
}

/// The phrase for what a bind on `addr` exposes, from its exposure.
fn exposes(exposure: Option<&Exposure>, ip: IpAddr) -> String {
    let Some(exposure) = exposure else {
        return "-".to_owned();
    };
    match exposure.reachable().iter().find(|r| r.ip() == ip) {
        Some(reachable) => reachable.scope_note(),
        None => exposure.to_string(),
    }
}

/// `interfaces`.
fn interfaces(json: bool) -> Result<(), Failure> {
    let snapshot = Interfaces::current()?;
    if json {
        // The library's JSON of each interface, and per address what binding it exposes.
        let mut list = Vec::new();
        for iface in &snapshot {
            let mut value = output::to_json(iface)?;
            let addrs = value.get_mut("addresses").and_then(Value::as_array_mut);
            for (a, entry) in iface.addrs().iter().zip(addrs.into_iter().flatten()) {
                let exposure = address_exposure(iface, a, &snapshot);
                if let Some(entry) = entry.as_object_mut() {
                    entry.insert(
                        "exposure".into(),
                        output::to_json(&exposure.as_ref().map(Exposure::reach))?,
                    );
                    entry.insert("exposes".into(), exposes(exposure.as_ref(), a.ip()).into());
                }
            }
            list.push(value);
        }
        output::print_json(&json!({ "interfaces": list }))?;
        return Ok(());
    }
    let mut table = Table::with_header(&[
        "INTERFACE",
        "STATE",
        "ADDRESS",
        "SCOPE",
        "BINDING IT EXPOSES",
    ]);
    for iface in &snapshot {
        if iface.addrs().is_empty() {
            table.row(&[iface.name(), iface.state(), "-", "-", "nothing: no address"]);
        }
        for (i, a) in iface.addrs().iter().enumerate() {
            let (name, state) = if i == 0 {
                (iface.name(), iface.state())
            } else {
                ("", "")
            };
            let mut address = format!("{}/{}", a.ip(), a.prefix_len());
            if a.is_tentative() {
                address.push_str(" (tentative)");
            }
            let exposure = address_exposure(iface, a, &snapshot);
            table.row(&[
                name,
                state,
                &address,
                a.scope().as_str(),
                &exposes(exposure.as_ref(), a.ip()),
            ]);
        }
    }
    let mut text = table.render();
    text.push_str(
        "\nBind one address with ADDRESS:PORT ([ADDRESS]:PORT for IPv6), every address of one \
         interface with NAME:PORT, every address with *:PORT; `bindpolicy explain SPEC` says \
         what one does.\n",
    );
    output::print(&text)?;
    Ok(())
}

/// `parse`.
fn parse(spec: &str, json: bool) -> Result<(), Failure> {
    let target: BindTarget = spec.parse()?;
    let (address, zone, interface) = match &target {
        BindTarget::SpecificInterface {
            interface: LocalInterface::Address(addr),
            ..
        } => (
            Some(addr.ip().to_string()),
            addr.zone().map(ToString::to_string),
            None,
        ),
        BindTarget::SpecificInterface {
            interface: LocalInterface::Name(name),
            ..
        } => (None, None, Some(name.to_string())),
        _ => (None, None, None),
    };
    let canonical = target.to_string();
    if json {
        let ports = target.ports();
        output::print_json(&json!({
            "input": spec,
            "target": target,
            "kind": target.kind_name(),
            "family": target.family().map(|f| f.as_str()),
            "port": target.port(),
            "ports": {"first": ports.first(), "last": ports.last()},
            "canonical": canonical == spec,
            "address": address,
            "zone": zone,
            "interface": interface,
            "meaning": target.meaning(),
        }))?;
        return Ok(());
    }
    let mut table = Table::new();
    table.row_painted(&["target", &canonical], paint::cyan);
    if canonical != spec {
        table.row(&["input", &format!("{spec} (canonical form: {canonical})")]);
    }
    table.row(&["kind", target.kind_name()]);
    let family = match target.family() {
        Some(family @ Family::Both) => format!("{} ({family})", family.as_str()),
        Some(family) => family.as_str().to_owned(),
        None => match &target {
            BindTarget::Port(_) => "the remote's".to_owned(),
            BindTarget::Inherited(_) => "the handed-over socket's".to_owned(),
            _ => "whatever the interface has".to_owned(),
        },
    };
    table.row(&["family", &family]);
    if let Some(address) = &address {
        table.row(&["address", address]);
    }
    if let Some(zone) = &zone {
        table.row(&["zone", zone]);
    }
    if let Some(interface) = &interface {
        table.row(&["interface", interface]);
    }
    match &target {
        BindTarget::Port(range) if range.len() > 1 => table.row(&["ports", &range.to_string()]),
        BindTarget::Inherited(_) => table.row(&["port", "the handed-over socket's"]),
        _ => table.row(&["port", &target.port().to_string()]),
    }
    table.row(&["meaning", &target.meaning()]);
    let mut text = table.render();
    text.push_str(&format!(
        "\n`bindpolicy check {canonical}` shows what it binds on this machine.\n"
    ));
    output::print(&text)?;
    Ok(())
}

/// A policy from `--policy`: a preset's name (`local_only`, `private_networks`,
/// `permissive`) or a TOML file of `BindPolicy` keys.
fn load_policy(path: &Path) -> Result<BindPolicy, Failure> {
    let preset = match path.to_str() {
        Some("local_only") => Some(BindPolicy::local_only()),
        Some("private_networks") => Some(BindPolicy::private_networks()),
        Some("permissive") => Some(BindPolicy::permissive()),
        _ => None,
    };
    if let Some(preset) = preset.filter(|_| !path.exists()) {
        return Ok(preset);
    }
    let text = std::fs::read_to_string(path).map_err(|err| {
        Failure::Usage(format!(
            "cannot read the policy file {}: {err}; give a TOML file of BindPolicy keys, or \
             local_only, private_networks or permissive",
            path.display()
        ))
    })?;
    toml::from_str(&text).map_err(|err| {
        Failure::Usage(format!(
            "the policy file {} is not a valid policy: {}",
            path.display(),
            err.to_string().trim_end()
        ))
    })
}

/// `check`, of one target; with `--from`, of one binding of the translation.
fn check(
    target: &BindTarget,
    from: Option<(&Binding, &bindpolicy::Translation)>,
    policy: Option<&BindPolicy>,
    wait: Option<Duration>,
    json: bool,
) -> Result<(), Failure> {
    if target.is_inherited() {
        return check_inherited(target, json);
    }
    if let Some(timeout) = wait {
        // The verdict below is then made over the facts the wait saw ready.
        serve::wait(target, timeout, json)?;
    }
    // With a policy, the whole machine: its fix may name any address. The verdict is the one
    // resolve() gives (current_for reads a superset of its facts).
    let resolved = match &policy {
        Some(_) => target.resolve_with(&Interfaces::current_for(std::slice::from_ref(target))?)?,
        None => target.resolve()?,
    };
    if let Some(policy) = &policy {
        policy.check(&resolved)?;
    }
    let exposure = resolved.exposure();
    // Whether the port is free now (a probe bind, closed at once), and who holds it if not;
    // `resolve()` never looks. A source-port target has no listening port to check.
    let port_status = (!target.is_port_only()).then(|| resolved.port_status());
    // A URL with port 0 opens nothing: the port is known only once bound (see `listen`).
    let urls = if target.port() == 0 {
        Vec::new()
    } else {
        exposure.urls("http")
    };
    // What a service manager handed over (socket activation), and whether it fits the target.
    let handed = bindpolicy::inherited_sockets();
    let fits = if handed.is_empty() || target.is_port_only() {
        None
    } else {
        Some(resolved.inherited_match(false))
    };
    if json {
        // The library's JSON of the resolve, and the URLs to try.
        let mut value = output::to_json(&resolved)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("urls".into(), urls.into());
            if let Some(fits) = &fits {
                let used: Vec<i32> = fits.as_ref().map_or_else(
                    |_| Vec::new(),
                    |sockets| sockets.iter().map(|s| s.fd()).collect(),
                );
                let sockets: Vec<Value> = handed
                    .iter()
                    .map(|s| inherited_json(s, used.contains(&s.fd())))
                    .collect();
                map.insert("inherited".into(), sockets.into());
                if let Err(err) = fits {
                    map.insert("inherited_mismatch".into(), err.to_string().into());
                }
            }
            if let Some(status) = &port_status {
                map.insert("port_status".into(), output::to_json(status)?);
            }
            if let Some((binding, translation)) = from {
                map.insert("from".into(), translation.dialect().name().into());
                map.insert("binding".into(), binding_json(binding));
                map.insert(
                    "dialect_warnings".into(),
                    output::dialect_warnings_json(translation),
                );
            }
        }
        output::print_json(&value)?;
        return Ok(());
    }
    let mut head = Table::new();
    head.row_painted(&["target", &target.to_string()], paint::cyan);
    if let Some((binding, translation)) = from {
        head.row(&[
            "from",
            &format!("{} {:?}", translation.dialect(), translation.input()),
        ]);
        head.row(&["binding", &binding.to_string()]);
    }
    head.row(&["meaning", &target.meaning()]);
    head.row(&["exposure", &exposure.to_string()]);
    match &port_status {
        Some(PortStatus::InUse(busy)) => {
            head.row_painted(&["port", &port_in_use(target.port(), busy)], paint::yellow);
        }
        Some(PortStatus::Free) => head.row(&["port", &format!("{} is free now", target.port())]),
        Some(_) => head.row(&["port", "chosen by the OS at bind"]),
        None => {}
    }
    if let Some(fits) = &fits {
        for (i, socket) in handed.iter().enumerate() {
            let key = if i == 0 { "inherited" } else { "" };
            let verdict = match fits {
                Ok(used) if used.iter().any(|u| u.fd() == socket.fd()) => "matches",
                _ => "not used",
            };
            head.row(&[key, &format!("{socket}: {verdict}")]);
        }
        if let Err(err) = fits {
            head.row_painted(&["", &format!("does not match: {err}")], paint::yellow);
        }
    }
    let mut text = head.render();
    let mut bind = Table::with_header(&["BIND", "INTERFACE"]);
    for a in resolved.addrs() {
        let iface = match (a.interface(), target.is_port_only(), a.addr().is_ipv4()) {
            (Some(name), _, _) => name,
            (None, true, true) => "(any; the source for an IPv4 remote)",
            (None, true, false) => "(any; the source for an IPv6 remote)",
            (None, false, _) => "(every interface)",
        };
        bind.row(&[a.addr().to_string().as_str(), iface]);
    }
    text.push('\n');
    text.push_str(&bind.render());
    if !target.is_port_only() {
        let mut reach =
            Table::with_header(&["REACHABLE AT", "INTERFACE", "SCOPE", "NETWORK", "URL"]);
        let all_urls = exposure.urls("http");
        for (i, r) in exposure.reachable().iter().enumerate() {
            let url = if urls.is_empty() {
                "(port chosen at bind)"
            } else {
                all_urls.get(i).map_or("-", String::as_str)
            };
            reach.row(&[
                r.ip().to_string().as_str(),
                r.interface(),
                r.scope().as_str(),
                &r.network().net.to_string(),
                url,
            ]);
        }
        text.push('\n');
        text.push_str(&reach.render());
    }
    let dialect_warnings = from.map(|(_, t)| output::dialect_warnings_text(t));
    if !resolved.warnings().is_empty() || dialect_warnings.as_ref().is_some_and(|w| !w.is_empty()) {
        text.push('\n');
        text.push_str(&dialect_warnings.unwrap_or_default());
        text.push_str(&output::warnings_text(resolved.warnings()));
    }
    output::print(&text)?;
    Ok(())
}

/// One handed-over socket in `check --json`: `{"fd", "name", "local", "tcp", "matches"}`.
fn inherited_json(socket: &bindpolicy::InheritedSocket, matches: bool) -> Value {
    json!({
        "fd": socket.fd(),
        "name": socket.name(),
        "local": socket.local_addr().map(|a| a.to_string()),
        "tcp": socket.is_tcp(),
        "matches": matches,
    })
}

/// `check fd:N` / `check fd:NAME`: what the service manager handed over, and whether the
/// target names one of them (resolve has no address for it).
fn check_inherited(target: &BindTarget, json: bool) -> Result<(), Failure> {
    let handed = bindpolicy::inherited_sockets();
    let names = |s: &bindpolicy::InheritedSocket| match target {
        BindTarget::Inherited(which) => match (which.fd_number(), which.fd_name()) {
            (Some(fd), _) => i64::from(s.fd()) == i64::from(fd),
            (None, name) => s.name() == name,
        },
        _ => false,
    };
    if json {
        let sockets: Vec<Value> = handed.iter().map(|s| inherited_json(s, names(s))).collect();
        output::print_json(&serde_json::json!({
            "target": target,
            "meaning": target.meaning(),
            "inherited": sockets,
        }))?;
        return Ok(());
    }
    let mut head = Table::new();
    head.row_painted(&["target", &target.to_string()], paint::cyan);
    head.row(&["meaning", &target.meaning()]);
    if handed.is_empty() {
        head.row(&[
            "inherited",
            "nothing: this process was not socket-activated (LISTEN_PID is unset or another \
             process's)",
        ]);
    }
    for (i, socket) in handed.iter().enumerate() {
        let key = if i == 0 { "inherited" } else { "" };
        let verdict = if names(socket) {
            "named by the target"
        } else {
            "not named"
        };
        head.row(&[key, &format!("{socket}: {verdict}")]);
    }
    output::print(&head.render())?;
    Ok(())
}

/// `PORT is in use on ADDR by pid N (COMMAND) on ADDR (STATE); ...`, each address of the
/// target that a bind would fail on, with its holder (the library's phrase for it) where the
/// kernel shows it.
fn port_in_use(port: u16, busy: &[PortInUse]) -> String {
    let each: Vec<String> = busy
        .iter()
        .map(|b| match &b.holder {
            Some(h) => format!("on {} by {h}", b.addr),
            None => format!(
                "on {} (by a process this user cannot see; `{}` as root names it)",
                b.addr,
                bindpolicy::Protocol::Tcp.ss_command(port)
            ),
        })
        .collect();
    format!("{port} is in use {}", each.join("; "))
}

/// `explain`.
fn explain(spec: &str, from: Option<Dialect>) -> Result<(), Failure> {
    // The same resolve as `check` and `listen`, so the same verdict; the explanation needs
    // nothing beyond it.
    let Some(dialect) = from else {
        let resolved = spec.parse::<BindTarget>()?.resolve()?;
        output::print(&format!("{}\n", resolved.explain()))?;
        return Ok(());
    };
    let translation = dialect.read(spec)?;
    let mut text = format!(
        "{dialect}'s {spec:?} opens {}: {}.\n",
        plural(translation.bindings().len(), "binding"),
        bindings_list(&translation)
    );
    for w in translation.warnings() {
        text.push_str(&format!("Note: {w}.\n"));
    }
    for binding in translation.bindings() {
        let resolved = binding.target().resolve()?;
        text.push_str(&format!("\n{binding}:\n{}\n", resolved.explain()));
    }
    output::print(&text)?;
    Ok(())
}

/// "1 binding", "3 bindings".
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The bindings of a translation, comma-separated.
fn bindings_list(translation: &bindpolicy::Translation) -> String {
    let list: Vec<String> = translation
        .bindings()
        .iter()
        .map(ToString::to_string)
        .collect();
    list.join(", ")
}

/// One binding as JSON: its `Display`, the target, the transport and the options.
fn binding_json(binding: &Binding) -> Value {
    let o = binding.options();
    json!({
        "binding": binding.to_string(),
        "target": binding.target(),
        "transport": match binding.transport() {
            Transport::Udp => "udp",
            _ => "tcp",
        },
        "dual_stack": o.is_dual_stack(),
        "reuse_port": o.is_reuse_port(),
        "backlog": o.get_backlog(),
        "meaning": binding_meaning(binding),
    })
}

/// The target's meaning, and what dual-stack changes about it.
fn binding_meaning(binding: &Binding) -> String {
    let meaning = binding.target().meaning();
    if binding.normalized().options().is_dual_stack() {
        format!("{meaning}; dual_stack: one [::] socket serves IPv4 too (as ::ffff:a.b.c.d)")
    } else {
        meaning
    }
}

/// `parse --from DIALECT` and `parse --to DIALECT`.
fn parse_dialect(
    spec: &str,
    from: Option<Dialect>,
    to: Option<Dialect>,
    json: bool,
) -> Result<(), Failure> {
    let (bindings, translation) = match from {
        Some(dialect) => {
            let t = dialect.read(spec)?;
            (t.bindings().to_vec(), Some(t))
        }
        None => (vec![Binding::new(spec.parse()?)], None),
    };
    let written = match to {
        Some(dialect) => {
            let lines: Result<Vec<String>, _> = bindings.iter().map(|b| dialect.write(b)).collect();
            Some(lines?.join("\n"))
        }
        None => None,
    };
    if json {
        output::print_json(&json!({
            "input": spec,
            "from": from.map(Dialect::name),
            "bindings": bindings.iter().map(binding_json).collect::<Vec<_>>(),
            "warnings": translation.as_ref().map(output::dialect_warnings_json),
            "to": to.map(Dialect::name),
            "written": written,
        }))?;
        return Ok(());
    }
    if let Some(translation) = &translation {
        output::eprint(&output::dialect_warnings_text(translation));
    }
    if let Some(written) = written {
        // Only the configuration on standard output, so that it can be redirected to a file.
        output::print(&format!("{written}\n"))?;
        return Ok(());
    }
    let mut table = Table::new();
    if let Some(dialect) = from {
        table.row(&["from", &format!("{dialect} {spec:?}")]);
    }
    for binding in &bindings {
        table.row_painted(&["binding", &binding.to_string()], paint::cyan);
        table.row(&["meaning", &binding_meaning(binding)]);
    }
    let mut text = table.render();
    text.push_str(&format!(
        "\n`bindpolicy check --from {} {spec:?}` shows what it binds on this machine.\n",
        from.map_or("DIALECT", Dialect::name)
    ));
    output::print(&text)?;
    Ok(())
}

/// `connect`.
fn connect(
    remote: SocketAddr,
    from: Option<&str>,
    timeout: Duration,
    udp: bool,
    json: bool,
) -> Result<(), Failure> {
    let source = match from {
        Some(spec) => spec.parse()?,
        None => BindTarget::source_ports(PortRange::single(0)),
    };
    let connector = source.connector().timeout(timeout);
    let (local, remote) = if udp {
        let socket = connector.connect_udp(remote)?;
        let line = b"hello from bindpolicy connect\n";
        socket.send(line).map_err(|source| Failure::Os {
            doing: format!("sending a datagram to {remote}"),
            source,
        })?;
        let local = socket.local_addr().map_err(|source| Failure::Os {
            doing: "reading the socket's local address".to_owned(),
            source,
        })?;
        (local, remote)
    } else {
        let stream = connector.connect(remote)?;
        let local = stream.local_addr().map_err(|source| Failure::Os {
            doing: "reading the connection's local address".to_owned(),
            source,
        })?;
        (local, stream.peer_addr().unwrap_or(remote))
    };
    if json {
        output::print_json(&json!({
            "local": local.to_string(),
            "remote": remote.to_string(),
            "transport": if udp { "udp" } else { "tcp" },
        }))?;
    } else {
        output::print(&format!(
            "{} -> {}\n",
            paint::cyan(&local.to_string()),
            paint::cyan(&remote.to_string())
        ))?;
    }
    Ok(())
}
