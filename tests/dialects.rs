//! Other tools' bind strings: every documented form in tests/data/dialects.toml reads as its
//! bindings with its exact warnings, every rejection has its exact message, docs/dialects.md
//! is generated from the same file and docs/guide.md's mapping table is tested against it,
//! and the four writers round-trip.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use bindpolicy::{BindTarget, Binding, Dialect, ListenOptions, Transport};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    form: Vec<Form>,
    reject: Vec<Reject>,
    guide: Vec<GuideRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Form {
    dialect: String,
    input: String,
    cite: String,
    means: String,
    bindings: Vec<String>,
    warnings: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reject {
    dialect: String,
    input: String,
    cite: String,
    error: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GuideRow {
    tool: String,
    written: String,
    means: String,
    bindpolicy: String,
    dialect: String,
    inputs: Vec<String>,
    bindings: Vec<String>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn data() -> Data {
    let text = std::fs::read_to_string(root().join("tests/data/dialects.toml"))
        .expect("tests/data/dialects.toml");
    toml::from_str(&text).expect("tests/data/dialects.toml parses")
}

fn dialect(name: &str) -> Dialect {
    name.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn strings<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// Panics with every mismatch at once, so one run shows them all.
fn report(mismatches: Vec<String>) {
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn every_form_reads_as_documented() {
    let mut mismatches = Vec::new();
    for form in data().form {
        match dialect(&form.dialect).read(&form.input) {
            Ok(t) => {
                assert_eq!(t.input(), form.input, "the input, as given");
                assert_eq!(t.dialect().name(), form.dialect);
                let (bindings, warnings) = (strings(t.bindings()), strings(t.warnings()));
                if bindings != form.bindings || warnings != form.warnings {
                    mismatches.push(format!(
                        "{} {:?}: bindings = {bindings:?}\nwarnings = {warnings:?}",
                        form.dialect, form.input
                    ));
                }
            }
            Err(e) => mismatches.push(format!("{} {:?}: {e}", form.dialect, form.input)),
        }
    }
    report(mismatches);
}

#[test]
fn every_rejection_says_why() {
    let mut mismatches = Vec::new();
    for reject in data().reject {
        match dialect(&reject.dialect).read(&reject.input) {
            Ok(t) => mismatches.push(format!(
                "{} {:?} was accepted: {:?}",
                reject.dialect,
                reject.input,
                strings(t.bindings())
            )),
            Err(e) => {
                assert!(reject.input.is_char_boundary(e.offset()));
                assert!(
                    e.to_string()
                        .contains(&format!(" at byte {}: ", e.offset())),
                    "{e}: offset() is the byte the message names"
                );
                assert_eq!(e.input(), reject.input);
                if e.to_string() != reject.error {
                    mismatches.push(format!(
                        "{} {:?}:\nerror = {:?}",
                        reject.dialect,
                        reject.input,
                        e.to_string()
                    ));
                }
            }
        }
    }
    report(mismatches);
}

#[test]
fn every_dialect_has_forms_citations_and_rejections() {
    let data = data();
    for d in Dialect::ALL {
        let forms = data
            .form
            .iter()
            .filter(|f| dialect(&f.dialect) == d)
            .count();
        let rejects = data
            .reject
            .iter()
            .filter(|r| dialect(&r.dialect) == d)
            .count();
        assert!(forms >= 5, "{d}: {forms} forms");
        assert!(rejects >= 2, "{d}: {rejects} rejections");
    }
    for cite in data
        .form
        .iter()
        .map(|f| &f.cite)
        .chain(data.reject.iter().map(|r| &r.cite))
    {
        assert!(
            cite.starts_with("https://") && cite.contains('#') || cite.ends_with(".html"),
            "{cite}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// docs/dialects.md and docs/guide.md
// ---------------------------------------------------------------------------------------------

const BEGIN: &str = "<!-- generated from tests/data/dialects.toml by tests/dialects.rs: begin -->";
const END: &str = "<!-- generated: end -->";

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "⏎")
}

fn code(text: &str) -> String {
    let text = cell(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// The tables of docs/dialects.md: one per dialect, forms then rejections.
fn generated() -> String {
    let data = data();
    let mut out = String::new();
    for d in Dialect::ALL {
        writeln!(out, "\n## {}\n", d.form()).unwrap();
        writeln!(
            out,
            "| written there | means there | bindpolicy | warnings | source |"
        )
        .unwrap();
        writeln!(out, "|---|---|---|---|---|").unwrap();
        for f in data.form.iter().filter(|f| dialect(&f.dialect) == d) {
            let bindings: Vec<String> = f.bindings.iter().map(|b| code(b)).collect();
            writeln!(
                out,
                "| {} | {} | {} | {} | [docs]({}) |",
                code(&f.input),
                cell(&f.means),
                bindings.join(", "),
                cell(&f.warnings.join(" / ")),
                f.cite
            )
            .unwrap();
        }
        writeln!(out, "\n| rejected | why | source |").unwrap();
        writeln!(out, "|---|---|---|").unwrap();
        for r in data.reject.iter().filter(|r| dialect(&r.dialect) == d) {
            writeln!(
                out,
                "| {} | {} | [docs]({}) |",
                code(&r.input),
                cell(&r.error),
                r.cite
            )
            .unwrap();
        }
    }
    out
}

#[test]
fn dialects_md_is_generated_from_the_data() {
    let path = root().join("docs/dialects.md");
    let text = std::fs::read_to_string(&path).expect("docs/dialects.md");
    let (head, rest) = text.split_once(BEGIN).expect("begin marker");
    let (_, tail) = rest.split_once(END).expect("end marker");
    let want = format!("{head}{BEGIN}\n{}\n{END}{tail}", generated().trim_end());
    if std::env::var_os("BINDPOLICY_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    assert!(
        text == want,
        "docs/dialects.md is stale; run `BINDPOLICY_BLESS=1 cargo test --test dialects`"
    );
}

#[test]
fn guide_table_is_tested_against_the_data() {
    let guide = std::fs::read_to_string(root().join("docs/guide.md")).unwrap();
    let data = data();
    let covered: Vec<&str> = data.guide.iter().map(|g| g.tool.as_str()).collect();
    let rows: Vec<&str> = guide
        .lines()
        .skip_while(|l| *l != "| tool | written there | means there | in bindpolicy |")
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter(|l| covered.iter().any(|t| l.starts_with(&format!("| {t} |"))))
        .collect();
    let want: Vec<String> = data
        .guide
        .iter()
        .map(|g| {
            format!(
                "| {} | {} | {} | {} |",
                g.tool, g.written, g.means, g.bindpolicy
            )
        })
        .collect();
    assert_eq!(rows, want, "docs/guide.md's table and [[guide]] differ");
    for g in &data.guide {
        for input in &g.inputs {
            let read = dialect(&g.dialect).read(input);
            match (&read, g.bindings.is_empty()) {
                (Ok(t), false) => {
                    assert_eq!(strings(t.bindings()), g.bindings, "{input}");
                    // The row's first target is the binding's target.
                    let first = g.bindpolicy.split('`').nth(1).unwrap();
                    if let Ok(target) = first.parse::<BindTarget>() {
                        assert_eq!(&target, t.bindings()[0].target(), "{input}");
                    }
                }
                (Err(_), true) => {}
                _ => panic!("{input}: {:?}", read.map(|t| strings(t.bindings()))),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------------------------

fn binding(text: &str) -> Binding {
    text.parse().unwrap_or_else(|e| panic!("{e}"))
}

const WRITABLE: &[&str] = &[
    "*:8080",
    "*:8080 dual_stack",
    "0.0.0.0:8080",
    "[::]:8080",
    "localhost:8080",
    "127.0.0.1:8080",
    "[::1]:8080",
    "192.0.2.10:443",
    "[2001:db8::10]:443",
    "0.0.0.0:53 udp",
    "*:5353 udp",
];

#[test]
fn canonical_targets_round_trip_through_every_writer() {
    let mut extra: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    extra.insert(
        "nginx",
        vec!["*:80 reuse_port backlog=511", "[::]:443 udp reuse_port"],
    );
    extra.insert("haproxy", vec!["*:80 backlog=4096", "*:443 udp dual_stack"]);
    extra.insert(
        "systemd",
        vec![
            "*:80 reuse_port backlog=4096 freebind=always",
            "[fe80::1%eth0]:80",
            "*:53 udp dual_stack",
        ],
    );
    extra.insert("docker", vec![]);
    let writable: Vec<Dialect> = Dialect::ALL.into_iter().filter(|d| d.can_write()).collect();
    assert_eq!(
        writable,
        [
            Dialect::Nginx,
            Dialect::Haproxy,
            Dialect::Systemd,
            Dialect::Docker
        ]
    );
    for d in writable {
        for text in WRITABLE.iter().chain(&extra[d.name()]) {
            if d == Dialect::Docker && text.contains("dual_stack") {
                continue;
            }
            let b = binding(text);
            let written = d.write(&b).unwrap_or_else(|e| panic!("{e}"));
            let read = d
                .read(&written)
                .unwrap_or_else(|e| panic!("{written}: {e}"));
            let mut want = b.normalized();
            if d == Dialect::Haproxy {
                // HAProxy sets SO_REUSEPORT on every listener.
                want = want
                    .clone()
                    .with_options(want.options().clone().reuse_port(true));
            }
            assert_eq!(read.bindings(), [want], "{d}: {text} -> {written:?}");
        }
    }
}

#[test]
fn writers_say_the_forms() {
    let cases = [
        ("nginx", "*:8080", "listen 0.0.0.0:8080;\nlisten [::]:8080;"),
        (
            "nginx",
            "localhost:80 reuse_port",
            "listen 127.0.0.1:80 reuseport;\nlisten [::1]:80 reuseport;",
        ),
        ("nginx", "0.0.0.0:53 udp", "listen 0.0.0.0:53 udp;"),
        (
            "haproxy",
            "*:8080",
            "bind 0.0.0.0:8080\nbind :::8080 v6only",
        ),
        (
            "haproxy",
            "[::1]:8080 backlog=10",
            "bind ::1:8080 backlog 10",
        ),
        (
            "systemd",
            "*:8080",
            "ListenStream=0.0.0.0:8080\nListenStream=[::]:8080\nBindIPv6Only=ipv6-only",
        ),
        (
            "systemd",
            "[fe80::1%eth0]:80",
            "ListenStream=[fe80::1]:80%eth0",
        ),
        ("systemd", "127.0.0.1:53 udp", "ListenDatagram=127.0.0.1:53"),
        ("docker", "*:8080", "-p 8080:8080"),
        (
            "docker",
            "localhost:8080",
            "-p 127.0.0.1:8080:8080\n-p [::1]:8080:8080",
        ),
        ("docker", "[::]:53 udp", "-p [::]:53:53/udp"),
    ];
    for (d, text, want) in cases {
        assert_eq!(
            dialect(d).write(&binding(text)).unwrap(),
            want,
            "{d} {text}"
        );
    }
}

#[test]
fn writers_refuse_what_they_cannot_say() {
    let cases = [
        (
            "nginx",
            "eth0:80",
            "cannot write \"eth0:80\" as nginx: nginx has no form for every address of an interface; write each address",
        ),
        (
            "nginx",
            "*:0",
            "cannot write \"*:0\" as nginx: nginx has no port 0 (OS-chosen port)",
        ),
        (
            "nginx",
            "[fe80::1%eth0]:80",
            "cannot write \"[fe80::1%eth0]:80\" as nginx: nginx has no form for an IPv6 zone",
        ),
        (
            "nginx",
            "*:80 freebind=always",
            "cannot write \"*:80 freebind=always\" as nginx: nginx cannot say freebind",
        ),
        (
            "haproxy",
            "port:40000-40100",
            "cannot write \"port:40000-40100\" as haproxy: a client source port range is not a listen address",
        ),
        (
            "systemd",
            "*:80 freebind=on_addr_not_available",
            "cannot write \"*:80 freebind=on_addr_not_available\" as systemd: systemd cannot say freebind=on_addr_not_available",
        ),
        (
            "docker",
            "*:80 dual_stack",
            "cannot write \"*:80 dual_stack\" as docker: docker cannot say dual_stack",
        ),
        (
            "docker",
            "*:80 backlog=10",
            "cannot write \"*:80 backlog=10\" as docker: docker cannot say backlog",
        ),
        (
            "go",
            "*:80",
            "cannot write \"*:80\" as go: go is read only; bindpolicy writes nginx, haproxy, systemd and docker",
        ),
    ];
    for (d, text, want) in cases {
        assert_eq!(
            dialect(d).write(&binding(text)).unwrap_err().to_string(),
            want,
            "{d} {text}"
        );
    }
}

#[test]
fn translation_writes_another_dialect() {
    let t = Dialect::Docker.read("127.0.0.1:8080:80").unwrap();
    assert_eq!(t.write(Dialect::Nginx).unwrap(), "listen 127.0.0.1:8080;");
    let t = Dialect::Haproxy.read("bind :8000-8001").unwrap();
    assert_eq!(
        t.write(Dialect::Systemd).unwrap(),
        "ListenStream=0.0.0.0:8000\nReusePort=yes\nListenStream=0.0.0.0:8001\nReusePort=yes"
    );
}

#[test]
fn binding_display_parses_back_and_refuses_unknown_words() {
    for text in [
        "*:80",
        "0.0.0.0:53 udp reuse_port",
        "*:80 dual_stack backlog=1 freebind=on_addr_not_available bind_device nonblocking",
    ] {
        assert_eq!(binding(text).to_string(), text);
    }
    let err = "*:80 fast".parse::<Binding>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid bind target \"*:80 fast\" at byte 5: unknown binding option \"fast\"; the options \
         are udp, dual_stack, reuse_port, backlog=N, freebind=always, \
         freebind=on_addr_not_available, bind_device and nonblocking"
    );
    assert_eq!(Binding::new(BindTarget::any(1)).transport(), Transport::Tcp);
    assert_eq!(
        Binding::new(BindTarget::any(1)).options(),
        &ListenOptions::default()
    );
}

#[test]
fn dialect_names() {
    for d in Dialect::ALL {
        assert_eq!(d.name().parse::<Dialect>().unwrap(), d);
        assert_eq!(d.to_string().to_uppercase().parse::<Dialect>().unwrap(), d);
    }
    assert_eq!(
        "apache".parse::<Dialect>().unwrap_err().to_string(),
        "unknown dialect \"apache\"; the dialects are nginx, haproxy, systemd, docker, gunicorn, \
         uvicorn, go, envoy, caddy, traefik, kubectl and node"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// No input panics; an error's offset is on a character boundary; every binding read
    /// prints a form that parses back to it.
    #[test]
    fn no_input_panics(input in "[ -~\\n\u{e9}\u{4e2d}]{0,40}", which in 0usize..12) {
        let d = Dialect::ALL[which];
        match d.read(&input) {
            Ok(t) => {
                for b in t.bindings() {
                    prop_assert_eq!(&b.to_string().parse::<Binding>().unwrap(), b);
                }
            }
            Err(e) => prop_assert!(input.is_char_boundary(e.offset())),
        }
    }

    /// Inputs made of the dialects' own pieces, which reach deeper than random text.
    #[test]
    fn pieces_never_panic(
        pieces in proptest::collection::vec(prop_oneof![
            Just("listen"), Just("bind"), Just(":"), Just("::"), Just("["), Just("]"), Just("80"),
            Just("0"), Just("-"), Just(","), Just("@"), Just("ipv6@"), Just("%eth0"), Just(" "),
            Just("="), Just("ListenStream="), Just("-p"), Just("/udp"), Just("127.0.0.1"),
            Just("localhost"), Just("v4v6"), Just("ipv6only=off"), Just("--host"), Just("tcp"),
            Just("address="), Just("port_value="), Just(";"), Just("\n"), Just("'"),
        ], 0..10),
        which in 0usize..12,
    ) {
        let input: String = pieces.concat();
        let _ = Dialect::ALL[which].read(&input);
    }
}
