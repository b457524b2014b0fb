//! [`Plan`]: which credential calls a resolved profile needs, in which order, decided exactly as
//! aws-vault 7's `TempCredentialsCreator` (`vault/vault.go`) decides it:
//!
//! - keys stored for the profile beat its `source_profile`; with either, the profile
//!   assumes its role (if it has one) using its source, else passes the source's credentials on;
//!   otherwise SSO, then web identity, then `credential_process`;
//! - beyond aws-vault, as the AWS SDKs do: `credential_source = Environment` is a source (the
//!   keys in `AWS_ACCESS_KEY_ID`…), and plain keys in the credentials file serve a profile the
//!   vault has no keys for (after SSO and web identity, before `credential_process`); the
//!   vault's keys beat both;
//! - raw stored keys (no role on top yet) get a GetSessionToken unless sessions are disabled
//!   or the chain rules say no (`canUseGetSessionToken`): when another profile uses this one as
//!   its source, that profile and this one must both have the same `mfa_serial`, and that
//!   profile's AssumeRole duration must be at most 1 hour (AWS's role-chaining limit);
//! - the MFA serial used by that GetSessionToken is remembered; any role further up with the
//!   same serial assumes its role without MFA ("chained MFA": one code, many roles);
//! - GetSessionToken, web identity, SSO, credential_process and AssumeRole results are cached
//!   unless `no_cache`. An AssumeRole that sends an MFA code itself is cached under aws-vault's
//!   key (`sts.AssumeRole`, shared with aws-vault); one that does not (a role on an MFA
//!   session, or a role without MFA) is cached under stsvault's own key, which aws-vault never
//!   reads (see [`crate::cache::role`]).

use std::path::PathBuf;
use std::time::Duration;

use super::ConfigError;
use super::profile::{MfaToken, ProfileConfig, ROLE_CHAINING_MAXIMUM_DURATION};

/// Options from the command line that change the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--no-session`: never call GetSessionToken (aws-vault's `DisableSessions`).
    pub no_session: bool,
    /// Do not use the session cache for any step (aws-vault's `DisableCache`, used by `rotate`).
    pub no_cache: bool,
    /// `exec --duration`, if not already given to resolution as
    /// [`ProfileOverrides::session_duration`](super::ProfileOverrides::session_duration): the
    /// non-chained GetSessionToken and every AssumeRole use it.
    pub session_duration: Option<Duration>,
    /// Never call GetSessionToken for this profile (aws-vault's `DisableSessionsForProfile`;
    /// `login` sets it to the profile being logged in, since a console sign-in URL cannot be
    /// made from GetSessionToken credentials).
    pub disable_sessions_for_profile: Option<String>,
}

/// How to obtain an MFA code for a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mfa {
    /// The MFA device ARN (`mfa_serial`), sent as `SerialNumber`.
    pub serial: String,
    /// `mfa_process`: a shell command printing the code.
    pub process: Option<String>,
    /// A code given up front (`--mfa-token`); beats `process` and prompting.
    pub token: Option<MfaToken>,
}

/// Where to send an STS call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StsEndpoint {
    /// The profile's region.
    pub region: Option<String>,
    /// `sts_regional_endpoints` (`legacy` sends calls from the classic regions to the global
    /// endpoint `https://sts.amazonaws.com`).
    pub regional_endpoints: Option<String>,
    /// An explicit endpoint (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, `endpoint_url`); beats
    /// the two above.
    pub endpoint_url: Option<String>,
}

/// Where IAM Identity Center calls go when not to the SDK's default for `sso_region`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsoEndpoints {
    /// The OIDC API (`AWS_ENDPOINT_URL_SSO_OIDC`, `AWS_ENDPOINT_URL`, `endpoint_url`).
    pub oidc: Option<String>,
    /// The portal API (`AWS_ENDPOINT_URL_SSO`, `AWS_ENDPOINT_URL`, `endpoint_url`).
    pub portal: Option<String>,
}

/// Where [`Plan::StaticKeys`] reads keys from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    /// `aws_access_key_id` / `aws_secret_access_key` (and `aws_session_token`) under the
    /// profile's section of the credentials file.
    CredentialsFile,
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`).
    Environment,
}

/// One step of getting credentials; steps with a `source` run that first and call with its
/// credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Master keys stored in the vault under this profile name.
    StoredKeys {
        /// The vault entry.
        profile: String,
    },
    /// Plain keys from outside the vault: the credentials file's `[profile]` section, or the
    /// environment (`credential_source = Environment`).
    StaticKeys {
        /// The profile.
        profile: String,
        /// Where the keys are.
        origin: KeyOrigin,
    },
    /// STS GetSessionToken with the source's (master) keys.
    GetSessionToken {
        /// The profile whose settings (and cache key) the call uses.
        profile: String,
        /// [`Plan::StoredKeys`], or [`Plan::StaticKeys`] from the credentials file.
        source: Box<Plan>,
        /// `SerialNumber`/`TokenCode`, if the profile has an `mfa_serial`.
        mfa: Option<Mfa>,
        /// `DurationSeconds`.
        duration: Duration,
        /// Where to call.
        sts: StsEndpoint,
        /// Whether the result goes to (and may come from) the session cache.
        cache: bool,
    },
    /// STS AssumeRole with the source's credentials.
    AssumeRole {
        /// The profile with the role.
        profile: String,
        /// Where the calling credentials come from.
        source: Box<Plan>,
        /// `RoleArn`.
        role_arn: String,
        /// `RoleSessionName`; when `None` aws-vault sends the current Unix time in nanoseconds.
        role_session_name: Option<String>,
        /// `ExternalId`.
        external_id: Option<String>,
        /// `SerialNumber`/`TokenCode`; `None` when the source session already carries the MFA.
        mfa: Option<Mfa>,
        /// `DurationSeconds` (always set by [`Plan::build`]).
        duration: Option<Duration>,
        /// `Tags`.
        session_tags: Vec<(String, String)>,
        /// `TransitiveTagKeys`.
        transitive_session_tags: Vec<String>,
        /// `SourceIdentity`.
        source_identity: Option<String>,
        /// Where to call.
        sts: StsEndpoint,
        /// Whether the result is cached: under aws-vault's `sts.AssumeRole` key when this call
        /// sends an MFA code, else under stsvault's own role key ([`crate::cache::role`]).
        cache: bool,
    },
    /// STS AssumeRoleWithWebIdentity (no source credentials).
    AssumeRoleWithWebIdentity {
        /// The profile.
        profile: String,
        /// `RoleArn`.
        role_arn: String,
        /// `RoleSessionName`; when `None` aws-vault sends the current Unix time in nanoseconds.
        role_session_name: Option<String>,
        /// `web_identity_token_file` (read as the token; beats the process).
        token_file: Option<PathBuf>,
        /// `web_identity_token_process` (its stdout is the token).
        token_process: Option<String>,
        /// `DurationSeconds` (always set by [`Plan::build`]).
        duration: Option<Duration>,
        /// Where to call.
        sts: StsEndpoint,
        /// Whether the result is cached.
        cache: bool,
    },
    /// AWS IAM Identity Center (SSO) role credentials.
    Sso {
        /// The profile.
        profile: String,
        /// `sso_start_url`.
        start_url: String,
        /// `sso_region`: where the SSO and OIDC APIs are called.
        sso_region: String,
        /// `sso_account_id`.
        account_id: String,
        /// `sso_role_name`.
        role_name: String,
        /// `sso_session` (name of the `[sso-session]`), if used.
        session_name: Option<String>,
        /// `sso_registration_scopes`.
        registration_scopes: Option<String>,
        /// Explicit endpoints for the OIDC and portal APIs.
        endpoints: SsoEndpoints,
        /// Print the sign-in URL instead of opening a browser (`--stdout`).
        use_stdout: bool,
        /// Whether the result (and the OIDC token) is cached.
        cache: bool,
    },
    /// Run `credential_process` and use what it prints.
    CredentialProcess {
        /// The profile.
        profile: String,
        /// The command (run with `/bin/sh -c`).
        command: String,
        /// Whether the result is cached.
        cache: bool,
    },
}

impl Plan {
    /// Builds the plan for `profile`; `has_stored` tells which profile names have master keys in
    /// the vault.
    pub fn build(
        profile: &ProfileConfig,
        has_stored: &dyn Fn(&str) -> bool,
        opts: &PlanOptions,
    ) -> Result<Plan, ConfigError> {
        Builder {
            has_stored,
            opts,
            chained_mfa: None,
            path: profile.config_path.clone(),
        }
        .provider_for(profile)
    }

    /// The profile this step belongs to.
    pub fn profile(&self) -> &str {
        match self {
            Plan::StoredKeys { profile }
            | Plan::StaticKeys { profile, .. }
            | Plan::GetSessionToken { profile, .. }
            | Plan::AssumeRole { profile, .. }
            | Plan::AssumeRoleWithWebIdentity { profile, .. }
            | Plan::Sso { profile, .. }
            | Plan::CredentialProcess { profile, .. } => profile,
        }
    }

    /// The step whose credentials this one calls with, if any.
    pub fn source(&self) -> Option<&Plan> {
        match self {
            Plan::GetSessionToken { source, .. } | Plan::AssumeRole { source, .. } => Some(source),
            _ => None,
        }
    }

    /// Whether this step's result is cached.
    pub fn is_cached(&self) -> bool {
        match self {
            Plan::StoredKeys { .. } | Plan::StaticKeys { .. } => false,
            Plan::GetSessionToken { cache, .. }
            | Plan::AssumeRole { cache, .. }
            | Plan::AssumeRoleWithWebIdentity { cache, .. }
            | Plan::Sso { cache, .. }
            | Plan::CredentialProcess { cache, .. } => *cache,
        }
    }

    /// aws-vault's session cache key for this step when it is cached: (type, profile name, MFA
    /// serial — the start URL for SSO — or ""). aws-vault stores it as
    /// `TYPE,base64url(profile),base64url(serial),EXPIRY_UNIX` (no padding).
    ///
    /// `None` for an AssumeRole without its own MFA code even when it is cached: its key
    /// depends on the cached session below it and is made by [`crate::cache::role`].
    pub fn cache_key(&self) -> Option<(String, String, String)> {
        if !self.is_cached() {
            return None;
        }
        let key = |kind: &str, profile: &str, serial: &str| {
            Some((kind.to_string(), profile.to_string(), serial.to_string()))
        };
        match self {
            Plan::StoredKeys { .. } | Plan::StaticKeys { .. } => None,
            Plan::GetSessionToken { profile, mfa, .. } => key(
                "sts.GetSessionToken",
                profile,
                mfa.as_ref().map_or("", |m| m.serial.as_str()),
            ),
            Plan::AssumeRole { mfa: None, .. } => None,
            Plan::AssumeRole {
                profile,
                mfa: Some(mfa),
                ..
            } => key("sts.AssumeRole", profile, &mfa.serial),
            Plan::AssumeRoleWithWebIdentity { profile, .. } => {
                key("sts.AssumeRoleWithWebIdentity", profile, "")
            }
            Plan::Sso {
                profile, start_url, ..
            } => key("sso.GetRoleCredentials", profile, start_url),
            Plan::CredentialProcess { profile, .. } => key("credential_process", profile, ""),
        }
    }

    /// The steps, innermost (the one to run first) first.
    pub fn steps(&self) -> Vec<&Plan> {
        let mut steps: Vec<&Plan> = std::iter::successors(Some(self), |p| p.source()).collect();
        steps.reverse();
        steps
    }

    /// The vault entry whose master keys the chain starts from, if it starts from stored keys
    /// (what `rotate` rotates).
    pub fn stored_keys_profile(&self) -> Option<&str> {
        match self.steps().first() {
            Some(Plan::StoredKeys { profile }) => Some(profile),
            _ => None,
        }
    }

    /// Whether any step sends an MFA code.
    pub fn needs_mfa(&self) -> bool {
        let own = matches!(
            self,
            Plan::GetSessionToken { mfa: Some(_), .. } | Plan::AssumeRole { mfa: Some(_), .. }
        );
        own || self.source().is_some_and(Plan::needs_mfa)
    }

    /// The chain in words, innermost first, e.g. `stored keys of base -> GetSessionToken (base,
    /// MFA arn:..., 8h, cached) -> AssumeRole arn:... (prod, MFA via source session, 1h, cached)`.
    pub fn describe(&self) -> String {
        let own = match self {
            Plan::StoredKeys { profile } => return format!("stored keys of {profile}"),
            Plan::StaticKeys { profile, origin } => {
                return match origin {
                    KeyOrigin::CredentialsFile => {
                        format!("keys of {profile} in the credentials file")
                    }
                    KeyOrigin::Environment => format!("keys in the environment ({profile})"),
                };
            }
            Plan::GetSessionToken {
                profile,
                mfa,
                duration,
                cache,
                ..
            } => format!(
                "GetSessionToken ({profile}{}, {}{})",
                mfa_words(mfa.as_ref(), false),
                words(*duration),
                if *cache { ", cached" } else { "" }
            ),
            Plan::AssumeRole {
                profile,
                role_arn,
                mfa,
                duration,
                cache,
                ..
            } => format!(
                "AssumeRole {role_arn} ({profile}{}{}{})",
                mfa_words(mfa.as_ref(), self.source().is_some_and(Plan::needs_mfa)),
                duration
                    .map(|d| format!(", {}", words(d)))
                    .unwrap_or_default(),
                if *cache { ", cached" } else { "" }
            ),
            Plan::AssumeRoleWithWebIdentity {
                profile,
                role_arn,
                cache,
                ..
            } => format!(
                "AssumeRoleWithWebIdentity {role_arn} ({profile}{})",
                if *cache { ", cached" } else { "" }
            ),
            Plan::Sso {
                profile,
                start_url,
                account_id,
                role_name,
                cache,
                ..
            } => format!(
                "SSO {role_name} in {account_id} via {start_url} ({profile}{})",
                if *cache { ", cached" } else { "" }
            ),
            Plan::CredentialProcess { profile, cache, .. } => format!(
                "credential_process ({profile}{})",
                if *cache { ", cached" } else { "" }
            ),
        };
        match self.source() {
            Some(source) => format!("{} -> {own}", source.describe()),
            None => own,
        }
    }
}

fn mfa_words(mfa: Option<&Mfa>, chained: bool) -> String {
    match (mfa, chained) {
        (Some(m), _) => format!(", MFA {}", m.serial),
        (None, true) => String::from(", MFA via source session"),
        (None, false) => String::new(),
    }
}

/// A duration as aws-vault's flags write it (`1h`, `15m`, `3600s` when uneven).
fn words(d: Duration) -> String {
    let s = d.as_secs();
    if s != 0 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s != 0 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// State of one [`Plan::build`] (aws-vault's `TempCredentialsCreator`).
struct Builder<'a> {
    has_stored: &'a dyn Fn(&str) -> bool,
    opts: &'a PlanOptions,
    /// The `mfa_serial` of the GetSessionToken in the plan so far, if any.
    chained_mfa: Option<String>,
    /// The config file, for error messages.
    path: PathBuf,
}

impl Builder<'_> {
    fn path(&self) -> PathBuf {
        if self.path.as_os_str().is_empty() {
            PathBuf::from("~/.aws/config")
        } else {
            self.path.clone()
        }
    }

    /// aws-vault's `GetProviderForProfile`.
    fn provider_for(&mut self, p: &ProfileConfig) -> Result<Plan, ConfigError> {
        let stored = (self.has_stored)(&p.name);
        if stored || p.source_profile.is_some() || p.credential_source.is_some() {
            return self.source_with_session(p, stored);
        }
        let cache = !self.opts.no_cache;
        if let Some(start_url) = &p.sso_start_url {
            return self.sso(p, start_url, cache);
        }
        if p.has_web_identity() {
            let Some(role_arn) = p.role_arn.clone() else {
                return Err(ConfigError::WebIdentityWithoutRole {
                    profile: p.name.clone(),
                    path: self.path(),
                });
            };
            return Ok(Plan::AssumeRoleWithWebIdentity {
                profile: p.name.clone(),
                role_arn,
                role_session_name: p.role_session_name.clone(),
                token_file: p.web_identity_token_file.clone(),
                token_process: p.web_identity_token_process.clone(),
                duration: Some(self.assume_role_duration(p.assume_role_duration)),
                sts: sts_endpoint(p),
                cache,
            });
        }
        // As the AWS SDKs: plain keys in the credentials file beat credential_process.
        if p.has_file_keys {
            return self.source_with_session(p, false);
        }
        if let Some(command) = &p.credential_process {
            return Ok(Plan::CredentialProcess {
                profile: p.name.clone(),
                command: command.clone(),
                cache,
            });
        }
        if let Some(session) = &p.sso_session {
            return Err(ConfigError::SsoSessionNotFound {
                profile: p.name.clone(),
                session: session.clone(),
                path: self.path(),
            });
        }
        Err(ConfigError::NoCredentials {
            profile: p.name.clone(),
            path: self.path(),
        })
    }

    fn sso(&self, p: &ProfileConfig, start_url: &str, cache: bool) -> Result<Plan, ConfigError> {
        let missing: Vec<String> = [
            ("sso_region", &p.sso_region),
            ("sso_account_id", &p.sso_account_id),
            ("sso_role_name", &p.sso_role_name),
        ]
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| (*k).to_string())
        .collect();
        let (Some(sso_region), Some(account_id), Some(role_name)) =
            (&p.sso_region, &p.sso_account_id, &p.sso_role_name)
        else {
            return Err(ConfigError::IncompleteSso {
                profile: p.name.clone(),
                missing,
                path: self.path(),
            });
        };
        Ok(Plan::Sso {
            profile: p.name.clone(),
            start_url: start_url.to_string(),
            sso_region: sso_region.clone(),
            account_id: account_id.clone(),
            role_name: role_name.clone(),
            session_name: p.sso_session.clone(),
            registration_scopes: p.sso_registration_scopes.clone(),
            endpoints: SsoEndpoints {
                oidc: p.sso_oidc_endpoint_url.clone(),
                portal: p.sso_endpoint_url.clone(),
            },
            use_stdout: p.sso_use_stdout,
            cache,
        })
    }

    /// aws-vault's `getSourceCreds`.
    fn source_creds(&mut self, p: &ProfileConfig, stored: bool) -> Result<Plan, ConfigError> {
        if stored {
            return Ok(Plan::StoredKeys {
                profile: p.name.clone(),
            });
        }
        if p.has_file_keys {
            tracing::debug!(
                "profile {}: using the plain-text keys of the credentials file",
                p.name
            );
            return Ok(Plan::StaticKeys {
                profile: p.name.clone(),
                origin: KeyOrigin::CredentialsFile,
            });
        }
        match (&p.source_profile, p.credential_source.as_deref()) {
            (Some(source), _) => self.provider_for(source),
            (None, Some(value)) if value.eq_ignore_ascii_case("Environment") => {
                Ok(Plan::StaticKeys {
                    profile: p.name.clone(),
                    origin: KeyOrigin::Environment,
                })
            }
            (None, Some(value)) => Err(ConfigError::UnsupportedCredentialSource {
                profile: p.name.clone(),
                value: value.to_string(),
                path: self.path(),
            }),
            (None, None) => Err(ConfigError::NoCredentials {
                profile: p.name.clone(),
                path: self.path(),
            }),
        }
    }

    /// aws-vault's `getSourceCredWithSession`.
    fn source_with_session(
        &mut self,
        p: &ProfileConfig,
        stored: bool,
    ) -> Result<Plan, ConfigError> {
        let source = self.source_creds(p, stored)?;

        if let Some(role_arn) = &p.role_arn {
            let mfa_chained = p.mfa_serial.is_some() && p.mfa_serial == self.chained_mfa;
            let mfa = if mfa_chained { None } else { mfa_of(p) };
            tracing::debug!(
                "profile {}: using AssumeRole{}",
                p.name,
                if mfa_chained {
                    " (chained MFA)"
                } else if mfa.is_some() {
                    " (with MFA)"
                } else {
                    ""
                }
            );
            return Ok(Plan::AssumeRole {
                profile: p.name.clone(),
                source: Box::new(source),
                role_arn: role_arn.clone(),
                role_session_name: p.role_session_name.clone(),
                external_id: p.external_id.clone(),
                cache: !self.opts.no_cache,
                mfa,
                duration: Some(self.assume_role_duration(p.assume_role_duration)),
                session_tags: p
                    .session_tags
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                transitive_session_tags: p.transitive_session_tags.clone(),
                source_identity: p.source_identity.clone(),
                sts: sts_endpoint(p),
            });
        }

        // Long-lived keys get a session; keys that are a session already cannot.
        let long_lived = match &source {
            Plan::StoredKeys { .. } => true,
            Plan::StaticKeys { origin, .. } => {
                *origin == KeyOrigin::CredentialsFile && !p.file_keys_are_session
            }
            _ => false,
        };
        if long_lived {
            match self.why_not_get_session_token(p) {
                None => {
                    self.chained_mfa = p.mfa_serial.clone();
                    let duration = match (p.is_chained(), self.opts.session_duration) {
                        (false, Some(d)) => d,
                        _ => p.session_token_duration_for_use(),
                    };
                    return Ok(Plan::GetSessionToken {
                        profile: p.name.clone(),
                        source: Box::new(source),
                        mfa: mfa_of(p),
                        duration,
                        sts: sts_endpoint(p),
                        cache: !self.opts.no_cache,
                    });
                }
                Some(reason) => {
                    tracing::debug!(
                        "profile {}: skipping GetSessionToken because {reason}",
                        p.name
                    );
                }
            }
        }
        Ok(source)
    }

    /// aws-vault's `canUseGetSessionToken`: `None` if GetSessionToken may be used, else why not.
    fn why_not_get_session_token(&self, p: &ProfileConfig) -> Option<String> {
        if self.opts.no_session {
            return Some(String::from("sessions are disabled"));
        }
        if self.opts.disable_sessions_for_profile.as_deref() == Some(p.name.as_str()) {
            return Some(String::from("sessions are disabled for this profile"));
        }
        let up = p.chained_from.as_ref()?;
        if up.mfa_serial.is_none() {
            return Some(format!("profile '{}' has no MFA serial defined", up.name));
        }
        if p.mfa_serial.is_none() {
            return Some(format!("profile '{}' has no MFA serial defined", p.name));
        }
        if up.mfa_serial != p.mfa_serial {
            return Some(format!("MFA serial doesn't match profile '{}'", up.name));
        }
        let up_duration = self.assume_role_duration(up.assume_role_duration);
        if up_duration > ROLE_CHAINING_MAXIMUM_DURATION {
            return Some(format!(
                "duration {} in profile '{}' is greater than the AWS maximum {} for chaining MFA",
                words(up_duration),
                up.name,
                words(ROLE_CHAINING_MAXIMUM_DURATION)
            ));
        }
        None
    }

    fn assume_role_duration(&self, resolved: Duration) -> Duration {
        self.opts.session_duration.unwrap_or(resolved)
    }
}

fn mfa_of(p: &ProfileConfig) -> Option<Mfa> {
    p.mfa_serial.as_ref().map(|serial| Mfa {
        serial: serial.clone(),
        process: p.mfa_process.clone(),
        token: p.mfa_token.clone(),
    })
}

fn sts_endpoint(p: &ProfileConfig) -> StsEndpoint {
    StsEndpoint {
        region: p.region.clone(),
        regional_endpoints: p.sts_regional_endpoints.clone(),
        endpoint_url: p.sts_endpoint_url.clone(),
    }
}
