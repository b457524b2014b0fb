//! Resolving a profile name into a [`ProfileConfig`], with aws-vault 7's precedence:
//!
//! 1. command-line overrides ([`ProfileOverrides`]; aws-vault's "base config");
//! 2. `AWS_*` environment variables (some only for the profile asked for, see [`apply_env`]);
//! 3. the profile's own section, then its `include_profile` chain, then `[default]` (which
//!    fills whatever is still unset at the end of the include chain);
//! 4. built-in durations.
//!
//! Every step only fills what is still unset. Then a `source_profile` naming the profile itself
//! is dropped (a documented pattern), and the source profile is resolved the same way, on its
//! own: nothing but the environment and overrides is inherited through `source_profile`, in
//! particular not `mfa_serial`. Unlike aws-vault, which recurses forever, a `source_profile`
//! loop is an error naming the profiles in it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use super::ConfigError;
use super::env::EnvVars;
use super::files::{Config, ProfileView};
use super::profile::{
    ChainedFrom, DEFAULT_CHAINED_SESSION_DURATION, DEFAULT_SESSION_DURATION, MfaToken,
    ProfileConfig, parse_session_tags, parse_transitive_tags,
};

/// Inputs to [`Config::resolve`] besides the config files.
#[derive(Debug, Clone, Default)]
pub struct ResolveOptions {
    /// Profile names that have master keys in the vault. Such a profile is valid without a
    /// config section.
    pub stored: BTreeSet<String>,
    /// The environment (use [`EnvVars::from_process`] outside tests).
    pub env: EnvVars,
    /// Values from command-line flags; they beat the environment and the files, for every
    /// profile in the chain (as aws-vault's flags do).
    pub overrides: ProfileOverrides,
}

/// Command-line values that override the config for every profile in the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileOverrides {
    /// `--region`.
    pub region: Option<String>,
    /// `--mfa-token`: an MFA code to use instead of prompting.
    pub mfa_token: Option<MfaToken>,
    /// `exec --duration`: sets both the (non-chained) GetSessionToken and the AssumeRole
    /// durations, beating `AWS_SESSION_TOKEN_TTL`, `AWS_ASSUME_ROLE_TTL` and
    /// `duration_seconds`. The chained GetSessionToken duration is not affected.
    pub session_duration: Option<Duration>,
    /// `--stdout` for SSO: print the login URL instead of opening a browser.
    pub sso_use_stdout: bool,
}

impl Config {
    /// Resolves `profile` (see the module docs for the rules).
    ///
    /// Errors when the profile is neither in the config file nor in `opts.stored`, when a
    /// `source_profile` names a profile that is in neither (unless the profile's own keys are
    /// stored, which makes the source irrelevant), on `source_profile` or `include_profile`
    /// loops, and on unusable values in the files or the environment.
    pub fn resolve(
        &self,
        profile: &str,
        opts: &ResolveOptions,
    ) -> Result<ProfileConfig, ConfigError> {
        self.check_exists(profile, opts)?;
        let mut resolver = Resolver {
            config: self,
            opts,
            active: profile,
            source_stack: Vec::new(),
        };
        resolver.resolve(profile, None)
    }

    /// The settings that apply when no profile is named (`login` with keys from the
    /// environment): the command-line overrides and the environment's variables only, with
    /// the built-in defaults; no file is read.
    pub fn resolve_environment_only(opts: &ResolveOptions) -> Result<ProfileConfig, ConfigError> {
        let mut p = ProfileConfig::default();
        apply_overrides(&mut p, &opts.overrides);
        apply_env(&mut p, &opts.env, false)?;
        apply_defaults(&mut p);
        apply_endpoint_env(&mut p, &opts.env);
        Ok(p)
    }

    fn check_exists(&self, profile: &str, opts: &ResolveOptions) -> Result<(), ConfigError> {
        if self.has_profile(profile) || opts.stored.contains(profile) || self.has_file_keys(profile)
        {
            return Ok(());
        }
        if self.credentials.section(profile).is_some() {
            return Err(ConfigError::OnlyInCredentialsFile {
                profile: profile.to_string(),
                credentials_path: self.credentials_path().to_path_buf(),
                config_path: self.config_path().to_path_buf(),
            });
        }
        Err(ConfigError::ProfileNotFound {
            profile: profile.to_string(),
            path: self.config_path().to_path_buf(),
            known: self.profile_names(),
        })
    }
}

/// State of one [`Config::resolve`] call.
struct Resolver<'a> {
    config: &'a Config,
    opts: &'a ResolveOptions,
    /// The profile asked for; some environment variables apply only to it.
    active: &'a str,
    /// Profiles being resolved through `source_profile`, outermost first (loop detection).
    source_stack: Vec<String>,
}

impl Resolver<'_> {
    fn resolve(
        &mut self,
        name: &str,
        chained_from: Option<ChainedFrom>,
    ) -> Result<ProfileConfig, ConfigError> {
        if let Some(start) = self.source_stack.iter().position(|n| n == name) {
            let mut chain = self.source_stack[start..].to_vec();
            chain.push(name.to_string());
            return Err(ConfigError::SourceProfileLoop {
                chain,
                path: self.config.config_path().to_path_buf(),
            });
        }
        self.source_stack.push(name.to_string());

        let mut p = ProfileConfig {
            name: name.to_string(),
            in_config_file: self.config.has_profile(name),
            config_path: self.config.config_path().to_path_buf(),
            ..ProfileConfig::default()
        };
        apply_overrides(&mut p, &self.opts.overrides);
        apply_env(&mut p, &self.opts.env, name == self.active)?;
        let mut visited = Vec::new();
        self.apply_file(&mut p, name, &mut visited)?;
        apply_defaults(&mut p);
        apply_endpoint_env(&mut p, &self.opts.env);
        if p.source_profile_name.as_deref() == Some(name) {
            p.source_profile_name = None;
        }
        p.has_file_keys = self.config.has_file_keys(name);
        p.file_keys_are_session = p.has_file_keys
            && self
                .config
                .credentials_value(name, "aws_session_token")
                .is_some();

        if let Some(source) = p.source_profile_name.clone() {
            if self.config.has_profile(&source)
                || self.opts.stored.contains(&source)
                || self.config.has_file_keys(&source)
            {
                let up = ChainedFrom {
                    name: p.name.clone(),
                    mfa_serial: p.mfa_serial.clone(),
                    assume_role_duration: p.assume_role_duration,
                };
                p.source_profile = Some(Box::new(self.resolve(&source, Some(up))?));
            } else if !self.opts.stored.contains(name) {
                if self.config.credentials.section(&source).is_some() {
                    return Err(ConfigError::OnlyInCredentialsFile {
                        profile: source,
                        credentials_path: self.config.credentials_path().to_path_buf(),
                        config_path: self.config.config_path().to_path_buf(),
                    });
                }
                return Err(ConfigError::SourceProfileNotFound {
                    profile: name.to_string(),
                    source_profile: source,
                    path: self.config.config_path().to_path_buf(),
                });
            } else {
                tracing::debug!(
                    "profile {name}: source_profile {source} does not exist; using the keys \
                     stored for {name}"
                );
            }
        }
        p.chained_from = chained_from;
        self.source_stack.pop();
        Ok(p)
    }

    /// Fills `p` from the section of `name`, then its `include_profile` (or `[default]`).
    fn apply_file(
        &self,
        p: &mut ProfileConfig,
        name: &str,
        visited: &mut Vec<String>,
    ) -> Result<(), ConfigError> {
        if let Some(start) = visited.iter().position(|n| n == name) {
            let mut chain = visited[start..].to_vec();
            chain.push(name.to_string());
            return Err(ConfigError::IncludeProfileLoop {
                chain,
                path: self.config.config_path().to_path_buf(),
            });
        }
        visited.push(name.to_string());
        let view = self.config.profile_view(name);
        if !view.exists() {
            tracing::debug!(
                "profile {name} is not in {}",
                self.config.config_path().display()
            );
        }

        fill(&mut p.mfa_serial, view.value("mfa_serial"));
        fill(&mut p.role_arn, view.value("role_arn"));
        fill(&mut p.external_id, view.value("external_id"));
        fill(&mut p.region, view.value("region"));
        fill(&mut p.role_session_name, view.value("role_session_name"));
        if p.assume_role_duration.is_zero() {
            p.assume_role_duration = self.duration_seconds(&view)?;
        }
        fill(&mut p.source_profile_name, view.value("source_profile"));
        if p.sso_session.is_none()
            && let Some(session) = view.value("sso_session")
        {
            p.sso_session = Some(session.to_string());
            // As aws-vault: the [sso-session] values replace what is set so far.
            match self.config.sso_session_section(session) {
                Some(s) => {
                    p.sso_start_url = s.value("sso_start_url").map(String::from);
                    p.sso_region = s.value("sso_region").map(String::from);
                    p.sso_registration_scopes =
                        s.value("sso_registration_scopes").map(String::from);
                }
                None => tracing::debug!("[sso-session {session}] is missing"),
            }
        }
        fill(&mut p.sso_start_url, view.value("sso_start_url"));
        fill(&mut p.sso_region, view.value("sso_region"));
        fill(&mut p.sso_account_id, view.value("sso_account_id"));
        fill(&mut p.sso_role_name, view.value("sso_role_name"));
        if p.web_identity_token_file.is_none() {
            p.web_identity_token_file = view.value("web_identity_token_file").map(PathBuf::from);
        }
        fill(
            &mut p.web_identity_token_process,
            view.value("web_identity_token_process"),
        );
        fill(
            &mut p.sts_regional_endpoints,
            view.value("sts_regional_endpoints"),
        );
        fill(&mut p.source_identity, view.value("source_identity"));
        fill(&mut p.credential_process, view.value("credential_process"));
        fill(&mut p.credential_source, view.value("credential_source"));
        fill(&mut p.mfa_process, view.value("mfa_process"));
        fill(&mut p.endpoint_url, view.value("endpoint_url"));
        if p.session_tags.is_empty()
            && let Some((prop, _)) = view.get("session_tags")
        {
            let origin = format!("{}:{}", self.config.config_path().display(), prop.line);
            p.session_tags = parse_session_tags(&prop.value, &origin)?;
        }
        if p.transitive_session_tags.is_empty()
            && let Some(tags) = view.value("transitive_session_tags")
        {
            p.transitive_session_tags = parse_transitive_tags(tags);
        }
        if p.ignore_configured_endpoint_urls.is_none() {
            p.ignore_configured_endpoint_urls = view
                .value("ignore_configured_endpoint_urls")
                .map(|v| v.eq_ignore_ascii_case("true"));
        }

        match view.value("include_profile") {
            Some(include) => self.apply_file(p, include, visited),
            None if name != "default" => self.apply_file(p, "default", visited),
            None => Ok(()),
        }
    }

    /// `duration_seconds` of this section, zero when unset.
    fn duration_seconds(&self, view: &ProfileView<'_>) -> Result<Duration, ConfigError> {
        let Some((prop, section)) = view.get("duration_seconds") else {
            return Ok(Duration::ZERO);
        };
        prop.value
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| ConfigError::InvalidSetting {
                path: self.config.config_path().to_path_buf(),
                line: prop.line,
                section: format!("[{}]", section.header),
                setting: format!("{} = {}", prop.key, prop.value),
                reason: String::from("expected a whole number of seconds, e.g. 3600"),
            })
    }
}

/// Sets `slot` from `value` if `slot` is unset.
fn fill(slot: &mut Option<String>, value: Option<&str>) {
    if slot.is_none() {
        *slot = value.map(String::from);
    }
}

fn apply_overrides(p: &mut ProfileConfig, o: &ProfileOverrides) {
    p.region.clone_from(&o.region);
    p.mfa_token.clone_from(&o.mfa_token);
    p.sso_use_stdout = o.sso_use_stdout;
    if let Some(d) = o.session_duration {
        p.session_token_duration = d;
        p.assume_role_duration = d;
    }
}

/// The `AWS_*` variables aws-vault reads. Region, STS endpoints, MFA serial and the TTLs apply
/// to every profile in the chain; role ARN, role session name, session tags, transitive tags and
/// source identity only to the profile asked for (`active`).
fn apply_env(p: &mut ProfileConfig, env: &EnvVars, active: bool) -> Result<(), ConfigError> {
    fill(&mut p.region, env.get("AWS_REGION"));
    fill(&mut p.region, env.get("AWS_DEFAULT_REGION"));
    fill(
        &mut p.sts_regional_endpoints,
        env.get("AWS_STS_REGIONAL_ENDPOINTS"),
    );
    fill(&mut p.mfa_serial, env.get("AWS_MFA_SERIAL"));
    fill(&mut p.endpoint_url, env.get("AWS_ENDPOINT_URL"));
    let durations = [
        ("AWS_ASSUME_ROLE_TTL", &mut p.assume_role_duration),
        ("AWS_SESSION_TOKEN_TTL", &mut p.session_token_duration),
        (
            "AWS_CHAINED_SESSION_TOKEN_TTL",
            &mut p.chained_session_token_duration,
        ),
        ("AWS_FEDERATION_TOKEN_TTL", &mut p.federation_token_duration),
    ];
    for (var, slot) in durations {
        if slot.is_zero()
            && let Some(d) = env.duration(var)?
        {
            *slot = d;
        }
    }
    if active {
        fill(&mut p.role_arn, env.get("AWS_ROLE_ARN"));
        fill(&mut p.role_session_name, env.get("AWS_ROLE_SESSION_NAME"));
        if let Some(tags) = env.get("AWS_SESSION_TAGS") {
            p.session_tags = parse_session_tags(tags, "environment variable AWS_SESSION_TAGS")?;
        }
        if let Some(tags) = env.get("AWS_TRANSITIVE_TAGS") {
            p.transitive_session_tags = parse_transitive_tags(tags);
        }
        fill(&mut p.source_identity, env.get("AWS_SOURCE_IDENTITY"));
    }
    Ok(())
}

/// Built-in durations for whatever is still zero (as aws-vault, an explicit zero means unset).
fn apply_defaults(p: &mut ProfileConfig) {
    for slot in [
        &mut p.assume_role_duration,
        &mut p.session_token_duration,
        &mut p.federation_token_duration,
    ] {
        if slot.is_zero() {
            *slot = DEFAULT_SESSION_DURATION;
        }
    }
    if p.chained_session_token_duration.is_zero() {
        p.chained_session_token_duration = DEFAULT_CHAINED_SESSION_DURATION;
    }
}

/// `AWS_ENDPOINT_URL_STS` (`_SSO_OIDC`, `_SSO`) beats the general endpoint for STS (the SSO
/// APIs); `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (or the profile's
/// `ignore_configured_endpoint_urls`) turns all configured endpoints off.
fn apply_endpoint_env(p: &mut ProfileConfig, env: &EnvVars) {
    let ignore = match env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") {
        Some(v) => v.eq_ignore_ascii_case("true"),
        None => p.ignore_configured_endpoint_urls.unwrap_or(false),
    };
    if ignore {
        p.endpoint_url = None;
        p.sts_endpoint_url = None;
        p.sso_oidc_endpoint_url = None;
        p.sso_endpoint_url = None;
        p.iam_endpoint_url = None;
        return;
    }
    let service = |var: &str| {
        env.get(var)
            .map(String::from)
            .or_else(|| p.endpoint_url.clone())
    };
    p.sts_endpoint_url = service("AWS_ENDPOINT_URL_STS");
    p.sso_oidc_endpoint_url = service("AWS_ENDPOINT_URL_SSO_OIDC");
    p.sso_endpoint_url = service("AWS_ENDPOINT_URL_SSO");
    p.iam_endpoint_url = service("AWS_ENDPOINT_URL_IAM");
}
