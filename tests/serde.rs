//! serde (feature `serde`): targets in real TOML and JSON configs are canonical strings, and a
//! bad value shows the user the parser's own message with the file's line.
#![cfg(feature = "serde")]

mod support;
use support::values::target;

use bindpolicy::{BindTarget, PortRange};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Deserialize, Serialize)]
struct Config {
    server: Server,
    client: Client,
}

#[derive(Debug, PartialEq, Deserialize, Serialize)]
struct Server {
    listen: BindTarget,
    admin: BindTarget,
    extra: Vec<BindTarget>,
    workers: u32,
}

#[derive(Debug, PartialEq, Deserialize, Serialize)]
struct Client {
    source: BindTarget,
    ports: PortRange,
}

const CONFIG: &str = r#"# An application's config file.
[server]
listen = "LOCALHOST:8080"
admin = ":9090"
extra = ["[fe80::1%eth0]:80", "0.0.0.0:53", "[2001:DB8:0:0:0:0:0:5]:443", "eth0.100:80"]
workers = 4

[client]
source = "port:40000-40100"
ports = "50000-50010"
"#;

#[test]
fn toml_config_holds_targets_and_writes_them_back_canonical() {
    let config: Config = toml::from_str(CONFIG).expect("the config parses");
    assert_eq!(config.server.listen, BindTarget::loopback(8080));
    assert_eq!(config.server.admin, BindTarget::any(9090));
    assert_eq!(
        config.server.extra,
        [
            target("[fe80::1%eth0]:80"),
            BindTarget::any_v4(53),
            target("[2001:db8::5]:443"),
            BindTarget::interface("eth0.100", 80).unwrap(),
        ]
    );
    assert_eq!(config.server.workers, 4);
    assert_eq!(
        config.client.source,
        BindTarget::source_ports(PortRange::new(40000, 40100).unwrap())
    );
    assert_eq!(config.client.ports, PortRange::new(50000, 50010).unwrap());

    let written = toml::to_string(&config).expect("the config serializes");
    assert_eq!(
        written,
        r#"[server]
listen = "localhost:8080"
admin = "*:9090"
extra = ["[fe80::1%eth0]:80", "0.0.0.0:53", "[2001:db8::5]:443", "eth0.100:80"]
workers = 4

[client]
source = "port:40000-40100"
ports = "50000-50010"
"#
    );
    let again: Config = toml::from_str(&written).expect("the written config parses");
    assert_eq!(again, config);
}

#[test]
fn json_holds_targets_as_canonical_strings() {
    let targets = vec![
        BindTarget::any(8080),
        BindTarget::any_v6(8080),
        BindTarget::loopback(5000),
        target("[fe80::1%3]:80"),
        target("br-lan:53"),
        target("port:40000"),
    ];
    let json = serde_json::to_string(&targets).unwrap();
    assert_eq!(
        json,
        r#"["*:8080","[::]:8080","localhost:5000","[fe80::1%3]:80","br-lan:53","port:40000"]"#
    );
    let back: Vec<BindTarget> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, targets);

    // Any accepted spelling reads; the canonical one is written.
    let read: BindTarget = serde_json::from_str(r#""any:80""#).unwrap();
    assert_eq!(serde_json::to_string(&read).unwrap(), r#""*:80""#);
    let range: PortRange = serde_json::from_str(r#""1-2""#).unwrap();
    assert_eq!(serde_json::to_string(&range).unwrap(), r#""1-2""#);
}

#[test]
fn a_bad_value_in_a_toml_file_shows_our_message_and_the_line() {
    let file = "# config\n[server]\nlisten = \"8080\"\n";
    let err = toml::from_str::<ListenOnly>(file).unwrap_err();
    let shown = err.to_string();
    let ours = "8080".parse::<BindTarget>().unwrap_err().to_string();
    assert_eq!(
        ours,
        r#"invalid bind target "8080" at byte 0: a bare port is not a bind target; did you mean ":8080" (all interfaces), "localhost:8080" (this machine only) or "port:8080" (client source port)?"#
    );
    assert!(shown.contains(&ours), "{shown}");
    assert!(shown.contains("line 3, column 10"), "{shown}");
    assert!(shown.contains("listen = \"8080\""), "{shown}");
    let value_at = file.find("\"8080\"").unwrap();
    assert_eq!(
        err.span(),
        Some(value_at..value_at + 6),
        "the span is the value's"
    );
}

#[derive(Debug, Deserialize)]
struct ListenOnly {
    #[allow(dead_code)]
    server: ListenServer,
}

#[derive(Debug, Deserialize)]
struct ListenServer {
    #[allow(dead_code)]
    listen: BindTarget,
}

#[test]
fn a_value_of_the_wrong_type_says_what_was_expected() {
    let err = toml::from_str::<ListenServer>("listen = 8080\n").unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains(
            r#"invalid type: integer `8080`, expected a bind target such as "localhost:8080""#
        ),
        "{shown}"
    );
    let err = serde_json::from_str::<PortRange>("40000").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid type: integer `40000`, expected a port range such as "40000-40100" at line 1 column 5"#
    );
}

#[test]
fn a_bad_value_in_json_shows_our_message() {
    let err = serde_json::from_str::<Vec<BindTarget>>(r#"["*:80", "[::1]:80:90"]"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid bind target "[::1]:80:90" at byte 5: only :PORT may follow ']' at line 1 column 22"#
    );
}
