//! Outside programs for the interop tests: the JDK, openssl, Python with `cryptography` and
//! `bcrypt`, util-linux `script`. Every check here fails, never skips, when a program is missing,
//! and says to run `cargo xtask deps`, which installs them all.
//!
//! Only tests behind a package's `interop` feature call these; a plain `cargo test` needs none of
//! them.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The path of `name` on `PATH`; panics, saying how to install it, when there is none.
#[track_caller]
pub fn require_tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    match found {
        Some(p) => p,
        None => panic!("`{name}` is not on PATH: run `cargo xtask deps`"),
    }
}

/// Panics, saying how to install it, unless `python3` can import `module`.
#[track_caller]
pub fn require_python_module(module: &str) {
    let ok = Command::new(require_tool("python3"))
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python3 cannot import `{module}`: run `cargo xtask deps`"
    );
}

/// Runs `cmd` with `stdin` as its input and its output captured; kills it (by its own handle)
/// when it runs longer than `limit`, and then panics.
#[track_caller]
pub fn run_tool(cmd: &mut Command, stdin: &[u8], limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?} ({e}): run `cargo xtask deps`"));
    // Feed stdin and drain both pipes on their own threads, so that a program blocked on a full
    // pipe cannot look like one that hangs.
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).map(|_| bytes)
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break (status, false);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            break (child.wait().expect("wait"), true);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = Output {
        status,
        stdout: stdout.join().unwrap().expect("read stdout"),
        stderr: stderr.join().unwrap().expect("read stderr"),
    };
    assert!(
        !timed_out,
        "{cmd:?} ran longer than {limit:?}\n{}",
        text(&out)
    );
    writer.join().unwrap().expect("write stdin");
    out
}

/// stdout followed by stderr, as text.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// [`text`], after asserting that the program succeeded.
#[track_caller]
pub fn success(what: &str, out: &Output) -> String {
    let text = text(out);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    text
}

/// The lucene-core 8 jar: the one `ESAC_LUCENE_CORE_JAR` names, else the newest in
/// `/usr/share/java` (Debian's `liblucene8-java`); panics, saying how to install it, when there is
/// none.
#[track_caller]
pub fn lucene_core_jar() -> PathBuf {
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

/// Runs the single-file Java program `program` (the JDK compiles it at launch) with
/// [`lucene_core_jar`] on its class path, `args` after it and `stdin` as its input, through
/// [`run_tool`]; panics unless it succeeds.
#[track_caller]
pub fn run_java_with_lucene<I, S>(program: &Path, args: I, stdin: &[u8], limit: Duration) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = run_tool(
        Command::new(require_tool("java"))
            .arg("-cp")
            .arg(lucene_core_jar())
            .arg(program)
            .args(args),
        stdin,
        limit,
    );
    let name = program.file_stem().unwrap_or_default().to_string_lossy();
    success(&format!("java {name}"), &out);
    out
}

/// Verifies a bcrypt hash with Python's `bcrypt` module (independent of the Rust crate).
#[track_caller]
pub fn python_bcrypt_verify(password: &str, hash: &str) -> bool {
    const CHECK: &str = "import sys\ntry:\n import bcrypt\nexcept ImportError:\n sys.exit(3)\n\
                         sys.exit(0 if bcrypt.checkpw(sys.argv[1].encode(), sys.argv[2].encode()) else 1)";
    let out = Command::new(require_tool("python3"))
        .args(["-c", CHECK, password, hash])
        .output()
        .expect("python3 is missing: run `cargo xtask deps`");
    match out.status.code() {
        Some(0) => true,
        Some(1) => false,
        Some(3) => panic!("the Python bcrypt module is missing: run `cargo xtask deps`"),
        other => panic!(
            "python bcrypt check failed ({other:?}): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}
