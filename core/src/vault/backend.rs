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
    /// A new item.
    pub fn new(key: impl Into<String>, data: Vec<u8>, label: String, description: String) -> Self {
        Self {
            key: key.into(),
            data: SecretSlice::from(data),
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
    /// In memory, for tests.
    Memory,
}

impl BackendKind {
    const ALL: [(&'static str, BackendKind); 2] =
        [("file", BackendKind::File), ("memory", BackendKind::Memory)];

    /// The backend's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("file")
    }
}

impl FromStr for BackendKind {
    type Err = VaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, k)| *k)
            .ok_or_else(|| VaultError::UnknownBackend {
                name: s.to_string(),
                available: Self::ALL
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}
