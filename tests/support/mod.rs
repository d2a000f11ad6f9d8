pub mod fds;
pub mod netns;
pub mod ports;
pub mod random;
pub mod snapshot;
pub mod values;
