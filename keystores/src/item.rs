//! [`StoredItem`]: one item as the stores keep it — 99designs/keyring's `Item` without its
//! backend-specific flags.

use std::fmt;

use zeroize::Zeroizing;

/// One stored item.
///
/// `data` holds the raw bytes stored in the OS store (for aws-vault items, a JSON document); it
/// is wiped from memory when the item is dropped and never shown by `Debug`.
#[derive(Clone, Default)]
pub struct StoredItem {
    /// The item's key: the keychain item's account, or the part of the Windows credential's
    /// target name after `prefix:service:`.
    pub key: String,
    /// The secret bytes, stored as-is.
    pub data: Zeroizing<Vec<u8>>,
    /// A human-readable label (the keychain item's name in Keychain Access). Not kept by the
    /// Windows Credential Manager store, as in aws-vault.
    pub label: String,
    /// A human-readable description (the keychain item's "kind"). Not kept by the Windows
    /// Credential Manager store, as in aws-vault.
    pub description: String,
}

impl StoredItem {
    /// An item with the given key and data and an empty label and description.
    pub fn new(key: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Self {
            key: key.into(),
            data: Zeroizing::new(data.into()),
            label: String::new(),
            description: String::new(),
        }
    }

    /// The same item with `label` as its label.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The same item with `description` as its description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
}

impl fmt::Debug for StoredItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredItem")
            .field("key", &self.key)
            .field("data", &format_args!("<redacted>"))
            .field("label", &self.label)
            .field("description", &self.description)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_data() {
        let item = StoredItem::new("prod", b"SECRET-BYTES".to_vec())
            .with_label("aws-vault (prod)")
            .with_description("desc");
        let shown = format!("{item:?} {item:#?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(shown.contains("prod") && shown.contains("desc"), "{shown}");
    }

    #[test]
    fn builders_set_fields() {
        let item = StoredItem::new("k", vec![1, 2, 3])
            .with_label("l")
            .with_description("d");
        assert_eq!(item.key, "k");
        assert_eq!(item.data.as_slice(), &[1, 2, 3]);
        assert_eq!((item.label.as_str(), item.description.as_str()), ("l", "d"));
    }
}
