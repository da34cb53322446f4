//! `finalize` reads formation evidence that Lucene itself wrote (feature `interop`: a JDK and
//! Debian's `liblucene8-java`, or `ESAC_LUCENE_CORE_JAR`; a missing one fails the test):
//! `tests/java/LuceneCommit.java` commits an index with the commit user data Elasticsearch's
//! persisted cluster state carries, and the node is finalized, or refused, accordingly.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use esac_testkit::tools::{require_tool, run_tool, success};

use crate::common::STOCK_YML;
use crate::ES_AUTOCONF;

fn lucene_core_jar() -> PathBuf {
    if let Some(p) = std::env::var_os("ESAC_LUCENE_CORE_JAR") {
        return PathBuf::from(p);
    }
    let mut jars: Vec<PathBuf> = std::fs::read_dir("/usr/share/java")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with("lucene-core-8") && name.ends_with(".jar")
        })
        .collect();
    jars.sort();
    jars.pop().expect(
        "no lucene-core 8 jar in /usr/share/java (and ESAC_LUCENE_CORE_JAR is not set): \
         run `cargo xtask deps`",
    )
}

fn lucene_commit(dir: &Path, data: &[&str]) {
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/LuceneCommit.java");
    let out = run_tool(
        Command::new(require_tool("java"))
            .arg("-cp")
            .arg(lucene_core_jar())
            .arg(program)
            .arg(dir)
            .args(data),
        b"",
        Duration::from_secs(300),
    );
    success("java LuceneCommit", &out);
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
        let state = home.path().join("data/_state");
        std::fs::create_dir_all(&state).unwrap();
        lucene_commit(&state, data);
        let run = home.run(&["finalize", "--format", "json"]);
        assert_eq!(run.code, *code, "{data:?}: {run:?}");
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(doc["cluster"]["evidence"], *evidence, "{data:?}");
    }
}
