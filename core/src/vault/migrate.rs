//! Moving stored keys from one backend to another (`stsvault migrate-backend`), as the
//! ByteNess aws-vault fork's command of that name does: only profiles' long-lived keys move;
//! cached sessions and SSO tokens stay where they are (they are caches, made again on demand).
//!
//! Nothing is lost if the run stops at any point, killed or failing: each profile is handled on
//! its own, in order — written to the destination, read back and compared byte for byte with
//! the source, and only then, if asked, removed from the source. A profile is therefore always
//! in the source, or verified in the destination, or both; a second run finishes the job (a
//! destination item identical to the source counts as migrated, so its source copy is removed
//! then too).
//!
//! The item's data is copied as it is stored, not decoded and written again, so whatever a
//! newer aws-vault or stsvault put in it survives the move; only the label is aws-vault's own
//! (`aws-vault (PROFILE)`), as for keys added with `add`.

use super::{Item, Vault, VaultError, formats};
use secrecy::ExposeSecret;

/// A problem migrating keys. Whatever the error, the profile it names is still in the source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// `--from` and `--to` name the same backend.
    #[error(
        "the source and destination backends are both `{backend}`; name two different backends with --from and --to"
    )]
    SameBackend {
        /// The backend named twice.
        backend: &'static str,
    },
    /// `--profile` names a profile with no keys in the source.
    #[error(
        "no credentials are stored for profile `{profile}` in the `{backend}` backend; `stsvault --backend {backend} list --credentials` shows the stored ones"
    )]
    ProfileNotFound {
        /// The profile asked for.
        profile: String,
        /// The source backend.
        backend: &'static str,
    },
    /// Listing the source's items failed.
    #[error("could not list the credentials in the source backend: {0}")]
    ListSource(#[source] VaultError),
    /// Finding out whether the destination already holds the profile failed.
    #[error(
        "could not check whether the destination already holds `{profile}`; nothing was written for it: {source}"
    )]
    CheckDestination {
        /// The profile.
        profile: String,
        /// What the backend said.
        #[source]
        source: VaultError,
    },
    /// The destination holds the profile already, and reading it (to compare) failed.
    #[error(
        "the destination already holds `{profile}` but it cannot be read to compare it with the source ({source}); the source was left as it was; pass --overwrite to replace the destination's copy"
    )]
    ReadDestination {
        /// The profile.
        profile: String,
        /// What the backend said.
        #[source]
        source: VaultError,
    },
    /// Reading the profile's keys from the source failed.
    #[error(
        "could not read `{profile}` from the source backend; nothing was written for it: {source}"
    )]
    ReadSource {
        /// The profile.
        profile: String,
        /// What the backend said.
        #[source]
        source: VaultError,
    },
    /// The profile was listed in the source but was gone when read (removed meanwhile).
    #[error(
        "`{profile}` was removed from the source backend while the migration ran; run the migration again"
    )]
    SourceVanished {
        /// The profile.
        profile: String,
    },
    /// Writing the profile to the destination failed.
    #[error(
        "could not write `{profile}` to the destination backend; the source was left as it was: {source}"
    )]
    WriteDestination {
        /// The profile.
        profile: String,
        /// What the backend said.
        #[source]
        source: VaultError,
    },
    /// Reading the written copy back from the destination failed.
    #[error(
        "could not read `{profile}` back from the destination backend after writing it; the source was left as it was: {source}"
    )]
    VerifyRead {
        /// The profile.
        profile: String,
        /// What the backend said.
        #[source]
        source: VaultError,
    },
    /// The copy read back from the destination is not what was written.
    #[error(
        "the copy of `{profile}` read back from the destination backend differs from the source ({what}); the source was left as it was — check the destination backend, then run again with --overwrite"
    )]
    VerifyMismatch {
        /// The profile.
        profile: String,
        /// How it differs ("missing", "different data").
        what: &'static str,
    },
    /// Removing the profile from the source failed; its verified copy is in the destination.
    #[error(
        "`{profile}` was copied to the destination backend and verified, but removing it from the source failed: {source}; remove it there yourself, or run the migration again"
    )]
    DeleteSource {
        /// The profile.
        profile: String,
        /// What the backend said.
        #[source]
        source: VaultError,
    },
}

impl MigrateError {
    /// The profile the error is about, if it is about one.
    pub fn profile(&self) -> Option<&str> {
        match self {
            MigrateError::SameBackend { .. } | MigrateError::ListSource(_) => None,
            MigrateError::ProfileNotFound { profile, .. }
            | MigrateError::CheckDestination { profile, .. }
            | MigrateError::ReadDestination { profile, .. }
            | MigrateError::ReadSource { profile, .. }
            | MigrateError::SourceVanished { profile }
            | MigrateError::WriteDestination { profile, .. }
            | MigrateError::VerifyRead { profile, .. }
            | MigrateError::VerifyMismatch { profile, .. }
            | MigrateError::DeleteSource { profile, .. } => Some(profile),
        }
    }
}

/// How to migrate.
#[derive(Debug, Clone, Default)]
pub struct MigrateOptions {
    /// Replace a destination item that differs from the source (default: leave it, and keep
    /// the source's).
    pub overwrite: bool,
    /// Remove each profile from the source once its copy in the destination is verified.
    pub delete_source: bool,
}

/// What happened to one profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written to the destination, which did not hold it, and verified.
    Copied,
    /// Written over the destination's own copy (`overwrite`), and verified.
    Overwritten,
    /// The destination already held the same keys: nothing written (a re-run of an
    /// interrupted migration lands here).
    AlreadyThere,
    /// The destination holds other keys under that name and `overwrite` is off: nothing
    /// written, and the source keeps its copy whatever `delete_source` says.
    Conflict,
}

impl Outcome {
    /// True when the destination now holds the source's keys (so the source may go).
    pub fn destination_matches(self) -> bool {
        !matches!(self, Outcome::Conflict)
    }
}

/// One profile's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemReport {
    /// The profile.
    pub profile: String,
    /// What was done in the destination.
    pub outcome: Outcome,
    /// True when the profile was removed from the source.
    pub source_deleted: bool,
}

/// Counts over a whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Profiles written to a destination that did not hold them.
    pub copied: usize,
    /// Profiles written over the destination's copy.
    pub overwritten: usize,
    /// Profiles not written: the destination held the same keys, or other keys (no overwrite).
    pub skipped: usize,
    /// Profiles removed from the source.
    pub deleted: usize,
}

impl Summary {
    fn add(&mut self, r: &ItemReport) {
        match r.outcome {
            Outcome::Copied => self.copied += 1,
            Outcome::Overwritten => self.overwritten += 1,
            Outcome::AlreadyThere | Outcome::Conflict => self.skipped += 1,
        }
        if r.source_deleted {
            self.deleted += 1;
        }
    }
}

/// Progress of [`migrate`], for a front-end to print.
#[derive(Debug)]
pub enum Progress<'a> {
    /// Starting on a profile.
    Started(&'a str),
    /// Done with a profile.
    Finished(&'a ItemReport),
}

/// The profiles to migrate from `source`: every profile with keys stored (not sessions, not
/// SSO tokens), sorted, or just `profile` — which must have keys there. Reads no secret.
pub fn profiles_to_migrate(
    source: &Vault,
    profile: Option<&str>,
) -> Result<Vec<String>, MigrateError> {
    let names = source.master_names().map_err(MigrateError::ListSource)?;
    match profile {
        None => Ok(names),
        Some(p) if names.iter().any(|n| n == p) => Ok(vec![p.to_string()]),
        Some(p) => Err(MigrateError::ProfileNotFound {
            profile: p.to_string(),
            backend: source.backend_name(),
        }),
    }
}

/// Migrates `profiles` from `source` to `destination` one at a time, in order, stopping at the
/// first error (the profiles before it stay migrated; the one it names is still in the source).
pub fn migrate(
    source: &Vault,
    destination: &Vault,
    profiles: &[String],
    options: &MigrateOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Summary, MigrateError> {
    if source.backend_name() == destination.backend_name() {
        return Err(MigrateError::SameBackend {
            backend: source.backend_name(),
        });
    }
    let mut summary = Summary::default();
    for profile in profiles {
        progress(Progress::Started(profile));
        let report = migrate_one(source, destination, profile, options)?;
        summary.add(&report);
        progress(Progress::Finished(&report));
    }
    Ok(summary)
}

/// Migrates one profile: write, read back and compare, then (if asked) remove from the source.
pub fn migrate_one(
    source: &Vault,
    destination: &Vault,
    profile: &str,
    options: &MigrateOptions,
) -> Result<ItemReport, MigrateError> {
    let exists =
        destination
            .has_master(profile)
            .map_err(|source| MigrateError::CheckDestination {
                profile: profile.to_string(),
                source,
            })?;
    let item = source
        .backend
        .get(profile)
        .map_err(|source| MigrateError::ReadSource {
            profile: profile.to_string(),
            source,
        })?
        .ok_or_else(|| MigrateError::SourceVanished {
            profile: profile.to_string(),
        })?;
    let outcome = if exists && !options.overwrite {
        let theirs =
            destination
                .backend
                .get(profile)
                .map_err(|source| MigrateError::ReadDestination {
                    profile: profile.to_string(),
                    source,
                })?;
        match theirs {
            Some(theirs) if same_keys(profile, item.data(), theirs.data()) => Outcome::AlreadyThere,
            _ => Outcome::Conflict,
        }
    } else {
        copy_and_verify(destination, profile, item.data())?;
        if exists {
            Outcome::Overwritten
        } else {
            Outcome::Copied
        }
    };
    let mut source_deleted = false;
    if options.delete_source && outcome.destination_matches() {
        source
            .remove_master(profile)
            .map_err(|source| MigrateError::DeleteSource {
                profile: profile.to_string(),
                source,
            })?;
        source_deleted = true;
    }
    Ok(ItemReport {
        profile: profile.to_string(),
        outcome,
        source_deleted,
    })
}

/// Writes `data` as `profile`'s keys in `destination`, then reads it back and compares.
fn copy_and_verify(destination: &Vault, profile: &str, data: &[u8]) -> Result<(), MigrateError> {
    destination
        .backend
        .set(&super::master_item(profile, data.to_vec()))
        .map_err(|source| MigrateError::WriteDestination {
            profile: profile.to_string(),
            source,
        })?;
    let back: Option<Item> =
        destination
            .backend
            .get(profile)
            .map_err(|source| MigrateError::VerifyRead {
                profile: profile.to_string(),
                source,
            })?;
    let mismatch = |what| MigrateError::VerifyMismatch {
        profile: profile.to_string(),
        what,
    };
    match back {
        None => Err(mismatch("missing")),
        Some(back) if back.data() != data => Err(mismatch("different data")),
        Some(_) => Ok(()),
    }
}

/// True when two stored items hold the same keys: the same bytes, or JSON that another tool
/// wrote differently but that names the same access key id and secret.
fn same_keys(profile: &str, ours: &[u8], theirs: &[u8]) -> bool {
    if ours == theirs {
        return true;
    }
    match (
        formats::master_from_json(ours, profile),
        formats::master_from_json(theirs, profile),
    ) {
        (Ok(a), Ok(b)) => {
            a.access_key_id == b.access_key_id
                && a.secret_access_key.expose_secret() == b.secret_access_key.expose_secret()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AccessKey;
    use crate::vault::{Backend, MemoryBackend, SessionKey};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A memory backend under another name (migration refuses a backend to itself), that can
    /// be told to damage what it stores or to fail the Nth write.
    #[derive(Default)]
    struct Other {
        inner: MemoryBackend,
        damage: bool,
        fail_write_at: Option<usize>,
        writes: AtomicUsize,
    }

    impl Backend for Other {
        fn name(&self) -> &'static str {
            "other"
        }
        fn get(&self, key: &str) -> Result<Option<Item>, VaultError> {
            self.inner.get(key)
        }
        fn set(&self, item: &Item) -> Result<(), VaultError> {
            let n = self.writes.fetch_add(1, Ordering::SeqCst);
            if self.fail_write_at == Some(n) {
                return Err(VaultError::Backend {
                    backend: "other",
                    action: format!("store `{}`", item.key),
                    reason: "disk full".into(),
                });
            }
            let mut data = item.data().to_vec();
            if self.damage {
                data.push(b' ');
            }
            self.inner.set(&Item::new(
                item.key.clone(),
                data,
                item.label.clone(),
                item.description.clone(),
            ))
        }
        fn remove(&self, key: &str) -> Result<bool, VaultError> {
            self.inner.remove(key)
        }
        fn keys(&self) -> Result<Vec<String>, VaultError> {
            self.inner.keys()
        }
    }

    fn source_with(profiles: &[&str]) -> Vault {
        let v = Vault::new(Box::new(MemoryBackend::default()));
        for p in profiles {
            v.set_master(
                p,
                &AccessKey::new(format!("AKIA{p}"), format!("secret-{p}")),
            )
            .unwrap();
        }
        v
    }

    fn other(o: Other) -> Vault {
        Vault::new(Box::new(o))
    }

    fn run(src: &Vault, dst: &Vault, options: &MigrateOptions) -> Result<Summary, MigrateError> {
        let names = profiles_to_migrate(src, None)?;
        migrate(src, dst, &names, options, &mut |_| {})
    }

    fn delete() -> MigrateOptions {
        MigrateOptions {
            delete_source: true,
            ..Default::default()
        }
    }

    #[test]
    fn keys_move_byte_for_byte_and_sessions_and_tokens_stay() {
        let src = source_with(&["b", "a"]);
        src.backend
            .set(&Item::new(
                "odd",
                br#"{"AccessKeyID":"AKIAODD","SecretAccessKey":"s","Extra":1}"#.to_vec(),
                "x".into(),
                String::new(),
            ))
            .unwrap();
        let key = SessionKey::new("sts.GetSessionToken", "a", "");
        let mut session = AccessKey::new("ASIA1", "s".to_string()).to_credentials();
        session.expiration = Some(chrono::Utc::now() + chrono::Duration::hours(1));
        src.set_session(&key, &session).unwrap();
        let dst = other(Other::default());
        let mut seen = Vec::new();
        let names = profiles_to_migrate(&src, None).unwrap();
        assert_eq!(names, ["a", "b", "odd"]);
        let summary = migrate(&src, &dst, &names, &delete(), &mut |p| {
            if let Progress::Finished(r) = p {
                seen.push(r.clone());
            }
        })
        .unwrap();
        assert_eq!(
            summary,
            Summary {
                copied: 3,
                overwritten: 0,
                skipped: 0,
                deleted: 3
            }
        );
        assert!(seen.iter().all(|r| r.source_deleted));
        assert_eq!(dst.master_names().unwrap(), ["a", "b", "odd"]);
        let odd = dst.backend.get("odd").unwrap().unwrap();
        assert!(odd.data().ends_with(br#""Extra":1}"#), "copied as stored");
        assert_eq!(odd.label, "aws-vault (odd)");
        assert!(src.master_names().unwrap().is_empty());
        assert_eq!(src.sessions().unwrap().len(), 1, "the session stays");
        assert!(dst.sessions().unwrap().is_empty(), "and is not copied");
    }

    #[test]
    fn a_damaged_copy_is_caught_and_the_source_kept() {
        let src = source_with(&["a", "b"]);
        let dst = other(Other {
            damage: true,
            ..Default::default()
        });
        let err = run(&src, &dst, &delete()).unwrap_err();
        assert!(
            matches!(err, MigrateError::VerifyMismatch { ref profile, .. } if profile == "a"),
            "{err}"
        );
        assert!(err.to_string().contains("source was left"), "{err}");
        assert_eq!(src.master_names().unwrap(), ["a", "b"]);
    }

    #[test]
    fn a_failed_write_stops_the_run_and_keeps_what_is_not_done() {
        let src = source_with(&["a", "b", "c"]);
        let dst = other(Other {
            fail_write_at: Some(1),
            ..Default::default()
        });
        let err = run(&src, &dst, &delete()).unwrap_err();
        assert_eq!(err.profile(), Some("b"));
        assert_eq!(
            src.master_names().unwrap(),
            ["b", "c"],
            "a moved; b, c kept"
        );
        assert_eq!(dst.master_names().unwrap(), ["a"]);
        // Run again: it finishes.
        let summary = run(&src, &dst, &delete()).unwrap();
        assert_eq!((summary.copied, summary.deleted), (2, 2));
        assert!(src.master_names().unwrap().is_empty());
    }

    #[test]
    fn an_existing_destination_item_is_kept_unless_overwrite() {
        let src = source_with(&["same", "differs"]);
        let dst = other(Other::default());
        dst.set_master("differs", &AccessKey::new("AKIAOTHER", "other".to_string()))
            .unwrap();
        // `same` holds the same keys, written as JSON of another shape.
        dst.backend
            .set(&Item::new(
                "same",
                br#"{"SecretAccessKey":"secret-same","AccessKeyID":"AKIAsame"}"#.to_vec(),
                String::new(),
                String::new(),
            ))
            .unwrap();
        let mut reports = Vec::new();
        let names = profiles_to_migrate(&src, None).unwrap();
        let summary = migrate(&src, &dst, &names, &delete(), &mut |p| {
            if let Progress::Finished(r) = p {
                reports.push((r.profile.clone(), r.outcome, r.source_deleted));
            }
        })
        .unwrap();
        assert_eq!(
            reports,
            [
                ("differs".to_string(), Outcome::Conflict, false),
                ("same".to_string(), Outcome::AlreadyThere, true)
            ]
        );
        assert_eq!((summary.skipped, summary.deleted), (2, 1));
        assert_eq!(
            dst.get_master("differs").unwrap().unwrap().access_key_id,
            "AKIAOTHER"
        );
        let overwrite = MigrateOptions {
            overwrite: true,
            delete_source: true,
        };
        let summary = run(&src, &dst, &overwrite).unwrap();
        assert_eq!((summary.overwritten, summary.deleted), (1, 1));
        assert_eq!(
            dst.get_master("differs").unwrap().unwrap().access_key_id,
            "AKIAdiffers"
        );
    }

    #[test]
    fn one_profile_or_a_clear_error() {
        let src = source_with(&["a", "b"]);
        assert_eq!(profiles_to_migrate(&src, Some("b")).unwrap(), ["b"]);
        let key = SessionKey::new("sts.GetSessionToken", "a", "");
        let name = key.item_name(chrono::Utc::now());
        let err = profiles_to_migrate(&src, Some(&name)).unwrap_err();
        assert!(matches!(err, MigrateError::ProfileNotFound { .. }), "{err}");
        let err = profiles_to_migrate(&src, Some("c"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`c`") && err.contains("list --credentials"),
            "{err}"
        );
    }

    #[test]
    fn a_backend_to_itself_is_refused() {
        let a = source_with(&["a"]);
        let b = Vault::new(Box::new(MemoryBackend::default()));
        let err = run(&a, &b, &MigrateOptions::default()).unwrap_err();
        assert!(matches!(err, MigrateError::SameBackend { .. }), "{err}");
        assert!(b.master_names().unwrap().is_empty());
    }
}
