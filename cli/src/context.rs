//! What every command needs, built from the global flags: the AWS config, the vault (backend,
//! directory, passphrase), the prompt driver, and a runtime for async core calls.

use crate::args::{Global, SessionArgs};
use crate::commands::CliResult;
use std::sync::Arc;
use stsvault::config::plan::PlanOptions;
use stsvault::config::{
    Config, EnvVars, MfaToken, ProfileOverrides, ResolveOptions, parse_duration_with_days,
};
use stsvault::prompt::Driver;
use stsvault::provider::CredentialsProvider;
use stsvault::vault::{BackendKind, BackendOptions, Vault, passphrase_from_env_or_terminal};

/// Lazily opened resources shared by a command.
pub struct Context {
    global: Global,
    vault: std::cell::OnceCell<Arc<Vault>>,
}

/// A provider for one profile, with what `exec`/`export` print around it.
pub struct CredentialRequest {
    /// The provider.
    pub provider: CredentialsProvider,
    /// The profile's resolved region, for `AWS_REGION`.
    pub region: Option<String>,
}

impl Context {
    pub fn new(global: Global) -> Self {
        Self {
            global,
            vault: std::cell::OnceCell::new(),
        }
    }

    /// `~/.aws/config` and `~/.aws/credentials`.
    pub fn config(&self) -> CliResult<Config> {
        Ok(Config::load()?)
    }

    /// The vault selected by `--backend` / `AWS_VAULT_BACKEND` (else the platform default),
    /// configured by the other backend flags and aws-vault's variables.
    pub fn vault(&self) -> CliResult<Arc<Vault>> {
        if let Some(v) = self.vault.get() {
            return Ok(Arc::clone(v));
        }
        let backend = self
            .backend_options()?
            .open(passphrase_from_env_or_terminal())?;
        let vault = Arc::new(Vault::new(backend));
        let _ = self.vault.set(Arc::clone(&vault));
        Ok(vault)
    }

    /// A vault on the backend `kind`, whatever `--backend` says, configured by the other
    /// backend flags and variables (for `migrate-backend`, which opens two).
    pub fn vault_on(&self, kind: BackendKind) -> CliResult<Vault> {
        let mut options = self.backend_options()?;
        options.backend = Some(kind);
        Ok(Vault::new(options.open(passphrase_from_env_or_terminal())?))
    }

    /// aws-vault's variables, then the flags on top (clap has already read the flags' own
    /// variables, so a flag wins over its variable).
    fn backend_options(&self) -> CliResult<BackendOptions> {
        let mut o = BackendOptions::from_env(|k| std::env::var(k).ok())?;
        let g = &self.global;
        let given = |s: &Option<String>| s.as_deref().filter(|v| !v.is_empty()).map(str::to_string);
        if let Some(b) = given(&g.backend) {
            o.backend = Some(b.parse()?);
        }
        if let Some(d) = g.file_dir.as_ref().filter(|d| !d.as_os_str().is_empty()) {
            o.file_dir = Some(d.clone());
        }
        if let Some(k) = given(&g.keychain) {
            o.keychain_name = k;
        }
        if let Some(c) = given(&g.secret_service_collection) {
            o.secret_service_collection = c;
        }
        if let Some(d) = g.pass_dir.as_ref().filter(|d| !d.as_os_str().is_empty()) {
            o.pass_dir = Some(d.clone());
        }
        if let Some(c) = given(&g.pass_cmd) {
            o.pass_cmd = c;
        }
        if let Some(p) = g.pass_prefix.clone() {
            o.pass_prefix = p;
        }
        if let Some(idle) = given(&g.passphrase_cache) {
            o.passphrase_cache = stsvault::vault::passphrase_cache::parse_idle(&idle)?;
        }
        Ok(o)
    }

    /// Forgets the file vault's cached passphrase (`lock`): the vault's directory, and whether
    /// a passphrase was cached.
    pub fn forget_cached_passphrase(&self) -> CliResult<(std::path::PathBuf, bool)> {
        let o = self.backend_options()?;
        let forgot = o.forget_cached_passphrase()?;
        Ok((o.file_dir_or_default()?, forgot))
    }

    /// A runtime for the async core calls of one command, on the calling thread: a command
    /// does one thing at a time (the local servers' connections are tasks polled while the
    /// command waits for its child), so no worker thread needs to be started and handed work
    /// on every run. Vault I/O and prompts run inline too, except behind the local servers
    /// (see [`Context::credential_request`]).
    pub fn runtime(&self) -> CliResult<tokio::runtime::Runtime> {
        Ok(tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?)
    }

    /// Refuses to run inside `stsvault exec` (or aws-vault's), as aws-vault does: the inner
    /// command would sign with the outer session.
    pub fn refuse_nested(&self) -> CliResult<()> {
        match std::env::var("AWS_VAULT") {
            Ok(current) if !current.is_empty() => Err(format!(
                "already running inside `stsvault exec {current}` (AWS_VAULT={current}); 'exit' from that subshell or unset AWS_VAULT to force"
            )
            .into()),
            _ => Ok(()),
        }
    }

    /// The process environment and the command's overrides (`--region`, `--mfa-token`,
    /// `--duration`, `--stdout`). A duration of 0 means none given, as with aws-vault.
    pub fn environment(session: &SessionArgs) -> CliResult<(EnvVars, ProfileOverrides)> {
        let session_duration = match session.duration.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => Some(parse_duration_with_days(d).map_err(|e| {
                format!("invalid --duration `{d}`: {e}; use e.g. 1h, 30m, 3600s or 2d")
            })?),
            None => None,
        }
        .filter(|d| !d.is_zero());
        let overrides = ProfileOverrides {
            region: session.region.clone().filter(|r| !r.is_empty()),
            mfa_token: session
                .mfa_token
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(MfaToken::new),
            session_duration,
            sso_use_stdout: session.stdout,
        };
        Ok((EnvVars::from_process(), overrides))
    }

    /// A provider for `profile` with the command's overrides. `serves_requests` is for a
    /// provider behind a local credential server, which must keep answering connections while
    /// it reads the vault or prompts; every other command asks once and does vault I/O on its
    /// own thread (no blocking-pool thread to start).
    pub fn credential_request(
        &self,
        profile: &str,
        session: &SessionArgs,
        serves_requests: bool,
    ) -> CliResult<CredentialRequest> {
        let config = self.config()?;
        let vault = self.vault()?;
        let (env, overrides) = Self::environment(session)?;
        let min_ttl = env.min_ttl()?;
        let session_duration = overrides.session_duration;
        let no_session = session.no_session;
        let mut resolve = ResolveOptions {
            stored: vault.master_names()?.into_iter().collect(),
            env,
            overrides,
        };
        let resolved = config.resolve(profile, &resolve)?;
        resolve.stored.clear();
        let driver: Driver = match self.global.prompt.as_deref().filter(|p| !p.is_empty()) {
            Some(name) => name.parse()?,
            None => Driver::Terminal,
        };
        let provider = CredentialsProvider::builder()
            .profile(profile)
            .config(config)
            .vault(vault)
            .resolve_options(resolve)
            .plan_options(PlanOptions {
                no_session,
                session_duration,
                no_cache: session.no_cache,
                disable_sessions_for_profile: session.console.then(|| profile.to_string()),
            })
            .mfa_shared(driver.prompt())
            .min_ttl(min_ttl)
            .inline_blocking(!serves_requests)
            .build()?;
        Ok(CredentialRequest {
            provider,
            region: resolved.region.clone(),
        })
    }
}
