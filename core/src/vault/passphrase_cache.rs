//! The file vault's passphrase cache, as gpg-agent and ssh-agent users know it: once one
//! process has unlocked a vault with a typed passphrase, the other stsvault processes of the same
//! user in the same login session (the CLI, the Python and Node bindings) use it without asking,
//! until it has gone unused for the idle time ([`DEFAULT_IDLE`], `STSVAULT_PASSPHRASE_CACHE`,
//! `--passphrase-cache`; `0` turns the cache off) and at most [`MAX_AGE`] after it was typed.
//! `stsvault lock` forgets it at once.
//!
//! It lives in the Linux kernel keyring (docs/design.md says why): one `user` key per vault
//! directory in the session keyring — the user-session keyring for a process that has no session
//! keyring of its own — described `stsvault:passphrase:<SHA-256 of the canonical directory>`,
//! whose payload is the absolute deadline and the passphrase. Only the owning user may view,
//! read, search or change it (no possessor, group or other permission bits), so a process of
//! another user gets nothing even when it shares this session keyring; the kernel drops the key
//! when its timeout passes (refreshed on every use to the idle time, never past the deadline).
//! Kernel memory is never written to disk or swap, and nothing goes into the environment.
//!
//! A key is staged in the thread keyring — seen by no other process — and gets its permissions
//! and timeout there before it is linked into the session keyring, replacing any older entry, so
//! no other process ever sees it half set up.
//!
//! Anything the kernel refuses (no keyring support, a seccomp filter, a quota, a platform other
//! than Linux) turns the cache off without an error: the passphrase is asked for as before.

use super::VaultError;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The variable that sets the idle time (a duration such as `10m` or `30s`; `0` turns the cache
/// off).
pub const PASSPHRASE_CACHE_VAR: &str = "STSVAULT_PASSPHRASE_CACHE";

/// How long a cached passphrase may go unused before it is forgotten: gpg-agent's
/// `default-cache-ttl`.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(10 * 60);

/// How long after it was typed a passphrase is forgotten however often it is used: gpg-agent's
/// `max-cache-ttl`.
pub const MAX_AGE: Duration = Duration::from_secs(2 * 60 * 60);

/// Reads an idle time as `STSVAULT_PASSPHRASE_CACHE` and `--passphrase-cache` give it: a
/// Go-style duration (`10m`, `90s`, `1h`), `0` for no cache.
pub fn parse_idle(text: &str) -> Result<Duration, VaultError> {
    crate::config::parse_go_duration(text.trim()).map_err(|reason| {
        VaultError::InvalidPassphraseCache {
            value: text.to_string(),
            reason,
        }
    })
}

/// The cached passphrase of one vault directory.
#[derive(Debug, Clone)]
pub struct PassphraseCache {
    dir: PathBuf,
    idle: Duration,
}

impl PassphraseCache {
    /// The cache entry of the vault in `dir`, forgotten after `idle` without use; `None` when
    /// `idle` is zero (the cache is off).
    pub fn new(dir: impl Into<PathBuf>, idle: Duration) -> Option<Self> {
        (!idle.is_zero()).then(|| Self {
            dir: dir.into(),
            idle,
        })
    }

    /// The vault directory this entry belongs to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cached passphrase, when one is cached, readable and not past its deadline; each hit
    /// restarts the idle time. An entry past its deadline or unreadable is removed.
    pub fn get(&self) -> Option<SecretString> {
        let description = self.description()?;
        match kernel::get(&description, self.idle) {
            Ok(found) => {
                tracing::debug!(
                    hit = found.is_some(),
                    "looked up the cached vault passphrase"
                );
                found
            }
            Err(e) => {
                tracing::debug!(error = %e, "the passphrase cache is unavailable");
                None
            }
        }
    }

    /// Caches `passphrase` (which has just opened or written an item) for the idle time, at
    /// most [`MAX_AGE`]; replaces any entry of this directory. Failing is not an error: the
    /// next process asks again.
    pub fn store(&self, passphrase: &SecretString) {
        let Some(description) = self.description() else {
            return;
        };
        let deadline = now_secs().saturating_add(MAX_AGE.as_secs());
        match kernel::store(&description, passphrase, deadline, self.idle) {
            Ok(()) => tracing::debug!("cached the vault passphrase"),
            Err(e) => tracing::debug!(error = %e, "could not cache the vault passphrase"),
        }
    }

    /// Forgets the cached passphrase of this directory; true when one was cached.
    pub fn forget(&self) -> bool {
        let Some(description) = self.description() else {
            return false;
        };
        kernel::forget(&description).unwrap_or_else(|e| {
            tracing::debug!(error = %e, "the passphrase cache is unavailable");
            false
        })
    }

    /// The key's description; `None` when the directory does not exist (nothing to unlock).
    fn description(&self) -> Option<String> {
        let canonical = std::fs::canonicalize(&self.dir).ok()?;
        Some(description(&canonical))
    }
}

/// Forgets the cached passphrase of the vault in `dir` (`stsvault lock`), whatever the idle
/// time; true when one was cached.
pub fn forget(dir: &Path) -> bool {
    PassphraseCache {
        dir: dir.to_path_buf(),
        idle: DEFAULT_IDLE,
    }
    .forget()
}

/// `stsvault:passphrase:` and the SHA-256 of the canonical directory's path, in hex: one entry
/// per vault, and no path in `/proc/keys`.
fn description(canonical_dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let digest = Sha256::digest(canonical_dir.as_os_str().as_encoded_bytes());
    let mut text = String::from("stsvault:passphrase:");
    for byte in digest {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The key's payload: a version byte, the deadline (Unix seconds, little-endian) and the
/// passphrase's UTF-8 bytes.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
mod entry {
    use std::time::Duration;
    use zeroize::Zeroizing;

    const VERSION: u8 = 1;
    const HEADER: usize = 1 + 8;

    /// The payload for `passphrase`, forgotten at `deadline`.
    pub fn encode(deadline: u64, passphrase: &[u8]) -> Zeroizing<Vec<u8>> {
        let mut payload = Zeroizing::new(Vec::with_capacity(HEADER + passphrase.len()));
        payload.push(VERSION);
        payload.extend_from_slice(&deadline.to_le_bytes());
        payload.extend_from_slice(passphrase);
        payload
    }

    /// The deadline and the passphrase of a payload; `None` for one this version did not write.
    pub fn decode(payload: &[u8]) -> Option<(u64, &[u8])> {
        let (&version, rest) = payload.split_first()?;
        if version != VERSION || rest.len() < 8 {
            return None;
        }
        let (deadline, passphrase) = rest.split_at(8);
        Some((u64::from_le_bytes(deadline.try_into().ok()?), passphrase))
    }

    /// The kernel timeout (whole seconds, at least 1 — 0 would mean "never") to give an entry
    /// used at `now`: the idle time, cut short by the deadline; `None` once the deadline has
    /// passed.
    pub fn timeout(now: u64, deadline: u64, idle: Duration) -> Option<u32> {
        let left = deadline.checked_sub(now).filter(|&s| s > 0)?;
        let idle = idle
            .as_secs()
            .saturating_add(u64::from(idle.subsec_nanos() > 0));
        let secs = idle.clamp(1, left);
        Some(u32::try_from(secs).unwrap_or(u32::MAX))
    }
}

/// The kernel keyring calls.
#[cfg(target_os = "linux")]
mod kernel {
    use super::entry;
    use crate::vault::keyctl::sys;
    use secrecy::{ExposeSecret, SecretString};
    use std::ffi::CString;
    use std::io;
    use std::time::Duration;
    use zeroize::Zeroizing;

    /// view, read, write, search, link and setattr for the owning user; nothing for a
    /// possessor, the group or others.
    const USER_ONLY: u32 = 0x003f_0000;

    fn c_description(description: &str) -> io::Result<CString> {
        CString::new(description).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    }

    /// The session keyring's id. Asked without "create": a process that has no session keyring
    /// is given the user-session keyring (with "create" the kernel would make it a new session
    /// keyring of its own, which dies with it).
    fn session_keyring() -> io::Result<i32> {
        sys::keyctl(
            libc::KEYCTL_GET_KEYRING_ID as _,
            libc::KEY_SPEC_SESSION_KEYRING as _,
            0,
            0,
            0,
        )
        .map(|id| id as i32)
    }

    /// This user's entry described `description` in the session keyring.
    fn find(description: &CString) -> io::Result<Option<i32>> {
        let ring = session_keyring()?;
        let id = match sys::search(ring, c"user", description) {
            Ok(id) => id,
            // Absent, expired, revoked — or only another user's key matched.
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ENOKEY | libc::EKEYEXPIRED | libc::EKEYREVOKED | libc::EACCES)
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        // "type;uid;gid;perm;description": a key another user left here is not ours to trust.
        // SAFETY: geteuid(2) has no preconditions.
        let me = unsafe { libc::geteuid() }.to_string();
        let owner_is_me = sys::describe(id)
            .map(|d| d.split(';').nth(1) == Some(me.as_str()))
            .unwrap_or(false);
        Ok(owner_is_me.then_some(id))
    }

    fn invalidate(id: i32) -> io::Result<()> {
        sys::keyctl(libc::KEYCTL_INVALIDATE as _, id as _, 0, 0, 0).map(|_| ())
    }

    fn set_timeout(id: i32, secs: u32) -> io::Result<()> {
        sys::keyctl(libc::KEYCTL_SET_TIMEOUT as _, id as _, secs as _, 0, 0).map(|_| ())
    }

    pub fn get(description: &str, idle: Duration) -> io::Result<Option<SecretString>> {
        let description = c_description(description)?;
        let Some(id) = find(&description)? else {
            return Ok(None);
        };
        let payload = match sys::read(id) {
            Ok(p) => p,
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ENOKEY | libc::EKEYEXPIRED | libc::EKEYREVOKED)
                ) =>
            {
                return Ok(None); // expired or forgotten since the search
            }
            Err(e) => return Err(e),
        };
        let usable = entry::decode(&payload).and_then(|(deadline, passphrase)| {
            let timeout = entry::timeout(super::now_secs(), deadline, idle)?;
            let text = std::str::from_utf8(passphrase).ok()?;
            Some((timeout, SecretString::from(text)))
        });
        let Some((timeout, passphrase)) = usable else {
            let _ = invalidate(id); // past its deadline, or not ours to read
            return Ok(None);
        };
        set_timeout(id, timeout)?;
        Ok(Some(passphrase))
    }

    pub fn store(
        description: &str,
        passphrase: &SecretString,
        deadline: u64,
        idle: Duration,
    ) -> io::Result<()> {
        let description = c_description(description)?;
        let timeout = entry::timeout(super::now_secs(), deadline, idle)
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        let payload: Zeroizing<Vec<u8>> =
            entry::encode(deadline, passphrase.expose_secret().as_bytes());
        let ring = session_keyring()?;
        // Staged in this thread's keyring, which no other process possesses, then linked into
        // the session keyring once its permissions and timeout are set.
        let id = sys::add_key(
            c"user",
            &description,
            &payload,
            libc::KEY_SPEC_THREAD_KEYRING,
        )?;
        let staged = sys::keyctl(libc::KEYCTL_SETPERM as _, id as _, USER_ONLY as _, 0, 0)
            .and_then(|_| set_timeout(id, timeout))
            .and_then(|()| sys::keyctl(libc::KEYCTL_LINK as _, id as _, ring as _, 0, 0));
        let _ = sys::keyctl(
            libc::KEYCTL_UNLINK as _,
            id as _,
            libc::KEY_SPEC_THREAD_KEYRING as _,
            0,
            0,
        );
        if staged.is_err() {
            let _ = invalidate(id);
        }
        staged.map(|_| ())
    }

    pub fn forget(description: &str) -> io::Result<bool> {
        let description = c_description(description)?;
        let Some(id) = find(&description)? else {
            return Ok(false);
        };
        match invalidate(id) {
            Ok(()) => Ok(true),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOKEY | libc::EKEYEXPIRED)) => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

/// No kernel keyring here: nothing is cached.
#[cfg(not(target_os = "linux"))]
mod kernel {
    use secrecy::SecretString;
    use std::io;
    use std::time::Duration;

    fn unsupported() -> io::Error {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "the passphrase cache needs the Linux kernel keyring",
        )
    }

    pub fn get(_: &str, _: Duration) -> io::Result<Option<SecretString>> {
        Err(unsupported())
    }

    pub fn store(_: &str, _: &SecretString, _: u64, _: Duration) -> io::Result<()> {
        Err(unsupported())
    }

    pub fn forget(_: &str) -> io::Result<bool> {
        Err(unsupported())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_foreign_ones_are_refused() {
        let payload = entry::encode(1_700_000_000, "pässphrase".as_bytes());
        assert_eq!(
            entry::decode(&payload),
            Some((1_700_000_000, "pässphrase".as_bytes()))
        );
        assert_eq!(entry::decode(&entry::encode(7, b"")), Some((7, &b""[..])));
        assert_eq!(entry::decode(b""), None);
        assert_eq!(entry::decode(&[1, 0, 0]), None, "too short for a deadline");
        let mut newer = payload.to_vec();
        newer[0] = 2;
        assert_eq!(entry::decode(&newer), None, "another version");
    }

    #[test]
    fn the_timeout_is_the_idle_time_cut_short_by_the_deadline() {
        let idle = Duration::from_secs(600);
        assert_eq!(entry::timeout(1000, 1000 + 7200, idle), Some(600));
        assert_eq!(entry::timeout(1000, 1000 + 90, idle), Some(90));
        assert_eq!(entry::timeout(1000, 1001, idle), Some(1));
        assert_eq!(entry::timeout(1000, 1000, idle), None, "at the deadline");
        assert_eq!(entry::timeout(1000, 999, idle), None, "past it");
        // Never 0, which the kernel reads as "no timeout"; fractions round up.
        assert_eq!(entry::timeout(0, 7200, Duration::from_millis(300)), Some(1));
        assert_eq!(
            entry::timeout(0, 7200, Duration::from_millis(2500)),
            Some(3)
        );
        assert_eq!(
            entry::timeout(0, u64::MAX, Duration::from_secs(u64::MAX)),
            Some(u32::MAX)
        );
    }

    #[test]
    fn idle_times_parse_as_durations_and_zero_turns_the_cache_off() {
        assert_eq!(parse_idle("10m").unwrap(), DEFAULT_IDLE);
        assert_eq!(parse_idle("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_idle("0").unwrap(), Duration::ZERO);
        assert!(PassphraseCache::new("/v", Duration::ZERO).is_none());
        assert!(PassphraseCache::new("/v", DEFAULT_IDLE).is_some());
        let err = parse_idle("600").unwrap_err().to_string();
        assert!(
            err.contains("STSVAULT_PASSPHRASE_CACHE") && err.contains("600"),
            "{err}"
        );
    }

    #[test]
    fn each_directory_has_its_own_description() {
        let a = description(Path::new("/home/me/.awsvault/keys"));
        let b = description(Path::new("/home/me/other-vault"));
        assert_ne!(a, b);
        assert!(a.starts_with("stsvault:passphrase:"), "{a}");
        assert_eq!(a.len(), "stsvault:passphrase:".len() + 64);
        assert!(!a.contains("home"), "no path in /proc/keys");
        // A directory not there has nothing to unlock, and so no entry.
        assert!(
            PassphraseCache::new("/nonexistent/stsvault-vault", DEFAULT_IDLE)
                .unwrap()
                .description()
                .is_none()
        );
    }
}
