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

/// The kind of thing a user fixes, as the bindings sort errors into their exception classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The config or credentials files, or a profile in them.
    Config,
    /// Opening, reading or writing the vault.
    Vault,
    /// No MFA code could be had, or STS rejected the one given.
    Mfa,
    /// STS (or IAM Identity Center) refused or failed a call.
    Sts,
    /// A `credential_process`, web identity token or SSO sign-in failed.
    CredentialSource,
    /// Anything else (the local servers, login URLs, key rotation).
    Other,
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) | Error::Builder(_) => ErrorKind::Config,
            Error::Vault(_) => ErrorKind::Vault,
            Error::Prompt(_) | Error::Sts(crate::sts::StsError::InvalidMfaCode { .. }) => {
                ErrorKind::Mfa
            }
            Error::Sts(_) => ErrorKind::Sts,
            Error::Source(_) | Error::Sso(_) => ErrorKind::CredentialSource,
            Error::Server(_) | Error::Login(_) | Error::Rotate(_) => ErrorKind::Other,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
