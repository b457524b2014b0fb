//! Asking for MFA codes and passphrases.
//!
//! An [`MfaPrompt`] answers "what is the current code for this MFA device?". Which one is used
//! follows aws-vault: a code given up front (`--mfa-token`) wins, then the profile's
//! `mfa_process`, then the prompt driver chosen with `--prompt` / `AWS_VAULT_PROMPT`
//! (`terminal` by default). Callers of the library can supply their own with [`Callback`].

mod callback;
mod driver;
mod process;
mod terminal;
#[cfg(windows)]
mod wincredui;

pub use callback::Callback;
pub use driver::{Driver, mfa_prompt_for};
pub use process::{CommandPrompt, MfaProcess};
pub use terminal::{Terminal, read_line_from_tty, read_secret_from_tty};
#[cfg(windows)]
pub use wincredui::WinCredUi;

use secrecy::SecretString;

/// What an MFA prompt is asked for.
#[derive(Debug, Clone)]
pub struct MfaRequest {
    /// The profile the code is for.
    pub profile: String,
    /// The MFA device's serial number or ARN.
    pub serial: String,
}

impl MfaRequest {
    /// The text shown to a person, as aws-vault words it.
    pub fn message(&self) -> String {
        format!("Enter MFA code for {}: ", self.serial)
    }
}

/// A source of MFA codes.
pub trait MfaPrompt: Send + Sync {
    /// Returns the current one-time code for `request.serial`.
    fn mfa_code(&self, request: &MfaRequest) -> Result<SecretString, PromptError>;
}

/// A fixed code supplied up front (`--mfa-token`, `mfa_code=` in the bindings).
pub struct Fixed(SecretString);

impl Fixed {
    /// Uses `code` for the next MFA request.
    pub fn new(code: impl Into<SecretString>) -> Self {
        Self(code.into())
    }
}

impl MfaPrompt for Fixed {
    fn mfa_code(&self, _request: &MfaRequest) -> Result<SecretString, PromptError> {
        Ok(self.0.clone())
    }
}

/// A problem asking for an MFA code or a passphrase.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// No terminal to ask on, and nothing else configured.
    #[error("cannot ask for the {what}: no terminal is attached ({reason}); {hint}")]
    NoTerminal {
        /// What was to be asked for ("MFA code for …", "vault passphrase").
        what: String,
        /// Why the terminal could not be opened (`/dev/tty: …`, `CONIN$: …`).
        reason: String,
        /// How to supply it another way.
        hint: String,
    },
    /// The user gave an empty answer.
    #[error("no {what} was entered; run the command again and type it at the prompt")]
    Empty {
        /// What was asked for.
        what: String,
    },
    /// A prompt command (`mfa_process`, zenity, ykman…) failed.
    #[error("the {driver} `{command}` failed: {reason}; check that it works when run by hand")]
    CommandFailed {
        /// Which kind of prompt ("mfa_process", "zenity"…).
        driver: String,
        /// The command that was run.
        command: String,
        /// What went wrong (exit status or spawn error), never its output.
        reason: String,
    },
    /// `--prompt` / `AWS_VAULT_PROMPT` names a driver that does not exist or is not installed.
    #[error("unknown prompt driver `{name}`; use one of: {available}")]
    UnknownDriver {
        /// The name given.
        name: String,
        /// The drivers usable on this machine.
        available: String,
    },
    /// A dialog prompt (`wincredui`) gave no code: it was cancelled or could not be shown.
    #[error("the {driver} prompt gave no MFA code: {reason}")]
    Dialog {
        /// Which driver ("wincredui").
        driver: String,
        /// What happened and what to do about it.
        reason: String,
    },
    /// A caller-supplied callback failed.
    #[error("the MFA callback failed: {0}")]
    Callback(String),
    /// Reading from or writing to the terminal failed.
    #[error("reading the {what} from the terminal failed: {reason}")]
    Io {
        /// What was asked for.
        what: String,
        /// The I/O error.
        reason: String,
    },
}

/// The MFA code as typed, trimmed; an empty answer is an error.
pub(crate) fn non_empty(code: String, what: &str) -> Result<SecretString, PromptError> {
    let trimmed = code.trim();
    if trimmed.is_empty() {
        return Err(PromptError::Empty {
            what: what.to_string(),
        });
    }
    Ok(SecretString::from(trimmed.to_string()))
}
