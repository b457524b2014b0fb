//! `--prompt wincredui` (Windows only): the MFA code typed into the Windows credentials dialog,
//! which `stsvault_keystores::wincredui::prompt_code` shows.

use super::{MfaPrompt, MfaRequest, PromptError};
use secrecy::SecretString;
use stsvault_keystores::layout::wincredui_user_name;
use stsvault_keystores::wincredui::prompt_code;

/// The dialog's title: aws-vault's, with our name.
const CAPTION: &str = "Enter MFA code for stsvault";

/// Asks for the MFA code with the Windows credentials dialog (aws-vault's `wincredui` driver):
/// the device is shown as the user name and the code is typed as the password.
#[derive(Debug, Clone, Copy, Default)]
pub struct WinCredUi;

impl MfaPrompt for WinCredUi {
    fn mfa_code(&self, request: &MfaRequest) -> Result<SecretString, PromptError> {
        let user = wincredui_user_name(&request.serial);
        let code =
            prompt_code(CAPTION, &request.message(), &user).map_err(|e| PromptError::Dialog {
                driver: "wincredui".to_string(),
                reason: e.to_string(),
            })?;
        if code.is_empty() {
            return Err(PromptError::Empty {
                what: format!("MFA code for {}", request.serial),
            });
        }
        // An exact-size copy, so boxing it into the secret does not reallocate and leave an
        // unwiped copy behind; `code` itself is wiped when dropped.
        Ok(SecretString::from(code.as_str().to_owned()))
    }
}
