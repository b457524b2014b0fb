//! The Windows Credential Manager, laid out exactly as aws-vault (99designs/keyring's `wincred`
//! backend, through danieljoos/wincred) lays it out, so each tool reads the other's items.
//!
//! Every item is one generic credential (`CRED_TYPE_GENERIC`) of the current user with:
//!
//! | field | value |
//! | --- | --- |
//! | `TargetName` | `<prefix>:<service>:<key>` — `aws-vault:aws-vault:<key>` for aws-vault (see [`WinCredNames`]) |
//! | `CredentialBlob` | the item's data, byte for byte (at most 2560 bytes) |
//! | `Persist` | `CRED_PERSIST_LOCAL_MACHINE` (kept across logons on this computer, not roamed) |
//! | `Comment`, `UserName`, `TargetAlias`, attributes | none |
//!
//! Like aws-vault, this store keeps no label or description: [`WinCred::get`] returns them
//! empty and [`WinCred::set`] drops them. [`WinCred::keys`] lists every generic credential whose
//! target name starts with `<prefix>:<service>:`, compared exactly as keyring compares it.

use std::ffi::c_void;
use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_NO_SUCH_LOGON_SESSION, ERROR_NOT_FOUND, FILETIME, GetLastError,
};
use windows_sys::Win32::Security::Credentials::{
    CRED_MAX_CREDENTIAL_BLOB_SIZE, CRED_MAX_GENERIC_TARGET_NAME_LENGTH, CRED_PERSIST_LOCAL_MACHINE,
    CRED_TYPE_GENERIC, CREDENTIALW, CredDeleteW, CredEnumerateW, CredFree, CredReadW, CredWriteW,
};
use zeroize::Zeroizing;

use crate::error::{WINCRED as STORE, os_message};
use crate::layout::{
    WINCRED_MAX_BLOB_SIZE, WINCRED_MAX_TARGET_NAME_LEN, WinCredNames, check_wincred_blob_size,
};
use crate::{StoreError, StoredItem};

// The limits in `layout` are the SDK's.
const _: () = assert!(WINCRED_MAX_BLOB_SIZE == CRED_MAX_CREDENTIAL_BLOB_SIZE as usize);
const _: () = assert!(WINCRED_MAX_TARGET_NAME_LEN == CRED_MAX_GENERIC_TARGET_NAME_LENGTH as usize);

/// The generic credentials of one prefix and service, as aws-vault keeps them.
#[derive(Debug, Clone)]
pub struct WinCred {
    names: WinCredNames,
}

impl WinCred {
    /// The credentials named `<prefix>:<service>:<key>` (aws-vault uses `"aws-vault"` for both);
    /// an empty `prefix` becomes `keyring` and an empty `service` becomes `default`, as in
    /// keyring. Opening touches nothing.
    pub fn open(service: &str, prefix: &str) -> Result<Self, StoreError> {
        Ok(Self {
            names: WinCredNames::new(prefix, service)?,
        })
    }

    /// The naming rules this store follows.
    #[must_use]
    pub fn names(&self) -> &WinCredNames {
        &self.names
    }

    /// The item stored under `key`, or `None` when there is none. Its label and description are
    /// empty: the store does not keep them.
    pub fn get(&self, key: &str) -> Result<Option<StoredItem>, StoreError> {
        let target = wide(&self.names.target_name(key)?);
        let mut cred: *mut CREDENTIALW = ptr::null_mut();
        // SAFETY: `target` is a NUL-terminated UTF-16 string; `cred` receives a buffer we free.
        if unsafe { CredReadW(target.as_ptr(), CRED_TYPE_GENERIC, 0, &raw mut cred) } == 0 {
            let code = unsafe { GetLastError() };
            if code == ERROR_NOT_FOUND {
                return Ok(None);
            }
            return Err(error(code, "read the credential"));
        }
        let buffer = CredBuffer(cred.cast());
        if cred.is_null() {
            return Err(StoreError::Unexpected {
                store: STORE,
                op: "read the credential",
                detail: "no credential was returned",
            });
        }
        // SAFETY: CredReadW succeeded, so `cred` points to a valid CREDENTIALW that lives until
        // `buffer` is dropped. Read unaligned: not every implementation aligns it (Wine's
        // CredEnumerateW packs credentials at odd offsets).
        let cred = unsafe { cred.read_unaligned() };
        let len = cred.CredentialBlobSize as usize;
        let data = if len == 0 || cred.CredentialBlob.is_null() {
            Zeroizing::new(Vec::new())
        } else {
            // SAFETY: the blob is `len` readable and writable bytes owned by `buffer`; we copy it
            // and wipe the original before it is freed.
            unsafe {
                let data =
                    Zeroizing::new(std::slice::from_raw_parts(cred.CredentialBlob, len).to_vec());
                ptr::write_bytes(cred.CredentialBlob, 0, len);
                data
            }
        };
        drop(buffer);
        Ok(Some(StoredItem {
            key: key.to_owned(),
            data,
            label: String::new(),
            description: String::new(),
        }))
    }

    /// Stores `item` (its key and data; label and description are not kept), replacing any
    /// item with the same key.
    pub fn set(&self, item: &StoredItem) -> Result<(), StoreError> {
        let mut target = wide(&self.names.target_name(&item.key)?);
        check_wincred_blob_size(item.data.len())?;
        let blob_size = u32::try_from(item.data.len()).map_err(|_| StoreError::TooLarge {
            store: STORE,
            size: item.data.len(),
            max: WINCRED_MAX_BLOB_SIZE,
        })?;
        let cred = CREDENTIALW {
            Flags: 0,
            Type: CRED_TYPE_GENERIC,
            TargetName: target.as_mut_ptr(),
            Comment: ptr::null_mut(),
            LastWritten: FILETIME {
                dwLowDateTime: 0,
                dwHighDateTime: 0,
            },
            CredentialBlobSize: blob_size,
            CredentialBlob: if item.data.is_empty() {
                ptr::null_mut()
            } else {
                // CredWriteW only reads the blob.
                item.data.as_ptr().cast_mut()
            },
            Persist: CRED_PERSIST_LOCAL_MACHINE,
            AttributeCount: 0,
            Attributes: ptr::null_mut(),
            TargetAlias: ptr::null_mut(),
            UserName: ptr::null_mut(),
        };
        // SAFETY: every pointer in `cred` is null or valid for the call.
        if unsafe { CredWriteW(&raw const cred, 0) } == 0 {
            return Err(error(unsafe { GetLastError() }, "write the credential"));
        }
        Ok(())
    }

    /// Removes the item stored under `key`; `false` when there was none.
    pub fn remove(&self, key: &str) -> Result<bool, StoreError> {
        let target = wide(&self.names.target_name(key)?);
        // SAFETY: `target` is a NUL-terminated UTF-16 string.
        if unsafe { CredDeleteW(target.as_ptr(), CRED_TYPE_GENERIC, 0) } == 0 {
            let code = unsafe { GetLastError() };
            if code == ERROR_NOT_FOUND {
                return Ok(false);
            }
            return Err(error(code, "remove the credential"));
        }
        Ok(true)
    }

    /// The keys of all items of this prefix and service, sorted.
    pub fn keys(&self) -> Result<Vec<String>, StoreError> {
        let mut count = 0u32;
        let mut creds: *mut *mut CREDENTIALW = ptr::null_mut();
        // SAFETY: a NULL filter with no flags enumerates the user's credentials into a buffer
        // we free.
        if unsafe { CredEnumerateW(ptr::null(), 0, &raw mut count, &raw mut creds) } == 0 {
            let code = unsafe { GetLastError() };
            if code == ERROR_NOT_FOUND {
                return Ok(Vec::new());
            }
            return Err(error(code, "list the credentials"));
        }
        let _buffer = CredBuffer(creds.cast());
        if creds.is_null() {
            return Ok(Vec::new());
        }
        let mut keys = Vec::new();
        for i in 0..count as usize {
            // SAFETY: `creds` holds `count` pointers to valid CREDENTIALW, alive until `_buffer`
            // is dropped.
            let cred = unsafe { creds.add(i).read_unaligned() };
            if cred.is_null() {
                continue;
            }
            // SAFETY: as above; read unaligned, see `get`.
            let cred = unsafe { cred.read_unaligned() };
            if cred.Type != CRED_TYPE_GENERIC {
                continue;
            }
            // SAFETY: TargetName is null or a NUL-terminated UTF-16 string in the buffer.
            let Some(target) = (unsafe { string_from_wide(cred.TargetName) }) else {
                continue;
            };
            if let Some(key) = self.names.key_of(&target) {
                keys.push(key.to_owned());
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }
}

/// A buffer the Credential Manager allocated; freed on drop.
struct CredBuffer(*mut c_void);

impl Drop for CredBuffer {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from CredReadW or CredEnumerateW and is freed once.
            unsafe { CredFree(self.0) };
        }
    }
}

/// `s` as a NUL-terminated UTF-16 string.
fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// The NUL-terminated UTF-16 string at `p`; `None` when `p` is null, the text is not valid
/// UTF-16, or it is longer than any target name can be.
///
/// # Safety
///
/// `p` must be null or point to a NUL-terminated UTF-16 string (aligned or not).
unsafe fn string_from_wide(p: *const u16) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let mut units = Vec::new();
    loop {
        // SAFETY: the caller promises a terminating NUL, and we stop at it.
        let unit = unsafe { p.add(units.len()).read_unaligned() };
        if unit == 0 {
            break;
        }
        if units.len() == WINCRED_MAX_TARGET_NAME_LEN {
            return None;
        }
        units.push(unit);
    }
    String::from_utf16(&units).ok()
}

/// The error for a failed Credential Manager call, from `GetLastError`'s `code`.
fn error(code: u32, op: &'static str) -> StoreError {
    match code {
        ERROR_NO_SUCH_LOGON_SESSION => StoreError::NotAvailable {
            store: STORE,
            reason: format!(
                "this logon session has no credential store (OS error {code}), as for services \
                 and some remote or scheduled logons; run in an interactive user session, or \
                 use another backend"
            ),
        },
        ERROR_ACCESS_DENIED => StoreError::Denied {
            store: STORE,
            hint: "Windows did not let this process use the user's credentials; run it as the \
                   user who owns them, without elevation differences"
                .to_owned(),
        },
        _ => StoreError::Os {
            store: STORE,
            op,
            code: i64::from(code),
            message: os_message(code),
        },
    }
}
