//! Where the process runs: in a container, under WSL, on macOS. Read once per process
//! ([`deployment`]) and cached: none of it changes while the process lives.
//!
//! Every marker is read by a pure function over a file's contents (or the environment), so
//! the unit tests below cover each with crafted text. The rules, and why each is trusted:
//!
//! | marker | trusted | why |
//! |---|---|---|
//! | `container=NAME` in the environment of pid 1 (`/proc/1/environ`) | alone | systemd's container interface: every engine sets it for the container's init; unreadable (EACCES) for a non-root user, then unknown |
//! | `container=NAME` in this process's environment | alone | as above, where the engine passes it down (podman, LXC, systemd-nspawn) |
//! | `/run/.containerenv` | alone | podman and buildah create it when the container starts, so no image carries it |
//! | a cgroup path naming docker, containerd, kubepods, libpod or lxc (`/proc/self/cgroup`) | alone | the engine put the process there; a `.service` segment (the daemon's own unit, `docker.service` on the host) does not count |
//! | `/.dockerenv` | only with a second marker | see below |
//! | WSL: `/proc/sys/kernel/osrelease` | alone | Microsoft's kernels say so: `...-microsoft-standard-WSL2` (WSL 2), `...-Microsoft` (WSL 1) |
//! | macOS | `cfg(target_os = "macos")` | |
//!
//! `/.dockerenv` is a file the Docker engine creates in a container's root, and it ends up in
//! every image made from a container's file system (`docker export`, a VM image built from a
//! Docker image). So it proves only that the root file system once belonged to a container.
//! It counts when something else says the process still runs in one: the root mount is an
//! overlay (`overlay` or `fuse-overlayfs`, what Docker's storage drivers mount) or the cgroup
//! path names a container engine. The case this rule exists for: a Firecracker VM made from a
//! Docker image has `/.dockerenv`, but its root is ext4 on /dev/vda, its cgroup paths are `/`,
//! pid 1 is the VM's agent (its environ unreadable) and the environment holds
//! `CONTAINER_NAME=...`, which is no marker (only `container=` is). It is not a container: a
//! loopback listener there is reachable from the VM's own programs, as on any machine.

use std::sync::OnceLock;

/// What [`deployment`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DeploymentRow {
    /// The container marker that fired, engine first: `podman (/run/.containerenv)`.
    pub(crate) container: Option<String>,
    /// Why a marker seen was not believed: the `/.dockerenv` rule above.
    pub(crate) discounted: Option<String>,
    /// 1 or 2 under WSL.
    pub(crate) wsl: Option<u8>,
    /// Whether this is macOS.
    pub(crate) macos: bool,
}

/// Whether this build runs on macOS, where AirPlay Receiver holds ports 5000 and 7000.
pub(crate) const MACOS: bool = cfg!(target_os = "macos");

/// Where this process runs, detected at the first call (a handful of small /proc and /
/// reads on Linux, nothing elsewhere) and cached for the life of the process.
pub(crate) fn deployment() -> &'static DeploymentRow {
    static ROW: OnceLock<DeploymentRow> = OnceLock::new();
    ROW.get_or_init(detect)
}

#[cfg(target_os = "linux")]
fn detect() -> DeploymentRow {
    let exists = |path: &str| std::fs::symlink_metadata(path).is_ok();
    let pid1 = match read_bytes("/proc/1/environ") {
        Some(bytes) => Pid1Environ::Read(bytes),
        // EACCES for a non-root user (or a foreign pid 1): unknown, not "no marker".
        None => Pid1Environ::Unreadable,
    };
    let own = std::env::var("container").ok();
    let dockerenv = exists("/.dockerenv");
    let cgroup = read_small("/proc/self/cgroup");
    // Read only where it can decide something.
    let mountinfo = dockerenv
        .then(|| read_small("/proc/self/mountinfo"))
        .flatten();
    let facts = Markers {
        pid1: &pid1,
        own: own.as_deref(),
        containerenv: exists("/run/.containerenv"),
        dockerenv,
        cgroup: cgroup.as_deref(),
        mountinfo: mountinfo.as_deref(),
    };
    let (container, discounted) = container(&facts);
    DeploymentRow {
        container,
        discounted,
        wsl: read_small("/proc/sys/kernel/osrelease").and_then(|release| wsl_version(&release)),
        macos: false,
    }
}

/// A small /proc file, lossily as text.
#[cfg(target_os = "linux")]
fn read_small(path: &str) -> Option<String> {
    read_bytes(path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// A small /proc file's bytes, in page-sized reads (linux.rs).
#[cfg(target_os = "linux")]
fn read_bytes(path: &str) -> Option<Vec<u8>> {
    super::linux::read_proc_bytes(path)
}

#[cfg(not(target_os = "linux"))]
fn detect() -> DeploymentRow {
    DeploymentRow {
        macos: MACOS,
        ..DeploymentRow::default()
    }
}

/// `/proc/1/environ`, or that it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pid1Environ {
    /// Its bytes: `KEY=VALUE` entries separated by NUL.
    Read(Vec<u8>),
    /// EACCES (or any error): unknown.
    Unreadable,
}

/// The container markers' raw facts, as read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Markers<'a> {
    pub(crate) pid1: &'a Pid1Environ,
    /// `container` in this process's environment.
    pub(crate) own: Option<&'a str>,
    pub(crate) containerenv: bool,
    pub(crate) dockerenv: bool,
    /// `/proc/self/cgroup`.
    pub(crate) cgroup: Option<&'a str>,
    /// `/proc/self/mountinfo`, read only with `/.dockerenv`.
    pub(crate) mountinfo: Option<&'a str>,
}

/// The container marker that fires, strong ones first, and why `/.dockerenv` was discounted
/// where it was.
pub(crate) fn container(m: &Markers<'_>) -> (Option<String>, Option<String>) {
    if let Pid1Environ::Read(bytes) = m.pid1 {
        if let Some(name) = environ_container(bytes) {
            return (
                Some(format!("{name} (container={name} in /proc/1/environ)")),
                None,
            );
        }
    }
    if let Some(name) = m.own.map(str::trim).filter(|n| !n.is_empty()) {
        return (
            Some(format!(
                "{name} (container={name} in this process's environment)"
            )),
            None,
        );
    }
    if m.containerenv {
        return (Some("podman (/run/.containerenv)".to_owned()), None);
    }
    let engine = m.cgroup.and_then(cgroup_engine);
    if m.dockerenv {
        let root = m.mountinfo.and_then(root_fs_type);
        if let Some(fs) = root.filter(|fs| is_overlay(fs)) {
            return (Some(format!("docker (/.dockerenv, root on {fs})")), None);
        }
        if let Some(engine) = engine {
            return (
                Some(format!("{engine} (/.dockerenv, /proc/self/cgroup)")),
                None,
            );
        }
        let root = root.unwrap_or("an unknown file system");
        return (
            None,
            Some(format!(
                "/.dockerenv exists, but the root is {root}, not an overlay, and no cgroup path \
                 names a container engine: a file left in an image made from a container"
            )),
        );
    }
    (engine.map(|e| format!("{e} (/proc/self/cgroup)")), None)
}

/// `container=NAME` among the NUL-separated entries of an environ file.
pub(crate) fn environ_container(bytes: &[u8]) -> Option<String> {
    bytes
        .split(|b| *b == 0)
        .find_map(|entry| entry.strip_prefix(b"container="))
        .map(|name| String::from_utf8_lossy(name).trim().to_owned())
        .filter(|name| !name.is_empty())
}

/// The engine a cgroup path names (`docker`, `containerd`, `kubernetes`, `podman`, `lxc`),
/// from the `hierarchy:controllers:path` lines of /proc/self/cgroup. A segment that ends in
/// `.service` is a daemon's own unit on the host (`docker.service`), not a container, and
/// LXC's monitor (`lxc.monitor.NAME`) runs on the host too.
pub(crate) fn cgroup_engine(cgroup: &str) -> Option<&'static str> {
    cgroup.lines().find_map(|line| {
        let path = line.splitn(3, ':').nth(2)?;
        path.split('/').find_map(|segment| {
            let segment = segment.to_ascii_lowercase();
            if segment.ends_with(".service") {
                return None;
            }
            let named = |word: &str| {
                segment == word
                    || segment.starts_with(&format!("{word}-"))
                    || segment.starts_with(&format!("{word}."))
            };
            if segment.starts_with("kubepods") {
                Some("kubernetes")
            } else if named("libpod") {
                Some("podman")
            } else if named("docker") {
                Some("docker")
            } else if named("containerd") || named("cri-containerd") {
                Some("containerd")
            } else if segment == "lxc" || segment.starts_with("lxc.payload") {
                Some("lxc")
            } else {
                None
            }
        })
    })
}

/// The file system type of the root mount, from /proc/self/mountinfo: the last mount on `/`
/// (a later one covers an earlier one). Each line is `ID PARENT MAJ:MIN ROOT MOUNTPOINT
/// OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS` (proc_pid_mountinfo(5)).
pub(crate) fn root_fs_type(mountinfo: &str) -> Option<&str> {
    mountinfo.lines().rev().find_map(|line| {
        let (mount, fs) = line.split_once(" - ")?;
        let point = mount.split(' ').nth(4)?;
        (point == "/").then(|| fs.split(' ').next())?
    })
}

/// Whether a root file system type is what Docker's (and podman's) storage drivers mount.
fn is_overlay(fs: &str) -> bool {
    matches!(
        fs,
        "overlay" | "fuse.fuse-overlayfs" | "fuse-overlayfs" | "aufs"
    )
}

/// The WSL version from `/proc/sys/kernel/osrelease`: `5.15.153.1-microsoft-standard-WSL2`
/// is 2, `4.4.0-19041-Microsoft` is 1.
pub(crate) fn wsl_version(osrelease: &str) -> Option<u8> {
    let release = osrelease.trim().to_ascii_lowercase();
    if !release.contains("microsoft") {
        return None;
    }
    if release.contains("wsl2") || release.contains("microsoft-standard") {
        Some(2)
    } else {
        Some(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markers(pid1: &Pid1Environ) -> Markers<'_> {
        Markers {
            pid1,
            own: None,
            containerenv: false,
            dockerenv: false,
            cgroup: Some("0::/\n"),
            mountinfo: None,
        }
    }

    const EXT4_ROOT: &str = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n\
                             28 27 0:5 / /proc rw - proc proc rw\n";
    const OVERLAY_ROOT: &str = "512 480 0:44 / / rw,relatime master:1 - overlay overlay \
                                rw,lowerdir=/var/lib/docker/overlay2/l/A,upperdir=/u,workdir=/w\n\
                                513 512 0:46 / /proc rw,nosuid - proc proc rw\n";

    #[test]
    fn pid1_container_variable_is_a_marker_alone() {
        let pid1 = Pid1Environ::Read(b"PATH=/usr/bin\0container=podman\0HOME=/\0".to_vec());
        assert_eq!(
            container(&markers(&pid1)),
            (
                Some("podman (container=podman in /proc/1/environ)".to_owned()),
                None
            )
        );
    }

    #[test]
    fn an_unreadable_pid1_environ_is_unknown_not_a_marker() {
        assert_eq!(container(&markers(&Pid1Environ::Unreadable)), (None, None));
        // Other variables that merely contain the word are not the marker.
        let pid1 = Pid1Environ::Read(b"CONTAINER_NAME=web\0mycontainer=x\0".to_vec());
        assert_eq!(container(&markers(&pid1)), (None, None));
        assert_eq!(environ_container(b"container=\0"), None);
    }

    #[test]
    fn own_container_variable_is_a_marker_alone() {
        let pid1 = Pid1Environ::Unreadable;
        let m = Markers {
            own: Some("lxc"),
            ..markers(&pid1)
        };
        assert_eq!(
            container(&m).0.as_deref(),
            Some("lxc (container=lxc in this process's environment)")
        );
    }

    #[test]
    fn containerenv_is_a_marker_alone() {
        let pid1 = Pid1Environ::Unreadable;
        let m = Markers {
            containerenv: true,
            ..markers(&pid1)
        };
        assert_eq!(
            container(&m).0.as_deref(),
            Some("podman (/run/.containerenv)")
        );
    }

    #[test]
    fn cgroup_paths_name_the_engine() {
        for (cgroup, engine) in [
            (
                "12:memory:/docker/3f4e5d\n0::/docker/3f4e5d\n",
                Some("docker"),
            ),
            ("0::/system.slice/docker-3f4e5d6a.scope\n", Some("docker")),
            (
                "0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-ab.scope\n",
                Some("kubernetes"),
            ),
            (
                "0::/machine.slice/libpod-9a8b.scope/container\n",
                Some("podman"),
            ),
            ("0::/lxc.payload.web/\n", Some("lxc")),
            ("5:memory:/lxc/web\n", Some("lxc")),
            ("0::/lxc.monitor.web\n", None),
            ("0::/system.slice/containerd.service\n", None),
            ("0::/system.slice/docker.service\n", None),
            ("0::/user.slice/user-1000.slice/session-2.scope\n", None),
            ("4:memory:/process_api/1e961ee05469\n0::/\n", None),
            ("0::/\n", None),
        ] {
            assert_eq!(cgroup_engine(cgroup), engine, "{cgroup}");
        }
        let pid1 = Pid1Environ::Unreadable;
        let m = Markers {
            cgroup: Some("0::/kubepods/besteffort/pod12/ab\n"),
            ..markers(&pid1)
        };
        assert_eq!(
            container(&m).0.as_deref(),
            Some("kubernetes (/proc/self/cgroup)")
        );
    }

    #[test]
    fn dockerenv_counts_only_when_corroborated() {
        let pid1 = Pid1Environ::Unreadable;
        let on_overlay = Markers {
            dockerenv: true,
            mountinfo: Some(OVERLAY_ROOT),
            ..markers(&pid1)
        };
        assert_eq!(
            container(&on_overlay),
            (
                Some("docker (/.dockerenv, root on overlay)".to_owned()),
                None
            )
        );
        let in_cgroup = Markers {
            dockerenv: true,
            mountinfo: Some(EXT4_ROOT),
            cgroup: Some("0::/system.slice/docker-3f4e.scope\n"),
            ..markers(&pid1)
        };
        assert_eq!(
            container(&in_cgroup).0.as_deref(),
            Some("docker (/.dockerenv, /proc/self/cgroup)")
        );
        let alone = Markers {
            dockerenv: true,
            mountinfo: Some(EXT4_ROOT),
            ..markers(&pid1)
        };
        assert_eq!(
            container(&alone),
            (
                None,
                Some(
                    "/.dockerenv exists, but the root is ext4, not an overlay, and no cgroup \
                     path names a container engine: a file left in an image made from a \
                     container"
                        .to_owned()
                )
            )
        );
    }

    #[test]
    fn the_root_mount_is_the_last_one_on_slash() {
        assert_eq!(root_fs_type(EXT4_ROOT), Some("ext4"));
        assert_eq!(root_fs_type(OVERLAY_ROOT), Some("overlay"));
        let covered = format!("{EXT4_ROOT}90 27 0:50 / / rw - fuse.fuse-overlayfs fuse rw\n");
        assert_eq!(root_fs_type(&covered), Some("fuse.fuse-overlayfs"));
        // Optional fields before the separator do not shift the mount point.
        assert_eq!(
            root_fs_type("1 0 8:1 / / rw shared:1 master:2 - xfs /dev/sda1 rw\n"),
            Some("xfs")
        );
        assert_eq!(root_fs_type("28 27 0:5 / /proc rw - proc proc rw\n"), None);
    }

    #[test]
    fn wsl_versions_from_the_kernel_release() {
        assert_eq!(wsl_version("5.15.153.1-microsoft-standard-WSL2\n"), Some(2));
        assert_eq!(wsl_version("6.6.36.3-microsoft-standard-WSL2+"), Some(2));
        assert_eq!(wsl_version("4.19.128-microsoft-standard"), Some(2));
        assert_eq!(wsl_version("4.4.0-19041-Microsoft"), Some(1));
        assert_eq!(wsl_version("6.18.44-fc-v1045"), None);
        assert_eq!(wsl_version("6.8.0-45-generic"), None);
    }

    /// The real detection on this machine: a Firecracker VM made from a Docker image, whose
    /// `/.dockerenv` is a leftover (root on ext4, cgroup paths `/`, pid 1's environ
    /// unreadable, `CONTAINER_NAME=` in the environment). Not a container, not WSL, not macOS.
    #[cfg(target_os = "linux")]
    #[test]
    fn this_machine_is_no_container_wsl_or_mac() {
        let row = deployment();
        assert_eq!(row.container, None, "{row:?}");
        assert_eq!(row.wsl, None, "{row:?}");
        assert!(!row.macos);
        const { assert!(!MACOS) };
        if std::fs::symlink_metadata("/.dockerenv").is_ok() {
            let reason = row.discounted.as_deref().unwrap_or_default();
            assert!(
                reason.starts_with("/.dockerenv exists, but the root is ")
                    && reason.contains(", not an overlay, and no cgroup path names a container"),
                "{row:?}"
            );
        }
        // Cached: the same row, not a second detection.
        assert!(std::ptr::eq(row, deployment()));
    }
}
