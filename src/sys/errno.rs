//! Errors that have no `io::ErrorKind` of their own on stable Rust, tested by their raw OS code.
//! The codes come from libc (and windows-sys), which has them right for every architecture:
//! EAFNOSUPPORT is 97 on Linux x86 and ARM, 124 on Linux MIPS, 47 on macOS and the BSDs.

use std::io;

/// EAFNOSUPPORT: the kernel has the address family switched off (IPv6 disabled at boot).
pub(crate) fn is_family_unsupported(err: &io::Error) -> bool {
    err.raw_os_error() == Some(codes::EAFNOSUPPORT)
}

/// ENODEV: no such device (SO_BINDTODEVICE with an unknown name, a scope id that is gone).
pub(crate) fn is_no_device(err: &io::Error) -> bool {
    codes::ENODEV.is_some_and(|code| err.raw_os_error() == Some(code))
}

/// EINVAL: on bind() of a link-local IPv6 address, a missing scope id.
pub(crate) fn is_invalid_argument(err: &io::Error) -> bool {
    err.raw_os_error() == Some(codes::EINVAL)
}

/// ENOPROTOOPT: the kernel has no such socket option (IP_LOCAL_PORT_RANGE before Linux 6.3).
pub(crate) fn is_option_missing(err: &io::Error) -> bool {
    codes::ENOPROTOOPT.is_some_and(|code| err.raw_os_error() == Some(code))
}

/// EMFILE, ENFILE, ENOBUFS, ENOMEM: an accept (or socket) failed for lack of this process's or
/// the system's resources, not because of one connection; trying again at once fails again.
pub(crate) fn is_resource_exhausted(err: &io::Error) -> bool {
    err.raw_os_error()
        .is_some_and(|code| codes::RESOURCES.contains(&code))
}

#[cfg(unix)]
mod codes {
    pub(super) const RESOURCES: [i32; 4] =
        [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM];
    pub(super) const ENOPROTOOPT: Option<i32> = Some(libc::ENOPROTOOPT);
    pub(super) const EAFNOSUPPORT: i32 = libc::EAFNOSUPPORT;
    pub(super) const ENODEV: Option<i32> = Some(libc::ENODEV);
    pub(super) const EINVAL: i32 = libc::EINVAL;
}

#[cfg(windows)]
mod codes {
    use windows_sys::Win32::Networking::WinSock;

    pub(super) const EAFNOSUPPORT: i32 = WinSock::WSAEAFNOSUPPORT;
    pub(super) const RESOURCES: [i32; 2] = [WinSock::WSAEMFILE, WinSock::WSAENOBUFS];
    /// The option is not Windows' either way: the crate never asks it there.
    pub(super) const ENOPROTOOPT: Option<i32> = None;
    /// Windows has no device binding, so no such error.
    pub(super) const ENODEV: Option<i32> = None;
    pub(super) const EINVAL: i32 = WinSock::WSAEINVAL;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_platforms() {
        let afnosupport = io::Error::from_raw_os_error(codes::EAFNOSUPPORT);
        assert!(is_family_unsupported(&afnosupport));
        assert!(!is_invalid_argument(&afnosupport));
        assert!(!is_family_unsupported(&io::Error::from(
            io::ErrorKind::AddrInUse
        )));
        #[cfg(target_os = "linux")]
        assert_eq!(
            io::Error::from_raw_os_error(codes::EINVAL).kind(),
            io::ErrorKind::InvalidInput
        );
    }
}
