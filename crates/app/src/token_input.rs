//! Where the enrollment token of `init` and `reconfigure` comes from. The token is a bearer
//! credential (it fetches the cluster's CA and transport private keys), and a command-line value
//! is readable by every local user in `/proc/<pid>/cmdline` for the whole run. So it can also
//! come from a file (`--enrollment-token-file PATH`, `-` for standard input) or from the
//! `ENROLLMENT_TOKEN` environment variable, as in Elasticsearch's Docker image
//! (`/proc/<pid>/environ` is readable by the process owner only).
//!
//! Reads are bounded; a trailing line break (and any trailing white space, which a token never
//! holds) is dropped; the text is never echoed, errors name only where it was read from.

use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

use esac_core::EsExit;
use esac_secret::Secret;
use zeroize::Zeroizing;

use crate::{env, Failure};

/// A token is about 200 bytes; a file or line longer than this is not a token.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Where the token is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// A file.
    File(PathBuf),
    /// The first line of standard input (`--enrollment-token-file -`).
    Stdin,
    /// The `ENROLLMENT_TOKEN` environment variable.
    Env,
}

impl TokenSource {
    /// How the source is named in messages.
    pub fn name(&self) -> String {
        match self {
            TokenSource::File(p) => format!("[{}]", p.display()),
            TokenSource::Stdin => "standard input".to_owned(),
            TokenSource::Env => format!("the {} environment variable", env::ENROLLMENT_TOKEN),
        }
    }
}

/// The enrollment token of a run: `--enrollment-token` (the command line), else
/// `--enrollment-token-file`, else a non-empty `ENROLLMENT_TOKEN`, else none. The command line
/// parser refuses the two options together.
pub fn enrollment_token(
    argv: Option<&str>,
    file: Option<&Path>,
) -> Result<Option<Secret>, Failure> {
    if let Some(t) = argv {
        return Ok(Some(Secret::from_str_copy(t)));
    }
    let source = match file {
        Some(p) if p.as_os_str() == "-" => TokenSource::Stdin,
        Some(p) => TokenSource::File(p.to_path_buf()),
        None => match std::env::var_os(env::ENROLLMENT_TOKEN) {
            Some(v) if !v.is_empty() => TokenSource::Env,
            _ => return Ok(None),
        },
    };
    read(&source).map(Some)
}

/// Reads the token from `source`.
pub fn read(source: &TokenSource) -> Result<Secret, Failure> {
    let fail = |exit: EsExit, why: String| Failure::TokenInput {
        exit,
        message: format!(
            "cannot read the enrollment token from {}: {why}",
            source.name()
        ),
    };
    let bytes = match source {
        TokenSource::File(path) => {
            let file = open_regular(path).map_err(|e| fail(EsExit::NoInput, e.to_string()))?;
            read_bounded(file).map_err(|e| fail(EsExit::NoInput, e.to_string()))?
        }
        TokenSource::Stdin => {
            let mut line = Zeroizing::new(Vec::new());
            io::stdin()
                .lock()
                .take(MAX_TOKEN_LEN as u64 + 1)
                .read_until(b'\n', &mut line)
                .map_err(|e| fail(EsExit::NoInput, e.to_string()))?;
            line
        }
        TokenSource::Env => match std::env::var_os(env::ENROLLMENT_TOKEN) {
            Some(v) => Zeroizing::new(std::os::unix::ffi::OsStringExt::into_vec(v)),
            None => Zeroizing::new(Vec::new()),
        },
    };
    if bytes.len() > MAX_TOKEN_LEN {
        return Err(fail(
            EsExit::DataError,
            format!("longer than {MAX_TOKEN_LEN} bytes, it is not an enrollment token"),
        ));
    }
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    if end == 0 {
        return Err(fail(EsExit::DataError, "it is empty".to_owned()));
    }
    Ok(Secret::new(bytes[..end].to_vec()))
}

/// Opens `path` for reading without blocking on a FIFO, and only if it is a regular file (or a
/// link to one).
fn open_regular(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

/// At most one byte past [`MAX_TOKEN_LEN`], into a buffer that is wiped when dropped.
fn read_bounded(file: std::fs::File) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_TOKEN_LEN + 1));
    file.take(MAX_TOKEN_LEN as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(content: &[u8]) -> tempfile::NamedTempFile {
        use std::io::Write;
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content).unwrap();
        f
    }

    #[test]
    fn files_lose_their_line_break_and_are_bounded() {
        for content in [&b"abc"[..], b"abc\n", b"abc\r\n", b"abc \n\n"] {
            let f = file_with(content);
            let t = read(&TokenSource::File(f.path().into())).unwrap();
            assert_eq!(t.expose(), b"abc", "{content:?}");
        }
        let f = file_with(&vec![b'a'; MAX_TOKEN_LEN + 1]);
        let e = read(&TokenSource::File(f.path().into())).unwrap_err();
        assert_eq!(e.exit(), EsExit::DataError);
        assert!(
            e.message().contains("longer than 16384 bytes"),
            "{}",
            e.message()
        );
        let f = file_with(b"\n");
        let e = read(&TokenSource::File(f.path().into())).unwrap_err();
        assert_eq!(
            e.message(),
            format!(
                "cannot read the enrollment token from [{}]: it is empty",
                f.path().display()
            )
        );
    }

    #[test]
    fn errors_name_the_source_never_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let e = read(&TokenSource::File(missing.clone())).unwrap_err();
        assert_eq!(e.exit(), EsExit::NoInput);
        assert!(e.message().starts_with(&format!(
            "cannot read the enrollment token from [{}]: ",
            missing.display()
        )));
        let e = read(&TokenSource::File(dir.path().into())).unwrap_err();
        assert_eq!(e.exit(), EsExit::NoInput, "{}", e.message());
        let f = file_with(&[b"secret-token-value".repeat(1000), b"x".to_vec()].concat());
        let e = read(&TokenSource::File(f.path().into())).unwrap_err();
        assert!(!e.message().contains("secret-token-value"));
    }
}
