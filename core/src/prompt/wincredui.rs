//! `--prompt wincredui` (Windows): the MFA code typed into the Windows credentials dialog.

use super::{MfaPrompt, MfaRequest, PromptError, non_empty};
use secrecy::SecretString;

/// Asks with the Windows credentials dialog.
#[derive(Debug, Clone, Copy)]
pub struct WinCredUi;

impl MfaPrompt for WinCredUi {
    fn mfa_code(&self, request: &MfaRequest) -> Result<SecretString, PromptError> {
        let user = stsvault_keystores::layout::wincredui_user_name(&request.serial);
        let code = stsvault_keystores::wincredui::prompt_code(
            "Enter MFA code for stsvault",
            &request.message(),
            &user,
        )
        .map_err(|reason| PromptError::CommandFailed {
            driver: "wincredui".to_string(),
            command: "CredUIPromptForCredentialsW".to_string(),
            reason,
        })?;
        non_empty(
            code.to_string(),
            &format!("MFA code for {}", request.serial),
        )
    }
}
