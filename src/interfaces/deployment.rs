//! Where the process runs, as far as binding cares: in a container, under WSL, on macOS.

use std::fmt;

use crate::sys;

/// Where this process runs, as far as binding cares: a container (a loopback listener is
/// unreachable from outside it), WSL (Windows forwards only some listeners to its localhost),
/// macOS (AirPlay Receiver holds ports 5000 and 7000).
///
/// [`Deployment::current`] detects it, once per process and without false alarms (a file such
/// as `/.dockerenv` that an image may carry counts only with a second marker; docs/platforms.md
/// lists the rules). [`Interfaces`](crate::Interfaces) carries it, so resolve warns from it;
/// tests supply one with [`Interfaces::with_deployment`](crate::Interfaces::with_deployment).
///
/// ```
/// use bindpolicy::{BindTarget, Deployment, Interface, InterfaceAddr, Interfaces};
///
/// let in_podman = Deployment::host().with_container("podman (/run/.containerenv)");
/// assert!(in_podman.is_container());
/// let snapshot = Interfaces::from_interfaces([
///     Interface::new("lo", 1).with_addr(InterfaceAddr::new([127, 0, 0, 1].into(), 8)),
/// ])
/// .with_deployment(in_podman);
/// let resolved = "127.0.0.1:8080".parse::<BindTarget>()?.resolve_with(&snapshot)?;
/// assert_eq!(resolved.warnings()[0].kind(), "loopback_in_container");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Deployment {
    container: Option<String>,
    wsl: Option<u8>,
    macos: bool,
}

impl Deployment {
    /// Where this process runs, detected at the first call and cached: the cost is a few
    /// small file reads (/proc/1/environ, /proc/self/cgroup, /proc/sys/kernel/osrelease, two
    /// `stat`s, and /proc/self/mountinfo where `/.dockerenv` exists) once per process on
    /// Linux, none elsewhere; every later call, and every resolve, reads nothing.
    pub fn current() -> Deployment {
        let row = sys::deployment();
        Deployment {
            container: row.container.clone(),
            wsl: row.wsl,
            macos: row.macos,
        }
    }

    /// Nowhere in particular: no container, no WSL, not macOS. What a snapshot made of data
    /// ([`Interfaces::from_interfaces`](crate::Interfaces::from_interfaces)) holds.
    pub fn host() -> Deployment {
        Deployment::default()
    }

    /// The same, in a container, with the marker that says so, engine first, e.g. `podman
    /// (/run/.containerenv)` or `docker (/.dockerenv, root on overlay)`.
    #[must_use]
    pub fn with_container(mut self, marker: impl Into<String>) -> Deployment {
        self.container = Some(marker.into());
        self
    }

    /// The same, under WSL `version` (1 or 2).
    #[must_use]
    pub fn with_wsl(mut self, version: u8) -> Deployment {
        self.wsl = Some(version);
        self
    }

    /// The same, on macOS or not.
    #[must_use]
    pub fn with_macos(mut self, macos: bool) -> Deployment {
        self.macos = macos;
        self
    }

    /// Whether the process runs in a container.
    pub fn is_container(&self) -> bool {
        self.container.is_some()
    }

    /// The marker that says the process runs in a container, e.g. `podman
    /// (/run/.containerenv)`.
    pub fn container(&self) -> Option<&str> {
        self.container.as_deref()
    }

    /// The WSL version (1 or 2), under WSL.
    pub fn wsl(&self) -> Option<u8> {
        self.wsl
    }

    /// Whether this is macOS.
    pub fn is_macos(&self) -> bool {
        self.macos
    }
}

impl fmt::Display for Deployment {
    /// `a container: podman (/run/.containerenv)`, `WSL 2`, `macOS`, joined by `; ` where
    /// several hold (a container under WSL), or `no container, WSL or macOS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(marker) = &self.container {
            parts.push(format!("a container: {marker}"));
        }
        if let Some(version) = self.wsl {
            parts.push(format!("WSL {version}"));
        }
        if self.macos {
            parts.push("macOS".to_owned());
        }
        if parts.is_empty() {
            f.write_str("no container, WSL or macOS")
        } else {
            f.write_str(&parts.join("; "))
        }
    }
}
