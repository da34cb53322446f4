//! `es-autoconf enrollment-token`.

use esac_app::{Failure, Paths};
use esac_enroll::TokenScope;

use crate::cli::{EnrollmentTokenArgs, Format, Scope};
use crate::json;
use crate::printer::Printer;

pub fn run(paths: &Paths, a: &EnrollmentTokenArgs, printer: &Printer) -> Result<u8, Failure> {
    let scope = match a.scope {
        Scope::Kibana => TokenScope::Kibana,
        Scope::Node => TokenScope::Node,
    };
    let created = esac_app::token::create(
        paths,
        scope,
        a.url.as_deref(),
        a.password_file.as_deref(),
        printer,
    )?;
    let token = created.token.expose_str().unwrap_or_default();
    if printer.format == Format::Json {
        printer.json(&json::Token {
            version: 1,
            command: "enrollment-token",
            token,
            scope: scope.name(),
            addresses: &created.addresses,
            http_ca_fingerprint: &created.fingerprint,
            expires_at_epoch_seconds: created.expires_at,
        });
    } else {
        // The token is what was asked for: it goes to stdout even into a pipe.
        printer.secret(&[token.as_bytes(), b"\n"]);
        printer.info(&format!(
            "Enrollment token for {} (valid for 30 minutes, until epoch {}), addresses [{}], CA fingerprint {}",
            scope.name(),
            created.expires_at,
            created.addresses.join(", "),
            created.fingerprint
        ));
    }
    Ok(0)
}
