//! stsvault's own cache of role sessions.
//!
//! aws-vault caches an AssumeRole only when that call sends an MFA code itself. A role assumed
//! with a cached MFA session (the seed's `prod` on `sls-administrator`) or without MFA at all
//! costs it a round trip to STS on every run. stsvault caches those role sessions too, in the
//! same vault, encrypted like every other session, under a name aws-vault's own lookups never
//! read:
//!
//! `stsvault.AssumeRole,b64url(profile),b64url(fingerprint),EXPIRY`
//!
//! It has the shape of aws-vault's current session names, so aws-vault's parser takes it for a
//! session (its `list` shows it under the profile, its `clear` removes it, its sweep drops it
//! once expired) and never for a profile's master keys, which is what aws-vault makes of any
//! item name it cannot parse. Its type is one aws-vault never looks up (its lookups are by
//! `TYPE,b64url(profile),b64url(serial),` prefix with its own five types), so neither tool
//! ever serves the other's entry.
//!
//! The fingerprint (128 bits of SHA-256, in hex) covers everything that changes what the
//! AssumeRole returns: the profile, role ARN, session name, external ID, duration, session
//! tags, transitive tag keys, source identity and STS endpoint, and the identity of the
//! credentials it is made with: the vault item name of the cached session below it (which
//! carries that session's expiry, so a new or cleared source session, by stsvault or by
//! aws-vault, never serves a role assumed with the old one), or the vault entry of the master
//! keys. A config change therefore never serves a stale role; the old item is dropped when the
//! new one is stored.
//!
//! Only roles whose source is already in the vault (stored keys, or a cached session) are
//! cached: a role on plain keys from the credentials file or the environment keeps the vault
//! out of it, as before (no passphrase asked for a chain that never used the vault).

use crate::config::plan::Plan;
use crate::config::{Config, ResolveOptions};
use crate::vault::{SessionKey, Vault, VaultError, session_item_in};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// The session type of the role sessions stsvault caches under its own key.
pub const ROLE_SESSION_KIND: &str = "stsvault.AssumeRole";

/// Whether `plan` is a step cached under stsvault's role key: an AssumeRole that sends no MFA
/// code itself (those are cached under aws-vault's `sts.AssumeRole` key), with caching on, on
/// a source that is in the vault.
pub fn is_role_step(plan: &Plan) -> bool {
    match plan {
        Plan::AssumeRole {
            mfa: None,
            cache: true,
            source,
            ..
        } => matches!(**source, Plan::StoredKeys { .. }) || source.is_cached(),
        _ => false,
    }
}

/// The key the single-flight lock of `profile`'s role session is taken on (the fingerprint is
/// not known before the source session is).
pub fn flight_key(profile: &str) -> SessionKey {
    SessionKey::new(ROLE_SESSION_KIND, profile, "")
}

/// The key `plan`'s role session is cached under, given `names`, a listing of the vault's
/// items. `None` when `plan` is not a role step ([`is_role_step`]), or when what it is
/// assumed with is not in the vault: then no cached role session can serve it, and the new one
/// is keyed once its source is stored.
pub fn key_for(plan: &Plan, names: &[String]) -> Option<SessionKey> {
    if !is_role_step(plan) {
        return None;
    }
    let Plan::AssumeRole {
        profile,
        source,
        role_arn,
        role_session_name,
        external_id,
        duration,
        session_tags,
        transitive_session_tags,
        source_identity,
        sts,
        ..
    } = plan
    else {
        return None;
    };
    let source = source_id(source, names)?;
    let mut f = Fingerprint::default();
    f.text("stsvault role session v1");
    f.text(profile);
    f.text(role_arn);
    f.opt(role_session_name.as_deref());
    f.opt(external_id.as_deref());
    f.opt(duration.map(|d| d.as_secs().to_string()).as_deref());
    f.text(&session_tags.len().to_string());
    for (k, v) in session_tags {
        f.text(k);
        f.text(v);
    }
    f.text(&transitive_session_tags.len().to_string());
    for k in transitive_session_tags {
        f.text(k);
    }
    f.opt(source_identity.as_deref());
    f.opt(sts.region.as_deref());
    f.opt(sts.regional_endpoints.as_deref());
    f.opt(sts.endpoint_url.as_deref());
    f.text(&source);
    Some(SessionKey::new(ROLE_SESSION_KIND, profile, f.hex()))
}

/// What the credentials of the step `plan` are, as far as the vault says: the name of its
/// cached session item, or of the stored keys' entry.
fn source_id(plan: &Plan, names: &[String]) -> Option<String> {
    let key = match plan {
        Plan::StoredKeys { profile } => {
            return names
                .iter()
                .any(|n| n == profile)
                .then(|| format!("stored keys:{profile}"));
        }
        _ if is_role_step(plan) => key_for(plan, names)?,
        _ => {
            let (kind, profile, serial) = plan.cache_key()?;
            SessionKey::new(kind, profile, serial)
        }
    };
    session_item_in(&key, names).map(|name| format!("session:{name}"))
}

/// SHA-256 over length-prefixed fields, so no two field lists hash the same input.
#[derive(Default)]
struct Fingerprint(Sha256);

impl Fingerprint {
    fn text(&mut self, s: &str) {
        self.0.update((s.len() as u64).to_be_bytes());
        self.0.update(s.as_bytes());
    }

    fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.0.update([1]);
                self.text(s);
            }
            None => self.0.update([0]),
        }
    }

    /// The first 128 bits, in lower-case hex.
    fn hex(self) -> String {
        self.0.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Removes the other role sessions of `key`'s profile (older fingerprints: a changed config
/// or source session); returns how many.
pub fn remove_superseded(vault: &Vault, key: &SessionKey) -> Result<usize, VaultError> {
    vault.remove_sessions_where(|m| {
        m.kind == ROLE_SESSION_KIND && m.profile == key.profile && m.mfa_serial != key.mfa_serial
    })
}

/// Removes the cached sessions of `profile` and the role sessions stsvault cached for every
/// profile whose `source_profile` chain (as `config` resolves it now) passes through
/// `profile`: clearing `sls-administrator`'s MFA session also drops `prod`'s role session that
/// was assumed with it. Returns how many sessions were removed. Used by `clear PROFILE`,
/// `remove`, `add` and `rotate`.
pub fn remove_sessions_through(
    vault: &Vault,
    config: &Config,
    resolve: &ResolveOptions,
    profile: &str,
) -> Result<usize, VaultError> {
    let own = vault.remove_sessions_for(profile)?;
    let role_profiles: BTreeSet<String> = vault
        .sessions()?
        .into_iter()
        .filter(|m| m.kind == ROLE_SESSION_KIND && m.profile != profile)
        .map(|m| m.profile)
        .collect();
    if role_profiles.is_empty() {
        return Ok(own);
    }
    let mut resolve = resolve.clone();
    resolve.stored = vault.master_names()?.into_iter().collect();
    let derived: BTreeSet<String> = role_profiles
        .into_iter()
        .filter(|name| {
            config
                .resolve(name, &resolve)
                .is_ok_and(|p| p.chain().any(|step| step.name == profile))
        })
        .collect();
    let removed = vault
        .remove_sessions_where(|m| m.kind == ROLE_SESSION_KIND && derived.contains(&m.profile))?;
    Ok(own + removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::plan::{Mfa, StsEndpoint};
    use crate::vault::SessionMeta;
    use std::time::Duration;

    const SERIAL: &str = "arn:aws:iam::111111111111:mfa/jon";

    fn gst() -> Plan {
        Plan::GetSessionToken {
            profile: "jon".into(),
            source: Box::new(Plan::StoredKeys {
                profile: "jon".into(),
            }),
            mfa: Some(Mfa {
                serial: SERIAL.into(),
                process: None,
                token: None,
            }),
            duration: Duration::from_secs(3600),
            sts: StsEndpoint::default(),
            cache: true,
        }
    }

    fn role(source: Plan, role_arn: &str) -> Plan {
        Plan::AssumeRole {
            profile: "prod".into(),
            source: Box::new(source),
            role_arn: role_arn.into(),
            role_session_name: None,
            external_id: None,
            mfa: None,
            duration: Some(Duration::from_secs(3600)),
            session_tags: vec![],
            transitive_session_tags: vec![],
            source_identity: None,
            sts: StsEndpoint::default(),
            cache: true,
        }
    }

    fn gst_item(expiry: i64) -> String {
        SessionKey::new("sts.GetSessionToken", "jon", SERIAL)
            .item_name(chrono::DateTime::from_timestamp(expiry, 0).unwrap())
    }

    #[test]
    fn a_role_on_a_cached_session_is_keyed_by_that_session_item() {
        let plan = role(gst(), "arn:aws:iam::222222222222:role/prod");
        assert!(is_role_step(&plan));
        assert_eq!(
            key_for(&plan, &["jon".into()]),
            None,
            "no source session yet"
        );
        let names = vec!["jon".to_string(), gst_item(1_900_000_000)];
        let key = key_for(&plan, &names).unwrap();
        assert_eq!(key.kind, ROLE_SESSION_KIND);
        assert_eq!(key.profile, "prod");
        assert_eq!(key.mfa_serial.len(), 32);
        assert!(key.mfa_serial.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(key_for(&plan, &names), Some(key.clone()), "stable");
        // A new source session, another role ARN: another key.
        let renewed = vec!["jon".to_string(), gst_item(1_900_000_100)];
        assert_ne!(key_for(&plan, &renewed), Some(key.clone()));
        let other = role(gst(), "arn:aws:iam::222222222222:role/other");
        assert_ne!(key_for(&other, &names), Some(key));
    }

    #[test]
    fn what_is_cached_under_the_role_key() {
        let stored = Plan::StoredKeys {
            profile: "jon".into(),
        };
        let plan = role(stored, "arn:r");
        assert!(is_role_step(&plan), "a role without MFA on stored keys");
        assert!(key_for(&plan, &[]).is_none(), "keys gone, nothing served");
        assert!(key_for(&plan, &["jon".into()]).is_some());
        let plain = role(
            Plan::StaticKeys {
                profile: "jon".into(),
                origin: crate::config::plan::KeyOrigin::Environment,
            },
            "arn:r",
        );
        assert!(!is_role_step(&plain), "keys from the environment: no vault");
        let mut with_mfa = role(gst(), "arn:r");
        if let Plan::AssumeRole { mfa, .. } = &mut with_mfa {
            *mfa = Some(Mfa {
                serial: SERIAL.into(),
                process: None,
                token: None,
            });
        }
        assert!(
            !is_role_step(&with_mfa),
            "aws-vault's own sts.AssumeRole key"
        );
        let mut uncached = role(gst(), "arn:r");
        if let Plan::AssumeRole { cache, .. } = &mut uncached {
            *cache = false;
        }
        assert!(!is_role_step(&uncached), "no_cache (rotate)");
    }

    #[test]
    fn a_role_chain_is_keyed_through_each_cached_role() {
        let inner = role(gst(), "arn:inner");
        let mut outer = role(inner.clone(), "arn:outer");
        if let Plan::AssumeRole { profile, .. } = &mut outer {
            *profile = "prod-admin".into();
        }
        let mut names = vec!["jon".to_string(), gst_item(1_900_000_000)];
        assert!(key_for(&outer, &names).is_none(), "inner role not cached");
        let inner_key = key_for(&inner, &names).unwrap();
        names
            .push(inner_key.item_name(chrono::DateTime::from_timestamp(1_900_000_050, 0).unwrap()));
        let outer_key = key_for(&outer, &names).unwrap();
        assert_eq!(outer_key.profile, "prod-admin");
    }

    /// aws-vault's `sessionKeyPattern` (vault/sessionkeyring.go),
    /// `^([^,]+),([^,]+),([^,]*),([0-9]{1,})$`, by hand: (type, profile, serial, expiry) as
    /// they appear in the name.
    fn aws_vault_current(name: &str) -> Option<[&str; 4]> {
        let parts: Vec<&str> = name.split(',').collect();
        let [kind, profile, serial, expiry] = parts[..] else {
            return None;
        };
        let digits = !expiry.is_empty() && expiry.bytes().all(|b| b.is_ascii_digit());
        (!kind.is_empty() && !profile.is_empty() && digits)
            .then_some([kind, profile, serial, expiry])
    }

    /// Whether one of aws-vault's `oldSessionKeyPatterns` could match: they all start with
    /// `session,` or `session:`, or need a space (`^(.+?) session \((\d+)\)$`). aws-vault
    /// deletes every match, fresh or not, on each session read and write.
    fn aws_vault_old_could_match(name: &str) -> bool {
        name.starts_with("session,") || name.starts_with("session:") || name.contains(' ')
    }

    /// The types aws-vault caches sessions under and looks them up by.
    const AWS_VAULT_TYPES: [&str; 5] = [
        "sts.GetSessionToken",
        "sts.AssumeRole",
        "sts.AssumeRoleWithWebIdentity",
        "sso.GetRoleCredentials",
        "credential_process",
    ];

    #[test]
    fn aws_vault_takes_a_role_item_for_a_session_it_never_looks_up() {
        let plan = role(gst(), "arn:aws:iam::222222222222:role/prod");
        let names = vec!["jon".to_string(), gst_item(1_900_000_000)];
        let key = key_for(&plan, &names).unwrap();
        let name = key.item_name(chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap());
        // A session to aws-vault (listed, cleared, swept when expired), never master keys…
        let [kind, profile, _, _] = aws_vault_current(&name).expect("parses as a session");
        assert_eq!(kind, ROLE_SESSION_KIND);
        assert_eq!(profile, "cHJvZA", "base64url of `prod`");
        // …nor an old-format session it would delete while fresh…
        assert!(!aws_vault_old_could_match(&name));
        // …and its lookups (`lookupKeyName`: TYPE,b64(profile),b64(serial), as a prefix) of
        // `prod` find nothing, with or without the MFA serial.
        for kind in AWS_VAULT_TYPES {
            for serial in ["", SERIAL] {
                let prefix = SessionKey::new(kind, "prod", serial).matching_prefix();
                assert!(!name.starts_with(&prefix), "{kind} {serial:?}");
            }
        }
        assert!(!AWS_VAULT_TYPES.contains(&ROLE_SESSION_KIND));
    }

    #[test]
    fn role_items_parse_as_sessions_of_the_profile() {
        let plan = role(gst(), "arn:r");
        let names = vec!["jon".to_string(), gst_item(1_900_000_000)];
        let key = key_for(&plan, &names).unwrap();
        let name = key.item_name(chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap());
        let meta = SessionMeta::parse(&name).unwrap();
        assert_eq!(meta.kind, ROLE_SESSION_KIND);
        assert_eq!(meta.profile, "prod");
        assert!(!crate::vault::is_master_item(&name));
    }
}
