//! Single flight across processes: while one process asks for an MFA code and calls STS for a
//! session, the others that need the same session wait on an OS file lock (`flock`) and then
//! read the session it cached. The lock belongs to an open file, so a holder that crashes
//! releases it at once; no stale lock files can keep anyone waiting.

use crate::private_fs::{create_private_dir, private_open_options};
use crate::vault::SessionKey;
use std::fs::{File, TryLockError};
use std::path::PathBuf;

/// Held while fetching one session; released when dropped.
#[derive(Debug)]
pub struct FlightLock {
    _file: File,
}

/// Where lock files live: `$STSVAULT_LOCK_DIR`, else `$XDG_RUNTIME_DIR/stsvault`, else
/// `~/.cache/stsvault/locks` (`$XDG_CACHE_HOME` honoured; `~` is `$HOME`, `%USERPROFILE%` on
/// Windows).
pub fn lock_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("STSVAULT_LOCK_DIR")
        .or_else(|| env("XDG_RUNTIME_DIR").map(|d| d.join("stsvault")))
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("stsvault/locks")))
        .or_else(|| crate::home::home_dir().map(|h| h.join(".cache/stsvault/locks")))
}

/// A stable name for the key's lock file (FNV-1a of the key's item prefix, so every build of
/// stsvault, in any process or binding, picks the same file).
fn lock_name(key: &SessionKey) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.matching_prefix().bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("session-{hash:016x}.lock")
}

/// Takes the lock for `key`, calling `on_wait` once if another process holds it. Returns `None`
/// when no lock directory can be used (then there is no single flight, only a debug line).
pub fn acquire(key: &SessionKey, on_wait: impl FnOnce()) -> std::io::Result<Option<FlightLock>> {
    let Some(dir) = lock_dir() else {
        tracing::debug!("no directory for lock files; fetching without single flight");
        return Ok(None);
    };
    if let Err(e) = create_private_dir(&dir) {
        tracing::debug!(dir = %dir.display(), error = %e, "cannot create the lock directory; fetching without single flight");
        return Ok(None);
    }
    let path = dir.join(lock_name(key));
    let file = private_open_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            on_wait();
            file.lock()?;
        }
        Err(TryLockError::Error(e)) => return Err(e),
    }
    Ok(Some(FlightLock { _file: file }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_are_stable_and_distinct() {
        let a = SessionKey::new("sts.GetSessionToken", "prod", "arn:mfa");
        let b = SessionKey::new("sts.GetSessionToken", "dev", "arn:mfa");
        assert_eq!(lock_name(&a), lock_name(&a.clone()));
        assert_ne!(lock_name(&a), lock_name(&b));
        assert!(lock_name(&a).starts_with("session-") && lock_name(&a).ends_with(".lock"));
    }
}
