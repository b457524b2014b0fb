//! The OS-native stores — the macOS Keychain (`keychain`) and the Windows Credential Manager
//! (`wincred`) — as [`Backend`]s, over the `stsvault-keystores` crate, which keeps aws-vault's
//! item layout. Both store the item's data as it is (no Item JSON), as aws-vault does.

use super::{Backend, Item, VaultError};
use stsvault_keystores::{StoreError, StoredItem};

#[cfg(target_os = "macos")]
use stsvault_keystores::keychain::{ItemAccess, Keychain};
#[cfg(windows)]
use stsvault_keystores::wincred::WinCred;

/// The store behind a [`NativeBackend`].
enum Store {
    #[cfg(target_os = "macos")]
    Keychain(Keychain),
    #[cfg(windows)]
    WinCred(WinCred),
}

/// An OS-native store as a vault backend.
pub struct NativeBackend {
    name: &'static str,
    store: Store,
}

/// aws-vault's keychain `keychain_name`, items under the service `service`.
#[cfg(target_os = "macos")]
pub fn keychain(keychain_name: &str, service: &str) -> Result<NativeBackend, VaultError> {
    let store = Keychain::open(keychain_name, service)
        .map_err(|e| map_err("keychain", "open the keychain", e))?;
    Ok(NativeBackend {
        name: "keychain",
        store: Store::Keychain(store),
    })
}

/// aws-vault's Credential Manager targets `aws-vault:<service>:<item>`.
#[cfg(windows)]
pub fn wincred(service: &str) -> Result<NativeBackend, VaultError> {
    let store = WinCred::open(
        service,
        stsvault_keystores::layout::AWS_VAULT_WINCRED_PREFIX,
    )
    .map_err(|e| map_err("wincred", "open the Credential Manager", e))?;
    Ok(NativeBackend {
        name: "wincred",
        store: Store::WinCred(store),
    })
}

fn map_err(backend: &'static str, action: &str, e: StoreError) -> VaultError {
    match e {
        StoreError::NotAvailable { .. } => VaultError::Unavailable {
            backend,
            reason: e.to_string(),
            hint: "choose another --backend such as `file`".into(),
        },
        StoreError::Locked { .. } | StoreError::Denied { .. } | StoreError::UserCanceled { .. } => {
            VaultError::Locked {
                backend,
                action: action.to_string(),
                what: format!("the {backend} store"),
                hint: "allow stsvault when the system asks, or unlock the store, and try again",
            }
        }
        other => VaultError::Backend {
            backend,
            action: action.to_string(),
            reason: other.to_string(),
        },
    }
}

impl Backend for NativeBackend {
    fn name(&self) -> &'static str {
        self.name
    }

    fn get(&self, key: &str) -> Result<Option<Item>, VaultError> {
        let found = match &self.store {
            #[cfg(target_os = "macos")]
            Store::Keychain(k) => k.get(key),
            #[cfg(windows)]
            Store::WinCred(w) => w.get(key),
        }
        .map_err(|e| map_err(self.name, &format!("read `{key}`"), e))?;
        Ok(found.map(|s| {
            Item::new(
                s.key.clone(),
                s.data.to_vec(),
                s.label.clone(),
                s.description.clone(),
            )
        }))
    }

    fn set(&self, item: &Item) -> Result<(), VaultError> {
        let stored = StoredItem::new(item.key.clone(), item.data().to_vec())
            .with_label(item.label.clone())
            .with_description(item.description.clone());
        let action = format!("store `{}`", item.key);
        match &self.store {
            // Long-lived keys make macOS ask on every read; sessions trust stsvault (aws-vault's
            // choice).
            #[cfg(target_os = "macos")]
            Store::Keychain(k) => {
                let access = if super::is_master_item(&item.key) {
                    ItemAccess::AlwaysAsk
                } else {
                    ItemAccess::TrustThisProgram
                };
                k.set_with_access(&stored, access)
            }
            #[cfg(windows)]
            Store::WinCred(w) => w.set(&stored),
        }
        .map_err(|e| map_err(self.name, &action, e))
    }

    fn remove(&self, key: &str) -> Result<bool, VaultError> {
        match &self.store {
            #[cfg(target_os = "macos")]
            Store::Keychain(k) => k.remove(key),
            #[cfg(windows)]
            Store::WinCred(w) => w.remove(key),
        }
        .map_err(|e| map_err(self.name, &format!("remove `{key}`"), e))
    }

    fn keys(&self) -> Result<Vec<String>, VaultError> {
        let mut keys = match &self.store {
            #[cfg(target_os = "macos")]
            Store::Keychain(k) => k.keys(),
            #[cfg(windows)]
            Store::WinCred(w) => w.keys(),
        }
        .map_err(|e| map_err(self.name, "list items", e))?;
        keys.sort();
        Ok(keys)
    }
}
