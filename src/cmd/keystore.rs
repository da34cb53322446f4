//! `es-autoconf keystore`: list, has-password, show.

use esac_core::{EsExit, UserError};

use crate::cli::{GlobalArgs, KeystoreCommand};

/// Runs a keystore subcommand.
pub fn run(_global: &GlobalArgs, _cmd: &KeystoreCommand) -> Result<EsExit, UserError> {
    Err(UserError::new(EsExit::CodeError, "keystore commands are not implemented yet"))
}
