//! One netlink datagram of arbitrary bytes through the parsers the live path uses: the
//! message walk (NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP_INTR, late replies), links, addresses
//! with their flags, local routes and sock_diag sockets; the rows made into an `Interfaces`
//! snapshot and a set of targets resolved against it.
//!
//! Invariants: nothing panics; IPv4-mapped socket addresses come as IPv4; a resolved address
//! carries the target's port.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    bindpolicy::fuzzing::netlink(data);
});
