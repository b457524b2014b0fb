//! The Windows credentials dialog as an MFA prompt (aws-vault's `wincredui` driver):
//! `CredUIPromptForCredentialsW` shows a generic-credentials dialog whose user-name field holds
//! the MFA device ([`crate::layout::wincredui_user_name`]) and whose password field takes the
//! code. Nothing is saved to the Credential Manager.

use windows_sys::Win32::Foundation::ERROR_CANCELLED;
use windows_sys::Win32::Security::Credentials::{
    CREDUI_FLAGS_ALWAYS_SHOW_UI, CREDUI_FLAGS_GENERIC_CREDENTIALS, CREDUI_FLAGS_KEEP_USERNAME,
    CREDUI_INFOW, CredUIPromptForCredentialsW,
};
use zeroize::Zeroizing;

/// Room for the typed code (and a terminating NUL); codes are 6–8 digits.
const CODE_CAPACITY: usize = 64;
/// Room for the shortened serial shown as the user name.
const USER_CAPACITY: usize = 514;

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Shows the dialog and returns what was typed as the password, trimmed; the error says why
/// there is no code (cancelled, or the call failed with its Windows error code).
pub fn prompt_code(caption: &str, message: &str, user: &str) -> Result<Zeroizing<String>, String> {
    let (caption, message, target) = (wide(caption), wide(message), wide("stsvault"));
    let info = CREDUI_INFOW {
        cbSize: u32::try_from(std::mem::size_of::<CREDUI_INFOW>()).unwrap_or(u32::MAX),
        hwndParent: std::ptr::null_mut(),
        pszMessageText: message.as_ptr(),
        pszCaptionText: caption.as_ptr(),
        hbmBanner: std::ptr::null_mut(),
    };
    let mut user_buf = vec![0u16; USER_CAPACITY];
    for (slot, unit) in user_buf
        .iter_mut()
        .zip(user.encode_utf16().take(USER_CAPACITY - 1))
    {
        *slot = unit;
    }
    let mut code_buf = Zeroizing::new(vec![0u16; CODE_CAPACITY]);
    let mut save = 0;
    // SAFETY: every pointer is to a live, NUL-terminated buffer of the length passed with it;
    // the call writes only within `user_buf` and `code_buf`.
    let status = unsafe {
        CredUIPromptForCredentialsW(
            &info,
            target.as_ptr(),
            std::ptr::null(),
            0,
            user_buf.as_mut_ptr(),
            USER_CAPACITY as u32,
            code_buf.as_mut_ptr(),
            CODE_CAPACITY as u32,
            &mut save,
            CREDUI_FLAGS_ALWAYS_SHOW_UI
                | CREDUI_FLAGS_GENERIC_CREDENTIALS
                | CREDUI_FLAGS_KEEP_USERNAME,
        )
    };
    if status == ERROR_CANCELLED {
        return Err("the dialog was cancelled".to_string());
    }
    if status != 0 {
        return Err(format!(
            "CredUIPromptForCredentialsW failed with Windows error {status}"
        ));
    }
    let len = code_buf
        .iter()
        .position(|&u| u == 0)
        .unwrap_or(CODE_CAPACITY);
    let text = Zeroizing::new(String::from_utf16_lossy(&code_buf[..len]));
    Ok(Zeroizing::new(text.trim().to_string()))
}
