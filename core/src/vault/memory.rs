//! An in-memory backend, for unit tests of other modules only.

use super::{Backend, Item, VaultError};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// An item's data, label and description.
type Stored = (Vec<u8>, String, String);

/// Items kept in a map for the life of the value.
#[derive(Default)]
pub struct MemoryBackend {
    items: Mutex<BTreeMap<String, Stored>>,
}

impl MemoryBackend {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Stored>> {
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Backend for MemoryBackend {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn get(&self, key: &str) -> Result<Option<Item>, VaultError> {
        Ok(self
            .lock()
            .get(key)
            .map(|(d, l, desc)| Item::new(key, d.clone(), l.clone(), desc.clone())))
    }

    fn set(&self, item: &Item) -> Result<(), VaultError> {
        self.lock().insert(
            item.key.clone(),
            (
                item.data().to_vec(),
                item.label.clone(),
                item.description.clone(),
            ),
        );
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<bool, VaultError> {
        Ok(self.lock().remove(key).is_some())
    }

    fn keys(&self) -> Result<Vec<String>, VaultError> {
        Ok(self.lock().keys().cloned().collect())
    }
}
