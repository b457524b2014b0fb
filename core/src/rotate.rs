//! Rotating the long-lived keys a profile's credentials start from, as aws-vault's `rotate`
//! does, but never leaving the vault without a working key: create a new key with IAM (signed
//! with a fresh session of the profile, so MFA-protected IAM policies are satisfied), store it,
//! prove it works with GetCallerIdentity, and only then delete the old key. If the new key
//! cannot be stored or never starts working, it is deleted again and the old key stays.

use crate::provider::CredentialsProvider;
use crate::sts::{StsTarget, caller_identity};
use crate::{AccessKey, Credentials, Result};
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_sdk_iam::error::ProvideErrorMetadata;
use secrecy::SecretString;
use std::time::{Duration, Instant};

/// How long a new key gets to start working (IAM is eventually consistent);
/// `STSVAULT_ROTATE_WAIT` (seconds) overrides it.
const NEW_KEY_DEADLINE: Duration = Duration::from_secs(30);

fn new_key_deadline() -> Duration {
    std::env::var("STSVAULT_ROTATE_WAIT")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(NEW_KEY_DEADLINE, Duration::from_secs)
}
const RETRY_PAUSE: Duration = Duration::from_secs(2);

/// A problem rotating keys; each says what state the keys are left in.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The profile's credentials do not start from keys in the vault.
    #[error(
        "profile `{profile}` does not get its credentials from keys stored in the vault ({plan}); `rotate` rotates keys stored with `stsvault add`"
    )]
    NoStoredKeys {
        /// The profile.
        profile: String,
        /// How the profile gets credentials.
        plan: String,
    },
    /// An IAM call failed before anything changed.
    #[error(
        "IAM {action} failed for profile `{profile}`: {code}: {message}; nothing was changed, the vault still holds the old key"
    )]
    Iam {
        /// The profile.
        profile: String,
        /// The IAM action.
        action: &'static str,
        /// The error code.
        code: String,
        /// IAM's message.
        message: String,
    },
    /// The new key could not be stored or never worked; it was deleted again.
    #[error(
        "the new access key {new_key} of `{profile}` was not put to use ({reason}); it was deleted again and the vault still holds the old key {old_key}"
    )]
    RolledBack {
        /// The vault entry.
        profile: String,
        /// The key that stays.
        old_key: String,
        /// The key that was created and deleted.
        new_key: String,
        /// What went wrong.
        reason: String,
    },
    /// The new key works and is stored, but the old one could not be deleted.
    #[error(
        "the vault now holds the new access key {new_key} of `{profile}`, but deleting the old key {old_key} failed ({reason}); delete it with `aws iam delete-access-key --access-key-id {old_key_id}`"
    )]
    OldKeyNotDeleted {
        /// The vault entry.
        profile: String,
        /// The old key (masked).
        old_key: String,
        /// The old key's full id, for the command to run.
        old_key_id: String,
        /// The new key (masked).
        new_key: String,
        /// What went wrong.
        reason: String,
    },
}

/// A step of the rotation, for progress output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateEvent {
    /// Starting; `session_profile` is `None` when the master keys sign the IAM calls.
    Started {
        /// The vault entry whose keys are rotated.
        master: String,
        /// The profile whose session signs the IAM calls.
        session_profile: Option<String>,
    },
    /// The new key exists.
    Created {
        /// Masked key id.
        key: String,
    },
    /// Sessions made from the old key were removed.
    SessionsRemoved {
        /// The profile.
        profile: String,
        /// How many.
        count: usize,
    },
    /// The new key answered GetCallerIdentity.
    Verified {
        /// Masked key id.
        key: String,
    },
    /// The old key is gone.
    Deleted {
        /// Masked key id.
        key: String,
    },
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The vault entry whose keys were rotated.
    pub master: String,
    /// The old key id.
    pub old_key_id: String,
    /// The new key id.
    pub new_key_id: String,
}

/// Rotates the keys `provider`'s profile starts from. Build the provider with
/// `PlanOptions { no_cache: true, .. }` (and `no_session` for `--no-session`): the IAM calls are
/// signed with a fresh session of the profile, or with the master keys when `no_session`.
pub async fn rotate(
    provider: &CredentialsProvider,
    no_session: bool,
    progress: &mut (dyn FnMut(RotateEvent) + Send),
) -> Result<Rotation> {
    let profile = provider.profile().to_string();
    let plan = provider.plan()?;
    let master = plan
        .stored_keys_profile()
        .map(String::from)
        .ok_or_else(|| RotateError::NoStoredKeys {
            profile: profile.clone(),
            plan: plan.describe(),
        })?;
    let config = provider.profile_config()?;
    let vault = provider.vault();
    let old = {
        let (vault, name) = (std::sync::Arc::clone(vault), master.clone());
        crate::blocking::blocking(move || Ok(vault.get_master(&name)?)).await?
    }
    .ok_or_else(|| crate::vault::VaultError::NoCredentials {
        profile: master.clone(),
    })?;
    let old_creds = old.to_credentials();
    progress(RotateEvent::Started {
        master: master.clone(),
        session_profile: (!no_session).then(|| profile.clone()),
    });

    let signer = if no_session {
        old_creds.clone()
    } else {
        provider.credentials().await?
    };
    let sts_target = StsTarget::for_profile(&config);
    // The user the key belongs to, from the key itself (works whatever role signs the calls).
    let who = caller_identity(&master, &sts_target, &old_creds).await?;
    let user_name = who.arn.rsplit('/').next().unwrap_or_default().to_string();
    let iam = iam_client(config.iam_endpoint_url.as_deref(), &signer);

    let created = iam
        .create_access_key()
        .user_name(&user_name)
        .send()
        .await
        .map_err(|e| RotateError::Iam {
            profile: profile.clone(),
            action: "CreateAccessKey",
            code: e.code().unwrap_or("Unknown").to_string(),
            message: e
                .message()
                .map(String::from)
                .unwrap_or_else(|| crate::sts::error_chain(&e)),
        })?;
    let Some(key) = created.access_key else {
        return Err(RotateError::Iam {
            profile,
            action: "CreateAccessKey",
            code: "IncompleteResponse".into(),
            message: "no access key in the answer".into(),
        }
        .into());
    };
    let new = AccessKey::new(key.access_key_id, SecretString::from(key.secret_access_key));
    let masked = |id: &str| crate::cache::display_key_id(id);
    progress(RotateEvent::Created {
        key: masked(&new.access_key_id),
    });

    let rollback = |reason: String| {
        let (iam, user, new_id, old_id, master) = (
            iam.clone(),
            user_name.clone(),
            new.access_key_id.clone(),
            old.access_key_id.clone(),
            master.clone(),
        );
        async move {
            let deleted = iam
                .delete_access_key()
                .user_name(&user)
                .access_key_id(&new_id)
                .send()
                .await;
            if let Err(e) = deleted {
                tracing::warn!(error = %crate::sts::error_chain(&e), "could not delete the unused new key");
            }
            RotateError::RolledBack {
                profile: master,
                old_key: masked(&old_id),
                new_key: masked(&new_id),
                reason,
            }
        }
    };

    if let Err(reason) = wait_until_working(&master, &sts_target, &new.to_credentials()).await {
        return Err(rollback(reason).await.into());
    }
    progress(RotateEvent::Verified {
        key: masked(&new.access_key_id),
    });
    let stored = {
        let (vault, name, key) = (std::sync::Arc::clone(vault), master.clone(), new.clone());
        crate::blocking::blocking(move || Ok(vault.set_master(&name, &key)?)).await
    };
    if let Err(e) = stored {
        return Err(rollback(format!("storing it failed: {e}")).await.into());
    }

    for name in config.chain().map(|p| p.name.clone()) {
        let vault = std::sync::Arc::clone(vault);
        let n = {
            let name = name.clone();
            let (config, resolve) = (
                std::sync::Arc::clone(provider.config()),
                provider.resolve_options().clone(),
            );
            crate::blocking::blocking(move || {
                Ok(crate::cache::role::remove_sessions_through(
                    &vault, &config, &resolve, &name,
                )?)
            })
            .await?
        };
        if n > 0 {
            progress(RotateEvent::SessionsRemoved {
                profile: name,
                count: n,
            });
        }
    }

    // Delete the old key with the new one (IAM lets a user manage their own keys), retrying
    // while IAM catches up.
    let new_iam = iam_client(config.iam_endpoint_url.as_deref(), &new.to_credentials());
    let deadline = Instant::now() + new_key_deadline();
    loop {
        match new_iam
            .delete_access_key()
            .user_name(&user_name)
            .access_key_id(&old.access_key_id)
            .send()
            .await
        {
            Ok(_) => break,
            Err(e) if Instant::now() >= deadline => {
                return Err(RotateError::OldKeyNotDeleted {
                    profile: master,
                    old_key: masked(&old.access_key_id),
                    old_key_id: old.access_key_id.clone(),
                    new_key: masked(&new.access_key_id),
                    reason: e
                        .message()
                        .map(String::from)
                        .unwrap_or_else(|| crate::sts::error_chain(&e)),
                }
                .into());
            }
            Err(e) => {
                tracing::debug!(error = %crate::sts::error_chain(&e), "retrying DeleteAccessKey");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
    progress(RotateEvent::Deleted {
        key: masked(&old.access_key_id),
    });
    Ok(Rotation {
        master,
        old_key_id: old.access_key_id.clone(),
        new_key_id: new.access_key_id.clone(),
    })
}

/// Calls GetCallerIdentity with `creds` until it answers or the deadline passes.
async fn wait_until_working(
    profile: &str,
    target: &StsTarget,
    creds: &Credentials,
) -> Result<(), String> {
    let deadline = Instant::now() + new_key_deadline();
    loop {
        match caller_identity(profile, target, creds).await {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!(
                    "GetCallerIdentity with it still failed after {}s: {e}",
                    new_key_deadline().as_secs()
                ));
            }
            Err(e) => {
                tracing::debug!(error = %e, "new key not usable yet");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
}

/// An IAM client (IAM is global: signed for us-east-1) using `creds`.
fn iam_client(endpoint_url: Option<&str>, creds: &Credentials) -> aws_sdk_iam::Client {
    let mut b = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .retry_config(crate::sts::retry_config())
        .credentials_provider(creds.to_sdk());
    if let Some(url) = endpoint_url.filter(|u| !u.is_empty()) {
        b = b.endpoint_url(url);
    }
    aws_sdk_iam::Client::from_conf(b.build())
}
