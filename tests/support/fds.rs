//! Counting this process's open file descriptors through /proc/self/fd (Linux).
//!
//! Counts are process-wide: any test that runs in parallel in the same process changes them,
//! so use these only from a test binary with a single `#[test]` function (see
//! `tests/listen_fds.rs`), or serialise the tests that open sockets (see the lock in
//! `tests/config.rs`).

#![allow(dead_code)]

use std::path::PathBuf;

/// The entries of /proc/self/fd, each with what it points at (e.g. `socket:[4242]`).
///
/// The directory handle that `read_dir` opens is listed too, in every call alike, so two
/// counts compare fairly.
pub fn open_fds() -> Vec<(String, PathBuf)> {
    let mut fds: Vec<(String, PathBuf)> = std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .flatten()
        .map(|entry| {
            let link = std::fs::read_link(entry.path()).unwrap_or_default();
            (entry.file_name().to_string_lossy().into_owned(), link)
        })
        .collect();
    fds.sort();
    fds
}

/// How many file descriptors are open (every entry of /proc/self/fd, the directory handle
/// `read_dir` opens included, in every call alike).
pub fn count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

/// How many open file descriptors are sockets.
pub fn sockets() -> usize {
    open_fds()
        .iter()
        .filter(|(_, link)| link.to_string_lossy().starts_with("socket:"))
        .count()
}

/// A readable listing for assertion messages.
pub fn describe() -> String {
    open_fds()
        .iter()
        .map(|(fd, link)| format!("{fd} -> {}", link.display()))
        .collect::<Vec<_>>()
        .join("\n")
}
