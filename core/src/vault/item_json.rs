//! 99designs/keyring's `Item` as JSON — the shape aws-vault's file, secret-service, kwallet and
//! pass backends store — so items written by either tool read in the other.

use super::{Item, VaultError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// keyring's Item with Go's field names; `Data` is base64, as Go encodes `[]byte`.
#[derive(Serialize, Deserialize)]
struct ItemJson {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Data", default)]
    data: Zeroizing<String>,
    #[serde(rename = "Label", default)]
    label: String,
    #[serde(rename = "Description", default)]
    description: String,
    #[serde(rename = "KeychainNotTrustApplication", default)]
    keychain_not_trust_application: bool,
    #[serde(rename = "KeychainNotSynchronizable", default)]
    keychain_not_synchronizable: bool,
}

/// `item` as keyring's Item JSON.
pub(crate) fn encode(item: &Item) -> Zeroizing<Vec<u8>> {
    let json = ItemJson {
        key: item.key.clone(),
        data: Zeroizing::new(STANDARD.encode(item.data())),
        label: item.label.clone(),
        description: item.description.clone(),
        keychain_not_trust_application: false,
        keychain_not_synchronizable: false,
    };
    // Serializing strings and booleans cannot fail.
    Zeroizing::new(serde_json::to_vec(&json).unwrap_or_default())
}

/// Parses keyring's Item JSON; the error says what is wrong, never what the data holds.
pub(crate) fn decode(bytes: &[u8]) -> Result<Item, String> {
    let json: ItemJson = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "its item JSON is invalid (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let data = Zeroizing::new(
        STANDARD
            .decode(json.data.as_bytes())
            .map_err(|_| "its Data is not base64".to_string())?,
    );
    Ok(Item::new(
        json.key,
        data.to_vec(),
        json.label,
        json.description,
    ))
}

/// Parses the Item JSON `backend` holds under `key`; damage is a [`VaultError::CorruptItem`].
/// (Only the Unix backends store Item JSON: pass, KWallet, the Secret Service.)
#[cfg_attr(not(unix), allow(dead_code))]
pub(crate) fn decode_for(
    backend: &'static str,
    key: &str,
    bytes: &[u8],
) -> Result<Item, VaultError> {
    decode(bytes).map_err(|reason| VaultError::CorruptItem {
        backend,
        item: key.to_string(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_uses_go_field_names() {
        let item = Item::new("prod", b"{\"a\":1}".to_vec(), "l".into(), "d".into());
        let bytes = encode(&item);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["Key"], "prod");
        assert_eq!(v["Data"], STANDARD.encode(b"{\"a\":1}"));
        assert_eq!(v["KeychainNotTrustApplication"], false);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.key, "prod");
        assert_eq!(back.data(), b"{\"a\":1}");
        assert_eq!((back.label.as_str(), back.description.as_str()), ("l", "d"));
    }

    #[test]
    fn errors_do_not_echo_the_input() {
        let err = decode(b"{\"Key\":\"k\",\"Data\":\"not base64 SECRET!\"}").unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
        let err = decode(b"SECRET").unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
    }
}
