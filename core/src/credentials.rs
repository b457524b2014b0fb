//! Credential value types: long-lived access keys and temporary session credentials.
//!
//! Secrets are held in [`secrecy::SecretString`] from the moment they are read; `Debug` shows
//! only the access key id.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// A long-lived IAM access key pair ("master credentials"), as stored in the vault.
#[derive(Clone)]
pub struct AccessKey {
    /// The access key id, e.g. `AKIA…`. Not secret.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
}

impl AccessKey {
    /// Builds an access key from its id and secret.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<SecretString>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
        }
    }

    /// These keys as (non-expiring) [`Credentials`].
    pub fn to_credentials(&self) -> Credentials {
        Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: None,
            expiration: None,
        }
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[REDACTED]")
            .finish()
    }
}

/// Credentials a caller can sign requests with: either master keys or a temporary session.
#[derive(Clone)]
pub struct Credentials {
    /// The access key id (`AKIA…` for master keys, `ASIA…` for sessions).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// The session token of temporary credentials.
    pub session_token: Option<SecretString>,
    /// When temporary credentials stop working.
    pub expiration: Option<DateTime<Utc>>,
}

impl Credentials {
    /// Keys given as plain values (the shared credentials file, the environment): `None`
    /// unless both the key id and the secret are there.
    pub fn from_plain(id: Option<&str>, secret: Option<&str>, token: Option<&str>) -> Option<Self> {
        Some(Credentials {
            access_key_id: id?.to_string(),
            secret_access_key: SecretString::from(secret?.to_string()),
            session_token: token.map(|t| SecretString::from(t.to_string())),
            expiration: None,
        })
    }

    /// True when these are temporary credentials that expire.
    pub fn is_temporary(&self) -> bool {
        self.session_token.is_some()
    }

    /// Time left before expiry; `None` for credentials that do not expire.
    pub fn time_left(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.expiration.map(|e| e - now)
    }

    /// The session token, exposed, for writing into a child's environment or a binding.
    pub fn session_token_str(&self) -> Option<&str> {
        self.session_token.as_ref().map(|t| t.expose_secret())
    }

    /// These credentials as the AWS SDK for Rust holds them (provider name `stsvault`).
    pub fn to_sdk(&self) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.expose_secret().to_string(),
            self.session_token_str().map(str::to_string),
            self.expiration.map(std::time::SystemTime::from),
            "stsvault",
        )
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[REDACTED]")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("expiration", &self.expiration)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let key = AccessKey::new("AKIDEXAMPLE", "very-secret-value".to_string());
        let mut creds = key.to_credentials();
        creds.session_token = Some("token-secret-value".to_string().into());
        let shown = format!("{key:?} {creds:?}");
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("very-secret-value"));
        assert!(!shown.contains("token-secret-value"));
    }
}
