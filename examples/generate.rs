//! The man pages and shell completions of `es-autoconf`, generated from the clap definitions in
//! `src/cli.rs` (compiled in here as they are), never written by hand:
//!
//! ```sh
//! cargo run --example generate -- OUT_DIR
//! ```
//!
//! writes `OUT_DIR/man/es-autoconf.1` and one page per command (`es-autoconf-init.1`,
//! `es-autoconf-keystore-list.1`, ...), and `OUT_DIR/completions/` with `es-autoconf.bash`,
//! `_es-autoconf` (zsh) and `es-autoconf.fish`. `cargo xtask dist` runs it.
//!
//! The pages of `es-autoconf` and of `es-autoconf init` also carry EXIT STATUS, REASON CODES and
//! ENVIRONMENT, rendered from the tables of the same names in `docs/cli.md`, the documented
//! contract (whose reason codes a test of the binary checks against the code).

#[allow(dead_code)]
#[path = "../src/cli.rs"]
mod cli;

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

const CLI_MD: &str = include_str!("../docs/cli.md");
const NAME: &str = "es-autoconf";

/// A table of `docs/cli.md`: its header cells and rows, from the line after `### {title}`.
struct Table {
    title: &'static str,
    rows: Vec<Vec<String>>,
}

/// Splits a Markdown table row on `|`, keeping escaped `\|` inside cells.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                if let Some(last) = out.last_mut() {
                    last.push('|');
                }
            }
            '|' => out.push(String::new()),
            c => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// The first table after the heading `### {title}` (the heading's text up to its first `(`).
fn table(doc: &str, title: &'static str) -> Result<Table, String> {
    let mut lines = doc.lines().skip_while(|l| {
        l.strip_prefix("### ")
            .map(|h| h.split(" (").next().unwrap_or_default().trim() != title)
            .unwrap_or(true)
    });
    if lines.next().is_none() {
        return Err(format!("docs/cli.md has no `### {title}` section"));
    }
    let rows: Vec<Vec<String>> = lines
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // the header and the `|---|` line
        .map(cells)
        .collect();
    if rows.is_empty() {
        return Err(format!("docs/cli.md's `### {title}` has no table"));
    }
    Ok(Table { title, rows })
}

/// Markdown inline text to roff: `code` in bold, the rest roman.
fn inline(text: &str) -> Vec<roff::Inline> {
    text.split('`')
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| {
            if i % 2 == 1 {
                roff::bold(s)
            } else {
                roff::roman(s)
            }
        })
        .collect()
}

/// EXIT STATUS, REASON CODES and ENVIRONMENT, from `docs/cli.md`.
fn contract_sections(doc: &str) -> Result<roff::Roff, String> {
    let mut r = roff::Roff::new();
    let exit = table(doc, "Exit codes")?;
    let reasons = table(doc, "Reason codes")?;
    let environment = table(doc, "Environment")?;
    r.control("SH", ["EXIT STATUS"]);
    for row in &exit.rows {
        let [code, name, when] = &row[..] else {
            return Err(format!("{}: a row without 3 cells: {row:?}", exit.title));
        };
        r.control("TP", []);
        let mut head = vec![roff::bold(code.as_str())];
        if !name.is_empty() {
            head.push(roff::roman(format!(" ({name})")));
        }
        r.text(head);
        r.text(inline(when));
    }
    r.control("SH", ["REASON CODES"]);
    r.text([roff::roman(
        "With --format json, reason.code in the JSON document says why a run configured, skipped or failed:",
    )]);
    for row in &reasons.rows {
        let [code, exit, meaning] = &row[..] else {
            return Err(format!("{}: a row without 3 cells: {row:?}", reasons.title));
        };
        r.control("TP", []);
        r.text([
            roff::bold(code.trim_matches('`')),
            roff::roman(format!(" (exit {exit})")),
        ]);
        r.text(inline(meaning));
    }
    r.control("SH", ["ENVIRONMENT"]);
    for row in &environment.rows {
        let [name, meaning] = &row[..] else {
            return Err(format!(
                "{}: a row without 2 cells: {row:?}",
                environment.title
            ));
        };
        r.control("TP", []);
        r.text([roff::bold(name.trim_matches('`'))]);
        r.text(inline(meaning));
    }
    r.control("SH", ["SEE ALSO"]);
    r.text([roff::roman(
        "The full command-line reference, docs/cli.md in the source, and docs/packaging.md for package post-install hooks (/usr/share/doc/es-autoconf/README.md in the Debian package).",
    )]);
    Ok(r)
}

/// Every command that gets a page: the binary and its visible subcommands, recursively, as
/// clap_mangen's `generate_to` walks them.
fn commands(cmd: &clap::Command, out: &mut Vec<clap::Command>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        commands(sub, out);
    }
    out.push(cmd.clone());
}

/// The man pages, by file name.
fn man_pages() -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut root = cli::Cli::command().disable_help_subcommand(true);
    root.build();
    let mut all = Vec::new();
    commands(&root, &mut all);
    let contract = contract_sections(CLI_MD)?;
    let mut pages = Vec::new();
    for cmd in all {
        let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_owned();
        let man = clap_mangen::Man::new(cmd).manual("es-autoconf manual");
        let mut page = Vec::new();
        man.render(&mut page).map_err(|e| e.to_string())?;
        if name == NAME || name == format!("{NAME}-init") {
            // Before VERSION, the page's last section, as man-pages(7) orders them.
            let page_text = String::from_utf8(page).map_err(|e| e.to_string())?;
            let at = page_text
                .find("\n.SH VERSION")
                .map_or(page_text.len(), |i| i + 1);
            let (head, tail) = page_text.split_at(at);
            let mut with = head.as_bytes().to_vec();
            contract.to_writer(&mut with).map_err(|e| e.to_string())?;
            with.extend_from_slice(tail.as_bytes());
            page = with;
        }
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

/// The completion scripts, by file name.
fn completions() -> Vec<(String, Vec<u8>)> {
    [
        (Shell::Bash, format!("{NAME}.bash")),
        (Shell::Zsh, format!("_{NAME}")),
        (Shell::Fish, format!("{NAME}.fish")),
    ]
    .into_iter()
    .map(|(shell, file)| {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cli::Cli::command(), NAME, &mut out);
        if shell == Shell::Bash {
            out = fix_bash(&String::from_utf8_lossy(&out)).into_bytes();
        }
        (file, out)
    })
    .collect()
}

/// clap_complete 4.6 spells the state of a subcommand of a hyphenated binary one way where its
/// bash script computes it (`es__autoconf__subcmd__init`) and another in the `case` arms that
/// use it (`es__subcmd__autoconf__subcmd__init`), so no option of a subcommand ever completes
/// (clap-rs/clap#6421). The arms are respelled the way the state is computed; once clap_complete
/// is fixed, there is nothing to respell.
fn fix_bash(script: &str) -> String {
    let escaped = NAME.replace('-', "__");
    let misspelled = NAME.replace('-', "__subcmd__");
    script.replace(&format!("{misspelled}__"), &format!("{escaped}__"))
}

fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn run() -> Result<(), String> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: cargo run --example generate -- OUT_DIR")?;
    write_all(&out.join("man"), &man_pages()?)?;
    write_all(&out.join("completions"), &completions())?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(name: &str) -> String {
        let pages = man_pages().unwrap();
        let (_, bytes) = pages
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no page {name}"));
        String::from_utf8(bytes.clone()).unwrap()
    }

    /// The text of a section of a page, up to the next `.SH`.
    fn section<'a>(page: &'a str, title: &str) -> &'a str {
        let start = page
            .find(&format!(".SH \"{title}\""))
            .or_else(|| page.find(&format!(".SH {title}")))
            .unwrap_or_else(|| panic!("no {title} section"));
        let rest = &page[start + 4..];
        &rest[..rest.find("\n.SH").unwrap_or(rest.len())]
    }

    #[test]
    fn every_command_has_a_page() {
        let names: Vec<String> = man_pages().unwrap().into_iter().map(|(n, _)| n).collect();
        for n in [
            "es-autoconf.1",
            "es-autoconf-init.1",
            "es-autoconf-reconfigure.1",
            "es-autoconf-enrollment-token.1",
            "es-autoconf-keystore.1",
            "es-autoconf-keystore-list.1",
            "es-autoconf-keystore-has-password.1",
            "es-autoconf-keystore-show.1",
        ] {
            assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
        }
        let init = page("es-autoconf-init.1");
        for flag in [
            "dry\\-run",
            "credentials\\-file",
            "enrollment\\-token",
            "group",
        ] {
            assert!(init.contains(flag), "{flag} not on the init page");
        }
    }

    /// Every reason code of the code's one vocabulary, and every exit status es-autoconf can
    /// exit with, is on the main page and on the init page.
    #[test]
    fn the_pages_list_every_reason_code_and_exit_status() {
        for name in ["es-autoconf.1", "es-autoconf-init.1"] {
            let page = page(name);
            let reasons = section(&page, "REASON CODES");
            for r in esac_core::Reason::ALL {
                let code = r.as_str();
                assert!(
                    reasons.contains(&format!("\\fB{code}\\fR")),
                    "{name}: reason {code} missing:\n{reasons}"
                );
            }
            let exits = section(&page, "EXIT STATUS");
            for e in esac_core::EsExit::ALL {
                if NEVER_USED.contains(&e) {
                    continue;
                }
                assert!(
                    exits.contains(&format!("\\fB{}\\fR", e.code())),
                    "{name}: exit {e} missing:\n{exits}"
                );
            }
            assert!(exits.contains("128+N"), "{exits}");
            let env = section(&page, "ENVIRONMENT");
            for v in [
                "ES_HOME",
                "ES_PATH_CONF",
                "ENROLLMENT_TOKEN",
                "NO_COLOR",
                "RUST_LOG",
                "TERM",
            ] {
                assert!(env.contains(v), "{name}: {v} missing:\n{env}");
            }
        }
    }

    /// Elasticsearch's exit codes that no es-autoconf code path returns, so the pages do not
    /// list them. A status that is returned (`EsExit::<Name>` in a library's code) must be listed.
    const NEVER_USED: [esac_core::EsExit; 3] = [
        esac_core::EsExit::NoUser,
        esac_core::EsExit::NoHost,
        esac_core::EsExit::NoPerm,
    ];

    #[test]
    fn the_unlisted_exit_statuses_are_never_returned() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        let mut dirs = vec![root.join("src"), root.join("crates")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                if p.is_dir() && name != "target" && name != "fuzz" && name != "tests" {
                    dirs.push(p);
                } else if name.ends_with(".rs") && name != "exit.rs" && name != "tests.rs" {
                    sources.push(p);
                }
            }
        }
        assert!(sources.len() > 20, "{sources:?}");
        for e in NEVER_USED {
            let variant = format!("{e:?}");
            for s in &sources {
                let text = std::fs::read_to_string(s).unwrap();
                assert!(
                    !text.contains(&format!("EsExit::{variant}")),
                    "{} returns {e}: list it in docs/cli.md's exit codes and remove it from NEVER_USED",
                    s.display()
                );
            }
        }
    }

    #[test]
    fn table_cells_keep_escaped_pipes() {
        assert_eq!(
            cells("| `--format text\\|json` | `text` | json |"),
            ["`--format text|json`", "`text`", "json"]
        );
    }

    #[test]
    fn a_missing_table_is_an_error() {
        assert!(contract_sections("# nothing\n").is_err());
        let only_exit =
            "### Exit codes\n\n| code | name | when |\n|---|---|---|\n| 0 | OK | done |\n";
        let err = contract_sections(only_exit).err().unwrap();
        assert!(err.contains("Reason codes"), "{err}");
    }

    /// Every state the bash script's dispatch `case` matches on is one its loop can compute, and
    /// every state the loop computes has an arm.
    #[test]
    fn the_bash_script_dispatches_every_subcommand() {
        let (_, bash) = completions()
            .into_iter()
            .find(|(f, _)| f.ends_with(".bash"))
            .unwrap();
        let bash = String::from_utf8(bash).unwrap();
        let mut computed: Vec<&str> = bash
            .lines()
            .filter_map(|l| l.trim().strip_prefix("cmd=\""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|c| !c.is_empty())
            .collect();
        computed.sort();
        computed.dedup();
        let dispatch = bash
            .split("    case \"${cmd}\" in\n")
            .nth(1)
            .expect("the dispatch case");
        let mut arms: Vec<&str> = dispatch
            .lines()
            .filter(|l| l.starts_with("        ") && !l.starts_with("         "))
            .filter_map(|l| l.trim().strip_suffix(')'))
            .collect();
        arms.sort();
        assert!(computed.len() > 10, "{computed:?}");
        assert_eq!(arms, computed);
        assert!(
            computed.contains(&"es__autoconf__subcmd__init"),
            "{computed:?}"
        );
    }

    #[test]
    fn completions_know_every_command_and_option() {
        for (file, bytes) in completions() {
            let text = String::from_utf8(bytes).unwrap();
            for word in [
                "init",
                "reconfigure",
                "enrollment-token",
                "keystore",
                "has-password",
                "credentials-file",
                "key-type",
                "ecdsa-p256",
            ] {
                assert!(text.contains(word), "{file}: {word} missing");
            }
        }
    }
}
