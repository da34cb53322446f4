//! `es-autoconf keystore list | has-password | show`.

use base64::Engine as _;
use esac_app::keystore::{self, Shown};
use esac_app::{Failure, Paths};

use crate::cli::{Format, KeystoreCommand};
use crate::json;
use crate::printer::Printer;

pub fn run(paths: &Paths, cmd: &KeystoreCommand, printer: &Printer) -> Result<u8, Failure> {
    let text = printer.format == Format::Text;
    match cmd {
        KeystoreCommand::List => {
            let names = keystore::list(paths)?;
            if !text {
                printer.json(&json::KeystoreList {
                    version: 1,
                    command: "keystore list",
                    names,
                });
            } else if !printer.silent() {
                // NORMAL verbosity in Elasticsearch: `-s` hides the names.
                printer.out(&names.iter().map(|n| format!("{n}\n")).collect::<String>());
            }
            Ok(0)
        }
        KeystoreCommand::HasPassword => {
            let found = keystore::has_password(paths)?;
            if !text {
                printer.json(&json::KeystoreHasPassword {
                    version: 1,
                    command: "keystore has-password",
                    path: found.path.clone(),
                    exists: found.exists,
                    has_password: found.protected,
                });
            } else if !printer.silent() {
                match (found.exists, found.protected) {
                    (false, _) => printer.err("ERROR: Elasticsearch keystore not found"),
                    (true, false) => printer.err("ERROR: Keystore is not password-protected"),
                    (true, true) => printer.out("Keystore is password-protected\n"),
                }
            }
            // Elasticsearch's `HasPasswordKeyStoreCommand.NO_PASSWORD_EXIT_CODE` is 1.
            Ok(if found.protected { 0 } else { 1 })
        }
        KeystoreCommand::Show { name, reveal } => {
            let shown = keystore::show(paths, name, *reveal, printer)?;
            let value = match &shown {
                Shown::Line(v) | Shown::Raw(v) => v,
            };
            if !text {
                let (text_value, b64) = match value.expose_str() {
                    Some(s) => (Some(s), None),
                    None => (
                        None,
                        Some(base64::engine::general_purpose::STANDARD.encode(value.expose())),
                    ),
                };
                printer.json(&json::KeystoreShow {
                    version: 1,
                    command: "keystore show",
                    name,
                    value: text_value,
                    value_base64: b64,
                });
                return Ok(0);
            }
            match shown {
                // Like Elasticsearch: a line on a console, the bare value into a pipe or file.
                Shown::Line(v) => printer.secret(&[v.expose(), b"\n"]),
                Shown::Raw(v) => printer.secret(&[v.expose()]),
            }
            Ok(0)
        }
    }
}
