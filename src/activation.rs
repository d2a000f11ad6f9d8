//! Socket activation: the sockets a service manager (systemd's `.socket` units,
//! `systemd-socket-activate`, systemfd) bound and handed over in `LISTEN_FDS`, checked against
//! what the target resolves to before they are used.
//!
//! The protocol (sd_listen_fds(3)) is taken once per process, at the first listen or bind
//! with [`Inherit::On`] or [`Inherit::Required`]: `LISTEN_PID` must be this process's id (a
//! child the server starts has another, so it never takes them again) and, where systemd sets
//! `LISTEN_PIDFDID` and the kernel has pidfs, the inode of this process's pidfd; then fds
//! 3..3+`LISTEN_FDS` are taken and `LISTEN_FDNAMES` read. The crate does not unset the
//! variables (`std::env::remove_var` is unsafe in edition 2024, and the crate forbids unsafe
//! code): it relies on the `LISTEN_PID` check. (listenfd, which takes the fds, does remove
//! `LISTEN_PID` and `LISTEN_FDS`.) Every fd is close-on-exec once taken.

use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock, PoisonError};

use socket2::Socket;

use crate::error::{ActivationMismatch, Error, Result};
use crate::resolve::Resolved;
use crate::socket::Transport;
use crate::sys;
use crate::target::{BindTarget, Inherited};

/// Whether a listen or bind uses the sockets a service manager handed over.
///
/// The default is [`Inherit::On`]: a socket-activated process is meant to use what it was
/// given, and a process that was not activated binds as usual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Inherit {
    /// Never: always bind here, even under a service manager.
    Off,
    /// When `LISTEN_PID` names this process: use the handed-over sockets that match the
    /// target, and fail with `inherited_mismatch` when they do not.
    #[default]
    On,
    /// Always: fail with `inherited_mismatch` unless matching sockets were handed over.
    Required,
}

impl Inherit {
    /// `off`, `on` or `required`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Inherit::Off => "off",
            Inherit::On => "on",
            Inherit::Required => "required",
        }
    }
}

impl std::fmt::Display for Inherit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Inherit {
    type Err = String;

    /// `off`, `on` or `required`, ASCII case-insensitive.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "off" => Ok(Inherit::Off),
            "on" => Ok(Inherit::On),
            "required" => Ok(Inherit::Required),
            _ => Err(format!(
                "{s:?} is not an inherit setting; use off, on or required"
            )),
        }
    }
}

/// One fd a service manager handed over, as [`inherited_sockets`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InheritedSocket {
    fd: i32,
    name: Option<String>,
    facts: std::result::Result<sys::SocketFacts, String>,
    taken: bool,
}

impl InheritedSocket {
    /// The fd number in this process (3 for the first).
    pub fn fd(&self) -> i32 {
        self.fd
    }

    /// Its `FileDescriptorName=` (from `LISTEN_FDNAMES`), if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The address it is bound to; `None` for an fd that is not an IP socket.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.facts.as_ref().ok().map(|f| f.local)
    }

    /// Whether it is a TCP socket; `false` for UDP and for an fd that is not an IP socket.
    pub fn is_tcp(&self) -> bool {
        self.facts.as_ref().is_ok_and(|f| f.stream)
    }

    /// Whether a listen or bind of this process already uses it.
    pub fn is_taken(&self) -> bool {
        self.taken
    }
}

impl std::fmt::Display for InheritedSocket {
    /// `fd 3 (TCP [::]:8080, IPv4 too)`, `fd 4 "web" (UDP 127.0.0.1:53)`,
    /// `fd 5 (a pipe, not a socket)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fd {}", self.fd)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        match &self.facts {
            Err(what) if what == sys::DUPLICATE => write!(f, " ({what})"),
            Err(what) => write!(f, " ({what}, not an IP socket)"),
            Ok(facts) => {
                let transport = if facts.stream { "TCP" } else { "UDP" };
                write!(f, " ({transport} {}", facts.local)?;
                if facts.local.is_ipv6() && !facts.only_v6 {
                    f.write_str(", IPv4 too")?;
                }
                if facts.stream && facts.listening == Some(false) {
                    f.write_str(", not listening")?;
                }
                if let Some(device) = &facts.device {
                    write!(f, ", on {device} only")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// One handed-over fd: what it is, and the socket until a listen takes it.
struct Slot {
    info: InheritedSocket,
    socket: Option<Socket>,
}

/// The handover, read once per process: the fds taken, or why there are none.
struct Slots {
    slots: Vec<Slot>,
    /// Why nothing was taken, in words, when nothing was: "LISTEN_PID is unset", or what is
    /// wrong with the variables.
    why_none: String,
    /// The variables name this process but are malformed: every listen that would inherit
    /// fails closed, saying so, rather than bind beside sockets it was meant to take.
    malformed: bool,
}

static SLOTS: OnceLock<Mutex<Slots>> = OnceLock::new();

/// Reads the protocol's variables and takes the fds, the first time only.
fn slots() -> &'static Mutex<Slots> {
    SLOTS.get_or_init(|| Mutex::new(take_from_env()))
}

/// The most fds a handover may name. systemd hands over a unit's sockets and its fd store
/// (FileDescriptorStoreMax=, at most 4096 by default); more than this is no real handover,
/// and an absurd count must not make the crate (or listenfd, which allocates one slot per fd)
/// allocate for it.
pub(crate) const MAX_LISTEN_FDS: usize = 65_536;

/// What the protocol's variables say, before any fd is touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Handover {
    /// Not for this process: why, in words.
    NotOurs(String),
    /// For this process: `count` fds from `first`, with their names (`LISTEN_FDNAMES`).
    Ours {
        first: i32,
        count: usize,
        names: Vec<String>,
    },
    /// For this process, but malformed: what is wrong.
    Malformed(String),
}

/// Reads the variables through `var`, strictly: numbers are plain decimal digits, as
/// systemd writes them (so listenfd, which parses them again, agrees), a count is at most
/// [`MAX_LISTEN_FDS`], the first fd at least 3 (0-2 are the standard streams), and the last
/// fd fits an `int`. `pid` is this process's id; `pidfd` the inode `LISTEN_PIDFDID` must
/// name, where this process can read it.
pub(crate) fn read_handover(
    var: &dyn Fn(&str) -> Option<String>,
    pid: u32,
    pidfd: Option<u64>,
) -> Handover {
    let Some(listen_pid) = var("LISTEN_PID") else {
        return Handover::NotOurs("LISTEN_PID is unset".to_owned());
    };
    match digits::<u32>(&listen_pid) {
        None => {
            return Handover::NotOurs(format!("LISTEN_PID={listen_pid:?} is not a process id"));
        }
        Some(other) if other != pid => {
            return Handover::NotOurs(format!(
                "LISTEN_PID={other} is another process's; this is {pid}"
            ));
        }
        Some(_) => {}
    }
    if let Some(id) = var("LISTEN_PIDFDID") {
        match digits::<u64>(&id) {
            None => return Handover::Malformed(format!("LISTEN_PIDFDID={id:?} is not a number")),
            Some(id) if pidfd.is_some_and(|own| own != id) => {
                // The pid was reused: the variables were meant for an earlier process.
                return Handover::NotOurs(format!(
                    "LISTEN_PIDFDID={id} names another process that had pid {pid}"
                ));
            }
            Some(_) => {}
        }
    }
    let count = match var("LISTEN_FDS") {
        None => return Handover::Malformed("LISTEN_PID is set but LISTEN_FDS is not".to_owned()),
        Some(n) => match digits::<usize>(&n) {
            Some(count) if count <= MAX_LISTEN_FDS => count,
            Some(_) | None if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() => {
                return Handover::Malformed(format!(
                    "LISTEN_FDS={n} is more fds than a handover holds (at most {MAX_LISTEN_FDS})"
                ));
            }
            _ => return Handover::Malformed(format!("LISTEN_FDS={n:?} is not a count of fds")),
        },
    };
    let first = match var("LISTEN_FDS_FIRST_FD") {
        None => 3,
        Some(n) => match digits::<i32>(&n) {
            Some(first) if first >= 3 => first,
            _ => {
                return Handover::Malformed(format!(
                    "LISTEN_FDS_FIRST_FD={n:?} is not an fd number of 3 or more"
                ));
            }
        },
    };
    let last_fits = i32::try_from(count)
        .ok()
        .and_then(|count| first.checked_add(count))
        .is_some();
    if !last_fits {
        return Handover::Malformed(format!(
            "LISTEN_FDS_FIRST_FD={first} and LISTEN_FDS={count} run past the largest fd number"
        ));
    }
    let names = var("LISTEN_FDNAMES")
        .map(|n| n.split(':').take(count).map(str::to_owned).collect())
        .unwrap_or_default();
    Handover::Ours {
        first,
        count,
        names,
    }
}

/// A number written as plain decimal digits (no sign, space or `+`), in range.
fn digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn take_from_env() -> Slots {
    let var = |name: &str| std::env::var(name).ok();
    let (first, count, names) = match read_handover(&var, std::process::id(), sys::own_pidfd_id()) {
        Handover::Ours {
            first,
            count,
            names,
        } => (first, count, names),
        Handover::NotOurs(why) => {
            return Slots {
                slots: Vec::new(),
                why_none: why,
                malformed: false,
            };
        }
        Handover::Malformed(why) => {
            return Slots {
                slots: Vec::new(),
                why_none: why,
                malformed: true,
            };
        }
    };
    let mut slots = Vec::with_capacity(count);
    for (i, handed) in sys::take_listen_fds(first, count).into_iter().enumerate() {
        let name = names
            .get(i)
            .filter(|n| !n.is_empty() && *n != "unknown")
            .cloned();
        let (facts, socket) = match handed.socket {
            // An fd the variables name is not open: they do not describe this process's fds.
            // What was taken is dropped (closed): a handover is used whole or not at all.
            Err(sys::NOT_OPEN) => {
                return Slots {
                    slots: Vec::new(),
                    why_none: format!(
                        "LISTEN_FDS={count} names fds {first} to {}, but fd {} is not open",
                        i64::from(first) + i64::try_from(count).unwrap_or(0) - 1,
                        handed.fd
                    ),
                    malformed: true,
                };
            }
            Err(what) => (Err(what.to_owned()), None),
            Ok(socket) => match sys::socket_facts(&socket) {
                Ok(facts) => (Ok(facts), Some(socket)),
                Err(err) => (
                    Err(format!("a socket whose address is unreadable ({err})")),
                    None,
                ),
            },
        };
        slots.push(Slot {
            info: InheritedSocket {
                fd: handed.fd,
                name,
                facts,
                taken: false,
            },
            socket,
        });
    }
    Slots {
        why_none: format!("LISTEN_FDS={count}"),
        slots,
        malformed: false,
    }
}

/// What the service manager handed over to this process, taken or not; empty when it was not
/// socket-activated (`LISTEN_PID` unset or another process's). The first call takes the fds
/// (see the module docs), so a later listen can still use them.
pub fn inherited_sockets() -> Vec<InheritedSocket> {
    let slots = slots().lock().unwrap_or_else(PoisonError::into_inner);
    slots.slots.iter().map(|s| s.info.clone()).collect()
}

/// The sockets for `wanted` (the planned addresses of one listen or bind), when the process
/// was socket-activated and `inherit` allows it: `Ok(None)` binds as usual. Each socket comes
/// back with its address and fd, nonblocking as asked and close-on-exec.
pub(crate) fn claim(
    target: &BindTarget,
    wanted: &[(SocketAddr, bool, Option<String>)],
    transport: Transport,
    inherit: Inherit,
    nonblocking: bool,
) -> Result<Option<Vec<(Socket, SocketAddr, i32)>>> {
    if inherit == Inherit::Off {
        return Ok(None);
    }
    let mut guard = slots().lock().unwrap_or_else(PoisonError::into_inner);
    let stream = transport == Transport::Tcp;
    let fix = fix_text(target, wanted, stream);
    if guard.malformed {
        return Err(malformed(target, &guard.why_none, true));
    }
    if guard.slots.is_empty() {
        if inherit == Inherit::Required {
            return Err(Error::InheritedMismatch(Box::new(ActivationMismatch {
                target: target.clone(),
                handed: Vec::new(),
                reason: format!(
                    "inherit is required, but this process was not socket-activated ({})",
                    guard.why_none
                ),
                fix: format!("start it from its .socket unit ({fix}), or set inherit to on"),
            })));
        }
        return Ok(None);
    }
    let slots = &mut guard.slots;
    let chosen = select(slots, target, wanted, stream, &fix)?;
    let mut out = Vec::with_capacity(chosen.len());
    for i in chosen {
        let Some(slot) = slots.get_mut(i) else {
            continue;
        };
        let (Some(socket), Ok(facts)) = (slot.socket.take(), &slot.info.facts) else {
            continue;
        };
        let prepared = socket
            .set_nonblocking(nonblocking)
            .and_then(|()| sys::set_cloexec(&socket));
        if let Err(source) = prepared {
            return Err(Error::Io {
                addr: facts.local,
                phase: crate::error::Phase::SetOption("O_NONBLOCK"),
                source,
            });
        }
        slot.info.taken = true;
        out.push((socket, facts.local, slot.info.fd));
    }
    Ok(Some(out))
}

/// The one socket an explicit `fd:N` or `fd:NAME` target names, nonblocking as asked and
/// close-on-exec, with its address and fd. `inherit` off is refused: the target asks for
/// nothing else.
pub(crate) fn claim_one(
    target: &BindTarget,
    which: &Inherited,
    transport: Transport,
    inherit: Inherit,
    nonblocking: bool,
) -> Result<(Socket, SocketAddr, i32)> {
    let stream = transport == Transport::Tcp;
    let mut guard = slots().lock().unwrap_or_else(PoisonError::into_inner);
    if guard.malformed && inherit != Inherit::Off {
        return Err(malformed(target, &guard.why_none, false));
    }
    let why_none = guard.why_none.clone();
    let slots = &mut guard.slots;
    let handed: Vec<String> = slots.iter().map(|s| s.info.to_string()).collect();
    let fail = |reason: String, fix: &str| {
        Error::InheritedMismatch(Box::new(ActivationMismatch {
            target: target.clone(),
            handed: handed.clone(),
            reason,
            fix: fix.to_owned(),
        }))
    };
    let named = match (which.fd_number(), which.fd_name()) {
        (Some(fd), _) => format!("fd {fd}"),
        (None, name) => format!("an fd named {:?}", name.unwrap_or_default()),
    };
    if inherit == Inherit::Off {
        return Err(fail(
            format!("inherit is off, and {target} names an inherited socket"),
            "set inherit to on, or name an address to bind",
        ));
    }
    if slots.is_empty() {
        return Err(fail(
            format!(
                "{target} names {named}, but this process was not socket-activated ({why_none})"
            ),
            "start it from its .socket unit, or name an address to bind",
        ));
    }
    let found = slots
        .iter_mut()
        .find(|s| match (which.fd_number(), which.fd_name()) {
            (Some(fd), _) => i64::from(s.info.fd) == i64::from(fd),
            (None, name) => s.info.name.as_deref() == name,
        });
    let Some(slot) = found else {
        let fix = match which.fd_name() {
            Some(name) => format!("add FileDescriptorName={name} to the .socket unit"),
            None => "name one of the fds handed over".to_owned(),
        };
        return Err(fail(format!("{named} is not among them"), &fix));
    };
    let fd = slot.info.fd;
    let facts = match &slot.info.facts {
        Err(what) => {
            return Err(fail(
                format!("fd {fd} is {what}, not a socket"),
                "hand over a socket",
            ));
        }
        Ok(facts) => facts.clone(),
    };
    let key = if stream {
        "ListenStream="
    } else {
        "ListenDatagram="
    };
    if facts.stream != stream {
        let (is, not) = if facts.stream {
            ("TCP", "UDP")
        } else {
            ("UDP", "TCP")
        };
        return Err(fail(
            format!("fd {fd} is {is}, not {not}"),
            &format!("make the .socket unit say {key}"),
        ));
    }
    if stream && facts.listening == Some(false) {
        return Err(fail(
            format!("fd {fd} is bound to {} but not listening", facts.local),
            "hand over a listening socket (ListenStream=)",
        ));
    }
    let Some(socket) = slot.socket.take() else {
        return Err(fail(
            format!("fd {fd} is taken by another listen"),
            "name it once",
        ));
    };
    if let Err(source) = socket
        .set_nonblocking(nonblocking)
        .and_then(|()| sys::set_cloexec(&socket))
    {
        return Err(Error::Io {
            addr: facts.local,
            phase: crate::error::Phase::SetOption("O_NONBLOCK"),
            source,
        });
    }
    slot.info.taken = true;
    Ok((socket, facts.local, fd))
}

/// The slots that serve every address of `wanted`, or the mismatch.
fn select(
    slots: &[Slot],
    target: &BindTarget,
    wanted: &[(SocketAddr, bool, Option<String>)],
    stream: bool,
    fix: &str,
) -> Result<Vec<usize>> {
    let wants_v4_any = wanted
        .iter()
        .any(|(a, _, _)| a.is_ipv4() && a.ip().is_unspecified());
    let mut chosen: Vec<usize> = Vec::with_capacity(wanted.len());
    for (addr, _dual, device) in wanted {
        let serves = |slot: &Slot| {
            slot.info
                .facts
                .as_ref()
                .is_ok_and(|f| covers(f, addr, stream, wants_v4_any, device.as_deref()).is_ok())
        };
        // A dual-stack [::] already chosen covers 0.0.0.0.
        if chosen.iter().any(|&i| slots.get(i).is_some_and(serves)) {
            continue;
        }
        if let Some(i) = slots
            .iter()
            .position(|slot| slot.socket.is_some() && serves(slot))
        {
            chosen.push(i);
            continue;
        }
        // Why not, from the fd nearest to what is wanted: same transport and family first.
        let mut reason: Option<(u8, String)> = None;
        for slot in slots {
            let (rank, why) = match &slot.info.facts {
                Err(what) => (3, format!("fd {} is {what}, not a socket", slot.info.fd)),
                Ok(_) if slot.socket.is_none() => {
                    (4, format!("fd {} is taken by another listen", slot.info.fd))
                }
                Ok(facts) => match covers(facts, addr, stream, wants_v4_any, device.as_deref()) {
                    Ok(()) => continue,
                    Err(why) => {
                        let rank = match (
                            facts.stream == stream,
                            facts.local.is_ipv4() == addr.is_ipv4(),
                        ) {
                            (true, true) => 0,
                            (true, false) => 1,
                            (false, _) => 2,
                        };
                        (rank, format!("fd {} {why}", slot.info.fd))
                    }
                },
            };
            if reason.as_ref().is_none_or(|(r, _)| rank < *r) {
                reason = Some((rank, why));
            }
        }
        let handed: Vec<String> = slots.iter().map(|s| s.info.to_string()).collect();
        let wants: Vec<String> = wanted.iter().map(|(a, _, _)| a.to_string()).collect();
        let reason = reason.map_or_else(|| "nothing serves it".to_owned(), |(_, r)| r);
        return Err(Error::InheritedMismatch(Box::new(ActivationMismatch {
            target: target.clone(),
            handed,
            reason: format!(
                "{target} wants {} on {}: {reason}",
                if stream { "TCP" } else { "UDP" },
                crate::text::join_and(&wants)
            ),
            fix: format!("make the .socket unit say {fix}, or set inherit to off to bind here"),
        })));
    }
    Ok(chosen)
}

impl Resolved {
    /// The handed-over sockets a listen (or, with `udp`, a bind) of this target would use,
    /// without taking them: empty when the process was not socket-activated.
    ///
    /// # Errors
    ///
    /// `inherited_mismatch` when the process was activated and the sockets do not match, as
    /// [`Resolved::listen_with`](crate::Resolved::listen_with) would fail with
    /// [`Inherit::On`].
    pub fn inherited_match(&self, udp: bool) -> Result<Vec<InheritedSocket>> {
        let guard = slots().lock().unwrap_or_else(PoisonError::into_inner);
        if guard.malformed {
            return Err(malformed(self.target(), &guard.why_none, true));
        }
        let slots = &guard.slots;
        if slots.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<(SocketAddr, bool, Option<String>)> =
            self.socket_addrs().map(|a| (a, false, None)).collect();
        let fix = fix_text(self.target(), &wanted, !udp);
        let chosen = select(slots, self.target(), &wanted, !udp, &fix)?;
        Ok(chosen
            .into_iter()
            .filter_map(|i| slots.get(i).map(|s| s.info.clone()))
            .collect())
    }
}

/// The error of every inheriting listen when the variables name this process but are
/// malformed. `can_bind_here`: the target is an address, which inherit off would bind; an
/// `fd:` target has nothing else to fall back on, so that fix is not offered.
fn malformed(target: &BindTarget, why: &str, can_bind_here: bool) -> Error {
    let mut fix = "fix the service manager's environment (the unit's Environment= lines, or what \
                   started this process)"
        .to_owned();
    if can_bind_here {
        fix.push_str(", or set inherit to off to bind here");
    }
    Error::InheritedMismatch(Box::new(ActivationMismatch {
        target: target.clone(),
        handed: Vec::new(),
        reason: format!(
            "the socket-activation variables name this process but are malformed: {why}"
        ),
        fix,
    }))
}

/// Whether an inherited socket serves `want`; `Err` says why not, after "fd N".
fn covers(
    facts: &sys::SocketFacts,
    want: &SocketAddr,
    stream: bool,
    wants_v4_any: bool,
    device: Option<&str>,
) -> std::result::Result<(), String> {
    let local = facts.local;
    if facts.stream != stream {
        let (is, not) = if facts.stream {
            ("TCP", "UDP")
        } else {
            ("UDP", "TCP")
        };
        return Err(format!("is {is}, not {not}"));
    }
    let dual_any = local.is_ipv6() && local.ip().is_unspecified() && !facts.only_v6;
    let same_ip =
        local.ip() == want.ip() || (dual_any && want.is_ipv4() && want.ip().is_unspecified());
    if !same_ip {
        if local.is_ipv4() != want.is_ipv4() {
            let family = |a: &SocketAddr| if a.is_ipv4() { "IPv4" } else { "IPv6" };
            return Err(format!(
                "is {} ({local}), not {} ({want})",
                family(&local),
                family(want)
            ));
        }
        return Err(format!("is bound to {local}, not {want}"));
    }
    if want.port() != 0 && local.port() != want.port() {
        return Err(format!("is on port {}, not {}", local.port(), want.port()));
    }
    if dual_any && want.is_ipv6() && !wants_v4_any {
        return Err(format!(
            "({local}) takes IPv4 too (IPV6_V6ONLY off), and {want} is IPv6 only"
        ));
    }
    if stream && facts.listening == Some(false) {
        return Err(format!("is bound to {local} but not listening"));
    }
    if let Some(device) = device {
        if facts.device.as_deref() != Some(device) {
            return Err(format!("is not bound to {device} (SO_BINDTODEVICE)"));
        }
    }
    Ok(())
}

/// The `.socket` unit lines that hand over what `wanted` needs.
fn fix_text(
    target: &BindTarget,
    wanted: &[(SocketAddr, bool, Option<String>)],
    stream: bool,
) -> String {
    let key = if stream {
        "ListenStream"
    } else {
        "ListenDatagram"
    };
    let port = target.port();
    if target.is_any() && target.family() == Some(crate::target::Family::Both) {
        return format!("{key}={port}");
    }
    let lines: Vec<String> = wanted
        .iter()
        .map(|(addr, _, _)| format!("{key}={addr}"))
        .collect();
    // BindIPv6Only= and BindToDevice= are settings of the whole .socket unit, not of one
    // listen line: each is written once, after the lines.
    let mut settings: Vec<String> = Vec::new();
    if wanted
        .iter()
        .any(|(addr, _, _)| addr.is_ipv6() && addr.ip().is_unspecified())
    {
        settings.push("BindIPv6Only=ipv6-only".to_owned());
    }
    for (_, _, device) in wanted {
        if let Some(device) = device {
            let setting = format!("BindToDevice={device}");
            if !settings.contains(&setting) {
                settings.push(setting);
            }
        }
    }
    let mut text = crate::text::join_and(&lines);
    if !settings.is_empty() {
        text.push_str(" with ");
        text.push_str(&crate::text::join_and(&settings));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `read_handover` over a table of variables, this process being pid 100.
    fn read(vars: &[(&str, &str)]) -> Handover {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let var = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        read_handover(&var, 100, Some(7))
    }

    fn malformed(why: &str) -> Handover {
        Handover::Malformed(why.to_owned())
    }

    #[test]
    fn hostile_variables_are_refused_with_what_is_wrong() {
        let not_ours = |why: &str| Handover::NotOurs(why.to_owned());
        let cases: Vec<(Vec<(&str, &str)>, Handover)> = vec![
            (vec![], not_ours("LISTEN_PID is unset")),
            (vec![("LISTEN_FDS", "2")], not_ours("LISTEN_PID is unset")),
            (
                vec![("LISTEN_PID", "abc"), ("LISTEN_FDS", "1")],
                not_ours("LISTEN_PID=\"abc\" is not a process id"),
            ),
            (
                vec![("LISTEN_PID", "-100")],
                not_ours("LISTEN_PID=\"-100\" is not a process id"),
            ),
            (
                vec![("LISTEN_PID", " 100")],
                not_ours("LISTEN_PID=\" 100\" is not a process id"),
            ),
            (
                vec![("LISTEN_PID", "+100")],
                not_ours("LISTEN_PID=\"+100\" is not a process id"),
            ),
            (
                vec![("LISTEN_PID", "")],
                not_ours("LISTEN_PID=\"\" is not a process id"),
            ),
            (
                vec![("LISTEN_PID", "99999999999999999999")],
                not_ours("LISTEN_PID=\"99999999999999999999\" is not a process id"),
            ),
            (
                vec![("LISTEN_PID", "101"), ("LISTEN_FDS", "1")],
                not_ours("LISTEN_PID=101 is another process's; this is 100"),
            ),
            (
                vec![("LISTEN_PID", "100")],
                malformed("LISTEN_PID is set but LISTEN_FDS is not"),
            ),
            (
                vec![("LISTEN_PID", "100"), ("LISTEN_FDS", "x")],
                malformed("LISTEN_FDS=\"x\" is not a count of fds"),
            ),
            (
                vec![("LISTEN_PID", "100"), ("LISTEN_FDS", "-1")],
                malformed("LISTEN_FDS=\"-1\" is not a count of fds"),
            ),
            (
                vec![("LISTEN_PID", "100"), ("LISTEN_FDS", "")],
                malformed("LISTEN_FDS=\"\" is not a count of fds"),
            ),
            (
                vec![("LISTEN_PID", "100"), ("LISTEN_FDS", "1 ")],
                malformed("LISTEN_FDS=\"1 \" is not a count of fds"),
            ),
            (
                vec![("LISTEN_PID", "100"), ("LISTEN_FDS", "65537")],
                malformed("LISTEN_FDS=65537 is more fds than a handover holds (at most 65536)"),
            ),
            (
                vec![
                    ("LISTEN_PID", "100"),
                    ("LISTEN_FDS", "999999999999999999999999"),
                ],
                malformed(
                    "LISTEN_FDS=999999999999999999999999 is more fds than a handover holds (at most 65536)",
                ),
            ),
            (
                vec![
                    ("LISTEN_PID", "100"),
                    ("LISTEN_FDS", "1"),
                    ("LISTEN_FDS_FIRST_FD", "0"),
                ],
                malformed("LISTEN_FDS_FIRST_FD=\"0\" is not an fd number of 3 or more"),
            ),
            (
                vec![
                    ("LISTEN_PID", "100"),
                    ("LISTEN_FDS", "1"),
                    ("LISTEN_FDS_FIRST_FD", "-3"),
                ],
                malformed("LISTEN_FDS_FIRST_FD=\"-3\" is not an fd number of 3 or more"),
            ),
            (
                vec![
                    ("LISTEN_PID", "100"),
                    ("LISTEN_FDS", "65536"),
                    ("LISTEN_FDS_FIRST_FD", "2147483640"),
                ],
                malformed(
                    "LISTEN_FDS_FIRST_FD=2147483640 and LISTEN_FDS=65536 run past the largest fd number",
                ),
            ),
            (
                vec![
                    ("LISTEN_PID", "100"),
                    ("LISTEN_FDS", "1"),
                    ("LISTEN_PIDFDID", "z"),
                ],
                malformed("LISTEN_PIDFDID=\"z\" is not a number"),
            ),
            (
                vec![
                    ("LISTEN_PID", "100"),
                    ("LISTEN_FDS", "1"),
                    ("LISTEN_PIDFDID", "8"),
                ],
                not_ours("LISTEN_PIDFDID=8 names another process that had pid 100"),
            ),
        ];
        for (vars, expected) in cases {
            assert_eq!(read(&vars), expected, "{vars:?}");
        }
    }

    #[test]
    fn names_are_read_by_position_and_extra_ones_dropped() {
        let ours = |count, names: &[&str]| Handover::Ours {
            first: 3,
            count,
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        };
        let base = [("LISTEN_PID", "100"), ("LISTEN_PIDFDID", "7")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut vars = base.to_vec();
            vars.extend_from_slice(extra);
            read(&vars)
        };
        assert_eq!(
            with(&[("LISTEN_FDS", "2"), ("LISTEN_FDNAMES", "web:admin")]),
            ours(2, &["web", "admin"])
        );
        assert_eq!(
            with(&[("LISTEN_FDS", "1"), ("LISTEN_FDNAMES", "web:admin:more")]),
            ours(1, &["web"])
        );
        assert_eq!(
            with(&[("LISTEN_FDS", "3"), ("LISTEN_FDNAMES", "web")]),
            ours(3, &["web"])
        );
        assert_eq!(with(&[("LISTEN_FDS", "0")]), ours(0, &[]));
        assert_eq!(
            with(&[("LISTEN_FDS", "1"), ("LISTEN_FDS_FIRST_FD", "10")]),
            Handover::Ours {
                first: 10,
                count: 1,
                names: Vec::new()
            }
        );
    }
}
