//! [`BindTarget::wait`]: start before the network is up. Waits, with a deadline, until
//! everything the target resolves to can be bound, aware of duplicate address detection, and
//! says what is still missing when the deadline passes.
//!
//! Above `resolve` (each check is `resolve_with` over fresh facts), below `listen` (which
//! waits first when [`ListenOptions::wait`](crate::ListenOptions::wait) is set).

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::error::{Error, Pending, Result};
use crate::interfaces::{Dad, Interfaces};
use crate::resolve::{Resolved, Warning};
use crate::sys;
use crate::target::{BindTarget, Family};

impl BindTarget {
    /// Waits until every address the target resolves to can be bound, for `timeout` at the
    /// most, and returns the resolve made over the facts that said so.
    ///
    /// It subscribes to the kernel's link and address events first and checks second, so no
    /// change between the two is missed; then it checks again only when an event comes. On
    /// Linux that is rtnetlink (RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR) in the
    /// calling thread's network namespace: no polling, no sleep, no wake-up without a change.
    /// When the kernel drops events (ENOBUFS), the next check reads everything again, as every
    /// check does. Elsewhere it checks every 250 ms.
    ///
    /// # What waits and what fails at once
    ///
    /// Ready means [`BindTarget::resolve_with`] succeeds and none of its addresses is
    /// tentative or on an interface that is down. Waited for, because the network may still
    /// bring it:
    /// - an address on no interface yet, even one that is not this machine's at all (DHCP, or
    ///   a floating address that keepalived may move here);
    /// - an interface that does not exist yet (`eth1:80` before eth1 is created), that is down,
    ///   or that has no address yet;
    /// - a tentative IPv6 address (duplicate address detection running); an optimistic one
    ///   (`optimistic_dad`) counts as ready, as the kernel binds it;
    /// - an IPv6-only target (`[::]:P`, `[::1]:P`) on a machine without any IPv6 address yet.
    ///
    /// Failed at once, without waiting out the deadline, because no event can cure it:
    /// - an address that failed duplicate address detection ([`Error::DadFailed`]);
    /// - a privileged port without the privilege ([`Error::PermissionDenied`]);
    /// - an IPv6 target where IPv6 is disabled (`net.ipv6.conf.all.disable_ipv6=1`, or
    ///   `ipv6.disable=1` at boot) ([`Error::FamilyUnsupported`]);
    /// - a link-local address without a zone that several interfaces carry, a `port:` target,
    ///   and an enumeration that fails.
    ///
    /// `*:P` does not wait for IPv6: the wildcard sockets need no address to exist, and
    /// addresses that come later are covered by them, so it returns at once. On a machine
    /// with no IPv6 address at all it binds IPv4 only, with [`Warning::NoIpv6`], exactly as
    /// [`BindTarget::resolve`] does. Write `[::]:P` beside `0.0.0.0:P` to wait for IPv6.
    ///
    /// # Errors
    ///
    /// [`Error::AddressWaitTimedOut`] at the deadline, with every [`Pending`] item of the last
    /// check; the errors above at once; [`Error::Interfaces`] when the subscription or a
    /// check fails.
    ///
    /// ```
    /// use bindpolicy::{BindTarget, ErrorKind};
    /// use std::time::Duration;
    ///
    /// // Ready now: returns at once.
    /// let resolved = "127.0.0.1:0".parse::<BindTarget>()?.wait(Duration::from_secs(5))?;
    /// let listeners = resolved.listen()?;
    /// # drop(listeners);
    ///
    /// // An address from TEST-NET-3 that never comes: the typed error at the deadline.
    /// let err = "203.0.113.9:8080".parse::<BindTarget>()?
    ///     .wait(Duration::from_millis(50))
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::AddressWaitTimedOut);
    /// assert!(err.to_string().contains("203.0.113.9 is not assigned to any interface"));
    /// # Ok::<(), bindpolicy::Error>(())
    /// ```
    pub fn wait(&self, timeout: Duration) -> Result<Resolved> {
        self.wait_reporting(timeout, |_, _| {})
    }

    /// [`BindTarget::wait`], calling `progress` after every check that is not ready with what
    /// is still missing and how long the wait has run: a status line's input. It is called
    /// only when a check happens (on an event), never on a timer.
    ///
    /// ```
    /// use bindpolicy::BindTarget;
    /// use std::time::Duration;
    ///
    /// let mut lines = Vec::new();
    /// let err = "203.0.113.9:8080".parse::<BindTarget>()?
    ///     .wait_reporting(Duration::from_millis(50), |missing, _elapsed| {
    ///         lines.push(missing.iter().map(ToString::to_string).collect::<Vec<_>>());
    ///     })
    ///     .unwrap_err();
    /// assert_eq!(lines[0], ["203.0.113.9 is not assigned to any interface"]);
    /// # Ok::<(), bindpolicy::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Those of [`BindTarget::wait`].
    pub fn wait_reporting(
        &self,
        timeout: Duration,
        mut progress: impl FnMut(&[Pending], Duration),
    ) -> Result<Resolved> {
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        if self.is_port_only() {
            return self.resolve();
        }
        if self.family() == Some(Family::Ipv6) && sys::ipv6_disabled() {
            return Err(Error::FamilyUnsupported {
                family: Family::Ipv6,
                reason: "IPv6 is disabled (net.ipv6.conf.all.disable_ipv6=1, or ipv6.disable=1 \
                         at boot), so no IPv6 address will come, however long one waits; use \
                         the IPv4 form, or enable IPv6"
                    .to_owned(),
                source: None,
            });
        }
        // Subscribe first: a change after this is queued until the next `next`.
        let mut watch = sys::watch().map_err(|source| Error::Interfaces { source })?;
        let mut first_tentative: HashMap<IpAddr, Instant> = HashMap::new();
        let mut last_missing: Option<Vec<Pending>> = None;
        loop {
            let facts = match Read::of(Interfaces::for_target(self)) {
                Read::Facts(facts) => facts,
                // The tables kept changing through every retry of the dump (a flood of
                // address events): a wait is for changes, so it waits for the next event and
                // reads again, until the deadline.
                Read::Changing(source) => {
                    let left = deadline.map_or(Duration::MAX, |d| {
                        d.saturating_duration_since(Instant::now())
                    });
                    if left.is_zero() {
                        return Err(match last_missing {
                            Some(missing) => Error::AddressWaitTimedOut {
                                target: self.clone(),
                                waited: timeout,
                                missing,
                            },
                            None => Error::Interfaces { source },
                        });
                    }
                    if let Err(source) = watch.next(left) {
                        return Err(Error::Interfaces { source });
                    }
                    continue;
                }
                Read::Failed(err) => return Err(err),
            };
            let missing = match check(self, &facts)? {
                Check::Ready(resolved) => return Ok(*resolved),
                Check::Missing(missing) => missing,
            };
            let now = Instant::now();
            first_tentative.retain(|ip, _| {
                missing
                    .iter()
                    .any(|m| matches!(m, Pending::Tentative { addr, .. } if addr == ip))
            });
            let missing: Vec<Pending> = missing
                .into_iter()
                .map(|m| match m {
                    Pending::Tentative {
                        addr, interface, ..
                    } => Pending::Tentative {
                        since: now
                            .saturating_duration_since(*first_tentative.entry(addr).or_insert(now)),
                        addr,
                        interface,
                    },
                    other => other,
                })
                .collect();
            progress(&missing, now.saturating_duration_since(start));
            last_missing = Some(missing.clone());
            let left = deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(now));
            if left.is_zero() {
                return Err(Error::AddressWaitTimedOut {
                    target: self.clone(),
                    waited: timeout,
                    missing,
                });
            }
            // Changed and Resync both mean "check again", and every check reads afresh; a
            // timeout gives one last check before the error.
            match watch.next(left) {
                Ok(sys::Event::Changed | sys::Event::Resync | sys::Event::Timeout) => {}
                Err(source) => return Err(Error::Interfaces { source }),
            }
        }
    }

    /// [`BindTarget::wait`] for async code (feature `tokio`): the wait runs on tokio's
    /// blocking pool (`spawn_blocking`), so no runtime thread blocks. The blocking thread is
    /// started from the runtime, in its network namespace.
    ///
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use bindpolicy::BindTarget;
    /// use std::time::Duration;
    ///
    /// let target: BindTarget = "127.0.0.1:0".parse()?;
    /// let listeners = target
    ///     .wait_tokio(Duration::from_secs(30))
    ///     .await?
    ///     .listen()?
    ///     .into_tokio()?;
    /// # drop(listeners);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Those of [`BindTarget::wait`], and [`Error::Interfaces`] when the runtime shuts down
    /// during the wait. A panic in the wait is resumed here.
    #[cfg(feature = "tokio")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub async fn wait_tokio(&self, timeout: Duration) -> Result<Resolved> {
        let target = self.clone();
        match tokio::task::spawn_blocking(move || target.wait(timeout)).await {
            Ok(result) => result,
            // A panic in the wait goes on in the caller; else the task was cancelled.
            Err(join) => match join.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_) => Err(Error::Interfaces {
                    source: io::Error::other("the tokio runtime shut down during the wait"),
                }),
            },
        }
    }
}

/// One read of the facts, as the wait sees it.
#[derive(Debug)]
enum Read {
    Facts(Interfaces),
    /// The dump was interrupted (NLM_F_DUMP_INTR) through every retry: the tables are
    /// changing, which is what a wait waits for.
    Changing(io::Error),
    /// Any other failure to read them: no wait cures it.
    Failed(Error),
}

impl Read {
    fn of(result: Result<Interfaces>) -> Read {
        match result {
            Ok(facts) => Read::Facts(facts),
            Err(Error::Interfaces { source }) if source.kind() == io::ErrorKind::Interrupted => {
                Read::Changing(source)
            }
            Err(err) => Read::Failed(err),
        }
    }
}

/// One check's verdict.
enum Check {
    Ready(Box<Resolved>),
    Missing(Vec<Pending>),
}

/// Whether `target` can be bound over `facts`: ready, missing something the network may
/// still bring, or an error no wait cures.
fn check(target: &BindTarget, facts: &Interfaces) -> Result<Check> {
    let resolved = match target.resolve_with(facts) {
        Ok(resolved) => resolved,
        Err(err) => return curable(err, facts).map(|m| Check::Missing(vec![m])),
    };
    let mut missing = Vec::new();
    for warning in resolved.warnings() {
        match warning {
            Warning::PrivilegedPort {
                port,
                unprivileged_port_start,
            } => {
                let addr = resolved
                    .socket_addrs()
                    .next()
                    .unwrap_or_else(|| (std::net::Ipv4Addr::UNSPECIFIED, *port).into());
                return Err(Error::PermissionDenied {
                    addr,
                    phase: crate::error::Phase::Bind,
                    unprivileged_port_start: Some(*unprivileged_port_start),
                    source: io::Error::from(io::ErrorKind::PermissionDenied),
                });
            }
            Warning::Tentative { addr, interface } => missing.push(Pending::Tentative {
                addr: *addr,
                interface: interface.clone(),
                since: Duration::ZERO,
            }),
            Warning::InterfaceDown { interface } => missing.push(Pending::InterfaceDown {
                interface: interface.clone(),
            }),
            _ => {}
        }
    }
    // An interface's addresses resolve whatever their DAD state; a failed one never binds.
    for resolved_addr in resolved.addrs() {
        let ip = resolved_addr.addr().ip();
        let Some(iface) = resolved_addr.interface().and_then(|name| facts.get(name)) else {
            continue;
        };
        if let Some(a) = iface
            .addrs()
            .iter()
            .find(|a| a.ip() == ip && a.dad() == Dad::Failed)
        {
            return Err(Error::DadFailed {
                addr: ip,
                interface: iface.name().to_owned(),
                prefix_len: a.prefix_len(),
            });
        }
    }
    Ok(if missing.is_empty() {
        Check::Ready(Box::new(resolved))
    } else {
        Check::Missing(missing)
    })
}

/// What a resolve error waits for, or the error itself when waiting cannot cure it.
fn curable(err: Error, facts: &Interfaces) -> Result<Pending> {
    match err {
        Error::InterfaceNotFound { name, .. } => Ok(Pending::InterfaceAbsent { interface: name }),
        Error::NoAddress {
            interface, family, ..
        } => Ok(match facts.get(&interface) {
            Some(iface) if !iface.is_up() => Pending::InterfaceDown { interface },
            _ => Pending::NoAddress { interface, family },
        }),
        Error::AddrNotLocal { addr, .. } => Ok(Pending::AddressAbsent {
            addr,
            interface: None,
        }),
        Error::ZoneRequired {
            addr, candidates, ..
        } if candidates.is_empty() => Ok(Pending::AddressAbsent {
            addr: IpAddr::V6(addr),
            interface: None,
        }),
        Error::ZoneMismatch { addr, zone, .. } => Ok(Pending::AddressAbsent {
            addr: IpAddr::V6(addr),
            interface: Some(zone),
        }),
        Error::FamilyUnsupported {
            family: Family::Ipv6,
            ..
        } if !sys::ipv6_disabled() => Ok(Pending::NoIpv6),
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_interrupted_dump_is_waited_through() {
        let read = |kind: io::ErrorKind| {
            Read::of(Err(Error::Interfaces {
                source: io::Error::from(kind),
            }))
        };
        assert!(
            matches!(read(io::ErrorKind::Interrupted), Read::Changing(e) if e.kind() == io::ErrorKind::Interrupted)
        );
        for kind in [
            io::ErrorKind::Other,
            io::ErrorKind::PermissionDenied,
            io::ErrorKind::TimedOut,
        ] {
            assert!(
                matches!(read(kind), Read::Failed(Error::Interfaces { source }) if source.kind() == kind)
            );
        }
        let not_found = Error::InterfaceNotFound {
            name: "eth9".into(),
            known: Vec::new(),
            source: None,
        };
        assert!(matches!(
            Read::of(Err(not_found)),
            Read::Failed(Error::InterfaceNotFound { .. })
        ));
        assert!(matches!(
            Read::of(Ok(Interfaces::from_interfaces([]))),
            Read::Facts(_)
        ));
    }
}
