//! The `keyctl` backend: items as `user` keys in the Linux kernel keyring, laid out as
//! 99designs/keyring lays them out for aws-vault — a keyring named `aws-vault` linked into the
//! scope's keyring (the user keyring by default), one key per item whose description is the
//! item name and whose payload is the item's data.
//!
//! Keys live in kernel memory only: they never touch disk and disappear when the scope ends
//! (for the user keyring: when the user's last process exits). Keys and the named keyring are
//! created with possessor and user permissions, so every process of the same user can read
//! them, whether or not its session keyring links the user keyring.
//!
//! The kernel's `add_key(2)`/`keyctl(2)` calls are made directly: the keyutils crates cannot
//! create or address a named keyring, which this layout needs.

use super::{Backend, Item, VaultError};
use std::ffi::CString;

const NAME: &str = "keyctl";
/// view, read, write, search, link, setattr for the possessor and for the user.
const PERMISSIONS: u32 = 0x3f3f_0000;
/// The largest payload of a `user` key.
pub const MAX_ITEM_SIZE: usize = 32_767;

/// Which keyring the named keyring hangs off (`AWS_VAULT_KEYCTL_SCOPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyctlScope {
    /// The user keyring: shared by the user's processes, gone when the last one exits.
    #[default]
    User,
    /// The user's default session keyring.
    UserSession,
    /// This login session's keyring.
    Session,
    /// This process's keyring.
    Process,
    /// This thread's keyring.
    Thread,
}

impl KeyctlScope {
    const ALL: [(&'static str, KeyctlScope); 5] = [
        ("user", KeyctlScope::User),
        ("usersession", KeyctlScope::UserSession),
        ("session", KeyctlScope::Session),
        ("process", KeyctlScope::Process),
        ("thread", KeyctlScope::Thread),
    ];

    fn special_id(self) -> i32 {
        match self {
            KeyctlScope::User => libc::KEY_SPEC_USER_KEYRING,
            KeyctlScope::UserSession => libc::KEY_SPEC_USER_SESSION_KEYRING,
            KeyctlScope::Session => libc::KEY_SPEC_SESSION_KEYRING,
            KeyctlScope::Process => libc::KEY_SPEC_PROCESS_KEYRING,
            KeyctlScope::Thread => libc::KEY_SPEC_THREAD_KEYRING,
        }
    }
}

impl std::str::FromStr for KeyctlScope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, k)| *k)
            .ok_or_else(|| {
                format!(
                    "unknown keyctl scope `{s}`; use one of: {}",
                    Self::ALL.map(|(n, _)| n).join(", ")
                )
            })
    }
}

/// Items as keys in a named kernel keyring.
pub struct KeyctlBackend {
    scope: KeyctlScope,
    keyring_name: String,
}

impl KeyctlBackend {
    /// A backend over the keyring `keyring_name` (aws-vault: `aws-vault`) in `scope`. Nothing
    /// is created until the first write.
    pub fn new(scope: KeyctlScope, keyring_name: impl Into<String>) -> Self {
        Self {
            scope,
            keyring_name: keyring_name.into(),
        }
    }

    /// True when the kernel offers keyrings to this process (not blocked by a sandbox).
    pub fn is_available() -> bool {
        sys::keyctl(
            libc::KEYCTL_GET_KEYRING_ID as _,
            libc::KEY_SPEC_USER_KEYRING as _,
            0,
            0,
            0,
        )
        .is_ok()
    }

    /// Removes the named keyring and every key in it.
    pub fn destroy(&self) -> Result<bool, VaultError> {
        match self.ring(false)? {
            Some(ring) => {
                sys::keyctl(libc::KEYCTL_CLEAR as _, ring as _, 0, 0, 0)
                    .and_then(|_| {
                        sys::keyctl(
                            libc::KEYCTL_UNLINK as _,
                            ring as _,
                            self.scope.special_id() as _,
                            0,
                            0,
                        )
                    })
                    .map_err(|e| self.failed("remove the keyring", e))?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The named keyring's id, created when `create` is set.
    fn ring(&self, create: bool) -> Result<Option<i32>, VaultError> {
        let parent = sys::keyctl(
            libc::KEYCTL_GET_KEYRING_ID as _,
            self.scope.special_id() as _,
            1,
            0,
            0,
        )
        .map_err(|e| self.unavailable(e))? as i32;
        let name = self.c_name(&self.keyring_name)?;
        match sys::search(parent, c"keyring", &name) {
            Ok(id) => return Ok(Some(id)),
            Err(e) if e.raw_os_error() == Some(libc::ENOKEY) => {}
            Err(e) => return Err(self.failed("find the keyring", e)),
        }
        if !create {
            return Ok(None);
        }
        let id = sys::add_key(c"keyring", &name, &[], parent)
            .map_err(|e| self.failed("create the keyring", e))?;
        sys::keyctl(libc::KEYCTL_SETPERM as _, id as _, PERMISSIONS as _, 0, 0)
            .map_err(|e| self.failed("set the keyring's permissions", e))?;
        Ok(Some(id))
    }

    fn find(&self, ring: i32, key: &str) -> Result<Option<i32>, VaultError> {
        let name = self.c_name(key)?;
        match sys::search(ring, c"user", &name) {
            Ok(id) => Ok(Some(id)),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOKEY | libc::EKEYREVOKED)) => {
                Ok(None)
            }
            Err(e) => Err(self.failed(&format!("find `{key}`"), e)),
        }
    }

    fn c_name(&self, name: &str) -> Result<CString, VaultError> {
        CString::new(name).map_err(|_| VaultError::Backend {
            backend: NAME,
            action: format!("use the name {name:?}"),
            reason: "a kernel key name cannot contain a NUL byte".into(),
        })
    }

    fn failed(&self, action: &str, e: std::io::Error) -> VaultError {
        let reason = match e.raw_os_error() {
            Some(libc::EDQUOT) => format!(
                "{e}: the kernel's per-user key quota is used up (see /proc/sys/kernel/keys/maxbytes); remove unused sessions with `stsvault clear`, or choose another --backend"
            ),
            Some(libc::EACCES) => format!(
                "{e}: the keyring `{}` belongs to another user or was created without user permissions",
                self.keyring_name
            ),
            _ => e.to_string(),
        };
        VaultError::Backend {
            backend: NAME,
            action: action.to_string(),
            reason,
        }
    }

    fn unavailable(&self, e: std::io::Error) -> VaultError {
        VaultError::Unavailable {
            backend: NAME,
            reason: format!("the kernel keyring cannot be used here ({e})"),
            hint: "containers often block keyctl(2); choose another --backend such as `file`"
                .into(),
        }
    }
}

impl Backend for KeyctlBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn get(&self, key: &str) -> Result<Option<Item>, VaultError> {
        let Some(ring) = self.ring(false)? else {
            return Ok(None);
        };
        let Some(id) = self.find(ring, key)? else {
            return Ok(None);
        };
        match sys::read(id) {
            Ok(data) => Ok(Some(Item::new(
                key,
                data.to_vec(),
                String::new(),
                String::new(),
            ))),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOKEY | libc::EKEYREVOKED)) => {
                Ok(None) // removed between the search and the read
            }
            Err(e) => Err(self.failed(&format!("read `{key}`"), e)),
        }
    }

    fn set(&self, item: &Item) -> Result<(), VaultError> {
        let action = format!("store `{}`", item.key);
        if item.data().len() > MAX_ITEM_SIZE {
            return Err(VaultError::Backend {
                backend: NAME,
                action,
                reason: format!(
                    "the item is {} bytes, and a kernel key holds at most {MAX_ITEM_SIZE}",
                    item.data().len()
                ),
            });
        }
        let ring = self
            .ring(true)?
            .ok_or_else(|| self.failed(&action, std::io::Error::from_raw_os_error(libc::ENOKEY)))?;
        let name = self.c_name(&item.key)?;
        let id =
            sys::add_key(c"user", &name, item.data(), ring).map_err(|e| self.failed(&action, e))?;
        sys::keyctl(libc::KEYCTL_SETPERM as _, id as _, PERMISSIONS as _, 0, 0)
            .map_err(|e| self.failed(&action, e))?;
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<bool, VaultError> {
        let Some(ring) = self.ring(false)? else {
            return Ok(false);
        };
        let Some(id) = self.find(ring, key)? else {
            return Ok(false);
        };
        sys::keyctl(libc::KEYCTL_INVALIDATE as _, id as _, 0, 0, 0)
            .or_else(|_| sys::keyctl(libc::KEYCTL_UNLINK as _, id as _, ring as _, 0, 0))
            .map_err(|e| self.failed(&format!("remove `{key}`"), e))?;
        Ok(true)
    }

    fn keys(&self) -> Result<Vec<String>, VaultError> {
        let Some(ring) = self.ring(false)? else {
            return Ok(Vec::new());
        };
        let ids = sys::read(ring).map_err(|e| self.failed("list the keyring", e))?;
        let mut keys = Vec::new();
        for chunk in ids.chunks_exact(4) {
            let id = i32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            // A key removed since the read, or not ours to describe, is skipped.
            let Ok(description) = sys::describe(id) else {
                continue;
            };
            // "type;uid;gid;perm;description", the description last (it may hold `;`).
            let mut fields = description.splitn(5, ';');
            if fields.next() == Some("user")
                && let Some(name) = fields.nth(3)
            {
                keys.push(name.to_string());
            }
        }
        keys.sort();
        Ok(keys)
    }
}

/// The raw system calls, shared with the file vault's passphrase cache
/// (`passphrase_cache.rs`).
pub(super) mod sys {
    use std::ffi::CStr;
    use zeroize::Zeroizing;

    /// `keyctl(2)`.
    pub fn keyctl(
        op: libc::c_ulong,
        a: libc::c_ulong,
        b: libc::c_ulong,
        c: libc::c_ulong,
        d: libc::c_ulong,
    ) -> std::io::Result<libc::c_long> {
        // SAFETY: every operation used here takes integer arguments or pointers that the
        // callers below keep alive for the call.
        let r = unsafe { libc::syscall(libc::SYS_keyctl, op, a, b, c, d) };
        if r < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(r)
        }
    }

    /// `add_key(2)`: creates or updates the key `name` of `kind` in `ring`.
    pub fn add_key(kind: &CStr, name: &CStr, payload: &[u8], ring: i32) -> std::io::Result<i32> {
        let ptr = if payload.is_empty() {
            std::ptr::null()
        } else {
            payload.as_ptr()
        };
        // SAFETY: the strings are NUL-terminated and the payload pointer/length describe a
        // live slice.
        let r = unsafe {
            libc::syscall(
                libc::SYS_add_key,
                kind.as_ptr(),
                name.as_ptr(),
                ptr,
                payload.len(),
                ring as libc::c_long,
            )
        };
        if r < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(r as i32)
        }
    }

    /// `KEYCTL_SEARCH` for `kind`/`name` under `ring`, not linking the result anywhere.
    pub fn search(ring: i32, kind: &CStr, name: &CStr) -> std::io::Result<i32> {
        keyctl(
            libc::KEYCTL_SEARCH as _,
            ring as _,
            kind.as_ptr() as _,
            name.as_ptr() as _,
            0,
        )
        .map(|id| id as i32)
    }

    /// `op` (`KEYCTL_READ`, `KEYCTL_DESCRIBE`) into a buffer grown until the answer fits.
    fn read_all(op: u32, id: i32) -> std::io::Result<Zeroizing<Vec<u8>>> {
        let mut buf = Zeroizing::new(Vec::<u8>::new());
        loop {
            let n = keyctl(op as _, id as _, buf.as_mut_ptr() as _, buf.len() as _, 0)? as usize;
            if n <= buf.len() {
                buf.truncate(n);
                return Ok(buf);
            }
            *buf = vec![0; n];
        }
    }

    /// `KEYCTL_READ`: the key's payload, or a keyring's key ids.
    pub fn read(id: i32) -> std::io::Result<Zeroizing<Vec<u8>>> {
        read_all(libc::KEYCTL_READ, id)
    }

    /// `KEYCTL_DESCRIBE`: "type;uid;gid;perm;description".
    pub fn describe(id: i32) -> std::io::Result<String> {
        let mut buf = read_all(libc::KEYCTL_DESCRIBE, id)?;
        if buf.last() == Some(&0) {
            buf.pop();
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse() {
        assert_eq!("user".parse::<KeyctlScope>().unwrap(), KeyctlScope::User);
        assert_eq!(
            "usersession".parse::<KeyctlScope>().unwrap(),
            KeyctlScope::UserSession
        );
        let err = "group".parse::<KeyctlScope>().unwrap_err();
        assert!(err.contains("user, usersession"), "{err}");
    }
}
