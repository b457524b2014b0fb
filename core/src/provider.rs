//! The public front door: [`CredentialsProvider`] turns a profile into credentials.
//!
//! It resolves the profile from the AWS config, builds aws-vault's plan of STS calls, then walks
//! it from the master keys in the vault up to the credentials the caller needs, reusing cached
//! sessions (a cached session never triggers an MFA prompt) and caching the new ones — role
//! sessions included, under stsvault's own key ([`crate::cache::role`]). It also implements the
//! AWS SDK for Rust's `ProvideCredentials`, so any SDK client can use it.

use crate::blocking::blocking;
use crate::cache::lock::{self, FlightLock};
use crate::cache::{SessionCache, is_fresh, role};
use crate::config::DEFAULT_MIN_TTL;
use crate::config::plan::{KeyOrigin, Mfa, Plan, PlanOptions, StsEndpoint};
use crate::config::{Config, ProfileConfig, ResolveOptions};
use crate::prompt::{MfaPrompt, MfaRequest, Terminal, mfa_prompt_for};
use crate::sts::{self, AssumeRoleRequest, StsTarget};
use crate::vault::{SessionKey, Vault};
use crate::{Credentials, Error, Result};
use secrecy::SecretString;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Obtains credentials for one profile. Cheap to clone; clones share the in-process memo.
#[derive(Clone)]
pub struct CredentialsProvider {
    inner: Arc<Inner>,
}

struct Inner {
    profile: String,
    config: Arc<Config>,
    vault: Arc<Vault>,
    resolve: ResolveOptions,
    plan_options: PlanOptions,
    prompt: Arc<dyn MfaPrompt>,
    min_ttl: Duration,
    inline_blocking: bool,
    memo: tokio::sync::Mutex<Option<Credentials>>,
}

/// Builds a [`CredentialsProvider`].
pub struct Builder {
    profile: Option<String>,
    config: Option<Arc<Config>>,
    vault: Option<Arc<Vault>>,
    resolve: Option<ResolveOptions>,
    plan_options: PlanOptions,
    prompt: Arc<dyn MfaPrompt>,
    min_ttl: Duration,
    inline_blocking: bool,
}

impl CredentialsProvider {
    /// The provider for `profile`, everything else as the `stsvault` command would find it:
    /// `~/.aws/config` (or `AWS_CONFIG_FILE`), the vault `AWS_VAULT_BACKEND` and its variables
    /// select (asking for the file vault's passphrase only when it is first needed), MFA codes
    /// from the profile's `mfa_process` or the terminal, and aws-vault's TTL variables.
    ///
    /// ```no_run
    /// # async fn f() -> stsvault::Result<()> {
    /// let provider = stsvault::CredentialsProvider::from_env("prod")?;
    /// let creds = provider.credentials().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// For other choices (a backend, a passphrase, an MFA callback, a region) fill in an
    /// [`OpenOptions`](crate::embed::OpenOptions) and call its `provider`, as the Python and Node
    /// bindings do; for full control use [`CredentialsProvider::builder`].
    pub fn from_env(profile: &str) -> Result<CredentialsProvider> {
        crate::embed::OpenOptions::default().provider(profile)
    }

    /// Starts building a provider; `profile`, `config` and `vault` are required.
    pub fn builder() -> Builder {
        Builder {
            profile: None,
            config: None,
            vault: None,
            resolve: None,
            plan_options: PlanOptions::default(),
            prompt: Arc::new(Terminal),
            min_ttl: DEFAULT_MIN_TTL,
            inline_blocking: false,
        }
    }

    /// The profile this provider serves.
    pub fn profile(&self) -> &str {
        &self.inner.profile
    }

    /// The vault the provider reads keys from and caches sessions in.
    pub fn vault(&self) -> &Arc<Vault> {
        &self.inner.vault
    }

    /// The AWS config the provider resolves its profile in.
    pub(crate) fn config(&self) -> &Arc<Config> {
        &self.inner.config
    }

    /// The options the provider resolves its profile with.
    pub(crate) fn resolve_options(&self) -> &ResolveOptions {
        &self.inner.resolve
    }

    /// The resolved profile configuration.
    pub fn profile_config(&self) -> Result<ProfileConfig> {
        self.resolve_with(&self.inner.vault.master_names()?)
    }

    /// The STS calls this provider makes for its profile, given what the vault holds now.
    pub fn plan(&self) -> Result<Plan> {
        // One listing of the vault serves both the resolution and the plan.
        let stored = self.inner.vault.master_names()?;
        let profile = self.resolve_with(&stored)?;
        let has = |name: &str| stored.iter().any(|n| n == name);
        Ok(Plan::build(&profile, &has, &self.inner.plan_options)?)
    }

    /// Runs blocking work (vault I/O, the cross-process lock, prompts): on tokio's blocking
    /// pool, or right here when the provider was built with
    /// [`Builder::inline_blocking`].
    async fn off_runtime<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        if self.inner.inline_blocking {
            f()
        } else {
            blocking(f).await
        }
    }

    fn resolve_with(&self, stored: &[String]) -> Result<ProfileConfig> {
        let mut resolve = self.inner.resolve.clone();
        resolve.stored = stored.iter().cloned().collect();
        Ok(self.inner.config.resolve(&self.inner.profile, &resolve)?)
    }

    /// Credentials for the profile: from memory or the session cache while fresh, otherwise
    /// from STS (asking for an MFA code when the plan needs one).
    pub async fn credentials(&self) -> Result<Credentials> {
        let mut memo = self.inner.memo.lock().await;
        if let Some(c) = memo.as_ref().filter(|c| is_fresh(c, self.inner.min_ttl)) {
            return Ok(c.clone());
        }
        let inner = Arc::clone(&self.inner);
        let plan = self
            .off_runtime(move || {
                let p = CredentialsProvider { inner };
                p.plan()
            })
            .await?;
        tracing::debug!(plan = %plan.describe(), "credential plan");
        let creds = self.execute(&plan).await?;
        *memo = Some(creds.clone());
        Ok(creds)
    }

    fn execute<'a>(
        &'a self,
        plan: &'a Plan,
    ) -> Pin<Box<dyn Future<Output = Result<Credentials>> + Send + 'a>> {
        Box::pin(async move {
            if role::is_role_step(plan) {
                return self.execute_role(plan).await;
            }
            let Some(key) = session_key(plan) else {
                return self.fetch(plan).await;
            };
            if let Some(c) = self.cached(&key).await? {
                return Ok(c);
            }
            // Single flight: one process prompts and calls STS, the others wait and re-read.
            let _flight = self.lock(&key).await?;
            if let Some(c) = self.cached(&key).await? {
                return Ok(c);
            }
            let creds = self.fetch(plan).await?;
            self.store(&key, &creds).await?;
            Ok(creds)
        })
    }

    /// A role step cached under stsvault's own key: its key names the cached session below it,
    /// so it is looked up from a listing of the vault before that session is read, and made
    /// again once the source is in the vault. The flight lock is per role profile.
    async fn execute_role(&self, plan: &Plan) -> Result<Credentials> {
        if let Some(c) = self.cached_role(plan).await? {
            return Ok(c);
        }
        let _flight = self.lock(&role::flight_key(plan.profile())).await?;
        if let Some(c) = self.cached_role(plan).await? {
            return Ok(c);
        }
        let creds = self.fetch(plan).await?;
        self.store_role(plan, &creds).await?;
        Ok(creds)
    }

    async fn cached_role(&self, plan: &Plan) -> Result<Option<Credentials>> {
        let vault = Arc::clone(&self.inner.vault);
        let min_ttl = self.inner.min_ttl;
        let plan = plan.clone();
        self.off_runtime(move || {
            let names = vault.item_names()?;
            let Some(key) = role::key_for(&plan, &names) else {
                return Ok(None);
            };
            Ok(SessionCache::new(&vault, min_ttl).get_listed(&key, &names)?)
        })
        .await
    }

    async fn store_role(&self, plan: &Plan, creds: &Credentials) -> Result<()> {
        let vault = Arc::clone(&self.inner.vault);
        let min_ttl = self.inner.min_ttl;
        let (plan, creds) = (plan.clone(), creds.clone());
        self.off_runtime(move || {
            let names = vault.item_names()?;
            let Some(key) = role::key_for(&plan, &names) else {
                tracing::debug!(profile = %plan.profile(), "the role's source is not in the vault (removed meanwhile); not caching the role session");
                return Ok(());
            };
            SessionCache::new(&vault, min_ttl).put(&key, &creds)?;
            role::remove_superseded(&vault, &key)?;
            Ok(())
        })
        .await
    }

    /// Performs one plan step (and, through `execute`, the steps below it), without caching.
    fn fetch<'a>(
        &'a self,
        plan: &'a Plan,
    ) -> Pin<Box<dyn Future<Output = Result<Credentials>> + Send + 'a>> {
        Box::pin(async move {
            let creds = match plan {
                Plan::StoredKeys { profile } => {
                    let vault = Arc::clone(&self.inner.vault);
                    let name = profile.clone();
                    let key = self
                        .off_runtime(move || Ok(vault.get_master(&name)?))
                        .await?;
                    let key = key.ok_or_else(|| crate::vault::VaultError::NoCredentials {
                        profile: profile.clone(),
                    })?;
                    return Ok(key.to_credentials());
                }
                Plan::StaticKeys { profile, origin } => {
                    return self.static_keys(profile, *origin);
                }
                Plan::GetSessionToken {
                    profile,
                    source,
                    mfa,
                    duration,
                    sts: endpoint,
                    ..
                } => {
                    let (source, code) =
                        self.source_and_code(profile, source, mfa.as_ref()).await?;
                    let mfa_arg = code.as_ref().map(|(serial, c)| (serial.as_str(), c));
                    sts::get_session_token(profile, &target(endpoint), &source, *duration, mfa_arg)
                        .await?
                }
                Plan::AssumeRole {
                    profile,
                    source,
                    role_arn,
                    role_session_name,
                    external_id,
                    mfa,
                    duration,
                    session_tags,
                    transitive_session_tags,
                    source_identity,
                    sts: endpoint,
                    ..
                } => {
                    let (source, code) =
                        self.source_and_code(profile, source, mfa.as_ref()).await?;
                    let mfa_arg = code.as_ref().map(|(serial, c)| (serial.as_str(), c));
                    let request = AssumeRoleRequest {
                        role_arn: role_arn.clone(),
                        role_session_name: role_session_name
                            .clone()
                            .unwrap_or_else(default_session_name),
                        external_id: external_id.clone(),
                        duration: *duration,
                        session_tags: session_tags.clone(),
                        transitive_session_tags: transitive_session_tags.clone(),
                        source_identity: source_identity.clone(),
                    };
                    sts::assume_role(profile, &target(endpoint), &source, &request, mfa_arg).await?
                }
                Plan::CredentialProcess {
                    profile, command, ..
                } => crate::sources::run_credential_process(profile, command).await?,
                Plan::AssumeRoleWithWebIdentity {
                    profile,
                    role_arn,
                    role_session_name,
                    token_file,
                    token_process,
                    duration,
                    sts: endpoint,
                    ..
                } => {
                    let token = crate::sources::read_web_identity_token(
                        profile,
                        token_file.as_deref(),
                        token_process.as_deref(),
                    )
                    .await?;
                    let name = role_session_name
                        .clone()
                        .unwrap_or_else(default_session_name);
                    sts::assume_role_with_web_identity(
                        profile,
                        &target(endpoint),
                        role_arn,
                        &name,
                        &token,
                        *duration,
                    )
                    .await?
                }
                Plan::Sso {
                    profile,
                    start_url,
                    sso_region,
                    account_id,
                    role_name,
                    registration_scopes,
                    endpoints,
                    use_stdout,
                    cache,
                    ..
                } => {
                    let request = crate::sso::SsoRequest {
                        profile,
                        start_url,
                        sso_region,
                        account_id,
                        role_name,
                        registration_scopes: registration_scopes.as_deref(),
                        endpoints,
                        use_stdout: *use_stdout,
                    };
                    let token_cache = cache.then(|| Arc::clone(&self.inner.vault));
                    crate::sso::role_credentials(&request, token_cache).await?
                }
            };
            Ok(creds)
        })
    }

    /// Plain keys from the credentials file or the environment.
    fn static_keys(&self, profile: &str, origin: KeyOrigin) -> Result<Credentials> {
        let (found, place) = match origin {
            KeyOrigin::CredentialsFile => {
                let config = &self.inner.config;
                let value = |k| config.credentials_value(profile, k);
                (
                    Credentials::from_plain(
                        value("aws_access_key_id"),
                        value("aws_secret_access_key"),
                        value("aws_session_token"),
                    ),
                    format!("[{profile}] of {}", config.credentials_path().display()),
                )
            }
            KeyOrigin::Environment => (
                self.inner.resolve.env.static_credentials(),
                "the environment".to_string(),
            ),
        };
        found.ok_or_else(|| {
            crate::sources::SourceError::MissingStaticKeys {
                profile: profile.to_string(),
                place,
            }
            .into()
        })
    }

    async fn cached(&self, key: &SessionKey) -> Result<Option<Credentials>> {
        let vault = Arc::clone(&self.inner.vault);
        let min_ttl = self.inner.min_ttl;
        let key = key.clone();
        self.off_runtime(move || Ok(SessionCache::new(&vault, min_ttl).get(&key)?))
            .await
    }

    async fn store(&self, key: &SessionKey, creds: &Credentials) -> Result<()> {
        let vault = Arc::clone(&self.inner.vault);
        let min_ttl = self.inner.min_ttl;
        let (key, creds) = (key.clone(), creds.clone());
        self.off_runtime(move || Ok(SessionCache::new(&vault, min_ttl).put(&key, &creds)?))
            .await
    }

    async fn lock(&self, key: &SessionKey) -> Result<Option<FlightLock>> {
        let key = key.clone();
        self.off_runtime(move || {
            let profile = key.profile.clone();
            lock::acquire(&key, || {
                eprintln!("stsvault: waiting for MFA in another process (profile `{profile}`)…");
            })
            .map_err(|e| {
                crate::vault::VaultError::Lock {
                    reason: e.to_string(),
                }
                .into()
            })
        })
        .await
    }

    /// The credentials of the step below, then (only once they are in hand) the MFA code this
    /// step needs, with its serial.
    async fn source_and_code(
        &self,
        profile: &str,
        source: &Plan,
        mfa: Option<&Mfa>,
    ) -> Result<(Credentials, Option<(String, SecretString)>)> {
        let source = self.execute(source).await?;
        let code = match mfa {
            Some(m) => Some((m.serial.clone(), self.mfa_code(profile, m).await?)),
            None => None,
        };
        Ok((source, code))
    }

    async fn mfa_code(&self, profile: &str, mfa: &Mfa) -> Result<SecretString> {
        let prompt = mfa_prompt_for(
            mfa.token.as_ref().map(|t| t.expose()),
            mfa.process.as_deref(),
            Arc::clone(&self.inner.prompt),
        );
        let request = MfaRequest {
            profile: profile.to_string(),
            serial: mfa.serial.clone(),
        };
        let code = self
            .off_runtime(move || Ok(prompt.mfa_code(&request)?))
            .await?;
        Ok(code)
    }
}

/// The cache key of a plan step, when that step is cached.
fn session_key(plan: &Plan) -> Option<SessionKey> {
    plan.cache_key()
        .map(|(kind, profile, mfa_serial)| SessionKey {
            kind,
            profile,
            mfa_serial,
        })
}

fn target(endpoint: &StsEndpoint) -> StsTarget {
    StsTarget {
        region: endpoint.region.clone(),
        regional_endpoints: endpoint.regional_endpoints.clone(),
        endpoint_url: endpoint.endpoint_url.clone(),
    }
}

/// aws-vault's default role session name: the current time in nanoseconds.
fn default_session_name() -> String {
    let now = chrono::Utc::now();
    now.timestamp_nanos_opt()
        .unwrap_or_else(|| now.timestamp())
        .to_string()
}

impl Builder {
    /// Run vault I/O, the wait for another process's MFA prompt and prompts on the task that
    /// asks for credentials instead of tokio's blocking pool. Only for a program that does
    /// nothing else meanwhile, such as one CLI command on a current-thread runtime: it saves
    /// starting a thread per run (0.8 ms of a warm `stsvault export`), but stalls every other
    /// task of the runtime while it waits.
    pub fn inline_blocking(mut self, inline: bool) -> Self {
        self.inline_blocking = inline;
        self
    }

    /// The profile to serve.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// The AWS config to resolve the profile in.
    pub fn config(mut self, config: impl Into<Arc<Config>>) -> Self {
        self.config = Some(config.into());
        self
    }

    /// The vault holding master keys and cached sessions.
    pub fn vault(mut self, vault: impl Into<Arc<Vault>>) -> Self {
        self.vault = Some(vault.into());
        self
    }

    /// Options for resolving the profile (environment, CLI overrides). Defaults to the process
    /// environment.
    pub fn resolve_options(mut self, options: ResolveOptions) -> Self {
        self.resolve = Some(options);
        self
    }

    /// Options for the plan (`--no-session`, `--duration`, no cache).
    pub fn plan_options(mut self, options: PlanOptions) -> Self {
        self.plan_options = options;
        self
    }

    /// How to ask for MFA codes when the profile has no `mfa_process` (terminal by default).
    pub fn mfa(mut self, prompt: impl MfaPrompt + 'static) -> Self {
        self.prompt = Arc::new(prompt);
        self
    }

    /// Like [`Builder::mfa`], for a shared prompt.
    pub fn mfa_shared(mut self, prompt: Arc<dyn MfaPrompt>) -> Self {
        self.prompt = prompt;
        self
    }

    /// Treats sessions with less than this left as expired (`AWS_MIN_TTL`, default 5 minutes).
    pub fn min_ttl(mut self, min_ttl: Duration) -> Self {
        self.min_ttl = min_ttl;
        self
    }

    /// Builds the provider.
    pub fn build(self) -> Result<CredentialsProvider> {
        let missing = |what: &'static str| Error::Builder(what);
        let profile = self.profile.ok_or_else(|| missing("profile"))?;
        let config = self.config.ok_or_else(|| missing("config"))?;
        let vault = self.vault.ok_or_else(|| missing("vault"))?;
        let resolve = match self.resolve {
            Some(r) => r,
            None => ResolveOptions {
                env: crate::config::EnvVars::from_process(),
                ..Default::default()
            },
        };
        Ok(CredentialsProvider {
            inner: Arc::new(Inner {
                profile,
                config,
                vault,
                resolve,
                plan_options: self.plan_options,
                prompt: self.prompt,
                min_ttl: self.min_ttl,
                inline_blocking: self.inline_blocking,
                memo: tokio::sync::Mutex::new(None),
            }),
        })
    }
}

impl std::fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsProvider")
            .field("profile", &self.inner.profile)
            .finish_non_exhaustive()
    }
}

impl aws_credential_types::provider::ProvideCredentials for CredentialsProvider {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let c = self
                .credentials()
                .await
                .map_err(aws_credential_types::provider::error::CredentialsError::provider_error)?;
            Ok(c.to_sdk())
        })
    }
}
