//! One way for programs that embed stsvault (the Python and Node bindings, Rust programs) to
//! open the config, the vault and a provider: [`OpenOptions`]. Whatever it leaves unset
//! follows aws-vault's environment variables, exactly as the `stsvault` command does, so a
//! script and the command see the same profiles, keys and cached sessions.

use crate::config::plan::PlanOptions;
use crate::config::{Config, EnvVars, MfaToken, ProfileOverrides, ResolveOptions};
use crate::prompt::{MfaPrompt, Terminal};
use crate::vault::{BackendOptions, Vault, passphrase_from_env_or_terminal};
use crate::{CredentialsProvider, Result};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where credentials come from and how to ask for what is missing; `Default` means "as the
/// environment says", like the command without flags.
#[derive(Clone, Default)]
pub struct OpenOptions {
    /// The vault backend (`file`, `secret-service`, …); else `AWS_VAULT_BACKEND`, else the
    /// platform's default.
    pub backend: Option<String>,
    /// The file backend's directory; else `AWS_VAULT_FILE_DIR`, else `~/.awsvault/keys`.
    pub file_dir: Option<PathBuf>,
    /// The file backend's passphrase; else `AWS_VAULT_FILE_PASSPHRASE`, else the one another
    /// stsvault process cached (`STSVAULT_PASSPHRASE_CACHE`), else asked on the terminal.
    pub file_passphrase: Option<SecretString>,
    /// The AWS config file; else `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub config_file: Option<PathBuf>,
    /// The region, over the profile's (`--region`).
    pub region: Option<String>,
    /// The session duration, over the profile's (`--duration`).
    pub duration: Option<Duration>,
    /// Use the stored keys without a GetSessionToken session (`--no-session`).
    pub no_session: bool,
    /// An MFA code to use instead of asking (`--mfa-token`); it wins over `mfa_process`.
    pub mfa_code: Option<SecretString>,
    /// How to ask for MFA codes when no code is given and the profile has no `mfa_process`
    /// (the terminal when `None`).
    pub prompt: Option<Arc<dyn MfaPrompt>>,
}

impl std::fmt::Debug for OpenOptions {
    /// The passphrase and the MFA code show only whether they are set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenOptions")
            .field("backend", &self.backend)
            .field("file_dir", &self.file_dir)
            .field("file_passphrase", &self.file_passphrase.is_some())
            .field("config_file", &self.config_file)
            .field("region", &self.region)
            .field("duration", &self.duration)
            .field("no_session", &self.no_session)
            .field("mfa_code", &self.mfa_code.is_some())
            .field("prompt", &self.prompt.is_some())
            .finish()
    }
}

impl OpenOptions {
    /// The process environment, with `config_file` in `AWS_CONFIG_FILE` when given.
    fn env(&self) -> EnvVars {
        let env = EnvVars::from_process();
        match &self.config_file {
            Some(path) => env.with("AWS_CONFIG_FILE", path.to_string_lossy()),
            None => env,
        }
    }

    /// Reads the AWS config and shared credentials files.
    pub fn load_config(&self) -> Result<Config> {
        Ok(Config::load_with_env(&self.env())?)
    }

    /// Opens the vault (asking for the file backend's passphrase only when it is first
    /// needed).
    pub fn open_vault(&self) -> Result<Vault> {
        let mut o = BackendOptions::from_env(|k| std::env::var(k).ok())?;
        if let Some(b) = self.backend.as_deref().filter(|b| !b.is_empty()) {
            o.backend = Some(b.parse()?);
        }
        if let Some(d) = &self.file_dir {
            o.file_dir = Some(d.clone());
        }
        let passphrase = match &self.file_passphrase {
            Some(p) => {
                // A passphrase the program gives wins, as AWS_VAULT_FILE_PASSPHRASE does: the
                // passphrase cache is neither read nor written.
                o.passphrase_cache = Duration::ZERO;
                let p = p.clone();
                Box::new(move |_: &str| Ok(p.clone()))
            }
            // Asked on the terminal unless AWS_VAULT_FILE_PASSPHRASE is set; shared with the
            // user's other processes through the passphrase cache (STSVAULT_PASSPHRASE_CACHE).
            None => passphrase_from_env_or_terminal(),
        };
        Ok(Vault::new(o.open(passphrase)?))
    }

    /// A provider for `profile` over a newly read config and a newly opened vault.
    pub fn provider(&self, profile: &str) -> Result<CredentialsProvider> {
        self.provider_with(
            profile,
            Arc::new(self.load_config()?),
            Arc::new(self.open_vault()?),
        )
    }

    /// A provider for `profile` over `config` and `vault`, with these options' overrides
    /// and prompt.
    pub fn provider_with(
        &self,
        profile: &str,
        config: Arc<Config>,
        vault: Arc<Vault>,
    ) -> Result<CredentialsProvider> {
        let env = self.env();
        let min_ttl = env.min_ttl()?;
        let overrides = ProfileOverrides {
            region: self.region.clone().filter(|r| !r.is_empty()),
            mfa_token: self
                .mfa_code
                .as_ref()
                .map(|c| MfaToken::new(c.expose_secret())),
            session_duration: self.duration,
            sso_use_stdout: false,
        };
        let prompt: Arc<dyn MfaPrompt> = match &self.prompt {
            Some(p) => Arc::clone(p),
            None => Arc::new(Terminal),
        };
        CredentialsProvider::builder()
            .profile(profile)
            .config(config)
            .vault(vault)
            .resolve_options(ResolveOptions {
                stored: Default::default(),
                env,
                overrides,
            })
            .plan_options(PlanOptions {
                no_session: self.no_session,
                session_duration: self.duration,
                ..PlanOptions::default()
            })
            .mfa_shared(prompt)
            .min_ttl(min_ttl)
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_passphrase_and_the_code() {
        let o = OpenOptions {
            file_passphrase: Some(SecretString::from("hunter2-passphrase")),
            mfa_code: Some(SecretString::from("123456")),
            ..OpenOptions::default()
        };
        let shown = format!("{o:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("123456"),
            "{shown}"
        );
        assert_eq!(o.mfa_code.as_ref().unwrap().expose_secret(), "123456");
    }

    #[test]
    fn config_file_wins_over_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, "[profile from-option]\nregion = eu-west-1\n").unwrap();
        let o = OpenOptions {
            config_file: Some(path.clone()),
            ..OpenOptions::default()
        };
        let config = o.load_config().unwrap();
        assert_eq!(config.config_path(), path.as_path());
        assert_eq!(config.profile_names(), ["from-option"]);
    }
}
