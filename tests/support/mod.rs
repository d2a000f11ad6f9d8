pub mod fds;
pub mod netns;
