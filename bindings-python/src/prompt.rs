//! MFA codes from a Python callable: `mfa_prompt(mfa_serial, profile) -> str`, called with the
//! GIL held from whichever thread core asks on. An exception it raises is kept and re-raised
//! to the caller of `credentials()`, unchanged.

use pyo3::prelude::*;
use secrecy::SecretString;
use std::sync::{Arc, Mutex};
use stsvault::prompt::{MfaPrompt, MfaRequest, PromptError};

/// Where an exception raised by the callable waits for the caller to re-raise it.
pub type ErrorSlot = Arc<Mutex<Option<PyErr>>>;

/// A prompt that calls a Python function.
pub struct PyPrompt {
    callable: Py<PyAny>,
    raised: ErrorSlot,
}

impl PyPrompt {
    /// Wraps `callable`; exceptions land in `raised`.
    pub fn new(callable: Py<PyAny>, raised: ErrorSlot) -> Self {
        Self { callable, raised }
    }
}

impl MfaPrompt for PyPrompt {
    fn mfa_code(&self, request: &MfaRequest) -> Result<SecretString, PromptError> {
        Python::attach(|py| {
            let answer = self
                .callable
                .bind(py)
                .call1((request.serial.as_str(), request.profile.as_str()))
                .and_then(|v| v.extract::<String>());
            match answer {
                Ok(code) if !code.trim().is_empty() => {
                    Ok(SecretString::from(code.trim().to_string()))
                }
                Ok(_) => Err(PromptError::Callback(format!(
                    "mfa_prompt returned no code for {}",
                    request.serial
                ))),
                Err(e) => {
                    let message = format!("mfa_prompt raised {e}");
                    if let Ok(mut slot) = self.raised.lock() {
                        *slot = Some(e);
                    }
                    Err(PromptError::Callback(message))
                }
            }
        })
    }
}
