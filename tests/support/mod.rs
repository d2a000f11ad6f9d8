pub mod fds;
pub mod netns;
pub mod random;
