//! `ListenArgs` flattened into an app's clap arguments: the flags, the options and config they
//! give, the app's default, and the usage errors (exit 2) for what cannot listen.
#![cfg(feature = "clap")]

mod support;
use support::values::target;

use bindpolicy::{BindTarget, FreeBind, ListenArgs, ListenOptions};
use clap::{CommandFactory, Parser};

#[derive(Parser, Debug)]
#[command(name = "app")]
struct App {
    #[command(flatten)]
    listen: ListenArgs,
    /// An app flag of its own, beside the listen flags.
    #[arg(long)]
    verbose: bool,
}

#[derive(Parser, Debug)]
#[command(name = "app", mut_arg("listen", |a| a.default_value("localhost:3000")))]
struct WithDefault {
    #[command(flatten)]
    listen: ListenArgs,
}

fn parse(args: &[&str]) -> Result<App, clap::Error> {
    App::try_parse_from(std::iter::once("app").chain(args.iter().copied()))
}

#[test]
fn every_flag_reaches_the_options() {
    let app = parse(&[
        "--listen",
        "localhost:0",
        "--listen",
        "[::1]:8080",
        "--backlog",
        "64",
        "--dual-stack",
        "--reuse-port",
        "--freebind",
        "--bind-device",
        "--verbose",
    ])
    .unwrap();
    assert!(app.verbose);
    let config = app.listen.config();
    assert_eq!(config.listen, [target("localhost:0"), target("[::1]:8080")]);
    assert_eq!(
        config.options,
        ListenOptions::new()
            .backlog(64)
            .dual_stack(true)
            .reuse_port(true)
            .freebind(FreeBind::Always)
            .bind_device(true)
    );
}

#[test]
fn no_flags_give_the_default_options_and_the_apps_default_target() {
    let app = parse(&[]).unwrap();
    assert_eq!(app.listen.options(), ListenOptions::default());
    assert!(app.listen.config().listen.is_empty());
    let config = app.listen.config_or([BindTarget::loopback(8080)]);
    assert_eq!(config.listen, [target("localhost:8080")]);
    // Given targets win over the default.
    let app = parse(&["--listen", "*:9"]).unwrap();
    assert_eq!(
        app.listen.config_or([BindTarget::loopback(8080)]).listen,
        [target("*:9")]
    );
}

#[test]
fn a_default_through_mut_arg_fills_in_and_shows_in_help() {
    let app = WithDefault::try_parse_from(["app"]).unwrap();
    assert_eq!(app.listen.listen, [target("localhost:3000")]);
    let app = WithDefault::try_parse_from(["app", "--listen", "*:1"]).unwrap();
    assert_eq!(app.listen.listen, [target("*:1")]);
    let help = WithDefault::command().render_long_help().to_string();
    assert!(help.contains("[default: localhost:3000]"), "{help}");
}

#[test]
fn freebind_takes_a_value_after_an_equals_sign() {
    for (arg, expected) in [
        ("--freebind=never", FreeBind::Never),
        (
            "--freebind=on-addr-not-available",
            FreeBind::OnAddrNotAvailable,
        ),
        ("--freebind=always", FreeBind::Always),
    ] {
        let app = parse(&[arg]).unwrap();
        assert_eq!(app.listen.options().get_freebind(), expected, "{arg}");
    }
    // Without `=`, the next word is not taken as its value.
    let err = parse(&["--freebind", "never"]).unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    let err = parse(&["--freebind=sometimes"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .contains("expected always, on-addr-not-available or never"),
        "{err}"
    );
}

#[test]
fn what_cannot_listen_is_a_usage_error_with_the_fix() {
    let err = parse(&["--listen", "port:40000"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
    let text = err.to_string();
    assert!(
        text.contains("invalid value 'port:40000' for '--listen <TARGET>'"),
        "{text}"
    );
    assert!(
        text.contains(
            r#"did you mean "*:40000" (all interfaces) or "localhost:40000" (this machine only)?"#
        ),
        "{text}"
    );

    let err = parse(&["--listen", "port:40000-40100"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("a listener has one port"), "{err}");

    let err = parse(&["--listen", "8080"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .contains(r#"did you mean ":8080" (all interfaces)"#),
        "{err}"
    );

    let err = parse(&["--backlog", "many"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn long_help_shows_the_grammar() {
    let help = App::command().render_long_help().to_string();
    for line in [
        "*:8080, :8080, any:8080     every address, IPv4 and IPv6",
        "0.0.0.0:8080                every IPv4 address",
        "[::]:8080                   every IPv6 address",
        "localhost:8080              this machine only: 127.0.0.1 and ::1 (no DNS)",
        "eth0:8080                   every address of one interface",
        "--backlog <N>",
        "--freebind[=<WHEN>]",
    ] {
        assert!(help.contains(line), "{line:?} missing:\n{help}");
    }
    let short = App::command().render_help().to_string();
    assert!(short.contains("e.g. localhost:8080, *:8080"), "{short}");
}

#[test]
fn the_parser_alone_serves_an_apps_own_flag() {
    #[derive(Parser)]
    struct Own {
        #[arg(long, value_parser = bindpolicy::parse_listen_target)]
        admin: BindTarget,
    }
    let own = Own::try_parse_from(["own", "--admin", "127.0.0.1:9"]).unwrap();
    assert_eq!(own.admin, target("127.0.0.1:9"));
    let err = Own::try_parse_from(["own", "--admin", "port:9"])
        .err()
        .unwrap();
    assert_eq!(err.exit_code(), 2);
}
