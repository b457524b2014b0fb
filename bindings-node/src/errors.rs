//! Core's errors as the JS layer sees them: a [`Failure`] with the name of the `Error` subclass
//! to throw (`ConfigError`, `MfaError`, …) and core's message, which says what happened and what
//! to do.

use napi_derive::napi;
use stsvault::sts::StsError;

/// A failed call: `code` names the `Error` subclass `index.js` throws, `message` is core's.
#[napi(object)]
#[derive(Clone, Debug)]
pub struct Failure {
    /// `ConfigError`, `VaultError`, `MfaError`, `StsError`, `CredentialSourceError`,
    /// `PromptCallbackError` (the `mfaCodeProvider` threw; the JS layer rethrows that error)
    /// or `StsvaultError`.
    pub code: String,
    /// What happened and what to do.
    pub message: String,
}

impl Failure {
    /// A failure of kind `code`.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

impl From<stsvault::Error> for Failure {
    fn from(e: stsvault::Error) -> Self {
        use stsvault::Error as E;
        use stsvault::prompt::PromptError;
        let message = e.to_string();
        let code = match &e {
            E::Config(_) | E::Builder(_) => "ConfigError",
            E::Vault(_) => "VaultError",
            E::Prompt(PromptError::Callback(_)) => "PromptCallbackError",
            E::Prompt(_) | E::Sts(StsError::InvalidMfaCode { .. }) => "MfaError",
            E::Sts(_) => "StsError",
            E::Source(_) | E::Sso(_) => "CredentialSourceError",
            _ => "StsvaultError",
        };
        Self::new(code, message)
    }
}
