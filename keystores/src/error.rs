//! [`StoreError`]: what can go wrong when talking to an OS store, one variant per thing the user
//! can act on. Messages say what happened and what to do; none carries secret data.

/// The name the macOS Keychain store uses in messages.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub(crate) const KEYCHAIN: &str = "macOS Keychain";
/// The name the Windows Credential Manager store uses in messages.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) const WINCRED: &str = "Windows Credential Manager";
/// The name the Windows credentials dialog (the `wincredui` MFA prompt) uses in messages.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) const CREDUI: &str = "Windows credentials dialog";

/// An error from an OS secret store.
///
/// Every variant names the store (`store`) so a message read on its own says where the problem
/// is. No variant ever holds an item's data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be used from this process (no keychain or no logon session, as when
    /// running as a service or in a session without a user profile).
    #[error("the {store} is not available: {reason}")]
    NotAvailable {
        /// Which store.
        store: &'static str,
        /// Why, and what to do about it.
        reason: String,
    },

    /// The store refused access to the item (a wrong keychain password, or an access control
    /// that does not allow this program).
    #[error("the {store} denied access: {hint}")]
    Denied {
        /// Which store.
        store: &'static str,
        /// What to do about it.
        hint: String,
    },

    /// The user dismissed the store's prompt.
    #[error(
        "the {store} prompt was canceled; run the command again and approve the prompt to go on"
    )]
    UserCanceled {
        /// Which store.
        store: &'static str,
    },

    /// The user closed a dialog that asks for something to be typed (the `wincredui` MFA code
    /// dialog) without entering it.
    #[error(
        "the {dialog} was cancelled before the {what} was entered; \
         run the command again and type the {what} into the dialog"
    )]
    Cancelled {
        /// Which dialog.
        dialog: &'static str,
        /// What it asked for ("MFA code").
        what: &'static str,
    },

    /// The store is locked and cannot ask to be unlocked, because no prompt can be shown here
    /// (for example over SSH, or with user interaction disabled).
    #[error("the {store} is locked and cannot ask to be unlocked from here: {hint}")]
    Locked {
        /// Which store.
        store: &'static str,
        /// How to unlock it.
        hint: String,
    },

    /// A key, service, prefix or keychain name that the store cannot hold.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// What was invalid ("key", "keychain name", ...).
        what: &'static str,
        /// Why.
        reason: &'static str,
    },

    /// The item's data is larger than the store can hold.
    #[error(
        "the item is {size} bytes but the {store} holds at most {max} bytes per item; \
         keep this item in another backend (such as the encrypted file)"
    )]
    TooLarge {
        /// Which store.
        store: &'static str,
        /// The data's size in bytes.
        size: usize,
        /// The store's limit in bytes.
        max: usize,
    },

    /// The store answered in a way it is documented never to; a bug here or in the OS.
    #[error(
        "the {store} returned something unexpected while trying to {op}: {detail}; please report this"
    )]
    Unexpected {
        /// Which store.
        store: &'static str,
        /// What was being done.
        op: &'static str,
        /// What was unexpected (never data).
        detail: &'static str,
    },

    /// Any other OS error, with the OS's own code and message.
    #[error("could not {op} in the {store}: {message} (OS error {code})")]
    Os {
        /// Which store.
        store: &'static str,
        /// What was being done ("read the item", ...).
        op: &'static str,
        /// The OS status code (`OSStatus` on macOS, `GetLastError` on Windows).
        code: i64,
        /// The OS's description of the code.
        message: String,
    },
}

/// The OS's description of error `code` (`errno` on Unix, `GetLastError` on Windows), without
/// the " (os error N)" that `std` appends, since [`StoreError::Os`] shows the code itself.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn os_message(code: u32) -> String {
    let raw = i32::from_ne_bytes(code.to_ne_bytes());
    let text = std::io::Error::from_raw_os_error(raw).to_string();
    let suffix = format!(" (os error {raw})");
    match text.strip_suffix(suffix.as_str()) {
        Some(message) => message.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_store_and_the_code() {
        let e = StoreError::Os {
            store: KEYCHAIN,
            op: "read the item",
            code: -25293,
            message: "The user name or passphrase you entered is not correct.".into(),
        };
        let s = e.to_string();
        assert!(
            s.contains("macOS Keychain") && s.contains("-25293") && s.contains("read the item"),
            "{s}"
        );

        let e = StoreError::TooLarge {
            store: WINCRED,
            size: 4000,
            max: 2560,
        };
        let s = e.to_string();
        assert!(
            s.contains("4000") && s.contains("2560") && s.contains("Windows Credential Manager"),
            "{s}"
        );
    }

    #[test]
    fn cancelled_says_which_dialog_and_what_to_do() {
        let e = StoreError::Cancelled {
            dialog: CREDUI,
            what: "MFA code",
        };
        assert_eq!(
            e.to_string(),
            "the Windows credentials dialog was cancelled before the MFA code was entered; \
             run the command again and type the MFA code into the dialog"
        );
    }

    #[test]
    fn os_message_drops_the_std_code_suffix() {
        let m = os_message(2);
        assert!(!m.is_empty(), "{m}");
        assert!(!m.contains("os error"), "{m}");
    }
}
