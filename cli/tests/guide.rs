//! docs/guide.md, checked: every console block is replayed against the built `bindpolicy` and
//! must print exactly what the guide shows; every code block is a doctest or such a session; its
//! first screen answers the four Flask experiments; its relative links and anchors resolve.
//!
//! # Console blocks
//!
//! A block fenced as `console` is a terminal session:
//!
//! - `$ bindpolicy ARGS` runs the command; the lines up to the next `$ ` line (or the end of the
//!   block) are its output, standard output then standard error, compared line by line and
//!   exactly, except trailing whitespace on a line and trailing blank lines.
//! - `$ echo $?` right after a command, followed by one line with a number, is that command's
//!   exit code. A command without it must exit 0.
//! - ARGS are split like a shell would split them, with '...' and "..." quoting and nothing else
//!   (no variables, pipes, redirections or comments).
//! - Only commands that neither bind nor connect for real are replayed: `parse`, `check`,
//!   `explain` and `interfaces`; `listen` and `connect` only when the block records a non-zero
//!   exit code, i.e. a failure decided before any traffic (each run is killed after 20 s).
//!
//! # Where a command runs
//!
//! `parse` never looks at the machine, so it runs here. Every other command runs inside a network
//! namespace set up as the guide's Flask server: `lo` (127.0.0.1/8, ::1/128) and `eth0` (index 2,
//! MAC 52:54:00:12:34:56, so its EUI-64 link-local address is fe80::5054:ff:fe12:3456/64, and
//! 192.168.71.67/24), a veth whose peer sits in a second, empty namespace. Its output is then
//! the same on every machine, so no address needs masking and any change of wording fails the
//! test. The story's private addresses exist only inside that namespace, which is deleted on
//! drop, as the helpers in tests/support/netns.rs do for every namespace.
//!
//! Namespaces need root (and `ip`); without them the namespace commands are skipped with a
//! `SKIPPED` note, unless `BINDPOLICY_REQUIRE_NETNS=1` (as in CI) makes that a failure.
//!
//! # Rust blocks
//!
//! Blocks fenced as `rust` are doctests: src/lib.rs includes docs/guide.md in the crate docs
//! under `cfg(doctest)`, so `cargo test --doc` runs them.

mod support;

use std::io::Read;
use std::net::Ipv6Addr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use support::netns::{Netns, WAIT_TIMEOUT, netns_available, skip_or_fail};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_bindpolicy");

/// The guide, as compiled into this test (a change to it rebuilds the test).
const GUIDE: &str = include_str!("../../docs/guide.md");

/// How the guide is named in failure reports.
const GUIDE_NAME: &str = "docs/guide.md";

/// How long one command may run before it is killed and reported.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The guide's first screen: the four experiments must be answered within it.
const FIRST_SCREEN_LINES: usize = 40;

/// The Flask server's eth0: MAC, IPv4 address, and the link-local address the kernel derives
/// from that MAC (EUI-64).
const SERVER_MAC: &str = "52:54:00:12:34:56";
const SERVER_V4: &str = "192.168.71.67/24";
const SERVER_LINK_LOCAL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0x5054, 0xff, 0xfe12, 0x3456);

/// A fenced code block: its info string, the line of its opening fence (1-based) and its lines
/// with their numbers.
#[derive(Debug)]
struct Block {
    info: String,
    line: usize,
    body: Vec<(usize, String)>,
}

/// Every fenced code block of a Markdown text, in order.
fn blocks(text: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_owned(),
                    line: number,
                    body: Vec::new(),
                });
            }
            (Some(_), Some(rest)) if rest.trim().is_empty() => {
                found.extend(open.take());
            }
            (Some(block), _) => block.body.push((number, line.to_owned())),
            (None, None) => {}
        }
    }
    assert!(
        open.is_none(),
        "{GUIDE_NAME}: a code block is not closed: {open:?}"
    );
    found
}

/// The lines of a Markdown text outside code blocks, with their numbers.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut inside = false;
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("```") {
            inside = !inside;
        } else if !inside {
            lines.push((i + 1, line));
        }
    }
    lines
}

/// One recorded command: where it is, its arguments (without `bindpolicy`), what it printed and
/// how it exited.
#[derive(Debug, Clone)]
struct Step {
    line: usize,
    command: String,
    args: Vec<String>,
    expected: Vec<String>,
    code: i32,
}

/// The subcommands that are replayed, and whether each may succeed (a successful `listen` or
/// `connect` would bind or connect for real).
const REPLAYED: &[(&str, bool)] = &[
    ("parse", true),
    ("check", true),
    ("explain", true),
    ("interfaces", true),
    ("listen", false),
    ("connect", false),
];

/// The steps of one console block, checked against the format in this file's header.
fn session(block: &Block) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    let mut lines = block.body.iter().peekable();
    let mut coded = false;
    while let Some((number, line)) = lines.next() {
        let at = format!("{GUIDE_NAME}:{number}");
        let Some(command) = line.strip_prefix("$ ") else {
            return Err(format!("{at}: output before any command: {line:?}"));
        };
        if command == "echo $?" {
            let step = steps
                .last_mut()
                .filter(|_| !coded)
                .ok_or_else(|| format!("{at}: `echo $?` must follow a bindpolicy command"))?;
            coded = true;
            let (_, code) = lines
                .next()
                .ok_or_else(|| format!("{at}: `echo $?` without a code after it"))?;
            step.code = code
                .trim()
                .parse()
                .map_err(|_| format!("{at}: `echo $?` is followed by {code:?}, not a number"))?;
            if let Some((next, extra)) = lines.peek() {
                if !extra.starts_with("$ ") {
                    return Err(format!(
                        "{GUIDE_NAME}:{next}: only a command may follow an exit code, not {extra:?}"
                    ));
                }
            }
            continue;
        }
        let words = words(command).map_err(|e| format!("{at}: {e}"))?;
        let Some(("bindpolicy", args)) = words.split_first().map(|(w, a)| (w.as_str(), a)) else {
            return Err(format!(
                "{at}: only bindpolicy commands are replayed: {command:?}"
            ));
        };
        let mut expected = Vec::new();
        while let Some((_, output)) = lines.next_if(|(_, l)| !l.starts_with("$ ")) {
            expected.push(output.clone());
        }
        coded = false;
        steps.push(Step {
            line: *number,
            command: command.to_owned(),
            args: args.to_vec(),
            expected,
            code: 0,
        });
    }
    for step in &steps {
        let at = format!("{GUIDE_NAME}:{}", step.line);
        let sub = step.args.first().map(String::as_str).unwrap_or_default();
        match REPLAYED.iter().find(|(name, _)| *name == sub) {
            None => return Err(format!("{at}: `bindpolicy {sub}` is not replayed here")),
            Some((_, false)) if step.code == 0 => {
                return Err(format!(
                    "{at}: a successful `bindpolicy {sub}` would bind or connect for real; only \
                     its failures are replayed"
                ));
            }
            Some(_) => {}
        }
    }
    if steps.is_empty() {
        return Err(format!(
            "{GUIDE_NAME}:{}: an empty console block",
            block.line
        ));
    }
    Ok(steps)
}

/// Splits a command line as a shell would, with '...' and "..." quoting; anything else a shell
/// would interpret is an error.
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => words.extend(word.take()),
            '\'' | '"' => {
                let text = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some('\\' | '$' | '`') if c == '"' => {
                            return Err(format!("unsupported escape or expansion in {line:?}"));
                        }
                        Some(other) => text.push(other),
                        None => return Err(format!("unclosed quote in {line:?}")),
                    }
                }
            }
            '\\' | '$' | '`' | '|' | '&' | ';' | '<' | '>' | '(' | ')' | '#' | '*' | '?' | '['
            | '~' | '\t' => {
                return Err(format!("{c:?} needs a shell (quote it) in {line:?}"));
            }
            other => word.get_or_insert_with(String::new).push(other),
        }
    }
    words.extend(word);
    Ok(words)
}

/// Lines without trailing whitespace, and without trailing blank lines.
fn normalized<S: AsRef<str>>(lines: &[S]) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .map(|l| l.as_ref().trim_end().to_owned())
        .collect();
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// What a run printed and how it ended.
#[derive(Debug)]
struct Outcome {
    code: Option<i32>,
    output: Vec<String>,
}

/// Runs `bindpolicy ARGS`, here or in the namespace, with colour settings cleared; kills it (by
/// its own pid) after [`TIMEOUT`].
fn run(args: &[String], netns: Option<&Netns>) -> Outcome {
    let mut cmd = match netns {
        Some(ns) => {
            let mut cmd = Command::new("ip");
            cmd.args(["netns", "exec", ns.name(), BIN]);
            cmd
        }
        None => Command::new(BIN),
    };
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start bindpolicy");
    let stdout = drain(&mut child, true);
    let stderr = drain(&mut child, false);
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait().expect("wait for bindpolicy") {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                // `ip netns exec` execs the binary, so this pid is bindpolicy itself.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => thread::sleep(Duration::from_millis(10)),
        }
    };
    let mut text = stdout.join().expect("read stdout");
    text.push_str(&stderr.join().expect("read stderr"));
    let mut output: Vec<String> = text.lines().map(str::to_owned).collect();
    if status.is_none() {
        output.push(format!("(killed after {TIMEOUT:?})"));
    }
    Outcome {
        code: status.and_then(|s| s.code()),
        output: normalized(&output),
    }
}

/// Reads one of the child's pipes to the end on a thread, so that neither pipe can fill up.
fn drain(child: &mut Child, stdout: bool) -> thread::JoinHandle<String> {
    let mut pipe: Box<dyn Read + Send> = if stdout {
        Box::new(child.stdout.take().expect("piped stdout"))
    } else {
        Box::new(child.stderr.take().expect("piped stderr"))
    };
    thread::spawn(move || {
        let mut text = String::new();
        pipe.read_to_string(&mut text).expect("UTF-8 output");
        text
    })
}

/// The guide's Flask server, in a namespace of its own; both namespaces go when it drops.
struct FlaskServer {
    server: Netns,
    _laptop: Netns,
}

/// Builds the Flask server: see this file's header.
fn flask_server() -> Result<FlaskServer, String> {
    netns_available()?;
    let server = Netns::try_new("guide-server")?;
    let laptop = Netns::try_new("guide-laptop")?;
    server.disable_dad();
    // Both ends are created inside the namespaces, never in this one; so are the addresses.
    server.ip(&[
        "link",
        "add",
        "eth0",
        "address",
        SERVER_MAC,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        laptop.name(),
    ]);
    server.ip(&["link", "set", "dev", "eth0", "addrgenmode", "eui64"]);
    server.ip(&["addr", "add", SERVER_V4, "dev", "eth0"]);
    server.link_set_up("eth0");
    laptop.link_set_up("eth0");
    let link_local = server.wait_link_local("eth0", WAIT_TIMEOUT);
    assert_eq!(
        link_local, SERVER_LINK_LOCAL,
        "eth0's EUI-64 link-local address"
    );
    assert_eq!(
        server.ifindex("eth0"),
        2,
        "eth0's index, the zone in the output"
    );
    Ok(FlaskServer {
        server,
        _laptop: laptop,
    })
}

/// Every console step of the guide.
fn steps() -> Vec<Step> {
    blocks(GUIDE)
        .iter()
        .filter(|b| b.info == "console")
        .flat_map(|b| session(b).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// A failed step, for the report: what the guide says, what the command did, and the block text
/// that would match it.
fn mismatch(step: &Step, outcome: &Outcome) -> String {
    let indent =
        |lines: &[String]| -> String { lines.iter().map(|l| format!("    {l}\n")).collect() };
    let mut replacement = vec![format!("$ {}", step.command)];
    replacement.extend(outcome.output.iter().cloned());
    if outcome.code != Some(0) {
        replacement.push("$ echo $?".to_owned());
        replacement.push(outcome.code.map_or("(none)".to_owned(), |c| c.to_string()));
    }
    format!(
        "{GUIDE_NAME}:{}: `{}`\n  the guide shows (exit {}):\n{}  it printed (exit {:?}):\n{}  \
         as a block:\n{}",
        step.line,
        step.command,
        step.code,
        indent(&normalized(&step.expected)),
        outcome.code,
        indent(&outcome.output),
        indent(&replacement),
    )
}

#[test]
fn console_sessions_replay() {
    let steps = steps();
    let (here, there): (Vec<Step>, Vec<Step>) =
        steps.into_iter().partition(|s| s.args[0] == "parse");
    let mut failures = Vec::new();
    let mut check = |step: &Step, netns: Option<&Netns>| {
        let outcome = run(&step.args, netns);
        if outcome.code != Some(step.code) || outcome.output != normalized(&step.expected) {
            failures.push(mismatch(step, &outcome));
        }
    };
    for step in &here {
        check(step, None);
    }
    match flask_server() {
        Ok(flask) => {
            for step in &there {
                check(step, Some(&flask.server));
            }
        }
        Err(reason) => skip_or_fail(&format!(
            "{reason}; {} of the guide's {} commands need the Flask server's namespace",
            there.len(),
            there.len() + here.len()
        )),
    }
    assert!(
        failures.is_empty(),
        "{} of the guide's console commands print something else now:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_code_block_is_a_doctest_or_a_session() {
    let blocks = blocks(GUIDE);
    for block in &blocks {
        assert!(
            block.info == "rust" || block.info == "console",
            "{GUIDE_NAME}:{}: a code block must be ```rust (a doctest) or ```console (a \
             replayed session), not ```{}",
            block.line,
            block.info
        );
    }
    let count = |info: &str| blocks.iter().filter(|b| b.info == info).count();
    assert!(count("rust") >= 8, "the guide's doctests are gone");
    assert!(count("console") >= 8, "the guide's sessions are gone");
    // Every console block parses, with at least one command.
    assert!(steps().len() >= count("console"));
}

#[test]
fn first_screen_answers_the_four_experiments() {
    let first: String = GUIDE
        .lines()
        .take(FIRST_SCREEN_LINES)
        .collect::<Vec<_>>()
        .join("\n");
    for (spec, answer) in [
        ("0.0.0.0:5000", "the page"),
        ("127.0.0.1:5000", "connection refused"),
        ("192.168.71.67:5000", "the page"),
        (
            "192.168.158.94:5000",
            "OSError: [Errno 99] Cannot assign requested address",
        ),
    ] {
        let row = first
            .lines()
            .find(|l| l.starts_with('|') && l.contains(&format!("`{spec}`")))
            .unwrap_or_else(|| panic!("no table row for {spec} in the first screen"));
        assert!(
            row.contains(answer),
            "the row of {spec} lacks {answer:?}: {row}"
        );
    }
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The anchors of a Markdown text's headings.
fn anchors(text: &str) -> Vec<String> {
    prose(text)
        .into_iter()
        .filter(|(_, l)| l.starts_with('#'))
        .map(|(_, l)| slug(l))
        .collect()
}

#[test]
fn links_and_anchors_resolve() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let mut checked = 0;
    for (number, line) in prose(GUIDE) {
        for (_, rest) in line.match_indices("](").map(|(i, _)| line.split_at(i + 2)) {
            let Some(end) = rest.find(')') else { continue };
            let target = &rest[..end];
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let text = if file.is_empty() {
                GUIDE.to_owned()
            } else {
                std::fs::read_to_string(docs.join(file)).unwrap_or_else(|e| {
                    panic!("{GUIDE_NAME}:{number}: link to {file}, which cannot be read: {e}")
                })
            };
            assert!(
                anchor.is_empty() || anchors(&text).iter().any(|a| a == anchor),
                "{GUIDE_NAME}:{number}: no heading has the anchor #{anchor} in {}",
                if file.is_empty() { GUIDE_NAME } else { file }
            );
            checked += 1;
        }
    }
    for doc in ["grammar.md", "cli.md", "platforms.md"] {
        assert!(
            GUIDE.contains(&format!("]({doc}")),
            "the guide does not link to docs/{doc}"
        );
    }
    assert!(checked >= 10, "only {checked} links found");
}

#[test]
fn the_format_is_read_as_documented() {
    assert_eq!(
        words("bindpolicy explain '*:5000' \"[::1]:5000\" port:1-2").unwrap(),
        ["bindpolicy", "explain", "*:5000", "[::1]:5000", "port:1-2"]
    );
    assert!(words("bindpolicy explain *:5000").is_err());
    assert!(words("bindpolicy explain $SPEC").is_err());
    assert!(words("bindpolicy interfaces | head").is_err());
    assert!(words("bindpolicy parse 'x").is_err());

    let block = |text: &str| Block {
        info: "console".to_owned(),
        line: 1,
        body: text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 2, l.to_owned()))
            .collect(),
    };
    let steps = session(&block(
        "$ bindpolicy parse 8080\nerror: no\n$ echo $?\n2\n$ bindpolicy parse :1\nok\n\nmore",
    ))
    .unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!((steps[0].code, steps[0].expected.len()), (2, 1));
    assert_eq!((steps[1].code, steps[1].expected.len()), (0, 3));
    assert!(session(&block("$ bindpolicy listen *:1")).is_err());
    assert!(session(&block("$ bindpolicy listen '*:1'")).is_err());
    assert!(session(&block("$ bindpolicy listen '*:1'\n$ echo $?\n1")).is_ok());
    assert!(session(&block("$ curl http://127.0.0.1:5000")).is_err());
    assert!(session(&block("output\n$ bindpolicy parse :1")).is_err());
    assert!(session(&block("$ bindpolicy parse :1\n$ echo $?\n2\nstray")).is_err());
    assert!(session(&block("$ bindpolicy parse :1\n$ echo $?\n2\n$ echo $?\n0")).is_err());

    assert_eq!(
        slug("## Who may connect is the firewall's job"),
        "who-may-connect-is-the-firewalls-job"
    );
    assert_eq!(
        slug("## Why `[::]` and `0.0.0.0` collide on Linux"),
        "why--and-0000-collide-on-linux"
    );
}
