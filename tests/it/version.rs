//! Version awareness: an Elasticsearch found as `<home>/lib/elasticsearch-X.Y.Z.jar` decides the
//! keystore format (5 before 8.14, 6 from 8.14), and the dry run says what was detected.

use esac_testkit::Home;

use crate::common::STOCK_YML;
use crate::ES_AUTOCONF;

fn with_jar(version: &str) -> Home {
    let home = ES_AUTOCONF.home(STOCK_YML);
    std::fs::create_dir(home.path().join("lib")).unwrap();
    for jar in [
        format!("elasticsearch-{version}.jar"),
        format!("elasticsearch-core-{version}.jar"),
    ] {
        std::fs::write(home.path().join("lib").join(jar), b"PK").unwrap();
    }
    home
}

fn keystore_version(home: &Home) -> u32 {
    let bytes = std::fs::read(home.config().join("elasticsearch.keystore")).unwrap();
    u32::from_be_bytes(bytes[27..31].try_into().unwrap())
}

#[test]
fn elasticsearch_8_13_gets_a_version_5_keystore() {
    let home = with_jar("8.13.4");
    let run = home.run(&["init", "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("Elasticsearch version: 8.13.4 (from lib/)"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("format version 5 (Elasticsearch 8.13.4 found under lib/ reads version 5)"),
        "{run:?}"
    );
    let run = home.init(&["--key-type", "ecdsa-p256"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(keystore_version(&home), 5);
}

#[test]
fn elasticsearch_9_gets_a_version_6_keystore_and_the_flag_wins() {
    let home = with_jar("9.1.0");
    let run = home.run(&["init", "--dry-run", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["plan"]["elasticsearch_version"], "9.1.0");
    assert_eq!(v["plan"]["keystore"]["format_version"], 6);
    let run = home.init(&["--key-type", "ecdsa-p256", "--keystore-format", "5"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(keystore_version(&home), 5);

    let home = with_jar("9.1.0");
    assert_eq!(home.init(&["--key-type", "ecdsa-p256"]).code, 0);
    assert_eq!(keystore_version(&home), 6);
}
