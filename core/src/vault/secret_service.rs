//! The `secret-service` backend: items in a collection of the freedesktop Secret Service
//! (GNOME Keyring, KWallet 6, KeePassXC) over D-Bus, laid out as aws-vault lays them out:
//!
//! - the collection labelled `awsvault` (`AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME`), found by
//!   its object path and created on first write;
//! - one item per vault item, labelled with the item name and carrying the attribute
//!   `profile = <item name>`;
//! - the secret is keyring's Item JSON, content type `application/json`.
//!
//! Secrets cross the bus encrypted (the Secret Service's DH session), never in plain text.

use super::{Backend, Item, VaultError, item_json};
use secret_service::EncryptionType;
use secret_service::blocking::{Collection, SecretService};
use std::collections::HashMap;
use std::sync::OnceLock;

const NAME: &str = "secret-service";
/// The Secret Service's bus name.
const SERVICE: &str = "org.freedesktop.secrets";
const COLLECTION_PREFIX: &str = "/org/freedesktop/secrets/collection/";
/// The attribute aws-vault's keyring library searches items by.
const ATTRIBUTE: &str = "profile";
const HINT: &str = "unlock it in your desktop's keyring manager (e.g. seahorse) and try again; without a desktop, use the login keyring that `gnome-keyring-daemon --unlock` unlocks (AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME=login), or choose another --backend such as `file`";

/// Items in one Secret Service collection.
pub struct SecretServiceBackend {
    collection: String,
    bus_address: Option<String>,
    service: OnceLock<SecretService<'static>>,
}

impl SecretServiceBackend {
    /// A backend over the collection named `collection` on the session bus, or on the bus at
    /// `bus_address` when given. Nothing is contacted until the first call.
    pub fn new(collection: impl Into<String>, bus_address: Option<String>) -> Self {
        Self {
            collection: collection.into(),
            bus_address,
            service: OnceLock::new(),
        }
    }

    /// True when a Secret Service answers on the session bus (or at `bus_address`).
    pub fn is_available(bus_address: Option<&str>) -> bool {
        super::dbus::connect(bus_address, None)
            .is_ok_and(|conn| super::dbus::first_offered(&conn, &[SERVICE]).is_some())
    }

    fn service(&self) -> Result<&SecretService<'static>, VaultError> {
        if let Some(s) = self.service.get() {
            return Ok(s);
        }
        let conn =
            super::dbus::connect(self.bus_address.as_deref(), None).map_err(|e| unavailable(&e))?;
        let service = SecretService::connect_with_existing(EncryptionType::Dh, conn).map_err(
            |e| match e {
                secret_service::Error::Unavailable => unavailable(&e),
                secret_service::Error::Zbus(zbus::Error::MethodError(ref name, _, _))
                    if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown" =>
                {
                    unavailable(&e)
                }
                other => self.failed("open a session with the Secret Service", other),
            },
        )?;
        Ok(self.service.get_or_init(|| service))
    }

    /// The collection, if it exists; created (which may prompt for its password) when
    /// `create` is set.
    fn collection(&self, create: bool) -> Result<Option<Collection<'_>>, VaultError> {
        let service = self.service()?;
        let want = format!("{COLLECTION_PREFIX}{}", self.collection);
        let collections = service
            .get_all_collections()
            .map_err(|e| self.failed("list collections", e))?;
        if let Some(c) = collections
            .into_iter()
            .find(|c| decode_path(c.collection_path.as_str()) == want)
        {
            return Ok(Some(c));
        }
        if !create {
            return Ok(None);
        }
        let what = format!("create the collection `{}`", self.collection);
        service
            .create_collection(&self.collection, "")
            .map(Some)
            .map_err(|e| self.map_err(&what, e))
    }

    fn unlocked(&self, c: &Collection<'_>, action: &str) -> Result<(), VaultError> {
        match c.is_locked() {
            Ok(false) => Ok(()),
            Ok(true) => c.unlock().map_err(|e| self.map_err(action, e)),
            Err(e) => Err(self.map_err(action, e)),
        }
    }

    fn map_err(&self, action: &str, e: secret_service::Error) -> VaultError {
        use secret_service::Error as E;
        let locked = match &e {
            E::Prompt | E::PromptDisconnected | E::Locked => true,
            E::Zbus(zbus::Error::MethodError(name, _, _)) => {
                name.as_str() == "org.freedesktop.Secret.Error.IsLocked"
            }
            _ => false,
        };
        if !locked {
            return self.failed(action, e);
        }
        VaultError::Locked {
            backend: NAME,
            action: action.to_string(),
            what: format!("the Secret Service collection `{}`", self.collection),
            hint: HINT,
        }
    }

    fn failed(&self, action: &str, e: impl std::fmt::Display) -> VaultError {
        VaultError::Backend {
            backend: NAME,
            action: action.to_string(),
            reason: e.to_string(),
        }
    }
}

fn unavailable(e: &dyn std::fmt::Display) -> VaultError {
    VaultError::Unavailable {
        backend: NAME,
        reason: format!("no Secret Service answers on the D-Bus session bus ({e})"),
        hint: "start your desktop's keyring (gnome-keyring-daemon, KeePassXC with Secret Service integration, KWallet 6), or choose another --backend such as `file`".to_string(),
    }
}

/// True when `e` says an item's object no longer exists: another process removed it between
/// our listing or search and this call (gnome-keyring answers `UnknownMethod`, the spec's
/// `UnknownObject`).
fn vanished(e: &secret_service::Error) -> bool {
    use zbus::fdo::Error as Fdo;
    let fdo_gone = |f: &Fdo| matches!(f, Fdo::UnknownMethod(_) | Fdo::UnknownObject(_));
    match e {
        secret_service::Error::ZbusFdo(f) => fdo_gone(f),
        secret_service::Error::Zbus(zbus::Error::FDO(f)) => fdo_gone(f),
        secret_service::Error::Zbus(zbus::Error::MethodError(name, _, _)) => matches!(
            name.as_str(),
            "org.freedesktop.DBus.Error.UnknownMethod" | "org.freedesktop.DBus.Error.UnknownObject"
        ),
        _ => false,
    }
}

/// Collection object paths escape bytes outside `[A-Za-z0-9]` as `_xx` (hex); this undoes it.
fn decode_path(path: &str) -> String {
    super::names::unescape_hex(path, b'_')
}

impl Backend for SecretServiceBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn get(&self, key: &str) -> Result<Option<Item>, VaultError> {
        let action = format!("read `{key}`");
        let Some(c) = self.collection(false)? else {
            return Ok(None);
        };
        // Another process may remove (or replace) the item between the search and the read;
        // then search again.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let items = c
                .search_items(HashMap::from([(ATTRIBUTE, key)]))
                .map_err(|e| self.map_err(&action, e))?;
            let Some(found) = items.first() else {
                return Ok(None);
            };
            let read = found.is_locked().and_then(|locked| {
                if locked {
                    // Unlocking asks the user; its own error says what went wrong.
                    if let Err(e) = self.unlocked(&c, &action) {
                        return Ok(Err(e));
                    }
                }
                found.get_secret().map(Ok)
            });
            match read {
                Ok(Ok(secret)) => {
                    let secret = zeroize::Zeroizing::new(secret);
                    return item_json::decode_for(NAME, key, &secret).map(Some);
                }
                Ok(Err(e)) => return Err(e),
                Err(e) if vanished(&e) && attempts < 5 => continue,
                Err(e) => return Err(self.map_err(&action, e)),
            }
        }
    }

    fn set(&self, item: &Item) -> Result<(), VaultError> {
        let action = format!("store `{}`", item.key);
        let c = self
            .collection(true)?
            .ok_or_else(|| self.failed(&action, "the collection was not created"))?;
        self.unlocked(&c, &action)?;
        let secret = item_json::encode(item);
        c.create_item(
            &item.key,
            HashMap::from([(ATTRIBUTE, item.key.as_str())]),
            &secret,
            true,
            "application/json",
        )
        .map_err(|e| self.map_err(&action, e))?;
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<bool, VaultError> {
        let action = format!("remove `{key}`");
        let Some(c) = self.collection(false)? else {
            return Ok(false);
        };
        let items = c
            .search_items(HashMap::from([(ATTRIBUTE, key)]))
            .map_err(|e| self.map_err(&action, e))?;
        if items.is_empty() {
            return Ok(false);
        }
        self.unlocked(&c, &action)?;
        for found in &items {
            match found.delete() {
                // Another process removed it first.
                Err(e) if vanished(&e) => {}
                other => other.map_err(|e| self.map_err(&action, e))?,
            }
        }
        Ok(true)
    }

    fn keys(&self) -> Result<Vec<String>, VaultError> {
        let action = "list items";
        let Some(c) = self.collection(false)? else {
            return Ok(Vec::new());
        };
        let items = c.get_all_items().map_err(|e| self.map_err(action, e))?;
        let mut keys = Vec::with_capacity(items.len());
        for found in &items {
            // aws-vault lists labels; the attribute is the name when a label was edited.
            let name = found
                .get_attributes()
                .and_then(|attrs| match attrs.get(ATTRIBUTE) {
                    Some(p) => Ok(p.clone()),
                    None => found.get_label(),
                });
            match name {
                Ok(name) => keys.push(name),
                // Removed by another process since the listing: not an item any more.
                Err(e) if vanished(&e) => {}
                Err(e) => return Err(self.map_err(action, e)),
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_paths_are_unescaped() {
        assert_eq!(
            decode_path("/org/freedesktop/secrets/collection/awsvault"),
            "/org/freedesktop/secrets/collection/awsvault"
        );
        assert_eq!(
            decode_path("/org/freedesktop/secrets/collection/aws_2dvault_20x"),
            "/org/freedesktop/secrets/collection/aws-vault x"
        );
        assert_eq!(decode_path("/a/b_"), "/a/b_");
        assert_eq!(decode_path("/a/b_zz"), "/a/b_zz");
    }
}
