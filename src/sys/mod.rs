//! The platform seam: everything that differs between operating systems lives behind these
//! functions, so the rest of the crate reads the same on every OS.
//!
//! - `linux.rs`: /proc and /sys readers that getifaddrs(3) and socket2 cannot replace.
//! - `other.rs`: the same functions where the OS has no such source; each says "unknown".

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;

#[cfg(not(target_os = "linux"))]
mod other;
#[cfg(not(target_os = "linux"))]
pub(crate) use other::*;
