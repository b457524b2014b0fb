//! A prompt answered by the calling program (the Python and Node bindings, Rust callers).

use super::{MfaPrompt, MfaRequest, PromptError, non_empty};
use secrecy::SecretString;

type CallbackFn = dyn Fn(&MfaRequest) -> Result<String, String> + Send + Sync;

/// Calls a function for each MFA code.
pub struct Callback(Box<CallbackFn>);

impl Callback {
    /// Wraps `f`; an `Err(message)` from it becomes [`PromptError::Callback`].
    pub fn new(f: impl Fn(&MfaRequest) -> Result<String, String> + Send + Sync + 'static) -> Self {
        Self(Box::new(f))
    }
}

impl MfaPrompt for Callback {
    fn mfa_code(&self, request: &MfaRequest) -> Result<SecretString, PromptError> {
        let code = (self.0)(request).map_err(PromptError::Callback)?;
        non_empty(code, &format!("MFA code for {}", request.serial))
    }
}
