//! The crate-wide error type. Each module has its own `thiserror` enum with one variant per thing
//! a user can fix; [`Error`] wraps them so callers can match on the module or just print the
//! message, which always says what happened and what to do.

use thiserror::Error;

/// Any error stsvault can report.
#[derive(Debug, Error)]
pub enum Error {
    /// A problem with `~/.aws/config`, `~/.aws/credentials` or a profile in them.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A problem opening, reading or writing the vault.
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    /// A problem asking the user for an MFA code or a passphrase.
    #[error(transparent)]
    Prompt(#[from] crate::prompt::PromptError),
    /// A problem obtaining credentials from STS.
    #[error(transparent)]
    Sts(#[from] crate::sts::StsError),
    /// A problem with a `credential_process` or a web identity token.
    #[error(transparent)]
    Source(#[from] crate::sources::SourceError),
    /// A problem signing in to IAM Identity Center or getting its role credentials.
    #[error(transparent)]
    Sso(#[from] crate::sso::SsoError),
    /// A problem starting the local credential server.
    #[error(transparent)]
    Server(#[from] crate::server::ServerError),
    /// A problem building the console sign-in URL.
    #[error(transparent)]
    Login(#[from] crate::login::LoginError),
    /// A problem rotating access keys.
    #[error(transparent)]
    Rotate(#[from] crate::rotate::RotateError),
    /// A `CredentialsProvider` was built without a required part.
    #[error("a CredentialsProvider needs a {0}; set it on the builder")]
    Builder(&'static str),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
