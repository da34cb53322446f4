//! `finalize` reads formation evidence that Lucene itself wrote (feature `interop`: a JDK and
//! Debian's `liblucene8-java`, or `ESAC_LUCENE_CORE_JAR`; a missing one fails the test):
//! `tests/java/LuceneCommit.java` commits an index with the commit user data Elasticsearch's
//! persisted cluster state carries, and the node is finalized, or refused, accordingly.

use std::path::Path;
use std::time::Duration;

use esac_testkit::tools::run_java_with_lucene;

use crate::common::STOCK_YML;
use crate::ES_AUTOCONF;

/// Commits a Lucene index in `dir` (created when missing) whose commit user data is `data`
/// (`key=value`), with `tests/java/LuceneCommit.java`.
pub fn lucene_commit(dir: &Path, data: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/LuceneCommit.java");
    let args = std::iter::once(dir.as_os_str()).chain(data.iter().map(|d| d.as_ref()));
    run_java_with_lucene(&program, args, b"", Duration::from_secs(300));
}

#[test]
fn formation_written_by_lucene_decides_finalize() {
    // (commit user data, exit code, evidence)
    let rows: &[(&[&str], i32, &str)] = &[
        (
            &[
                "cluster_uuid=Q8bn8mXpT1aQmNmeK4fJ0w",
                "cluster_uuid_committed=true",
                "current_term=1",
                "last_accepted_version=12",
                "node_id=abc",
                "node_version=8080099",
            ],
            0,
            "cluster_uuid_committed",
        ),
        (
            &["current_term=1", "last_accepted_version=3"],
            0,
            "last_accepted_version",
        ),
        (
            &["cluster_uuid_committed=false", "last_accepted_version=0"],
            78,
            "none",
        ),
    ];
    for (data, code, evidence) in rows {
        let home = ES_AUTOCONF.home(STOCK_YML);
        let run = home.init(&["--key-type", "ecdsa-p256", "--keystore-format", "5"]);
        assert_eq!(run.code, 0, "{run:?}");
        lucene_commit(&home.path().join("data/_state"), data);
        let run = home.run(&["finalize", "--format", "json"]);
        assert_eq!(run.code, *code, "{data:?}: {run:?}");
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(doc["cluster"]["evidence"], *evidence, "{data:?}");
    }
}
