//! Whether the kernel can search a source range itself (IP_LOCAL_PORT_RANGE, Linux 6.3).
//!
//! The option narrows the namespace's `net.ipv4.ip_local_port_range`; it cannot widen it. A
//! range outside that one is ignored (connect() then leaves from any ephemeral port) and one
//! that straddles its edge is clamped; ports in `net.ipv4.ip_local_reserved_ports` are never
//! picked. So the kernel path is taken only when the whole range lies inside the first sysctl
//! and none of it is in the second, and the port connect() chose is checked afterwards
//! anyway.
//!
//! Reading the two sysctls costs two opens, reads and closes: more than the rest of a connect's
//! syscalls together. The verdict's facts are kept per thread for [`FRESH_FOR`], keyed by the
//! thread's network namespace (a thread may enter another with setns(2)); a failure on the
//! kernel path re-reads them before it is believed.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::KernelRefusal;
use crate::sys;
use crate::target::PortRange;

/// How long the sysctls read for one thread and namespace are trusted. An administrator's
/// change is seen within this time; meanwhile the check of the chosen port, and the re-read
/// after a failure, keep a stale verdict from doing harm.
pub(super) const FRESH_FOR: Duration = Duration::from_secs(1);

/// Set once the kernel refused the option itself (ENOPROTOOPT: before Linux 6.3); the kernel
/// does not change under a running process.
static OPTION_MISSING: AtomicBool = AtomicBool::new(false);

/// The facts one thread read, in which namespace and when.
struct Cached {
    netns: Option<u64>,
    read_at: Instant,
    ports: Option<sys::EphemeralRow>,
}

thread_local! {
    static CACHE: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

/// What the kernel can do for a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The whole range is ephemeral and unreserved: the kernel searches it.
    Kernel,
    /// A sysctl stands in the way; the crate searches the range itself.
    Refused(KernelRefusal),
    /// No IP_LOCAL_PORT_RANGE here (another OS, an older kernel) or the sysctls are
    /// unreadable: the crate searches, and nothing is worth telling.
    Unavailable,
}

/// The verdict for `range`; `fresh` re-reads the sysctls whatever the cache holds.
pub(super) fn verdict(range: PortRange, fresh: bool) -> Verdict {
    if OPTION_MISSING.load(Ordering::Relaxed) {
        return Verdict::Unavailable;
    }
    let netns = sys::netns_id();
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let stale = match cache.as_ref() {
            Some(c) => fresh || c.netns != netns || c.read_at.elapsed() >= FRESH_FOR,
            None => true,
        };
        if stale {
            *cache = Some(Cached {
                netns,
                read_at: Instant::now(),
                ports: sys::ephemeral_ports(),
            });
        }
        match cache.as_ref().and_then(|c| c.ports.as_ref()) {
            Some(ports) => judge(range, ports),
            None => Verdict::Unavailable,
        }
    })
}

/// The kernel said it has no such option: never ask again in this process.
pub(super) fn option_missing() {
    OPTION_MISSING.store(true, Ordering::Relaxed);
}

/// The rule, over facts: inside `ip_local_port_range`, and no port reserved.
fn judge(range: PortRange, ports: &sys::EphemeralRow) -> Verdict {
    let (lo, hi) = (range.first(), range.last());
    if lo < ports.lo || hi > ports.hi {
        return Verdict::Refused(KernelRefusal::OutsideLocalPortRange {
            lo: ports.lo,
            hi: ports.hi,
        });
    }
    let overlaps: Vec<String> = ports
        .reserved
        .iter()
        .filter_map(|&(a, b)| {
            let (a, b) = (a.max(lo), b.min(hi));
            (a <= b).then(|| match a == b {
                true => a.to_string(),
                false => format!("{a}-{b}"),
            })
        })
        .collect();
    if overlaps.is_empty() {
        Verdict::Kernel
    } else {
        Verdict::Refused(KernelRefusal::Reserved {
            ports: overlaps.join(","),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(lo: u16, hi: u16, reserved: &[(u16, u16)]) -> sys::EphemeralRow {
        sys::EphemeralRow {
            lo,
            hi,
            reserved: reserved.to_vec(),
        }
    }

    #[test]
    fn the_range_must_lie_inside_the_ephemeral_one() {
        let range = PortRange::new(40000, 40999).unwrap();
        assert_eq!(judge(range, &row(32768, 60999, &[])), Verdict::Kernel);
        assert_eq!(judge(range, &row(40000, 40999, &[])), Verdict::Kernel);
        let outside = Verdict::Refused(KernelRefusal::OutsideLocalPortRange {
            lo: 50000,
            hi: 60000,
        });
        assert_eq!(judge(range, &row(50000, 60000, &[])), outside);
        // Straddling the edge: the kernel would clamp it.
        assert!(matches!(
            judge(range, &row(40500, 60999, &[])),
            Verdict::Refused(KernelRefusal::OutsideLocalPortRange { .. })
        ));
    }

    #[test]
    fn reserved_ports_inside_the_range_refuse_it_and_are_named() {
        let range = PortRange::new(40000, 40999).unwrap();
        assert_eq!(
            judge(
                range,
                &row(32768, 60999, &[(1, 100), (39990, 40005), (40500, 40500)])
            ),
            Verdict::Refused(KernelRefusal::Reserved {
                ports: "40000-40005,40500".into()
            })
        );
        assert_eq!(
            judge(range, &row(32768, 60999, &[(41000, 42000)])),
            Verdict::Kernel
        );
    }
}
