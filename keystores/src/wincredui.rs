//! The Windows credentials dialog as an MFA prompt (aws-vault's `--prompt wincredui`).
//!
//! [`prompt_code`] shows `CredUIPromptForCredentialsW`'s generic-credentials dialog with the
//! MFA device in the (read-only) user-name field — [`crate::layout::wincredui_user_name`]
//! shortens its ARN — and takes the code from the password field. The dialog is always shown,
//! and nothing is read from or saved to the Credential Manager: no saved credential is looked
//! up, the "remember" box is not offered, and the typed code is wiped from the buffer once it
//! is copied out.

use std::ptr;

use windows_sys::Win32::Foundation::{ERROR_CANCELLED, ERROR_NO_SUCH_LOGON_SESSION, NO_ERROR};
use windows_sys::Win32::Security::Credentials::{
    CREDUI_FLAGS_ALWAYS_SHOW_UI, CREDUI_FLAGS_GENERIC_CREDENTIALS, CREDUI_FLAGS_KEEP_USERNAME,
    CREDUI_INFOW, CREDUI_MAX_CAPTION_LENGTH, CREDUI_MAX_MESSAGE_LENGTH, CREDUI_MAX_USERNAME_LENGTH,
    CredUIPromptForCredentialsW,
};
use zeroize::Zeroizing;

use crate::StoreError;
use crate::error::{CREDUI as DIALOG, os_message};
use crate::utf16::{bounded, typed_text};

/// The target name the dialog is opened for (never saved: the "remember" box is not shown).
pub const TARGET_NAME: &str = "stsvault";

/// The password buffer, in UTF-16 code units with the terminating NUL: room for any MFA code.
const CODE_CAPACITY: u32 = 64;
/// The user-name buffer: the longest user name the dialog takes, and its NUL.
const USER_CAPACITY: u32 = CREDUI_MAX_USERNAME_LENGTH + 1;
/// `CREDUI_INFOW::cbSize`.
const INFO_SIZE: u32 = size_of::<CREDUI_INFOW>() as u32;

/// Shows the Windows credentials dialog titled `caption`, with `message` above the fields and
/// `user` (the shortened MFA device) in the read-only user-name field, and returns what was
/// typed into the password field, trimmed. The code may be empty; checking that is the
/// caller's job.
///
/// Blocks until the dialog is closed. Text too long for the dialog is cut. Errors:
/// [`StoreError::Cancelled`] when the user cancels (`ERROR_CANCELLED`),
/// [`StoreError::NotAvailable`] when there is no interactive logon session to show it in,
/// [`StoreError::Os`] for any other failure, with the Windows error code.
pub fn prompt_code(
    caption: &str,
    message: &str,
    user: &str,
) -> Result<Zeroizing<String>, StoreError> {
    let caption = bounded(caption, CREDUI_MAX_CAPTION_LENGTH as usize + 1);
    let message = bounded(message, CREDUI_MAX_MESSAGE_LENGTH as usize + 1);
    let target = bounded(TARGET_NAME, TARGET_NAME.len() + 1);
    let mut user = bounded(user, USER_CAPACITY as usize);
    let mut code = Zeroizing::new(vec![0u16; CODE_CAPACITY as usize]);
    let info = CREDUI_INFOW {
        cbSize: INFO_SIZE,
        hwndParent: ptr::null_mut(),
        pszMessageText: message.as_ptr(),
        pszCaptionText: caption.as_ptr(),
        hbmBanner: ptr::null_mut(),
    };
    let mut save = 0;
    // SAFETY: `info` and the strings it points to live across the call; `target`, `caption` and
    // `message` are NUL-terminated; `user` holds USER_CAPACITY units and `code` CODE_CAPACITY
    // units, NUL-terminated, and the call writes at most the count passed with each.
    let status = unsafe {
        CredUIPromptForCredentialsW(
            &raw const info,
            target.as_ptr(),
            ptr::null(),
            0,
            user.as_mut_ptr(),
            USER_CAPACITY,
            code.as_mut_ptr(),
            CODE_CAPACITY,
            &raw mut save,
            CREDUI_FLAGS_ALWAYS_SHOW_UI
                | CREDUI_FLAGS_KEEP_USERNAME
                | CREDUI_FLAGS_GENERIC_CREDENTIALS,
        )
    };
    match status {
        NO_ERROR => Ok(typed_text(&code)),
        ERROR_CANCELLED => Err(StoreError::Cancelled {
            dialog: DIALOG,
            what: "MFA code",
        }),
        ERROR_NO_SUCH_LOGON_SESSION => Err(StoreError::NotAvailable {
            store: DIALOG,
            reason: "there is no interactive logon session to show it in (as when running as a \
                     service); supply the MFA code another way"
                .to_owned(),
        }),
        other => Err(StoreError::Os {
            store: DIALOG,
            op: "ask for the MFA code",
            code: i64::from(other),
            message: os_message(other),
        }),
    }
}
