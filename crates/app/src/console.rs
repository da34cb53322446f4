//! What a flow needs from the terminal, implemented by the binary's printer: whether standard
//! output and input are terminals, notes for the operator (stderr or the JSON document), and the
//! interactive prompts. Flows never print by themselves.

use std::io;

use esac_secret::Secret;

/// The operator's side of a run.
pub trait Console {
    /// Standard output is a terminal (a secret may be shown there, once).
    fn stdout_is_terminal(&self) -> bool;
    /// Standard input is a terminal (a question may be asked).
    fn stdin_is_terminal(&self) -> bool;
    /// A note for the operator: printed to stderr as it happens in text mode, collected into
    /// the JSON document's `notes` otherwise. Never contains a secret.
    fn note(&self, text: &str);
    /// Shows `lines`, then asks `question` with default "no"; only called with a terminal.
    fn confirm(&self, lines: &[&str], question: &str) -> io::Result<bool>;
    /// Reads a secret without echo after `prompt`; only called with a terminal.
    fn read_secret(&self, prompt: &str) -> io::Result<Secret>;
    /// A progress line while slow work runs (`Some`), cleared when it is over (`None`); shown
    /// only where a person watches (a terminal), never in logs or JSON.
    fn progress(&self, line: Option<&str>);
}
