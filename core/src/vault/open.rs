//! Choosing and opening a backend the way aws-vault does: `--backend` / `AWS_VAULT_BACKEND`,
//! else the platform's natural store (the Keychain on macOS, the Credential Manager on
//! Windows, the Secret Service when a session bus offers one, else the encrypted file), with
//! each backend's options read from aws-vault's environment variables.

use super::passphrase_cache::{self, DEFAULT_IDLE, PASSPHRASE_CACHE_VAR};
use super::{Backend, BackendKind, FileBackend, MemoryBackend, PassphraseFn, VaultError};
use std::path::PathBuf;
use std::time::Duration;

/// Everything that selects and configures a backend. [`BackendOptions::from_env`] reads
/// aws-vault's variables; the CLI then applies its flags on top.
#[derive(Debug, Clone)]
pub struct BackendOptions {
    /// The backend to use; `None` picks the platform default.
    pub backend: Option<BackendKind>,
    /// The file backend's directory (`AWS_VAULT_FILE_DIR`, default `~/.awsvault/keys`).
    pub file_dir: Option<PathBuf>,
    /// The Secret Service collection (`AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME`, also read
    /// as `AWS_VAULT_LIBSECRET_COLLECTION`; default `awsvault`).
    pub secret_service_collection: String,
    /// The macOS keychain (`AWS_VAULT_KEYCHAIN_NAME`, default `aws-vault`).
    pub keychain_name: String,
    /// The `pass` program (`AWS_VAULT_PASS_CMD`, default `pass`).
    pub pass_cmd: String,
    /// The password store (`AWS_VAULT_PASS_PASSWORD_STORE_DIR`, else `PASSWORD_STORE_DIR`,
    /// else `~/.password-store`).
    pub pass_dir: Option<PathBuf>,
    /// A folder in the password store (`AWS_VAULT_PASS_PREFIX`).
    pub pass_prefix: String,
    /// The kernel keyring scope (`AWS_VAULT_KEYCTL_SCOPE`, default `user`).
    #[cfg(target_os = "linux")]
    pub keyctl_scope: super::KeyctlScope,
    /// The named keyring, KWallet wallet, keychain service and Credential Manager target
    /// prefix — aws-vault's service name (`aws-vault`).
    pub service_name: String,
    /// The KWallet folder (`AWS_VAULT_KWALLET_FOLDER`, default `aws-vault`).
    pub kwallet_folder: String,
    /// A D-Bus address to use instead of the session bus (tests; `None` in normal use).
    pub bus_address: Option<String>,
    /// How long the file vault's passphrase stays cached for the user's other processes
    /// without being used (`STSVAULT_PASSPHRASE_CACHE`, default 10 minutes; zero: no cache).
    /// The cache is never read nor written while `AWS_VAULT_FILE_PASSPHRASE` is set. Set it to
    /// zero when the passphrase function given to [`BackendOptions::open`] does not ask a
    /// person (a fixed passphrase has nothing to gain from it).
    pub passphrase_cache: Duration,
}

impl Default for BackendOptions {
    fn default() -> Self {
        Self {
            backend: None,
            file_dir: None,
            secret_service_collection: "awsvault".into(),
            keychain_name: "aws-vault".into(),
            pass_cmd: "pass".into(),
            pass_dir: None,
            pass_prefix: String::new(),
            #[cfg(target_os = "linux")]
            keyctl_scope: super::KeyctlScope::default(),
            service_name: "aws-vault".into(),
            kwallet_folder: "aws-vault".into(),
            bus_address: None,
            passphrase_cache: DEFAULT_IDLE,
        }
    }
}

impl BackendOptions {
    /// The options aws-vault's environment variables set (`AWS_VAULT_BACKEND`,
    /// `AWS_VAULT_FILE_DIR`, `AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME`,
    /// `AWS_VAULT_KEYCHAIN_NAME`, `AWS_VAULT_PASS_*`, `AWS_VAULT_KEYCTL_SCOPE`, …), read
    /// through `var` (pass `|k| std::env::var(k).ok()` for the process environment).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, VaultError> {
        let get = |k: &str| var(k).filter(|v| !v.is_empty());
        let mut o = Self::default();
        if let Some(b) = get("AWS_VAULT_BACKEND") {
            o.backend = Some(b.parse()?);
        }
        o.file_dir = get("AWS_VAULT_FILE_DIR").map(PathBuf::from);
        if let Some(c) = get("AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME")
            .or_else(|| get("AWS_VAULT_LIBSECRET_COLLECTION"))
        {
            o.secret_service_collection = c;
        }
        if let Some(k) = get("AWS_VAULT_KEYCHAIN_NAME") {
            o.keychain_name = k;
        }
        if let Some(c) = get("AWS_VAULT_PASS_CMD") {
            o.pass_cmd = c;
        }
        o.pass_dir = get("AWS_VAULT_PASS_PASSWORD_STORE_DIR")
            .or_else(|| get("PASSWORD_STORE_DIR"))
            .map(PathBuf::from);
        if let Some(p) = get("AWS_VAULT_PASS_PREFIX") {
            o.pass_prefix = p;
        }
        #[cfg(target_os = "linux")]
        if let Some(s) = get("AWS_VAULT_KEYCTL_SCOPE") {
            o.keyctl_scope = s.parse().map_err(|reason| VaultError::Backend {
                backend: "keyctl",
                action: "use AWS_VAULT_KEYCTL_SCOPE".into(),
                reason,
            })?;
        }
        if let Some(f) = get("AWS_VAULT_KWALLET_FOLDER") {
            o.kwallet_folder = f;
        }
        if let Some(idle) = get(PASSPHRASE_CACHE_VAR) {
            o.passphrase_cache = passphrase_cache::parse_idle(&idle)?;
        }
        Ok(o)
    }

    /// The file backend's directory: the one set, else `~/.awsvault/keys`.
    pub fn file_dir_or_default(&self) -> Result<PathBuf, VaultError> {
        match &self.file_dir {
            Some(d) => Ok(super::file::expand_home(d.clone())),
            None => super::default_file_dir(),
        }
    }

    /// Forgets the file vault's cached passphrase now (`stsvault lock`), so the next process
    /// asks for it; true when one was cached. Processes that already hold it keep it.
    pub fn forget_cached_passphrase(&self) -> Result<bool, VaultError> {
        Ok(passphrase_cache::forget(&self.file_dir_or_default()?))
    }

    /// The backend these options select: the one named, else the platform default.
    pub fn kind(&self) -> BackendKind {
        self.backend.unwrap_or_else(|| default_kind(self))
    }

    /// Opens the selected backend; `passphrase` answers the file backend's passphrase prompt.
    pub fn open(&self, passphrase: PassphraseFn) -> Result<Box<dyn Backend>, VaultError> {
        let kind = self.kind();
        tracing::debug!(backend = kind.name(), "opening the vault backend");
        Ok(match kind {
            BackendKind::File => {
                // AWS_VAULT_FILE_PASSPHRASE wins, as `passphrase_from_env_or_terminal` reads
                // it: the cache is then neither read nor written.
                let idle = match std::env::var_os("AWS_VAULT_FILE_PASSPHRASE") {
                    Some(_) => Duration::ZERO,
                    None => self.passphrase_cache,
                };
                Box::new(
                    FileBackend::new(self.file_dir_or_default()?, passphrase)
                        .with_passphrase_cache(idle),
                )
            }
            BackendKind::Memory => Box::new(MemoryBackend::default()),
            #[cfg(all(unix, not(target_os = "macos")))]
            BackendKind::SecretService => Box::new(super::SecretServiceBackend::new(
                self.secret_service_collection.clone(),
                self.bus_address.clone(),
            )),
            #[cfg(all(unix, not(target_os = "macos")))]
            BackendKind::KWallet => Box::new(super::KWalletBackend::new(
                &self.service_name,
                &self.kwallet_folder,
                self.bus_address.clone(),
            )),
            #[cfg(target_os = "linux")]
            BackendKind::Keyctl => Box::new(super::KeyctlBackend::new(
                self.keyctl_scope,
                self.service_name.clone(),
            )),
            #[cfg(unix)]
            BackendKind::Pass => Box::new(super::PassBackend::new(super::PassOptions {
                command: self.pass_cmd.clone(),
                dir: match &self.pass_dir {
                    Some(d) => d.clone(),
                    None => super::file::home()?.join(".password-store"),
                },
                prefix: self.pass_prefix.clone(),
            })?),
            #[cfg(target_os = "macos")]
            BackendKind::Keychain => Box::new(super::native::keychain(
                &self.keychain_name,
                &self.service_name,
            )?),
            #[cfg(windows)]
            BackendKind::WinCred => Box::new(super::native::wincred(&self.service_name)?),
            #[allow(unreachable_patterns)]
            other => return Err(other.unsupported()),
        })
    }
}

#[cfg(target_os = "macos")]
fn default_kind(_: &BackendOptions) -> BackendKind {
    BackendKind::Keychain
}

#[cfg(windows)]
fn default_kind(_: &BackendOptions) -> BackendKind {
    BackendKind::WinCred
}

#[cfg(all(unix, not(target_os = "macos")))]
fn default_kind(o: &BackendOptions) -> BackendKind {
    if super::SecretServiceBackend::is_available(o.bus_address.as_deref()) {
        BackendKind::SecretService
    } else {
        BackendKind::File
    }
}

#[cfg(not(any(unix, windows)))]
fn default_kind(_: &BackendOptions) -> BackendKind {
    BackendKind::File
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn aws_vault_variables_are_honoured() {
        let o = BackendOptions::from_env(env(&[
            ("AWS_VAULT_BACKEND", "pass"),
            ("AWS_VAULT_FILE_DIR", "/v"),
            ("AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME", "login"),
            ("AWS_VAULT_KEYCHAIN_NAME", "kc"),
            ("AWS_VAULT_PASS_CMD", "gopass"),
            ("AWS_VAULT_PASS_PASSWORD_STORE_DIR", "/store"),
            ("PASSWORD_STORE_DIR", "/ignored"),
            ("AWS_VAULT_PASS_PREFIX", "aws"),
        ]))
        .unwrap();
        assert_eq!(o.backend, Some(BackendKind::Pass));
        assert_eq!(o.file_dir, Some(PathBuf::from("/v")));
        assert_eq!(o.secret_service_collection, "login");
        assert_eq!(o.keychain_name, "kc");
        assert_eq!(o.pass_cmd, "gopass");
        assert_eq!(o.pass_dir, Some(PathBuf::from("/store")));
        assert_eq!(o.pass_prefix, "aws");
    }

    #[test]
    fn defaults_match_aws_vault() {
        let o = BackendOptions::from_env(env(&[("PASSWORD_STORE_DIR", "/ps")])).unwrap();
        assert_eq!(o.backend, None);
        assert_eq!(o.secret_service_collection, "awsvault");
        assert_eq!(o.keychain_name, "aws-vault");
        assert_eq!(o.service_name, "aws-vault");
        assert_eq!(o.kwallet_folder, "aws-vault");
        assert_eq!(o.pass_cmd, "pass");
        assert_eq!(o.pass_dir, Some(PathBuf::from("/ps")));
        assert_eq!(o.passphrase_cache, Duration::from_secs(600), "gpg-agent's");
        let o =
            BackendOptions::from_env(env(&[("AWS_VAULT_LIBSECRET_COLLECTION", "other")])).unwrap();
        assert_eq!(o.secret_service_collection, "other");
    }

    #[test]
    fn the_passphrase_cache_idle_time_is_a_duration_and_0_turns_it_off() {
        let idle = |v: &str| {
            BackendOptions::from_env(env(&[("STSVAULT_PASSPHRASE_CACHE", v)]))
                .map(|o| o.passphrase_cache)
        };
        assert_eq!(idle("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(idle("0").unwrap(), Duration::ZERO);
        assert_eq!(idle("").unwrap(), DEFAULT_IDLE, "empty is unset");
        let err = idle("ten minutes").unwrap_err().to_string();
        assert!(err.contains("STSVAULT_PASSPHRASE_CACHE"), "{err}");
    }

    #[test]
    fn an_unknown_backend_names_the_choices() {
        let err = BackendOptions::from_env(env(&[("AWS_VAULT_BACKEND", "vaultx")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("vaultx") && err.contains("file"), "{err}");
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn without_a_session_bus_the_default_is_the_file() {
        let o = BackendOptions {
            bus_address: Some("unix:path=/nonexistent/bus".into()),
            ..Default::default()
        };
        assert_eq!(o.kind(), BackendKind::File);
    }
}
