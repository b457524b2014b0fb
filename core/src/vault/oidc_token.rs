//! The stored form of an IAM Identity Center access token: as aws-vault keeps it, an item
//! `oidc:<start URL>` (named in [`super::names`]) holding `{"Token": CreateTokenOutput,
//! "Expiration": RFC 3339}`, so either tool can reuse the other's sign-in. How a token is
//! obtained is `sso`'s business; the vault only stores and reads it.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// An OIDC access token for the portal API.
#[derive(Clone)]
pub struct OidcToken {
    /// The bearer token.
    pub access_token: SecretString,
    /// `Bearer`.
    pub token_type: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// A refresh token, when the service issued one.
    pub refresh_token: Option<SecretString>,
}

impl std::fmt::Debug for OidcToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcToken")
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(rename = "Token")]
    token: StoredToken,
    #[serde(rename = "Expiration")]
    expiration: DateTime<Utc>,
}

/// aws-vault's JSON of the SDK's `CreateTokenOutput`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoredToken {
    access_token: Option<Zeroizing<String>>,
    #[serde(default)]
    expires_in: i64,
    #[serde(default)]
    id_token: Option<Zeroizing<String>>,
    #[serde(default)]
    refresh_token: Option<Zeroizing<String>>,
    #[serde(default)]
    token_type: Option<String>,
}

impl OidcToken {
    /// True while the token has more than a minute left.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.expires_at - now > chrono::Duration::minutes(1)
    }

    /// The stored form.
    pub fn to_json(&self, now: DateTime<Utc>) -> Vec<u8> {
        let copy = |s: &SecretString| Zeroizing::new(s.expose_secret().to_string());
        let stored = Stored {
            token: StoredToken {
                access_token: Some(copy(&self.access_token)),
                expires_in: (self.expires_at - now).num_seconds().max(0),
                id_token: None,
                refresh_token: self.refresh_token.as_ref().map(copy),
                token_type: Some(self.token_type.clone()),
            },
            expiration: self.expires_at,
        };
        // Serializing plain strings and numbers cannot fail.
        serde_json::to_vec(&stored).unwrap_or_default()
    }

    /// Reads the stored form; `None` when it is not a token aws-vault or stsvault wrote.
    pub fn from_json(data: &[u8]) -> Option<OidcToken> {
        let stored: Stored = serde_json::from_slice(data).ok()?;
        Some(OidcToken {
            access_token: SecretString::from(stored.token.access_token?.as_str()),
            token_type: stored
                .token
                .token_type
                .unwrap_or_else(|| "Bearer".to_string()),
            expires_at: stored.expiration,
            refresh_token: stored
                .token
                .refresh_token
                .map(|t| SecretString::from(t.as_str())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_at: DateTime<Utc>) -> OidcToken {
        OidcToken {
            access_token: SecretString::from("secret-token"),
            token_type: "Bearer".into(),
            expires_at,
            refresh_token: None,
        }
    }

    #[test]
    fn round_trips_and_hides_the_token_from_debug() {
        let now = Utc::now();
        let t = token(now + chrono::Duration::hours(8));
        let back = OidcToken::from_json(&t.to_json(now)).expect("round trip");
        assert_eq!(back.access_token.expose_secret(), "secret-token");
        assert_eq!(back.expires_at, t.expires_at);
        assert!(!format!("{back:?}").contains("secret-token"));
    }

    #[test]
    fn reads_what_aws_vault_writes() {
        // Go's encoding/json of OIDCTokenData{Token: ssooidc.CreateTokenOutput, Expiration}.
        let go = br#"{"Token":{"AccessToken":"abc","ExpiresIn":28800,"IdToken":null,"RefreshToken":null,"TokenType":"Bearer","ResultMetadata":{}},"Expiration":"2030-01-02T03:04:05.123456789+01:00"}"#;
        let t = OidcToken::from_json(go).expect("aws-vault token");
        assert_eq!(t.access_token.expose_secret(), "abc");
        assert_eq!(
            t.expires_at.to_rfc3339(),
            "2030-01-02T02:04:05.123456789+00:00"
        );
        assert!(OidcToken::from_json(b"{}").is_none());
        assert!(OidcToken::from_json(b"not json").is_none());
    }

    #[test]
    fn usable_until_a_minute_before_expiry() {
        let now = Utc::now();
        assert!(token(now + chrono::Duration::minutes(2)).is_usable(now));
        assert!(!token(now + chrono::Duration::seconds(30)).is_usable(now));
    }
}
