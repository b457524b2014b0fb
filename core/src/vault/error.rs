//! Errors of the vault and its backends.

use std::path::PathBuf;

/// A problem opening, reading or writing the vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The passphrase does not decrypt the item.
    #[error(
        "could not decrypt {path}: the passphrase for the file vault in {dir} is wrong, or the file is damaged; try again (AWS_VAULT_FILE_PASSPHRASE, if set, is used as the passphrase)"
    )]
    WrongPassphrase {
        /// The vault directory.
        dir: PathBuf,
        /// The item's file.
        path: PathBuf,
    },
    /// An item file is not a vault item.
    #[error(
        "{path} is not a readable vault item ({reason}); move it out of the vault directory or restore it from a backup"
    )]
    Corrupt {
        /// The item's file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An item file asks for an algorithm or header feature this version does not read: it was
    /// written by a newer (or another) tool.
    #[error(
        "{path} is in a vault format this version of stsvault cannot read ({what}); it was probably written by a newer stsvault or aws-vault: upgrade stsvault, or move the file out of the vault directory"
    )]
    NewerFormat {
        /// The item's file.
        path: PathBuf,
        /// What is not understood.
        what: String,
    },
    /// An item decrypted, but its contents are not aws-vault credentials.
    #[error(
        "the vault item `{item}` does not hold AWS credentials ({reason}); store them again with `stsvault add {item}`"
    )]
    InvalidItem {
        /// The item name.
        item: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing the backend's storage failed.
    #[error("{action} {path} failed: {source}")]
    Io {
        /// What was being done ("reading", "writing"…).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The vault directory is a file.
    #[error(
        "the vault directory {0} is a file, not a directory; set AWS_VAULT_FILE_DIR or --file-dir to a directory"
    )]
    NotADirectory(PathBuf),
    /// No home directory to put the vault in.
    #[error("cannot find the home directory for the file vault; set HOME or AWS_VAULT_FILE_DIR")]
    NoHome,
    /// The passphrase could not be obtained.
    #[error(transparent)]
    Passphrase(#[from] crate::prompt::PromptError),
    /// Encrypting an item failed.
    #[error("encrypting the vault item `{item}` failed: {reason}")]
    Encrypt {
        /// The item name.
        item: String,
        /// Why.
        reason: String,
    },
    /// `STSVAULT_PASSPHRASE_CACHE` / `--passphrase-cache` is not a duration.
    #[error(
        "the passphrase cache's idle time `{value}` (STSVAULT_PASSPHRASE_CACHE or --passphrase-cache) is not a duration: {reason}; use e.g. 10m or 30s, or 0 to turn the cache off"
    )]
    InvalidPassphraseCache {
        /// The value given.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// `--backend` / `AWS_VAULT_BACKEND` names no backend.
    #[error("unknown vault backend `{name}`; use one of: {available}")]
    UnknownBackend {
        /// The name given.
        name: String,
        /// The backends available.
        available: String,
    },
    /// A backend's service cannot be reached: no session bus, no keyring daemon, a program
    /// missing.
    #[error("the `{backend}` vault backend is not available: {reason}; {hint}")]
    Unavailable {
        /// The backend (`secret-service`, `kwallet`, …).
        backend: &'static str,
        /// What is missing.
        reason: String,
        /// What to do about it.
        hint: String,
    },
    /// The backend's store is locked and was not unlocked: the keyring's prompt was dismissed
    /// or could not be shown.
    #[error(
        "the `{backend}` vault backend could not {action}: {what} is locked or needs a new password, and the keyring's prompt was dismissed or could not be shown; {hint}"
    )]
    Locked {
        /// The backend.
        backend: &'static str,
        /// What was being done ("read `prod`", "create the collection `awsvault`"…).
        action: String,
        /// The locked thing ("the collection `awsvault`", "the wallet `aws-vault`").
        what: String,
        /// How to unlock it, or what to use instead.
        hint: &'static str,
    },
    /// A backend call failed for another reason.
    #[error("the `{backend}` vault backend could not {action}: {reason}")]
    Backend {
        /// The backend.
        backend: &'static str,
        /// What was being done ("read `prod`", "list items"…).
        action: String,
        /// The service's error.
        reason: String,
    },
    /// An item in an OS keyring is not a vault item.
    #[error(
        "the item `{item}` in the `{backend}` vault is not an aws-vault item ({reason}); remove it with `stsvault remove {item}` (or your keyring's own tool) and add it again"
    )]
    CorruptItem {
        /// The backend.
        backend: &'static str,
        /// The item name.
        item: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `--backend` names a backend of another platform.
    #[error("the `{name}` vault backend exists only on {platform}; use one of: {available}")]
    UnsupportedBackend {
        /// The backend named.
        name: &'static str,
        /// Where it exists.
        platform: &'static str,
        /// The backends available here.
        available: String,
    },
    /// The lock that keeps two processes from fetching the same session failed.
    #[error(
        "could not take the session lock ({reason}); check that the lock directory (STSVAULT_LOCK_DIR, XDG_RUNTIME_DIR or ~/.cache/stsvault) is writable"
    )]
    Lock {
        /// The OS error.
        reason: String,
    },
    /// The plan needs master keys that are not in the vault.
    #[error(
        "no credentials are stored for profile `{profile}`; add them with `stsvault add {profile}`"
    )]
    NoCredentials {
        /// The profile.
        profile: String,
    },
}

impl VaultError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        VaultError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
