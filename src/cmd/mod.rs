//! One module per subcommand. Each returns the exit status; only `main` exits.

pub mod enrollment_token;
pub mod init;
pub mod keystore;
