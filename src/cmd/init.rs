//! `es-autoconf init`.

use esac_core::{EsExit, UserError};

use crate::cli::{GlobalArgs, InitArgs};

/// Runs `init`.
pub fn run(_global: &GlobalArgs, _args: &InitArgs) -> Result<EsExit, UserError> {
    Err(UserError::new(EsExit::CodeError, "init is not implemented yet"))
}
