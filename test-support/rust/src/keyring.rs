//! The kernel keyring as the passphrase cache's tests see it: a fresh session keyring for the
//! test (so what it caches is gone with it and nothing reaches the developer's own session),
//! and the description the cache gives a vault's entry, worked out here independently of
//! core's code.

use sha2::{Digest, Sha256};
use std::path::Path;

/// Makes the calling thread (and every process it starts from now on) join a new, empty
/// session keyring, as `keyctl new_session` does. Panics when the kernel refuses: the tests
/// that call this test the kernel keyring.
pub fn join_new_session_keyring() {
    // SAFETY: KEYCTL_JOIN_SESSION_KEYRING with a null name takes no memory of ours.
    let r = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            libc::KEYCTL_JOIN_SESSION_KEYRING as libc::c_ulong,
            std::ptr::null::<libc::c_char>(),
        )
    };
    assert!(
        r >= 0,
        "cannot join a new session keyring: {}",
        std::io::Error::last_os_error()
    );
}

/// The description of the passphrase cache's key for the vault in `dir`:
/// `stsvault:passphrase:` and the SHA-256 of the canonical directory, in hex.
pub fn passphrase_key_description(dir: &Path) -> String {
    let canonical = std::fs::canonicalize(dir).expect("canonical vault directory");
    let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("stsvault:passphrase:{hex}")
}
