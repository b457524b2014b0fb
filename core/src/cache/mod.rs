//! Cached sessions: temporary credentials kept in the vault with their expiry and reused by
//! every process until they are within a safety margin (`AWS_MIN_TTL`, 5 minutes by default)
//! of expiring. The items use aws-vault's session naming, so both tools share one cache.
//! [`lock`] makes sure only one process at a time fetches a given session; [`role`] names the
//! role sessions stsvault caches beyond aws-vault's.

pub mod lock;
pub mod role;

use crate::Credentials;
use crate::vault::{SessionKey, Vault, VaultError};
use chrono::Utc;
use std::time::Duration;

/// Reads and writes cached sessions in a vault.
pub struct SessionCache<'a> {
    vault: &'a Vault,
    min_ttl: Duration,
}

impl<'a> SessionCache<'a> {
    /// A cache in `vault` that treats sessions with less than `min_ttl` left as expired.
    pub fn new(vault: &'a Vault, min_ttl: Duration) -> Self {
        Self { vault, min_ttl }
    }

    /// The cached session for `key`, if there is one with more than the margin left.
    pub fn get(&self, key: &SessionKey) -> Result<Option<Credentials>, VaultError> {
        self.fresh(key, self.vault.get_session(key)?)
    }

    /// Like [`SessionCache::get`], finding the item in `names`, a listing of the vault the
    /// caller made.
    pub fn get_listed(
        &self,
        key: &SessionKey,
        names: &[String],
    ) -> Result<Option<Credentials>, VaultError> {
        self.fresh(key, self.vault.get_session_listed(key, names)?)
    }

    fn fresh(
        &self,
        key: &SessionKey,
        found: Option<Credentials>,
    ) -> Result<Option<Credentials>, VaultError> {
        let Some(creds) = found else {
            return Ok(None);
        };
        if is_fresh(&creds, self.min_ttl) {
            tracing::debug!(
                profile = %key.profile,
                kind = %key.kind,
                key_id = %display_key_id(&creds.access_key_id),
                "re-using cached session"
            );
            Ok(Some(creds))
        } else {
            tracing::debug!(profile = %key.profile, kind = %key.kind, "cached session is too close to expiry");
            Ok(None)
        }
    }

    /// Stores `creds` as the session for `key`, replacing any older one.
    pub fn put(&self, key: &SessionKey, creds: &Credentials) -> Result<(), VaultError> {
        self.vault.set_session(key, creds)
    }
}

/// True when `creds` has more than `min_ttl` left (or never expires).
pub fn is_fresh(creds: &Credentials, min_ttl: Duration) -> bool {
    match creds.time_left(Utc::now()) {
        None => true,
        Some(left) => left.to_std().map(|l| l > min_ttl).unwrap_or(false),
    }
}

/// An access key id shortened for logs, as aws-vault shows it (`****************ABCD`).
pub fn display_key_id(id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("****************{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AccessKey;
    use crate::config::DEFAULT_MIN_TTL;

    fn session(minutes_left: i64) -> Credentials {
        let mut c = AccessKey::new("ASIAEXAMPLE", "s".to_string()).to_credentials();
        c.session_token = Some("t".to_string().into());
        c.expiration = Some(Utc::now() + chrono::Duration::minutes(minutes_left));
        c
    }

    #[test]
    fn freshness_respects_the_margin() {
        assert!(is_fresh(&session(30), DEFAULT_MIN_TTL));
        assert!(!is_fresh(&session(4), DEFAULT_MIN_TTL));
        assert!(!is_fresh(&session(-1), Duration::ZERO));
    }

    #[test]
    fn key_ids_are_masked() {
        assert_eq!(display_key_id("ASIAABCDEFGH1234"), "****************1234");
    }
}
