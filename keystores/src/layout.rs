//! Where aws-vault puts its items: the names and limits both stores follow, as plain functions
//! compiled on every platform so they are unit-tested everywhere.
//!
//! aws-vault opens 99designs/keyring with `ServiceName: "aws-vault"`, `KeychainName: "aws-vault"`
//! (its `--keychain` flag, `AWS_VAULT_KEYCHAIN_NAME`) and `WinCredPrefix: "aws-vault"`. keyring
//! then:
//!
//! - on macOS uses the keychain file `<KeychainName>.keychain` (a relative path, which the
//!   Security framework resolves in `~/Library/Keychains/`, where current macOS names the file
//!   `aws-vault.keychain-db`), with generic-password items whose service is the service name and
//!   whose account is the item's key;
//! - on Windows stores generic credentials named `<prefix>:<service>:<key>`, defaulting an empty
//!   prefix to `keyring` and an empty service to `default`.

use crate::StoreError;

/// aws-vault's keyring service name (keychain service, middle part of Windows target names).
pub const AWS_VAULT_SERVICE_NAME: &str = "aws-vault";
/// aws-vault's default macOS keychain name (the file is `aws-vault.keychain`).
pub const AWS_VAULT_KEYCHAIN_NAME: &str = "aws-vault";
/// aws-vault's Windows Credential Manager target-name prefix.
pub const AWS_VAULT_WINCRED_PREFIX: &str = "aws-vault";
/// The prefix 99designs/keyring uses when none is configured.
pub const KEYRING_DEFAULT_WINCRED_PREFIX: &str = "keyring";
/// The service name 99designs/keyring's Windows backend uses when none is configured.
pub const KEYRING_DEFAULT_WINCRED_SERVICE: &str = "default";
/// The largest credential blob the Windows Credential Manager holds
/// (`CRED_MAX_CREDENTIAL_BLOB_SIZE`, 5 × 512 bytes).
pub const WINCRED_MAX_BLOB_SIZE: usize = 5 * 512;
/// The longest generic-credential target name, in UTF-16 code units
/// (`CRED_MAX_GENERIC_TARGET_NAME_LENGTH`).
pub const WINCRED_MAX_TARGET_NAME_LEN: usize = 32767;

/// Checks that `key` can name an item: not empty (an empty account would match every item of
/// the service) and without NUL characters (the C APIs would cut the name there).
pub fn check_key(key: &str) -> Result<(), StoreError> {
    check_text("key", key)
}

/// Checks that `service` can name the keychain service: not empty (an empty service would match
/// every generic password in the keychain) and without NUL characters.
pub fn check_service(service: &str) -> Result<(), StoreError> {
    check_text("service name", service)
}

fn check_text(what: &'static str, s: &str) -> Result<(), StoreError> {
    if s.is_empty() {
        return Err(StoreError::InvalidInput {
            what,
            reason: "it is empty",
        });
    }
    check_no_nul(what, s)
}

fn check_no_nul(what: &'static str, s: &str) -> Result<(), StoreError> {
    if s.contains('\0') {
        return Err(StoreError::InvalidInput {
            what,
            reason: "it contains a NUL character",
        });
    }
    Ok(())
}

/// The keychain file aws-vault uses for `keychain_name`: `<name>.keychain`, as keyring builds it;
/// `None` for an empty name, which means the user's default keychain search list (keyring's
/// behaviour when `KeychainName` is empty).
pub fn keychain_file_name(keychain_name: &str) -> Result<Option<String>, StoreError> {
    check_no_nul("keychain name", keychain_name)?;
    if keychain_name.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!("{keychain_name}.keychain")))
}

/// Checks that `len` bytes fit in one Windows credential blob.
pub fn check_wincred_blob_size(len: usize) -> Result<(), StoreError> {
    if len > WINCRED_MAX_BLOB_SIZE {
        return Err(StoreError::TooLarge {
            store: crate::error::WINCRED,
            size: len,
            max: WINCRED_MAX_BLOB_SIZE,
        });
    }
    Ok(())
}

/// The Windows Credential Manager target names for one `prefix` and `service`:
/// `<prefix>:<service>:<key>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinCredNames {
    target_prefix: String,
}

impl WinCredNames {
    /// Names for `prefix` and `service`; an empty `prefix` becomes `keyring` and an empty
    /// `service` becomes `default`, as in 99designs/keyring.
    pub fn new(prefix: &str, service: &str) -> Result<Self, StoreError> {
        check_no_nul("credential prefix", prefix)?;
        check_no_nul("service name", service)?;
        let prefix = if prefix.is_empty() {
            KEYRING_DEFAULT_WINCRED_PREFIX
        } else {
            prefix
        };
        let service = if service.is_empty() {
            KEYRING_DEFAULT_WINCRED_SERVICE
        } else {
            service
        };
        Ok(Self {
            target_prefix: format!("{prefix}:{service}:"),
        })
    }

    /// The part every target name starts with: `<prefix>:<service>:`.
    #[must_use]
    pub fn target_prefix(&self) -> &str {
        &self.target_prefix
    }

    /// The target name of the credential holding `key`.
    pub fn target_name(&self, key: &str) -> Result<String, StoreError> {
        check_key(key)?;
        let name = format!("{}{key}", self.target_prefix);
        if name.encode_utf16().count() > WINCRED_MAX_TARGET_NAME_LEN {
            return Err(StoreError::InvalidInput {
                what: "key",
                reason: "it makes the credential's target name longer than Windows allows (32767 UTF-16 units)",
            });
        }
        Ok(name)
    }

    /// The key stored under `target_name`, or `None` when the credential is not one of ours
    /// (it does not start with [`target_prefix`](Self::target_prefix), compared exactly as
    /// keyring does) or its key would be empty.
    #[must_use]
    pub fn key_of<'a>(&self, target_name: &'a str) -> Option<&'a str> {
        target_name
            .strip_prefix(self.target_prefix.as_str())
            .filter(|key| !key.is_empty())
    }
}

/// The user name the `wincredui` MFA dialog shows for a device: its ARN without the
/// `arn:aws:iam::` prefix and the `:mfa` part (`123456789012/jon` for
/// `arn:aws:iam::123456789012:mfa/jon`).
pub fn wincredui_user_name(serial: &str) -> String {
    serial.replace("arn:aws:iam::", "").replace(":mfa", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wincredui_shows_the_device_without_the_arn_noise() {
        assert_eq!(
            wincredui_user_name("arn:aws:iam::123456789012:mfa/jon"),
            "123456789012/jon"
        );
        assert_eq!(wincredui_user_name("GAHT12345678"), "GAHT12345678");
    }

    #[test]
    fn aws_vault_target_names() {
        let names = WinCredNames::new(AWS_VAULT_WINCRED_PREFIX, AWS_VAULT_SERVICE_NAME).unwrap();
        assert_eq!(names.target_prefix(), "aws-vault:aws-vault:");
        assert_eq!(
            names.target_name("prod").unwrap(),
            "aws-vault:aws-vault:prod"
        );
        assert_eq!(
            names
                .target_name("oidc:https://x.awsapps.com/start")
                .unwrap(),
            "aws-vault:aws-vault:oidc:https://x.awsapps.com/start"
        );
    }

    #[test]
    fn keyring_defaults_for_empty_prefix_and_service() {
        assert_eq!(
            WinCredNames::new("", "").unwrap().target_prefix(),
            "keyring:default:"
        );
        assert_eq!(
            WinCredNames::new("", "svc").unwrap().target_prefix(),
            "keyring:svc:"
        );
        assert_eq!(
            WinCredNames::new("p", "").unwrap().target_prefix(),
            "p:default:"
        );
    }

    #[test]
    fn key_of_strips_only_our_prefix() {
        let names = WinCredNames::new("aws-vault", "aws-vault").unwrap();
        assert_eq!(names.key_of("aws-vault:aws-vault:prod"), Some("prod"));
        // Keys may themselves contain colons (session and OIDC keys do).
        assert_eq!(
            names.key_of("aws-vault:aws-vault:oidc:https://a/b"),
            Some("oidc:https://a/b")
        );
        assert_eq!(names.key_of("aws-vault:other:prod"), None);
        assert_eq!(names.key_of("keyring:aws-vault:prod"), None);
        assert_eq!(names.key_of("git:https://github.com"), None);
        // Exact comparison, as keyring's strings.HasPrefix.
        assert_eq!(names.key_of("AWS-VAULT:aws-vault:prod"), None);
        // The bare prefix holds no key.
        assert_eq!(names.key_of("aws-vault:aws-vault:"), None);
    }

    #[test]
    fn target_name_and_key_of_round_trip() {
        let names = WinCredNames::new("aws-vault", "aws-vault").unwrap();
        for key in [
            "prod",
            "a:b:c",
            "sts.GetSessionToken,prod,,1700000000",
            "ünï",
        ] {
            let t = names.target_name(key).unwrap();
            assert_eq!(names.key_of(&t), Some(key));
        }
    }

    #[test]
    fn rejects_bad_keys_and_names() {
        let names = WinCredNames::new("aws-vault", "aws-vault").unwrap();
        assert!(matches!(
            names.target_name(""),
            Err(StoreError::InvalidInput { what: "key", .. })
        ));
        assert!(matches!(
            names.target_name("a\0b"),
            Err(StoreError::InvalidInput { .. })
        ));
        let long = "x".repeat(WINCRED_MAX_TARGET_NAME_LEN);
        assert!(matches!(
            names.target_name(&long),
            Err(StoreError::InvalidInput { .. })
        ));
        let fits = "x".repeat(WINCRED_MAX_TARGET_NAME_LEN - names.target_prefix().len());
        assert!(names.target_name(&fits).is_ok());
        assert!(WinCredNames::new("a\0", "s").is_err());
        assert!(WinCredNames::new("a", "s\0").is_err());
        assert!(check_service("").is_err());
        assert!(check_service("aws-vault").is_ok());
        assert!(check_key("prod").is_ok());
    }

    #[test]
    fn keychain_file_names() {
        assert_eq!(
            keychain_file_name("aws-vault").unwrap().as_deref(),
            Some("aws-vault.keychain")
        );
        assert_eq!(
            keychain_file_name("work").unwrap().as_deref(),
            Some("work.keychain")
        );
        assert_eq!(keychain_file_name("").unwrap(), None);
        assert!(keychain_file_name("a\0b").is_err());
    }

    #[test]
    fn blob_size_limit() {
        assert!(check_wincred_blob_size(0).is_ok());
        assert!(check_wincred_blob_size(2560).is_ok());
        assert!(matches!(
            check_wincred_blob_size(2561),
            Err(StoreError::TooLarge {
                size: 2561,
                max: 2560,
                ..
            })
        ));
    }
}
