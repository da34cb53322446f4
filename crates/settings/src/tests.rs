//! Unit tests of the settings model: flattening, lists, placeholders, overrides, errors.

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> Result<Settings, SettingsError> {
    Settings::from_yaml(text, "/conf/elasticsearch.yml", &no_env)
}

#[test]
fn nested_and_flat_keys_are_the_same_setting() {
    let a = parse("xpack:\n  security:\n    enabled: true\n").unwrap();
    let b = parse("xpack.security.enabled: true\n").unwrap();
    let c = parse("xpack.security:\n  enabled: true\n").unwrap();
    assert_eq!(a, b);
    assert_eq!(b, c);
    assert_eq!(a.get_str("xpack.security.enabled"), Some("true"));
}

#[test]
fn lists_stay_lists_and_scalars_split_on_commas() {
    let s = parse("cluster.initial_master_nodes: [\"a\", \"b\"]\ndiscovery.seed_hosts: h1, h2\nnode.roles: []\n").unwrap();
    assert_eq!(
        s.get("cluster.initial_master_nodes"),
        Some(&Value::List(vec!["a".into(), "b".into()]))
    );
    assert_eq!(s.get_list("discovery.seed_hosts"), vec!["h1", "h2"]);
    assert_eq!(s.get("node.roles"), Some(&Value::List(vec![])));
    assert!(s.has_value("node.roles"));
}

#[test]
fn null_values_exist_but_have_no_value() {
    let s = parse("xpack.security.enabled:\n").unwrap();
    assert!(s.exists("xpack.security.enabled"));
    assert!(!s.has_value("xpack.security.enabled"));
}

#[test]
fn empty_and_comment_only_files_are_empty_settings() {
    assert!(parse("").unwrap().is_empty());
    assert!(parse("# ---- Cluster ----\n#cluster.name: my-app\n")
        .unwrap()
        .is_empty());
}

#[test]
fn duplicate_key_through_nesting_is_an_error_naming_file_and_line() {
    let e = parse("xpack.security.enabled: true\nxpack:\n  security:\n    enabled: false\n")
        .unwrap_err();
    match &e {
        SettingsError::DuplicateKey { key, line, file } => {
            assert_eq!(key, "xpack.security.enabled");
            assert_eq!(*line, Some(4));
            assert_eq!(file, "/conf/elasticsearch.yml");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(e.to_string().contains("/conf/elasticsearch.yml"));
}

#[test]
fn repeated_literal_key_is_an_error() {
    let e = parse("node.name: a\nnode.name: b\n").unwrap_err();
    assert!(
        matches!(e, SettingsError::DuplicateKey { ref key, .. } if key == "node.name"),
        "{e:?}"
    );
    assert!(e.to_string().contains("line 2"), "{e}");
}

#[test]
fn invalid_yaml_names_file_and_line() {
    let e = parse("a: b\nc: [d\ne: f\n").unwrap_err();
    assert!(
        matches!(e, SettingsError::InvalidYaml { line: Some(_), .. }),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("/conf/elasticsearch.yml") && msg.contains("line"),
        "{msg}"
    );
}

#[test]
fn non_mapping_top_level_is_an_error() {
    assert!(matches!(
        parse("- a\n- b\n"),
        Err(SettingsError::NotAMapping { .. })
    ));
    assert!(matches!(
        parse("just text\n"),
        Err(SettingsError::NotAMapping { .. })
    ));
}

#[test]
fn non_utf8_names_file_and_line() {
    let e = Settings::from_yaml_bytes(b"a: b\nc: \xff\n", "/x.yml", &no_env).unwrap_err();
    assert_eq!(
        e,
        SettingsError::NotUtf8 {
            file: "/x.yml".into(),
            line: 2
        }
    );
}

#[test]
fn placeholders_resolve_from_env_with_defaults() {
    let env = |k: &str| (k == "NODE").then(|| "node-7".to_owned());
    let s = Settings::from_yaml(
        "node.name: ${NODE}\npath.data: ${DATA:/var/data}\nx: pre-${NODE}-post\n",
        "f",
        &env,
    )
    .unwrap();
    assert_eq!(s.get_str("node.name"), Some("node-7"));
    assert_eq!(s.get_str("path.data"), Some("/var/data"));
    assert_eq!(s.get_str("x"), Some("pre-node-7-post"));
    let e = Settings::from_yaml("node.name: ${MISSING}\n", "f", &env).unwrap_err();
    assert!(
        matches!(e, SettingsError::UnresolvedPlaceholder { ref name, .. } if name == "MISSING")
    );
}

#[test]
fn overrides_follow_elasticsearch_rules() {
    let ok = parse_overrides(&["a=1".into(), "b=x=y".into()]).unwrap();
    assert_eq!(
        ok,
        vec![("a".into(), "1".into()), ("b".into(), "x=y".into())]
    );
    let e = parse_overrides(&["a=".into()]).unwrap_err();
    assert_eq!(e.to_string(), "setting [a] must not be empty");
    let e = parse_overrides(&["a=1".into(), "a=2".into()]).unwrap_err();
    assert_eq!(e.to_string(), "setting [a] set twice via command line -E");
    assert!(e.is_usage());
    let mut s = parse("node.name: from-file\n").unwrap();
    s.apply_overrides(&[("node.name".into(), "from-cli".into())], &no_env)
        .unwrap();
    assert_eq!(s.get_str("node.name"), Some("from-cli"));
}

#[test]
fn strict_booleans() {
    let s = parse("a: true\nb: false\nc: yes\n").unwrap();
    assert_eq!(s.get_bool("a", false), Ok(true));
    assert_eq!(s.get_bool("b", true), Ok(false));
    assert_eq!(s.get_bool("missing", true), Ok(true));
    assert!(s.get_bool("c", true).is_err());
}

#[test]
fn prefix_queries() {
    let s = parse("xpack.security.http.ssl.enabled: false\nxpack.security.http.sslx: 1\n").unwrap();
    assert!(s.any_with_prefix("xpack.security.http.ssl."));
    assert!(!s.any_with_prefix("xpack.security.transport.ssl."));
    assert_eq!(s.keys_with_prefix("xpack.security.http.ssl.").count(), 1);
}

#[test]
fn malformed_inputs_never_panic() {
    for text in [
        "{",
        "a: &x [*x]",
        "? [a]\n: b",
        "a: !!binary AAAA",
        "\t- \0",
        "a:\n  - {b: c}\n  - d",
        "[1, {a: b}]",
    ] {
        let _ = parse(text);
    }
}
