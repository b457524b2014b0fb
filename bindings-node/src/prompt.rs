//! MFA codes from a JS function, `mfaCodeProvider(mfaSerial, profile) => Promise<string>`, called
//! on the JS thread through a threadsafe function while core waits for it on a blocking thread.
//! The event loop runs on meanwhile; a rejection becomes [`PromptError::Callback`], which the
//! JS layer answers by rethrowing the function's own error.

use napi::Status;
use napi::bindgen_prelude::{FnArgs, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use secrecy::SecretString;
use stsvault::prompt::{MfaPrompt, MfaRequest, PromptError};

/// The two arguments the JS function is called with: `(serial, profile)`.
pub type CodeArgs = FnArgs<(String, String)>;

/// The JS function as core calls it, answered by a promise of the code. Weak, so a provider
/// kept around never holds the process open by itself.
pub type CodeFunction =
    ThreadsafeFunction<CodeArgs, Promise<String>, CodeArgs, Status, false, true>;

/// A prompt that calls a JS function.
pub struct JsPrompt {
    function: CodeFunction,
}

impl JsPrompt {
    /// Calls `function`.
    pub fn new(function: CodeFunction) -> Self {
        Self { function }
    }
}

impl MfaPrompt for JsPrompt {
    /// Core calls this on a blocking thread, never the JS thread: waiting here is safe.
    fn mfa_code(&self, request: &MfaRequest) -> Result<SecretString, PromptError> {
        let args = CodeArgs::from((request.serial.clone(), request.profile.clone()));
        let runtime = tokio::runtime::Handle::try_current().map_err(|e| {
            PromptError::Callback(format!("mfaCodeProvider cannot be called here: {e}"))
        })?;
        let answer = runtime.block_on(async {
            let promise = self.function.call_async(args).await?;
            promise.await
        });
        match answer {
            Ok(code) if !code.trim().is_empty() => Ok(SecretString::from(code.trim().to_string())),
            Ok(_) => Err(PromptError::Callback(format!(
                "mfaCodeProvider gave no code for {}",
                request.serial
            ))),
            Err(e) => Err(PromptError::Callback(format!(
                "mfaCodeProvider failed: {}",
                e.reason
            ))),
        }
    }
}
