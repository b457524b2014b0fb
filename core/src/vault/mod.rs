//! The vault: master keys and cached sessions, stored in an encrypted backend using aws-vault's
//! item names and JSON shapes, so an existing aws-vault vault works as it is.
//!
//! - [`Backend`] is what a storage backend implements (file, secret-service, kwallet, keyctl,
//!   pass, keychain, wincred; memory for tests);
//! - [`BackendOptions`] selects and opens one as aws-vault does;
//! - [`Vault`] speaks aws-vault's conventions on top of any backend;
//! - [`migrate`] moves stored keys from one backend to another.
//! - [`PassphraseCache`] keeps the file vault's passphrase in the kernel keyring for a while,
//!   so other processes need not ask for it.

mod backend;
#[cfg(all(unix, not(target_os = "macos")))]
mod dbus;
mod error;
mod file;
mod formats;
mod item_json;
pub mod jwe;
#[cfg(target_os = "linux")]
mod keyctl;
#[cfg(all(unix, not(target_os = "macos")))]
mod kwallet;
mod memory;
pub mod migrate;
pub(crate) mod names;
#[cfg(any(target_os = "macos", windows))]
mod native;
mod oidc_token;
mod open;
#[cfg(unix)]
mod pass;
pub mod passphrase_cache;
mod pbkdf2;
#[cfg(all(unix, not(target_os = "macos")))]
mod secret_service;
mod session_key;

pub use backend::{Backend, BackendKind, Item};
pub use error::VaultError;
pub use file::{FileBackend, PassphraseFn, default_file_dir, passphrase_from_env_or_terminal};
#[cfg(feature = "fuzzing")]
pub(crate) use item_json::decode as decode_item_json;
#[cfg(target_os = "linux")]
pub use keyctl::{KeyctlBackend, KeyctlScope};
#[cfg(all(unix, not(target_os = "macos")))]
pub use kwallet::KWalletBackend;
pub use memory::MemoryBackend;
pub use oidc_token::OidcToken;
pub use open::BackendOptions;
#[cfg(unix)]
pub use pass::{PassBackend, PassOptions};
pub use passphrase_cache::PassphraseCache;
#[cfg(all(unix, not(target_os = "macos")))]
pub use secret_service::SecretServiceBackend;
pub use session_key::{SessionKey, SessionMeta, is_session_key};

use crate::{AccessKey, Credentials};

/// True when the item `name` holds a profile's long-lived keys: not a cached session, not an
/// SSO (`oidc:`) token.
pub(crate) fn is_master_item(name: &str) -> bool {
    !is_session_key(name) && names::oidc_start_url_of(name).is_none()
}

/// The item holding `profile`'s keys as `data`, labelled as aws-vault labels it.
pub(crate) fn master_item(profile: &str, data: Vec<u8>) -> Item {
    Item::new(
        profile,
        data,
        format!("aws-vault ({profile})"),
        String::new(),
    )
}

/// Master keys and sessions on top of a backend.
pub struct Vault {
    backend: Box<dyn Backend>,
}

impl Vault {
    /// A vault over `backend`.
    pub fn new(backend: Box<dyn Backend>) -> Self {
        Self { backend }
    }

    /// The backend's name (`file`, `memory`, …).
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Names of the profiles with master keys stored (not sessions, not SSO tokens).
    pub fn master_names(&self) -> Result<Vec<String>, VaultError> {
        let mut names: Vec<String> = self
            .backend
            .keys()?
            .into_iter()
            .filter(|k| is_master_item(k))
            .collect();
        names.sort();
        Ok(names)
    }

    /// True when master keys are stored for `profile`.
    pub fn has_master(&self, profile: &str) -> Result<bool, VaultError> {
        Ok(self.backend.keys()?.iter().any(|k| k == profile))
    }

    /// The master keys stored for `profile`.
    pub fn get_master(&self, profile: &str) -> Result<Option<AccessKey>, VaultError> {
        let Some(item) = self.backend.get(profile)? else {
            return Ok(None);
        };
        formats::master_from_json(item.data(), profile).map(Some)
    }

    /// Stores master keys for `profile`, replacing any.
    pub fn set_master(&self, profile: &str, key: &AccessKey) -> Result<(), VaultError> {
        self.backend
            .set(&master_item(profile, formats::master_to_json(key)))
    }

    /// Removes the master keys of `profile`; false if there were none.
    pub fn remove_master(&self, profile: &str) -> Result<bool, VaultError> {
        self.backend.remove(profile)
    }

    /// Every cached session.
    pub fn sessions(&self) -> Result<Vec<SessionMeta>, VaultError> {
        Ok(self
            .backend
            .keys()?
            .iter()
            .filter_map(|k| SessionMeta::parse(k))
            .collect())
    }

    /// The name of every item in the vault: master keys, sessions and SSO tokens. One listing
    /// serves several lookups ([`Vault::get_session_listed`], [`crate::cache::role`]).
    pub fn item_names(&self) -> Result<Vec<String>, VaultError> {
        self.backend.keys()
    }

    fn session_item_name(&self, key: &SessionKey) -> Result<Option<String>, VaultError> {
        Ok(session_item_in(key, &self.backend.keys()?).map(str::to_string))
    }

    /// The cached session for `key`, whatever its expiry; invalid items are ignored.
    pub fn get_session(&self, key: &SessionKey) -> Result<Option<Credentials>, VaultError> {
        self.get_session_listed(key, &self.backend.keys()?)
    }

    /// Like [`Vault::get_session`], finding the item in `names`, a listing of this vault the
    /// caller made ([`Vault::item_names`]).
    pub fn get_session_listed(
        &self,
        key: &SessionKey,
        names: &[String],
    ) -> Result<Option<Credentials>, VaultError> {
        let Some(name) = session_item_in(key, names) else {
            return Ok(None);
        };
        let Some(item) = self.backend.get(name)? else {
            return Ok(None);
        };
        match formats::session_from_json(item.data()) {
            Ok(c) => Ok(Some(c)),
            Err(reason) => {
                tracing::warn!(item = %name, %reason, "ignoring a cached session that cannot be read");
                Ok(None)
            }
        }
    }

    /// Caches `creds` as the session for `key`, replacing the older one.
    pub fn set_session(&self, key: &SessionKey, creds: &Credentials) -> Result<(), VaultError> {
        let expiration = creds.expiration.unwrap_or_else(chrono::Utc::now);
        let name = key.item_name(expiration);
        let old = self.session_item_name(key)?;
        let label = format!(
            "aws-vault session for {} (expires {})",
            key.profile,
            expiration.format("%Y-%m-%dT%H:%M:%SZ")
        );
        self.backend.set(&Item::new(
            &name,
            formats::session_to_json(creds),
            label,
            "aws-vault session".to_string(),
        ))?;
        if let Some(old) = old.filter(|o| *o != name) {
            self.backend.remove(&old)?;
        }
        Ok(())
    }

    /// The IAM Identity Center access token kept for `start_url`, if any (whatever its expiry;
    /// an item that cannot be read counts as none).
    pub fn get_oidc_token(&self, start_url: &str) -> Result<Option<OidcToken>, VaultError> {
        let name = names::oidc_item_name(start_url);
        Ok(self
            .backend
            .get(&name)?
            .and_then(|item| OidcToken::from_json(item.data())))
    }

    /// Keeps the access token for `start_url`, replacing the older one.
    pub fn set_oidc_token(&self, start_url: &str, token: &OidcToken) -> Result<(), VaultError> {
        let label = format!(
            "aws-vault oidc token for {start_url} (expires {})",
            token.expires_at.format("%Y-%m-%dT%H:%M:%SZ")
        );
        self.backend.set(&Item::new(
            names::oidc_item_name(start_url),
            token.to_json(chrono::Utc::now()),
            label,
            "aws-vault oidc token".to_string(),
        ))
    }

    /// Removes the access token for `start_url`; false if there was none.
    pub fn remove_oidc_token(&self, start_url: &str) -> Result<bool, VaultError> {
        self.backend.remove(&names::oidc_item_name(start_url))
    }

    /// The start URLs with an access token kept.
    pub fn oidc_token_urls(&self) -> Result<Vec<String>, VaultError> {
        Ok(self
            .backend
            .keys()?
            .iter()
            .filter_map(|k| names::oidc_start_url_of(k).map(String::from))
            .collect())
    }

    /// Removes the cached sessions of `profile`; returns how many.
    pub fn remove_sessions_for(&self, profile: &str) -> Result<usize, VaultError> {
        self.remove_sessions_where(|m| m.profile == profile)
    }

    /// Removes every cached session, in the current or an older aws-vault format; returns how
    /// many.
    pub fn remove_all_sessions(&self) -> Result<usize, VaultError> {
        let mut n = 0;
        for k in self.backend.keys()? {
            if is_session_key(&k) && self.backend.remove(&k)? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Removes the cached sessions (current format) for which `keep_out` is true; returns how
    /// many.
    pub fn remove_sessions_where(
        &self,
        keep_out: impl Fn(&SessionMeta) -> bool,
    ) -> Result<usize, VaultError> {
        let mut n = 0;
        for k in self.backend.keys()? {
            if SessionMeta::parse(&k).is_some_and(|m| keep_out(&m)) && self.backend.remove(&k)? {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// The item among `names` holding the session cached under `key`, as aws-vault looks it up:
/// the first current-format session name starting with the key's prefix.
pub fn session_item_in<'a>(key: &SessionKey, names: &'a [String]) -> Option<&'a str> {
    let prefix = key.matching_prefix();
    names
        .iter()
        .map(String::as_str)
        .find(|k| k.starts_with(&prefix) && SessionMeta::parse(k).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use secrecy::ExposeSecret;

    fn vault() -> Vault {
        Vault::new(Box::new(MemoryBackend::default()))
    }

    fn session(id: &str, minutes: i64) -> Credentials {
        let mut c = AccessKey::new(id, "sec".to_string()).to_credentials();
        c.session_token = Some("tok".to_string().into());
        c.expiration = Some(Utc::now() + chrono::Duration::minutes(minutes));
        c
    }

    #[test]
    fn master_keys_round_trip_and_exclude_sessions() {
        let v = vault();
        v.set_master("prod", &AccessKey::new("AKIAPROD", "s3cret".to_string()))
            .unwrap();
        let key = SessionKey::new("sts.GetSessionToken", "prod", "arn:aws:iam::1:mfa/u");
        v.set_session(&key, &session("ASIA1", 60)).unwrap();
        assert_eq!(v.master_names().unwrap(), vec!["prod".to_string()]);
        let got = v.get_master("prod").unwrap().unwrap();
        assert_eq!(got.secret_access_key.expose_secret(), "s3cret");
        assert!(v.get_master("dev").unwrap().is_none());
    }

    #[test]
    fn a_new_session_replaces_the_old_one() {
        let v = vault();
        let key = SessionKey::new("sts.GetSessionToken", "prod", "");
        v.set_session(&key, &session("ASIA1", 10)).unwrap();
        v.set_session(&key, &session("ASIA2", 60)).unwrap();
        assert_eq!(v.sessions().unwrap().len(), 1);
        assert_eq!(v.get_session(&key).unwrap().unwrap().access_key_id, "ASIA2");
        let other = SessionKey::new("sts.GetSessionToken", "prod", "arn:other");
        assert!(v.get_session(&other).unwrap().is_none());
    }

    #[test]
    fn removing_sessions_by_profile() {
        let v = vault();
        v.set_session(
            &SessionKey::new("sts.GetSessionToken", "a", ""),
            &session("ASIA1", 60),
        )
        .unwrap();
        v.set_session(
            &SessionKey::new("sts.AssumeRole", "b", "m"),
            &session("ASIA2", 60),
        )
        .unwrap();
        v.set_master("a", &AccessKey::new("AKIA", "x".to_string()))
            .unwrap();
        v.backend
            .set(&Item::new(
                "a session (1600000000)",
                b"{}".to_vec(),
                String::new(),
                String::new(),
            ))
            .unwrap();
        assert_eq!(v.remove_sessions_for("a").unwrap(), 1);
        assert_eq!(v.sessions().unwrap().len(), 1);
        assert_eq!(
            v.remove_all_sessions().unwrap(),
            2,
            "the old-format session goes too"
        );
        assert!(v.has_master("a").unwrap());
    }
}
