//! Linux: facts from /proc and /sys. Each reader returns `None` (or nothing) when the file is
//! missing or malformed; the kernel's answer to the real syscall stays the authority.

use std::net::Ipv6Addr;

use crate::interfaces::PortPrivilege;

/// IFF_UP from <linux/if.h>.
const IFF_UP: u32 = 0x1;
/// IFA_F_TENTATIVE from <linux/if_addr.h>: duplicate address detection has not finished.
const IFA_F_TENTATIVE: u32 = 0x40;
/// CAP_NET_BIND_SERVICE from <linux/capability.h>.
const CAP_NET_BIND_SERVICE: u32 = 10;

/// Whether `name` is administratively up, from /sys/class/net/NAME/flags (hex).
pub(crate) fn interface_is_up(name: &str) -> Option<bool> {
    if name.contains('/') || name.starts_with('.') {
        return None;
    }
    let text = std::fs::read_to_string(format!("/sys/class/net/{name}/flags")).ok()?;
    let flags = u32::from_str_radix(text.trim().trim_start_matches("0x"), 16).ok()?;
    Some(flags & IFF_UP != 0)
}

/// The tentative IPv6 addresses, with their interface index, from /proc/net/if_inet6.
pub(crate) fn tentative_ipv6() -> Vec<(Ipv6Addr, u32)> {
    std::fs::read_to_string("/proc/net/if_inet6")
        .map(|text| parse_if_inet6(&text))
        .unwrap_or_default()
}

/// Lines are `ADDR32HEX IFINDEX PREFIX SCOPE FLAGS NAME`, all hex.
fn parse_if_inet6(text: &str) -> Vec<(Ipv6Addr, u32)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let addr = u128::from_str_radix(fields.next()?, 16).ok()?;
            let index = u32::from_str_radix(fields.next()?, 16).ok()?;
            let flags = u32::from_str_radix(fields.nth(2)?, 16).ok()?;
            (flags & IFA_F_TENTATIVE != 0).then_some((Ipv6Addr::from(addr), index))
        })
        .collect()
}

/// `net.ipv4.ip_unprivileged_port_start` and CAP_NET_BIND_SERVICE in the effective set.
pub(crate) fn port_privilege() -> Option<PortPrivilege> {
    let start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start").ok()?;
    Some(PortPrivilege {
        unprivileged_port_start: start.trim().parse().ok()?,
        can_bind_privileged: has_capability(CAP_NET_BIND_SERVICE).unwrap_or(false),
    })
}

/// Whether the effective capability set holds `cap`, from /proc/self/status.
pub(crate) fn has_capability(cap: u32) -> Option<bool> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))?
        .trim();
    let caps = u64::from_str_radix(hex, 16).ok()?;
    Some(caps.checked_shr(cap).is_some_and(|bits| bits & 1 == 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_inet6_marks_only_tentative_rows() {
        let text = "\
00000000000000000000000000000001 01 80 10 80       lo
fe800000000000000000000000000001 03 40 20 c0  veth-srv
fd000071000000000000000000000067 03 40 00 80  veth-srv
";
        assert_eq!(
            parse_if_inet6(text),
            vec![("fe80::1".parse::<Ipv6Addr>().unwrap(), 3)]
        );
    }
}
