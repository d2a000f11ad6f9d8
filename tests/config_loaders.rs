//! A listen section as applications load it: `listen` is one string or a list, in TOML and
//! JSON directly and through figment (file providers and an environment override).
#![cfg(feature = "serde")]

mod support;
use support::values::target;

use bindpolicy::{BindTarget, ListenConfig};
use figment::Figment;
use figment::providers::{Env, Format, Json, Serialized, Toml};

#[derive(Debug, serde::Deserialize)]
struct App {
    server: ListenConfig,
}

fn targets(specs: &[&str]) -> Vec<BindTarget> {
    specs.iter().map(|s| target(s)).collect()
}

#[test]
fn listen_is_one_string_or_a_list_in_toml_and_json() {
    let one: ListenConfig = toml::from_str(r#"listen = "localhost:0""#).unwrap();
    assert_eq!(one.listen, targets(&["localhost:0"]));
    let many: ListenConfig =
        toml::from_str(r#"listen = ["127.0.0.1:8080", "[::1]:8080"]"#).unwrap();
    assert_eq!(many.listen, targets(&["127.0.0.1:8080", "[::1]:8080"]));
    let one: ListenConfig = serde_json::from_str(r#"{"listen": "*:8080"}"#).unwrap();
    assert_eq!(one.listen, targets(&["*:8080"]));
    let many: ListenConfig = serde_json::from_str(r#"{"listen": ["eth0:80"]}"#).unwrap();
    assert_eq!(many.listen, targets(&["eth0:80"]));
}

#[test]
fn a_bad_target_in_either_form_gives_the_parsers_message() {
    let err = toml::from_str::<ListenConfig>(r#"listen = "8080""#).unwrap_err();
    assert!(
        err.to_string()
            .contains(r#"did you mean ":8080" (all interfaces)"#),
        "{err}"
    );
    let err = toml::from_str::<ListenConfig>(r#"listen = ["localhost:0", "8080"]"#).unwrap_err();
    assert!(err.to_string().contains("did you mean"), "{err}");
    let err = serde_json::from_str::<ListenConfig>(r#"{"listen": 8080}"#).unwrap_err();
    assert!(
        err.to_string()
            .contains(r#"a bind target such as "localhost:8080", or a list of them"#),
        "{err}"
    );
}

#[test]
#[allow(
    clippy::result_large_err,
    reason = "figment::Jail's closure returns figment::Error"
)]
fn figment_reads_either_form_from_files_and_the_environment_overrides_it() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "app.toml",
            "[server]\nlisten = \"localhost:0\"\n[server.options]\nbacklog = 64\n",
        )?;
        jail.create_file("app.json", r#"{"server": {"listen": ["127.0.0.1:9000"]}}"#)?;

        let from_toml: App = Figment::new().merge(Toml::file("app.toml")).extract()?;
        assert_eq!(from_toml.server.listen, targets(&["localhost:0"]));
        assert_eq!(from_toml.server.options.get_backlog(), 64);

        let from_json: App = Figment::new().merge(Json::file("app.json")).extract()?;
        assert_eq!(from_json.server.listen, targets(&["127.0.0.1:9000"]));

        // One target from the environment replaces the file's.
        jail.set_env("APP_SERVER.LISTEN", "*:8080");
        let app: App = Figment::new()
            .merge(Toml::file("app.toml"))
            .merge(Env::prefixed("APP_").split("."))
            .extract()?;
        assert_eq!(app.server.listen, targets(&["*:8080"]));
        assert_eq!(
            app.server.options.get_backlog(),
            64,
            "the file's other keys stay"
        );

        // A list from the environment, in figment's array syntax.
        jail.set_env("APP_SERVER.LISTEN", r#"["127.0.0.1:8080", "[::1]:8080"]"#);
        let app: App = Figment::new()
            .merge(Toml::file("app.toml"))
            .merge(Env::prefixed("APP_").split("."))
            .extract()?;
        assert_eq!(
            app.server.listen,
            targets(&["127.0.0.1:8080", "[::1]:8080"])
        );
        Ok(())
    });
}

#[test]
fn a_serialized_config_round_trips_through_figment() {
    let config = ListenConfig::new(targets(&["localhost:0", "[::1]:9"]));
    let back: ListenConfig = Figment::from(Serialized::defaults(&config))
        .extract()
        .unwrap();
    assert_eq!(back, config);
}
