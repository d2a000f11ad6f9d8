//! Real peers: nginx, HAProxy, `systemd-socket-activate -l`, gunicorn and uvicorn (Debian's
//! packages) are started in a network namespace with a directive, and the sockets they open (`ss -Hltnue`: protocol, address,
//! port, v6only) are compared with the sockets bindpolicy opens for the same string, read with
//! `Dialect::read`, in a twin namespace.
//!
//! Each peer runs in its own process group inside its own namespace and is ended by its pid.
//! Without root, namespaces or the tool the test skips loudly; under
//! `BINDPOLICY_REQUIRE_NETNS=1` (CI) it fails instead.

mod support;

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bindpolicy::{Dialect, Transport};
use support::netns::*;

/// Long enough for a peer to start on a loaded machine; a healthy one takes ~50 ms.
const START_TIMEOUT: Duration = Duration::from_secs(10);

static DIRS: AtomicUsize = AtomicUsize::new(0);

/// A peer process, killed (by its pid) and reaped on drop.
struct Peer {
    child: Child,
    what: String,
}

impl Drop for Peer {
    /// Kills the peer's process group (its id is the peer's pid: gunicorn's and uvicorn's
    /// workers are in it), then the peer, and reaps it.
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Starts `args` inside `ns` in its own process group.
    fn start(ns: &Netns, args: &[&str]) -> Peer {
        let child = Command::new("ip")
            .args(["netns", "exec", ns.name()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {args:?}: {e}"));
        Peer {
            child,
            what: args.join(" "),
        }
    }

    /// Panics with the peer's stderr if it has exited.
    fn check_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            let mut err = String::new();
            if let Some(mut stderr) = self.child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut stderr, &mut err);
            }
            panic!("{} exited with {status}: {err}", self.what);
        }
    }
}

/// A scratch directory for one peer's files, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let n = DIRS.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bp-dialects-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Skips (or fails under CI) when namespaces or `tool` are missing.
fn available(tool: &str) -> bool {
    if let Err(reason) = netns_available() {
        skip_or_fail(&reason);
        return false;
    }
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        skip_or_fail(&format!(
            "{tool} is not installed (apt-get install it; .ci/run does)"
        ));
    }
    found
}

/// The listening sockets of `ns`: "tcp 127.0.0.1:8080", "tcp [::]:8080 v6only:1", ...
fn sockets(ns: &Netns) -> BTreeSet<String> {
    let out = ns.exec(&["ss", "-Hltnue"]);
    assert!(
        out.status.success(),
        "ss: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (netid, local) = (fields.first()?, fields.get(4)?);
            let v6only = fields.iter().find(|f| f.starts_with("v6only:"));
            Some(match v6only {
                Some(v) => format!("{netid} {local} {v}"),
                None => format!("{netid} {local}"),
            })
        })
        .collect()
}

/// What bindpolicy opens for `input` read as `dialect`, in a fresh namespace: the sockets,
/// compared while the listeners are still open.
fn bindpolicy_sockets(dialect: Dialect, input: &str) -> BTreeSet<String> {
    let translation = dialect.read(input).unwrap_or_else(|e| panic!("{e}"));
    let twin = Netns::new("dialect-twin");
    let held: Vec<Box<dyn Send>> = twin.run(|| {
        translation
            .bindings()
            .iter()
            .map(|b| -> Box<dyn Send> {
                let opened = match b.transport() {
                    Transport::Udp => b
                        .target()
                        .bind_udp_with(b.options())
                        .map(|s| Box::new(s) as Box<dyn Send>),
                    _ => b
                        .target()
                        .listen_with(b.options())
                        .map(|l| Box::new(l) as Box<dyn Send>),
                };
                opened.unwrap_or_else(|e| panic!("{input}: {e}"))
            })
            .collect()
    });
    assert!(!held.is_empty());
    sockets(&twin)
}

/// Waits until the peer in `ns` has opened exactly `want`, then returns what it has.
fn peer_sockets(ns: &Netns, peer: &mut Peer, want: &BTreeSet<String>) -> BTreeSet<String> {
    let start = Instant::now();
    loop {
        peer.check_running();
        let got = sockets(ns);
        if &got == want || start.elapsed() > START_TIMEOUT {
            return got;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// One comparison: the peer started by `start` in a namespace against bindpolicy's reading.
fn compare(dialect: Dialect, input: &str, start: impl FnOnce(&Netns, &Scratch) -> Peer) -> String {
    let want = bindpolicy_sockets(dialect, input);
    let ns = Netns::new("dialect-peer");
    let scratch = Scratch::new();
    let mut peer = start(&ns, &scratch);
    let got = peer_sockets(&ns, &mut peer, &want);
    drop(peer);
    if std::env::var_os("BINDPOLICY_PEERS_VERBOSE").is_some() {
        eprintln!("{dialect} {input:?}: {got:?}");
    }
    if got == want {
        String::new()
    } else {
        format!("{dialect} {input:?}:\n  the tool opened {got:?}\n  bindpolicy opened {want:?}\n")
    }
}

fn nginx(ns: &Netns, scratch: &Scratch, input: &str) -> Peer {
    let listens: String = input
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            format!(
                "    {};\n",
                if d.starts_with("listen") {
                    d.to_owned()
                } else {
                    format!("listen {d}")
                }
            )
        })
        .collect();
    let p = |name| scratch.path(name);
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {};\nerror_log {};\n\
         events {{ worker_connections 16; }}\nhttp {{\n  access_log off;\n  \
         client_body_temp_path {};\n  proxy_temp_path {};\n  fastcgi_temp_path {};\n  \
         uwsgi_temp_path {};\n  scgi_temp_path {};\n  server {{\n{listens}  }}\n}}\n",
        p("nginx.pid"),
        p("error.log"),
        p("body"),
        p("proxy"),
        p("fastcgi"),
        p("uwsgi"),
        p("scgi"),
    );
    std::fs::write(p("nginx.conf"), conf).unwrap();
    Peer::start(
        ns,
        &[
            "nginx",
            "-p",
            &p(""),
            "-e",
            &p("error.log"),
            "-c",
            &p("nginx.conf"),
        ],
    )
}

fn haproxy(ns: &Netns, scratch: &Scratch, input: &str) -> Peer {
    let binds: String = input.lines().map(|l| format!("  {l}\n")).collect();
    let conf = format!(
        "global\n  maxconn 64\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  \
         timeout server 1s\nfrontend f\n{binds}"
    );
    let path = scratch.path("haproxy.cfg");
    std::fs::write(&path, conf).unwrap();
    Peer::start(ns, &["haproxy", "-db", "-q", "-f", &path])
}

fn socket_activate(ns: &Netns, input: &str) -> Peer {
    let mut args = vec!["systemd-socket-activate"];
    for setting in input.split_whitespace() {
        let value = setting
            .strip_prefix("ListenStream=")
            .expect("ListenStream= only");
        args.extend(["-l", value]);
    }
    args.extend(["sleep", "30"]);
    Peer::start(ns, &args)
}

/// A WSGI and an ASGI application that answer nothing: only the sockets matter.
const APP: &str = "def app(environ, start_response):\n    start_response('200 OK', [])\n    \
                   return [b'']\n\nasync def asgi(scope, receive, send):\n    pass\n";

fn gunicorn(ns: &Netns, scratch: &Scratch, input: &str) -> Peer {
    std::fs::write(scratch.path("app.py"), APP).unwrap();
    let dir = scratch.path("");
    let mut args = vec!["gunicorn", "--chdir", &dir, "--workers", "1"];
    args.extend(input.split_whitespace());
    args.push("app:app");
    Peer::start(ns, &args)
}

fn uvicorn(ns: &Netns, scratch: &Scratch, input: &str) -> Peer {
    std::fs::write(scratch.path("app.py"), APP).unwrap();
    let dir = scratch.path("");
    let mut args = vec!["uvicorn", "--app-dir", &dir, "app:asgi"];
    args.extend(input.split_whitespace());
    Peer::start(ns, &args)
}

const GUNICORN: &[&str] = &[
    "-b 127.0.0.1:8000",
    "-b 0.0.0.0:8000",
    "-b :8000",
    "-b [::]:8000",
    "-b [::1]:8000",
    "-b 0.0.0.0",
    "-b localhost:8000",
];

const UVICORN: &[&str] = &[
    "--host 127.0.0.1 --port 8000",
    "--host 0.0.0.0 --port 8000",
    "--host :: --port 8000",
    "--host :: --port 8000 --workers 2",
    "--host ::1 --port 8000",
    "--port 8001",
];

const NGINX: &[&str] = &[
    "8080",
    "*:8080",
    "0.0.0.0:8080",
    "127.0.0.1:8080",
    "[::]:8080",
    "[::]:8080 ipv6only=on",
    "[::]:8080 ipv6only=off",
    "[::1]:8080",
    "listen 8080; listen [::]:8080;",
    "8080 reuseport backlog=128",
    "127.0.0.1 default_server",
];

const HAPROXY: &[&str] = &[
    "bind :8080",
    "bind *:8080",
    "bind 0.0.0.0:8080",
    "bind :8080 v4v6",
    "bind :::8080",
    "bind :::8080 v4v6",
    "bind :::8080 v6only",
    "bind ::1:8080",
    "bind [::1]:8080",
    "bind 127.0.0.1:8080,::1:8080",
    "bind :8080-8082",
    "bind ipv6@:8080 v6only",
    "bind ipv4@:8080,ipv6@:8080 v6only",
    "bind :8080\nbind :::8080 v6only",
];

const SYSTEMD: &[&str] = &[
    "ListenStream=8080",
    "ListenStream=0.0.0.0:8080",
    "ListenStream=[::]:8080",
    "ListenStream=127.0.0.1:8080",
    "ListenStream=[::1]:8080",
    "ListenStream=127.0.0.1:8080 ListenStream=[::1]:8080",
];

fn run_all(dialect: Dialect, inputs: &[&str], start: fn(&Netns, &Scratch, &str) -> Peer) {
    let report: String = inputs
        .iter()
        .map(|input| compare(dialect, input, |ns, scratch| start(ns, scratch, input)))
        .collect();
    assert!(report.is_empty(), "{report}");
}

#[test]
fn nginx_opens_what_bindpolicy_reads() {
    if available("nginx") {
        run_all(Dialect::Nginx, NGINX, nginx);
    }
}

#[test]
fn haproxy_opens_what_bindpolicy_reads() {
    if available("haproxy") {
        run_all(Dialect::Haproxy, HAPROXY, haproxy);
    }
}

#[test]
fn systemd_socket_activate_opens_what_bindpolicy_reads() {
    if available("systemd-socket-activate") {
        run_all(Dialect::Systemd, SYSTEMD, |ns, _, input| {
            socket_activate(ns, input)
        });
    }
}

#[test]
fn gunicorn_opens_what_bindpolicy_reads() {
    if available("gunicorn") {
        run_all(Dialect::Gunicorn, GUNICORN, gunicorn);
    }
}

#[test]
fn uvicorn_opens_what_bindpolicy_reads() {
    if available("uvicorn") {
        run_all(Dialect::Uvicorn, UVICORN, uvicorn);
    }
}

/// The writers' output, given to the real tools, opens what the binding opens.
#[test]
fn written_configuration_opens_the_binding() {
    if !available("nginx") || !available("haproxy") {
        return;
    }
    let mut report = String::new();
    for text in [
        "*:8080",
        "*:8080 dual_stack",
        "0.0.0.0:8080",
        "[::]:8080",
        "localhost:8080",
    ] {
        let binding: bindpolicy::Binding = text.parse().unwrap();
        let nginx_conf = Dialect::Nginx.write(&binding).unwrap();
        report += &compare(Dialect::Nginx, &nginx_conf, |ns, s| {
            nginx(ns, s, &nginx_conf)
        });
        let haproxy_conf = Dialect::Haproxy.write(&binding).unwrap();
        report += &compare(Dialect::Haproxy, &haproxy_conf, |ns, s| {
            haproxy(ns, s, &haproxy_conf)
        });
    }
    assert!(report.is_empty(), "{report}");
}

/// The `system_default` warning's other half: with net.ipv6.bindv6only=1 in the namespace,
/// HAProxy's `:::8080` and systemd's `8080` are IPv6 only, as `[::]:8080` is.
#[test]
fn bindv6only_makes_the_system_default_ipv6_only() {
    if !available("haproxy") || !available("systemd-socket-activate") {
        return;
    }
    let want = bindpolicy_sockets(Dialect::Haproxy, "bind :::8080 v6only");
    for (what, input) in [
        ("haproxy", "bind :::8080"),
        ("systemd", "ListenStream=8080"),
    ] {
        let ns = Netns::new("dialect-v6only");
        ns.sysctl("net.ipv6.bindv6only", "1");
        let scratch = Scratch::new();
        let mut peer = match what {
            "haproxy" => haproxy(&ns, &scratch, input),
            _ => socket_activate(&ns, input),
        };
        let got = peer_sockets(&ns, &mut peer, &want);
        assert_eq!(got, want, "{what} {input:?} with bindv6only=1");
        let warnings: Vec<&str> = match what {
            "haproxy" => Dialect::Haproxy.read(input),
            _ => Dialect::Systemd.read(input),
        }
        .unwrap()
        .warnings()
        .iter()
        .map(|w| w.kind())
        .collect();
        assert_eq!(warnings, ["system_default"]);
    }
}
