//! The socket-activation variables (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES,
//! LISTEN_FDS_FIRST_FD, LISTEN_PIDFDID) as arbitrary `NAME=VALUE` pairs, NUL-separated.
//!
//! Invariants: nothing panics; a handover the parser accepts starts at fd 3 or later, names at
//! most 65,536 fds, ends within an `int`, and has no more names than fds; a refusal says why.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        bindpolicy::fuzzing::activation(text);
    }
});
