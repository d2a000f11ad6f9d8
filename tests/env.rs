//! `BindTarget::from_env` and `BindTarget::from_port_env`: set, unset, invalid and non-Unicode
//! values, with the exact messages and kinds.
//!
//! Why a child process: the variable has to be set, but `std::env::set_var` is `unsafe` in
//! edition 2024 (another thread may read the environment meanwhile), and the crate's
//! `unsafe_code = "forbid"` lint applies to its tests too. So each case re-runs this test binary
//! with `std::process::Command::env`, which sets the variable for the child only, and the
//! child runs just the ignored `child` test (selected by `--exact --ignored` and armed by the
//! `BINDPOLICY_ENV_CHILD` guard variable), which prints the outcome for the parent to check.
//! An example binary would do as well, but would need its path; the test binary knows its own
//! (`std::env::current_exe`), and this keeps the whole check in one file.

use std::ffi::OsStr;
use std::process::Command;

use bindpolicy::{BindTarget, ErrorKind, ParseError};

/// Names the function and the variable the child reads, e.g. `from_env:APP_BIND`.
const GUARD: &str = "BINDPOLICY_ENV_CHILD";

/// What the child saw.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Ok(String),
    Err {
        kind: String,
        message: String,
        /// The `source()`'s message, if any.
        source: Option<String>,
    },
}

fn ok(target: &str) -> Outcome {
    Outcome::Ok(target.to_owned())
}

fn err(kind: &str, message: &str, source: Option<&str>) -> Outcome {
    Outcome::Err {
        kind: kind.to_owned(),
        message: message.to_owned(),
        source: source.map(str::to_owned),
    }
}

/// Runs `function` (`from_env` or `from_port_env`) on `var` in a child whose environment holds
/// `var=value`, or lacks `var` for `None`.
fn in_child(function: &str, var: &str, value: Option<&OsStr>) -> Outcome {
    in_child_with_source_type(function, var, value).0
}

/// As `in_child`, with the type behind the error's `source()`, where there is one.
fn in_child_with_source_type(
    function: &str,
    var: &str,
    value: Option<&OsStr>,
) -> (Outcome, Option<String>) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args([
            "child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(GUARD, format!("{function}:{var}"));
    match value {
        Some(value) => command.env(var, value),
        None => command.env_remove(var),
    };
    let output = command.output().expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |name: &str| {
        stdout
            .lines()
            // The harness may print "test child ... " before the first line.
            .find_map(|line| line.split_once(&format!("CHILD {name}\t")))
            .map(|(_, value)| value.to_owned())
    };
    if let Some(target) = field("OK") {
        return (Outcome::Ok(target), None);
    }
    let outcome = Outcome::Err {
        kind: field("KIND").unwrap_or_else(|| panic!("no outcome from the child: {stdout}")),
        message: field("MESSAGE").expect("MESSAGE"),
        source: field("SOURCE"),
    };
    (outcome, field("SOURCE_TYPE"))
}

/// The parse error is a field of the variant, not a `source()`: its text is already in the
/// message, and a reporter walking the source chain would print it twice.
#[test]
fn no_source_behind_an_invalid_value() {
    let (outcome, source_type) =
        in_child_with_source_type("from_env", "APP_BIND", Some(OsStr::new("8080")));
    assert!(
        matches!(outcome, Outcome::Err { source: None, .. }),
        "{outcome:?}"
    );
    assert_eq!(source_type, None);
}

/// The child's side: does nothing unless the guard is set, so a plain `--ignored` run passes.
#[test]
#[ignore = "runs in a child process started by the other tests of this file"]
fn child() {
    let Ok(guard) = std::env::var(GUARD) else {
        return;
    };
    let (function, var) = guard.split_once(':').expect("FUNCTION:VAR");
    let result = match function {
        "from_env" => BindTarget::from_env(var),
        "from_port_env" => BindTarget::from_port_env(var),
        other => panic!("unknown function {other}"),
    };
    match result {
        Ok(target) => println!("CHILD OK\t{target}"),
        Err(err) => {
            println!("CHILD KIND\t{}", err.kind().as_str());
            println!("CHILD MESSAGE\t{err}");
            if let Some(source) = std::error::Error::source(&err) {
                println!("CHILD SOURCE\t{source}");
                let source_type = if source.downcast_ref::<ParseError>().is_some() {
                    "ParseError"
                } else if source.downcast_ref::<Box<ParseError>>().is_some() {
                    "Box<ParseError>"
                } else {
                    "other"
                };
                println!("CHILD SOURCE_TYPE\t{source_type}");
            }
        }
    }
}

fn from_env(value: &str) -> Outcome {
    in_child("from_env", "APP_BIND", Some(OsStr::new(value)))
}

fn from_port_env(value: &str) -> Outcome {
    in_child("from_port_env", "PORT", Some(OsStr::new(value)))
}

#[test]
fn from_env_set() {
    assert_eq!(from_env("127.0.0.1:8080"), ok("127.0.0.1:8080"));
    assert_eq!(from_env("localhost:0"), ok("localhost:0"));
    // The canonical form, as everywhere else.
    assert_eq!(from_env(":8080"), ok("*:8080"));
    assert_eq!(from_env("[::1]:443"), ok("[::1]:443"));
    assert_eq!(from_env("eth0:9000"), ok("eth0:9000"));
    assert_eq!(from_env("port:40000-40100"), ok("port:40000-40100"));
}

#[test]
fn from_env_unset() {
    let want = err(
        "env_not_set",
        "environment variable APP_BIND is not set",
        None,
    );
    assert_eq!(in_child("from_env", "APP_BIND", None), want);
    assert_eq!(ErrorKind::EnvNotSet.io_kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn from_env_unset_in_this_process() {
    // No child needed for a variable nobody sets.
    let err = BindTarget::from_env("BINDPOLICY_TEST_NEVER_SET_4F2A").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::EnvNotSet);
    assert_eq!(err.kind().as_str(), "env_not_set");
    assert_eq!(
        err.to_string(),
        "environment variable BINDPOLICY_TEST_NEVER_SET_4F2A is not set"
    );
    assert!(std::error::Error::source(&err).is_none());
    let err = BindTarget::from_port_env("BINDPOLICY_TEST_NEVER_SET_4F2A").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::EnvNotSet);
}

#[test]
fn from_env_invalid() {
    assert_eq!(
        from_env("8080"),
        err(
            "env_invalid",
            "environment variable APP_BIND: invalid bind target \"8080\" at byte 0: a bare port \
             is not a bind target; did you mean \":8080\" (all interfaces), \"localhost:8080\" \
             (this machine only) or \"port:8080\" (client source port)?",
            None,
        )
    );
    // Set but empty is invalid, not unset.
    assert_eq!(
        from_env(""),
        err(
            "env_invalid",
            "environment variable APP_BIND: invalid bind target \"\" at byte 0: the input is \
             empty; write HOST:PORT, e.g. localhost:8080",
            None,
        )
    );
    // Nothing is trimmed, and nothing is expanded.
    assert_eq!(
        from_env("localhost:8080 "),
        err(
            "env_invalid",
            "environment variable APP_BIND: invalid bind target \"localhost:8080 \" at byte 14: \
             whitespace is not allowed (nothing is trimmed)",
            None,
        )
    );
    assert_eq!(
        from_env("$HOST:$PORT"),
        err(
            "env_invalid",
            "environment variable APP_BIND: invalid bind target \"$HOST:$PORT\" at byte 0: '$' \
             starts a variable, which is never expanded here; expand it first (see \
             BindTarget::from_env)",
            None,
        )
    );
    assert_eq!(
        ErrorKind::EnvInvalid.io_kind(),
        std::io::ErrorKind::InvalidInput
    );
}

#[cfg(unix)]
#[test]
fn from_env_not_unicode() {
    use std::os::unix::ffi::OsStrExt;
    let value = OsStr::from_bytes(b"127.0.0.1:80\xff");
    assert_eq!(
        in_child("from_env", "APP_BIND", Some(value)),
        err(
            "env_invalid",
            "environment variable APP_BIND is not valid Unicode: \"127.0.0.1:80\u{fffd}\"",
            None,
        )
    );
    assert_eq!(
        in_child("from_port_env", "PORT", Some(OsStr::from_bytes(b"80\x80"))),
        err(
            "env_invalid",
            "environment variable PORT is not valid Unicode: \"80\u{fffd}\"",
            None,
        )
    );
}

#[test]
fn from_port_env_set() {
    assert_eq!(from_port_env("8080"), ok("*:8080"));
    assert_eq!(from_port_env("0"), ok("*:0"));
    assert_eq!(from_port_env("65535"), ok("*:65535"));
}

#[test]
fn from_port_env_unset() {
    assert_eq!(
        in_child("from_port_env", "PORT", None),
        err("env_not_set", "environment variable PORT is not set", None)
    );
}

#[test]
fn from_port_env_invalid() {
    // The message is about the value the user set, as a port.
    let cases = [
        (
            "http",
            "invalid port \"http\" at byte 0: \"http\" looks like a service name; ports are \
                  numbers (names are never looked up)",
        ),
        ("", "invalid port \"\" at byte 0: the port is empty"),
        (
            "65536",
            "invalid port \"65536\" at byte 0: port 65536 is out of range (0-65535)",
        ),
        (
            "08080",
            "invalid port \"08080\" at byte 0: port 08080 has a leading zero",
        ),
        (
            "127.0.0.1:8080",
            "invalid port \"127.0.0.1:8080\" at byte 0: \"127.0.0.1:8080\" is not \
                            a port number",
        ),
        (
            ":80",
            "invalid port \":80\" at byte 0: \":80\" is not a port number",
        ),
        // Hostile values: negative, overflowing, padded, a NUL.
        ("-1", "invalid port \"-1\" at byte 0: a port has no sign"),
        (
            "99999999999999999999999",
            "invalid port \"99999999999999999999999\" at byte 0: port 99999999999999999999999 \
             is out of range (0-65535)",
        ),
        (
            " 80",
            "invalid port \" 80\" at byte 0: \" 80\" is not a port number",
        ),
        (
            "80\u{1}",
            "invalid port \"80\\u{1}\" at byte 0: \"80\\u{1}\" is not a port number",
        ),
    ];
    for (value, message) in cases {
        assert_eq!(
            from_port_env(value),
            err(
                "env_invalid",
                &format!("environment variable PORT: {message}"),
                None
            ),
            "{value:?}"
        );
    }
}
