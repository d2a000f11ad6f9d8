//! Helpers shared with the library's tests: netns.rs is a link to tests/support/netns.rs.

pub mod netns;
