//! The JSON aws-vault keeps inside items: aws-sdk-go-v2's `aws.Credentials` for master keys and
//! its `sts/types.Credentials` for sessions, with Go's field names and time format.

use super::VaultError;
use crate::{AccessKey, Credentials};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

#[derive(Serialize, Deserialize)]
struct GoCredentials {
    #[serde(rename = "AccessKeyID")]
    access_key_id: String,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: Zeroizing<String>,
    #[serde(rename = "SessionToken", default)]
    session_token: Zeroizing<String>,
    #[serde(rename = "Source", default)]
    source: String,
    #[serde(rename = "CanExpire", default)]
    can_expire: bool,
    #[serde(rename = "Expires", default = "go_zero_time")]
    expires: String,
    #[serde(
        rename = "AccountID",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    account_id: String,
}

fn go_zero_time() -> String {
    "0001-01-01T00:00:00Z".to_string()
}

/// Master keys as aws-vault stores them.
pub(crate) fn master_to_json(key: &AccessKey) -> Vec<u8> {
    let go = GoCredentials {
        access_key_id: key.access_key_id.clone(),
        secret_access_key: Zeroizing::new(key.secret_access_key.expose_secret().to_string()),
        session_token: Zeroizing::new(String::new()),
        source: String::new(),
        can_expire: false,
        expires: go_zero_time(),
        account_id: String::new(),
    };
    serde_json::to_vec(&go).unwrap_or_default()
}

/// Master keys from what aws-vault (any version) or stsvault stored.
pub(crate) fn master_from_json(data: &[u8], item: &str) -> Result<AccessKey, VaultError> {
    let go: GoCredentials = serde_json::from_slice(data).map_err(|e| VaultError::InvalidItem {
        item: item.to_string(),
        reason: format!("invalid JSON at line {} column {}", e.line(), e.column()),
    })?;
    if go.access_key_id.is_empty() || go.secret_access_key.is_empty() {
        return Err(VaultError::InvalidItem {
            item: item.to_string(),
            reason: "the access key id or secret is empty".into(),
        });
    }
    Ok(AccessKey::new(
        go.access_key_id,
        SecretString::from(go.secret_access_key.as_str().to_string()),
    ))
}

#[derive(Serialize, Deserialize)]
struct GoStsCredentials {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "Expiration")]
    expiration: DateTime<Utc>,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: Zeroizing<String>,
    #[serde(rename = "SessionToken")]
    session_token: Zeroizing<String>,
}

/// A session as aws-vault stores it.
pub(crate) fn session_to_json(creds: &Credentials) -> Vec<u8> {
    let go = GoStsCredentials {
        access_key_id: creds.access_key_id.clone(),
        expiration: creds.expiration.unwrap_or_else(Utc::now),
        secret_access_key: Zeroizing::new(creds.secret_access_key.expose_secret().to_string()),
        session_token: Zeroizing::new(creds.session_token_str().unwrap_or("").to_string()),
    };
    serde_json::to_vec(&go).unwrap_or_default()
}

/// A session from what aws-vault or stsvault stored; the error is a reason to log.
pub(crate) fn session_from_json(data: &[u8]) -> Result<Credentials, String> {
    let go: GoStsCredentials = serde_json::from_slice(data).map_err(|e| {
        format!(
            "line {} column {}: {}",
            e.line(),
            e.column(),
            e.classify() as u8
        )
    })?;
    Ok(Credentials {
        access_key_id: go.access_key_id,
        secret_access_key: SecretString::from(go.secret_access_key.as_str().to_string()),
        session_token: Some(SecretString::from(go.session_token.as_str().to_string())),
        expiration: Some(go.expiration),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_aws_vault_writes() {
        let go = br#"{"AccessKeyID":"AKIAEXAMPLE","SecretAccessKey":"abc/def","SessionToken":"","Source":"","CanExpire":false,"Expires":"0001-01-01T00:00:00Z"}"#;
        let key = master_from_json(go, "p").unwrap();
        assert_eq!(key.access_key_id, "AKIAEXAMPLE");
        assert_eq!(key.secret_access_key.expose_secret(), "abc/def");
        let back = String::from_utf8(master_to_json(&key)).unwrap();
        assert_eq!(back, String::from_utf8(go.to_vec()).unwrap());
    }

    #[test]
    fn sessions_round_trip_with_go_field_names() {
        let json = br#"{"AccessKeyId":"ASIA1","Expiration":"2030-01-02T03:04:05Z","SecretAccessKey":"s","SessionToken":"t"}"#;
        let c = session_from_json(json).unwrap();
        assert_eq!(c.session_token_str(), Some("t"));
        let back = String::from_utf8(session_to_json(&c)).unwrap();
        assert_eq!(back, String::from_utf8(json.to_vec()).unwrap());
        assert!(session_from_json(b"{}").is_err());
    }

    #[test]
    fn invalid_master_json_names_the_item_without_its_contents() {
        let err = master_from_json(
            br#"{"AccessKeyID":"AKIA","SecretAccessKey":"topsecret""#,
            "prod",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("prod") && !err.contains("topsecret"), "{err}");
    }
}
