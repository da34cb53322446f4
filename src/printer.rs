//! The one printer of every command (uv's `Printer`): it knows the output format, quiet or
//! verbose, and whether standard output is a terminal. Data goes to stdout, everything else to
//! stderr; under `--format json` stdout holds exactly one JSON document, also for failures.
//! [`Printer::secret`] is the only way a secret reaches the terminal. Styling (bold) is used only
//! on a terminal, and not when `NO_COLOR` is set (not empty) or `TERM` is `dumb`.

use std::cell::RefCell;
use std::io::{self, BufRead, IsTerminal, Write};

use esac_app::{env, Console, Failure};
use esac_secret::Secret;
use serde::Serialize;

use crate::cli::{Format, GlobalArgs};
use crate::json;

/// How much goes to stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// Errors only (`-s`).
    Silent,
    /// The default.
    Normal,
    /// Also Elasticsearch's VERBOSE messages and error details (`-v`).
    Verbose,
}

/// The printer.
pub struct Printer {
    /// Output format.
    pub format: Format,
    /// Verbosity.
    pub verbosity: Verbosity,
    stdout_tty: bool,
    stdin_tty: bool,
    styled: bool,
    stderr_tty: bool,
    progress_shown: std::cell::Cell<usize>,
    notes: RefCell<Vec<String>>,
}

impl Printer {
    /// From the global options and the real terminal.
    pub fn new(global: &GlobalArgs) -> Self {
        let stdout_tty = io::stdout().is_terminal();
        let no_color = env::lookup(env::NO_COLOR).is_some_and(|v| !v.is_empty());
        let dumb = env::lookup(env::TERM).is_some_and(|v| v == "dumb");
        Self {
            format: global.format,
            verbosity: if global.silent {
                Verbosity::Silent
            } else if global.verbose {
                Verbosity::Verbose
            } else {
                Verbosity::Normal
            },
            stdout_tty,
            stdin_tty: io::stdin().is_terminal(),
            styled: stdout_tty && !no_color && !dumb,
            stderr_tty: io::stderr().is_terminal(),
            progress_shown: std::cell::Cell::new(0),
            notes: RefCell::new(Vec::new()),
        }
    }

    /// `-s` was given.
    pub fn silent(&self) -> bool {
        self.verbosity == Verbosity::Silent
    }

    /// The escape sequences that start and end bold text on standard output, or empty strings
    /// where styling is off.
    pub fn bold(&self) -> (&'static str, &'static str) {
        if self.styled {
            ("\x1b[1m", "\x1b[22m")
        } else {
            ("", "")
        }
    }

    /// The notes collected so far.
    pub fn notes(&self) -> Vec<String> {
        self.notes.borrow().clone()
    }

    /// Writes to stdout; a closed pipe (`| head`, a dropped SSH session) is not worth a panic or
    /// a different exit status once the work is done.
    pub fn out(&self, text: &str) {
        let mut o = io::stdout().lock();
        let _ = o.write_all(text.as_bytes()).and_then(|()| o.flush());
    }

    /// Writes a line to stderr (ignoring a closed stream).
    pub fn err(&self, text: &str) {
        let mut e = io::stderr().lock();
        let _ = writeln!(e, "{text}");
    }

    /// A line for the operator on stderr, unless `-s`.
    pub fn info(&self, text: &str) {
        if !self.silent() {
            self.err(text);
        }
    }

    /// The one JSON document of this command on stdout.
    pub fn json(&self, doc: &impl Serialize) {
        match serde_json::to_string_pretty(doc) {
            Ok(s) => self.out(&format!("{s}\n")),
            Err(e) => self.err(&format!("ERROR: cannot render JSON: {e}")),
        }
    }

    /// The one place a secret is written to stdout: callers have checked that it may be shown
    /// (a terminal, or an explicit `--reveal`). The text is built in a buffer that is wiped.
    pub fn secret(&self, parts: &[&[u8]]) {
        let mut buf =
            zeroize::Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
        for p in parts {
            buf.extend_from_slice(p);
        }
        let mut o = io::stdout().lock();
        let _ = o.write_all(&buf).and_then(|()| o.flush());
    }

    /// Reports a failure in the chosen format and returns the exit status: Elasticsearch's
    /// per-address lines and `ERROR: <message>` on stderr (the detail with `-v`), and under
    /// `--format json` the error document on stdout.
    pub fn failure(
        &self,
        command: &'static str,
        f: &Failure,
        paths: Option<&esac_app::Paths>,
    ) -> u8 {
        self.failure_with_exit(command, f, paths, f.exit_code())
    }

    /// A failure in monitoring mode (`status --exit-codes nagios`): an `UNKNOWN` status line on
    /// stdout (text) and exit 3.
    pub fn monitoring_failure(
        &self,
        command: &'static str,
        f: &Failure,
        paths: Option<&esac_app::Paths>,
    ) -> u8 {
        if self.format == Format::Text {
            let first = f.message();
            let first = first.lines().next().unwrap_or_default();
            self.out(&format!("ES-AUTOCONF UNKNOWN - {first}\n"));
        }
        self.failure_with_exit(command, f, paths, f.monitoring_exit_code())
    }

    fn failure_with_exit(
        &self,
        command: &'static str,
        f: &Failure,
        paths: Option<&esac_app::Paths>,
        exit: u8,
    ) -> u8 {
        let attempts = f.attempts();
        for a in &attempts {
            self.err(a);
        }
        if self.format == Format::Json {
            let mut notes = self.notes();
            notes.extend(attempts.into_iter().filter(|a| !a.is_empty()));
            self.json(&json::Report::error(command, f, paths, notes, exit));
        }
        self.err(&format!("ERROR: {}", f.message()));
        if let (Verbosity::Verbose, Some(d)) = (self.verbosity, f.detail()) {
            self.err(&format!("Caused by: {d}"));
        }
        exit
    }
}

impl Console for Printer {
    fn stdout_is_terminal(&self) -> bool {
        self.stdout_tty
    }

    fn stdin_is_terminal(&self) -> bool {
        self.stdin_tty
    }

    fn note(&self, text: &str) {
        if self.format == Format::Text {
            self.info(text);
        }
        self.notes.borrow_mut().push(text.to_owned());
    }

    fn confirm(&self, lines: &[&str], question: &str) -> io::Result<bool> {
        for l in lines {
            self.err(l);
        }
        let mut e = io::stderr().lock();
        write!(e, "{question} [y/N]")?;
        e.flush()?;
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line)?;
        Ok(matches!(
            line.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }

    fn read_secret(&self, prompt: &str) -> io::Result<Secret> {
        rpassword::prompt_password(prompt).map(Secret::from_string)
    }

    fn progress(&self, line: Option<&str>) {
        if !self.stderr_tty || self.silent() || self.format == Format::Json {
            return;
        }
        let mut e = io::stderr().lock();
        // A carriage return and spaces: no escape sequence, so it works on any terminal.
        let _ = write!(e, "\r{}\r", " ".repeat(self.progress_shown.get()));
        match line {
            Some(l) => {
                let _ = write!(e, "{l}");
                self.progress_shown.set(l.chars().count());
            }
            None => self.progress_shown.set(0),
        }
        let _ = e.flush();
    }
}
