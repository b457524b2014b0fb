//! Core's errors as the JS layer sees them: a [`Failure`] with the name of the `Error` subclass
//! to throw (`ConfigError`, `MfaError`, …) and core's message, which says what happened and what
//! to do.

use napi_derive::napi;

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
        use stsvault::ErrorKind as K;
        use stsvault::prompt::PromptError;
        let code = match (&e, e.kind()) {
            (stsvault::Error::Prompt(PromptError::Callback(_)), _) => "PromptCallbackError",
            (_, K::Config) => "ConfigError",
            (_, K::Vault) => "VaultError",
            (_, K::Mfa) => "MfaError",
            (_, K::Sts) => "StsError",
            (_, K::CredentialSource) => "CredentialSourceError",
            (_, K::Other) => "StsvaultError",
        };
        Self::new(code, e.to_string())
    }
}
