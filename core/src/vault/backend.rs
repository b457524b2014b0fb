//! The backend interface and the item it stores (the same fields as 99designs/keyring's Item,
//! which aws-vault's backends store).

use super::VaultError;
use secrecy::{ExposeSecret, SecretSlice};
use std::str::FromStr;

/// One stored item: a name, secret data, and labels shown by keyring UIs.
pub struct Item {
    /// The item name (a profile name, or a session key).
    pub key: String,
    data: SecretSlice<u8>,
    /// A human label.
    pub label: String,
    /// A human description.
    pub description: String,
}

impl Item {
    /// A new item. `data` is copied into an exactly sized secret buffer and then zeroized
    /// (turning a `Vec` with spare capacity into the box directly could move it and free the
    /// old buffer unzeroized).
    pub fn new(key: impl Into<String>, data: Vec<u8>, label: String, description: String) -> Self {
        let data = zeroize::Zeroizing::new(data);
        Self {
            key: key.into(),
            data: SecretSlice::from(data.to_vec()),
            label,
            description,
        }
    }

    /// The secret data.
    pub fn data(&self) -> &[u8] {
        self.data.expose_secret()
    }
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Item")
            .field("key", &self.key)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// A place to keep items.
pub trait Backend: Send + Sync {
    /// The backend's name as `--backend` spells it.
    fn name(&self) -> &'static str;
    /// The item named `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Item>, VaultError>;
    /// Stores `item`, replacing an item of the same name.
    fn set(&self, item: &Item) -> Result<(), VaultError>;
    /// Removes the item named `key`; false if there was none.
    fn remove(&self, key: &str) -> Result<bool, VaultError>;
    /// The names of all items (never needs a passphrase).
    fn keys(&self) -> Result<Vec<String>, VaultError>;
}

/// The backends, named as aws-vault's `--backend` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// Encrypted files, one per item (aws-vault's `file`).
    File,
    /// The freedesktop Secret Service over D-Bus (GNOME Keyring, KWallet 6, KeePassXC).
    SecretService,
    /// KDE's wallet through kwalletd's own D-Bus API.
    KWallet,
    /// The Linux kernel keyring.
    Keyctl,
    /// The `pass` password store.
    Pass,
    /// The macOS Keychain.
    Keychain,
    /// The Windows Credential Manager.
    WinCred,
    /// In memory, for tests.
    Memory,
}

impl BackendKind {
    const ALL: [(&'static str, BackendKind); 8] = [
        ("keychain", BackendKind::Keychain),
        ("wincred", BackendKind::WinCred),
        ("secret-service", BackendKind::SecretService),
        ("kwallet", BackendKind::KWallet),
        ("keyctl", BackendKind::Keyctl),
        ("pass", BackendKind::Pass),
        ("file", BackendKind::File),
        ("memory", BackendKind::Memory),
    ];

    /// The backend's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("file")
    }

    /// True when this build can use the backend on this platform.
    pub fn is_supported(self) -> bool {
        match self {
            BackendKind::File | BackendKind::Memory => true,
            BackendKind::SecretService | BackendKind::KWallet => {
                cfg!(all(unix, not(target_os = "macos")))
            }
            BackendKind::Keyctl => cfg!(target_os = "linux"),
            BackendKind::Pass => cfg!(unix),
            BackendKind::Keychain => cfg!(target_os = "macos"),
            BackendKind::WinCred => cfg!(windows),
        }
    }

    /// The backends this platform supports, in aws-vault's order (`memory` left out).
    pub fn supported() -> Vec<BackendKind> {
        Self::ALL
            .iter()
            .map(|(_, k)| *k)
            .filter(|k| k.is_supported() && *k != BackendKind::Memory)
            .collect()
    }
}

impl BackendKind {
    /// The supported backends' names, for error messages.
    fn supported_names() -> String {
        Self::supported()
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The error for asking for this backend on a platform that does not have it.
    pub(crate) fn unsupported(self) -> VaultError {
        VaultError::UnsupportedBackend {
            name: self.name(),
            platform: match self {
                BackendKind::Keychain => "macOS",
                BackendKind::WinCred => "Windows",
                BackendKind::Keyctl => "Linux",
                _ => "Linux and the BSDs",
            },
            available: Self::supported_names(),
        }
    }
}

impl FromStr for BackendKind {
    type Err = VaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, k)| *k) {
            Some(k) if k.is_supported() => Ok(k),
            Some(k) => Err(k.unsupported()),
            None => Err(VaultError::UnknownBackend {
                name: s.to_string(),
                available: Self::supported_names(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_for_supported_backends() {
        for k in BackendKind::supported() {
            assert_eq!(k.name().parse::<BackendKind>().unwrap(), k);
        }
        assert_eq!(
            "memory".parse::<BackendKind>().unwrap(),
            BackendKind::Memory
        );
        #[cfg(target_os = "linux")]
        {
            let names: Vec<_> = BackendKind::supported().iter().map(|k| k.name()).collect();
            assert_eq!(
                names,
                ["secret-service", "kwallet", "keyctl", "pass", "file"]
            );
            let err = "keychain".parse::<BackendKind>().unwrap_err().to_string();
            assert!(
                err.contains("secret-service, kwallet, keyctl, pass, file"),
                "{err}"
            );
        }
    }
}
