//! The `Serialize` impls of the report types (feature `serde`), key for key: the JSON the
//! `bindpolicy` tool prints with `--json` is made of these (docs/cli.md).
#![cfg(feature = "serde")]

mod support;
use support::snapshot::{LINK_LOCAL, seed};
use support::values::target;

use bindpolicy::{BindPolicy, BindTarget, Error, ParseError};
use serde_json::{Value, json};

fn json_of<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("serializes")
}

#[test]
fn a_resolve_is_the_check_object_less_its_urls() {
    let resolved = target("0.0.0.0:5000")
        .resolve_with(&seed())
        .expect("resolves");
    assert_eq!(
        json_of(&resolved),
        json!({
            "target": "0.0.0.0:5000",
            "kind": "any",
            "family": "ipv4",
            "port": 5000,
            "ports": {"first": 5000, "last": 5000},
            "addresses": ["0.0.0.0:5000"],
            "bind": [{"address": "0.0.0.0:5000", "interface": null}],
            "exposure": "all_networks",
            "networks": [{"interface": "eth0", "network": "192.168.71.0/24"}],
            "reachable": [
                {"address": "127.0.0.1", "interface": "lo", "network": "127.0.0.0/8",
                 "scope": "loopback"},
                {"address": "192.168.71.67", "interface": "eth0", "network": "192.168.71.0/24",
                 "scope": "private"},
            ],
            "warnings": [{
                "kind": "all_networks",
                "message": resolved.warnings()[0].to_string(),
            }],
        })
    );
    assert_eq!(
        json_of(resolved.exposure()),
        json!({
            "reach": "all_networks",
            "networks": json_of(&resolved.exposure().networks()),
            "reachable": json_of(&resolved.exposure().reachable()),
        })
    );
}

#[test]
fn a_client_source_reaches_nothing() {
    let resolved = target("port:40000-40100")
        .resolve_with(&seed())
        .expect("resolves");
    let value = json_of(&resolved);
    assert_eq!(value["kind"], "port");
    assert_eq!(value["family"], Value::Null);
    assert_eq!(value["ports"], json!({"first": 40000, "last": 40100}));
    assert_eq!(value["exposure"], "nothing");
    assert_eq!(value["networks"], json!([]));
    assert_eq!(value["reachable"], json!([]));
}

#[test]
fn interfaces_list_their_addresses() {
    assert_eq!(
        json_of(&seed()),
        json!([
            {"name": "lo", "index": 1, "state": "up", "loopback": true, "addresses": [
                {"address": "127.0.0.1", "prefix_len": 8, "network": "127.0.0.0/8",
                 "scope": "loopback", "tentative": false},
                {"address": "::1", "prefix_len": 128, "network": "::1/128",
                 "scope": "loopback", "tentative": false},
            ]},
            {"name": "eth0", "index": 2, "state": "up", "loopback": false, "addresses": [
                {"address": "192.168.71.67", "prefix_len": 24, "network": "192.168.71.0/24",
                 "scope": "private", "tentative": false},
                {"address": LINK_LOCAL, "prefix_len": 64, "network": "fe80::/64",
                 "scope": "link_local", "tentative": false},
            ]},
        ])
    );
}

#[test]
fn errors_carry_kind_message_causes_and_the_parse_data() {
    let parse: ParseError = "8080".parse::<BindTarget>().expect_err("a bare port");
    let expected = json!({
        "kind": "parse",
        "message": parse.to_string(),
        "causes": [],
        "input": "8080",
        "offset": 0,
        "suggestions": [":8080", "localhost:8080", "port:8080"],
    });
    assert_eq!(json_of(&parse), expected);
    assert_eq!(json_of(&Error::from(parse)), expected);

    let err = target("192.0.2.99:5000")
        .resolve_with(&seed())
        .expect_err("not an address of the seed");
    assert_eq!(
        json_of(&err),
        json!({"kind": "addr_not_available", "message": err.to_string(), "causes": []})
    );
}

#[test]
fn a_policy_violation_carries_its_rule_target_address_and_fix() {
    let resolved = target("0.0.0.0:5000")
        .resolve_with(&seed())
        .expect("resolves");
    let violation = BindPolicy::local_only()
        .check(&resolved)
        .expect_err("a wildcard is not local");
    assert_eq!(
        json_of(&violation),
        json!({
            "kind": "policy_violation",
            "message": violation.to_string(),
            "causes": [],
            "rule": violation.rule().as_str(),
            "target": "0.0.0.0:5000",
            "addr": violation.addr().map(|a| a.to_string()),
            "fix": violation.fix(),
        })
    );
    assert_eq!(json_of(&violation)["rule"], "allow_wildcard");
}
