//! Writes the fuzz seeds (`esac_keystore::fuzzing::seeds`) into a corpus directory:
//! `cargo run -p esac-keystore --example write_fuzz_seeds -- crates/keystore/fuzz/corpus/keystore_parse`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: write_fuzz_seeds <corpus-dir>");
        return ExitCode::from(64);
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return ExitCode::from(73);
    }
    for (i, seed) in esac_keystore::fuzzing::seeds().iter().enumerate() {
        let path = dir.join(format!("seed-{i:02}"));
        if let Err(e) = std::fs::write(&path, seed) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::from(74);
        }
    }
    ExitCode::SUCCESS
}
