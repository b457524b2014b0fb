//! [`ProfileConfig`]: one profile fully resolved (CLI overrides, environment, the profile's own
//! section, its `include_profile` chain and `[default]`, then built-in defaults), with its
//! `source_profile` resolved recursively. It is aws-vault's `ProfileConfig`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::ConfigError;

/// Default duration of GetSessionToken and AssumeRole sessions (aws-vault: 1 hour).
pub const DEFAULT_SESSION_DURATION: Duration = Duration::from_secs(3600);

/// Default duration of a GetSessionToken session that a role chain starts from (aws-vault: 8
/// hours), so one MFA code serves many role sessions.
pub const DEFAULT_CHAINED_SESSION_DURATION: Duration = Duration::from_secs(8 * 3600);

/// The longest AssumeRole session AWS allows when the caller is itself a role session (role
/// chaining), and so the longest `duration_seconds` for which aws-vault still puts a
/// GetSessionToken (MFA) session under a role.
pub const ROLE_CHAINING_MAXIMUM_DURATION: Duration = Duration::from_secs(3600);

/// A resolved profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileConfig {
    /// The profile name (case-sensitive, as in `[profile NAME]`).
    pub name: String,
    /// Whether `[profile NAME]` (or `[default]`) exists in the config file; `false` for a
    /// profile that exists only in the vault.
    pub in_config_file: bool,
    /// The config file the profile was resolved from (for error messages).
    pub config_path: PathBuf,

    /// `region` (or `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`).
    pub region: Option<String>,
    /// `sts_regional_endpoints` (`regional` or `legacy`; or `AWS_STS_REGIONAL_ENDPOINTS`).
    pub sts_regional_endpoints: Option<String>,
    /// Endpoint for all services: `AWS_ENDPOINT_URL`, else the profile's `endpoint_url`
    /// (both ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`).
    pub endpoint_url: Option<String>,
    /// Endpoint for STS calls: `AWS_ENDPOINT_URL_STS`, else [`Self::endpoint_url`].
    pub sts_endpoint_url: Option<String>,
    /// Endpoint for IAM Identity Center's OIDC calls: `AWS_ENDPOINT_URL_SSO_OIDC`, else
    /// [`Self::endpoint_url`].
    pub sso_oidc_endpoint_url: Option<String>,
    /// Endpoint for IAM Identity Center's portal (GetRoleCredentials): `AWS_ENDPOINT_URL_SSO`,
    /// else [`Self::endpoint_url`].
    pub sso_endpoint_url: Option<String>,
    /// Endpoint for IAM calls (`rotate`): `AWS_ENDPOINT_URL_IAM`, else [`Self::endpoint_url`].
    pub iam_endpoint_url: Option<String>,
    /// `ignore_configured_endpoint_urls` from the profile (`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`
    /// beats it); when true, both endpoint fields above are `None`.
    pub ignore_configured_endpoint_urls: Option<bool>,

    /// `mfa_serial` (or `AWS_MFA_SERIAL`). Not inherited through `source_profile`.
    pub mfa_serial: Option<String>,
    /// `mfa_process`: a shell command printing the MFA code.
    pub mfa_process: Option<String>,
    /// An MFA code given up front (`--mfa-token`); used instead of prompting.
    pub mfa_token: Option<MfaToken>,

    /// `role_arn` (or `AWS_ROLE_ARN` for the profile asked for).
    pub role_arn: Option<String>,
    /// `role_session_name` (or `AWS_ROLE_SESSION_NAME` for the profile asked for).
    pub role_session_name: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `source_identity` (or `AWS_SOURCE_IDENTITY` for the profile asked for).
    pub source_identity: Option<String>,
    /// `session_tags` (or `AWS_SESSION_TAGS` for the profile asked for), key → value.
    pub session_tags: BTreeMap<String, String>,
    /// `transitive_session_tags` (or `AWS_TRANSITIVE_TAGS` for the profile asked for).
    pub transitive_session_tags: Vec<String>,

    /// `web_identity_token_file`.
    pub web_identity_token_file: Option<PathBuf>,
    /// `web_identity_token_process`.
    pub web_identity_token_process: Option<String>,
    /// `credential_process`.
    pub credential_process: Option<String>,
    /// `credential_source` (`Environment` is the one this tool can use).
    pub credential_source: Option<String>,
    /// The credentials file has plain-text keys (`aws_access_key_id` and
    /// `aws_secret_access_key`) under `[NAME]`.
    pub has_file_keys: bool,
    /// Those keys come with an `aws_session_token` (so they are a session already).
    pub file_keys_are_session: bool,

    /// `sso_session`: name of an `[sso-session NAME]` section.
    pub sso_session: Option<String>,
    /// `sso_start_url` (from the profile or its `[sso-session]`).
    pub sso_start_url: Option<String>,
    /// `sso_region` (from the profile or its `[sso-session]`).
    pub sso_region: Option<String>,
    /// `sso_registration_scopes` (from the `[sso-session]`).
    pub sso_registration_scopes: Option<String>,
    /// `sso_account_id`.
    pub sso_account_id: Option<String>,
    /// `sso_role_name`.
    pub sso_role_name: Option<String>,
    /// Print the SSO login URL instead of opening a browser (`--stdout`).
    pub sso_use_stdout: bool,

    /// AssumeRole (and AssumeRoleWithWebIdentity) session duration: `--duration`, else
    /// `AWS_ASSUME_ROLE_TTL`, else `duration_seconds`, else 1h.
    pub assume_role_duration: Duration,
    /// GetSessionToken duration when the session is used directly: `--duration`, else
    /// `AWS_SESSION_TOKEN_TTL`, else 1h.
    pub session_token_duration: Duration,
    /// GetSessionToken duration when a role is assumed with the session:
    /// `AWS_CHAINED_SESSION_TOKEN_TTL`, else 8h.
    pub chained_session_token_duration: Duration,
    /// GetFederationToken duration (`AWS_FEDERATION_TOKEN_TTL`, else 1h; used by `login`).
    pub federation_token_duration: Duration,

    /// `source_profile`, after dropping a self-reference.
    pub source_profile_name: Option<String>,
    /// The resolved source profile.
    pub source_profile: Option<Box<ProfileConfig>>,
    /// The profile that named this one as its `source_profile`, if any.
    pub chained_from: Option<ChainedFrom>,
}

/// An MFA code given on the command line. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaToken(zeroize::Zeroizing<String>);

impl MfaToken {
    /// Wraps a code (zeroized when dropped).
    pub fn new(code: impl Into<String>) -> Self {
        MfaToken(zeroize::Zeroizing::new(code.into()))
    }

    /// The code.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for MfaToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaToken(***)")
    }
}

/// What [`ProfileConfig::chained_from`] records about the profile one step up the chain: what
/// aws-vault's `canUseGetSessionToken` looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainedFrom {
    /// Its name.
    pub name: String,
    /// Its `mfa_serial`.
    pub mfa_serial: Option<String>,
    /// Its AssumeRole duration.
    pub assume_role_duration: Duration,
}

impl ProfileConfig {
    /// Whether another profile uses this one as its `source_profile`.
    pub fn is_chained(&self) -> bool {
        self.chained_from.is_some()
    }

    /// Whether this profile assumes a role.
    pub fn has_role(&self) -> bool {
        self.role_arn.is_some()
    }

    /// Whether a web identity token (file or process) is configured.
    pub fn has_web_identity(&self) -> bool {
        self.web_identity_token_file.is_some() || self.web_identity_token_process.is_some()
    }

    /// The GetSessionToken duration for this profile: the chained one when a role is assumed
    /// with the session, else the plain one.
    pub fn session_token_duration_for_use(&self) -> Duration {
        if self.is_chained() {
            self.chained_session_token_duration
        } else {
            self.session_token_duration
        }
    }

    /// The source profiles, this one first.
    pub fn chain(&self) -> impl Iterator<Item = &ProfileConfig> {
        std::iter::successors(Some(self), |p| p.source_profile.as_deref())
    }
}

/// Parses `key1=value1,key2=value2` session tags (aws-vault's format). Whitespace around keys
/// and values is trimmed; a later duplicate key wins. `origin` names where the value came from,
/// for the error message.
pub fn parse_session_tags(
    value: &str,
    origin: &str,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let err = |reason: String| ConfigError::InvalidSessionTags {
        origin: origin.to_string(),
        value: value.to_string(),
        reason,
    };
    let mut tags = BTreeMap::new();
    for item in value.split(',') {
        let Some((k, v)) = item.split_once('=') else {
            return Err(err(format!("`{}` has no `=`", item.trim())));
        };
        let k = k.trim();
        if k.is_empty() {
            return Err(err(format!("`{}` has an empty key", item.trim())));
        }
        tags.insert(k.to_string(), v.trim().to_string());
    }
    Ok(tags)
}

/// Parses a comma-separated list of transitive tag keys, dropping empty items.
pub fn parse_transitive_tags(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tags_like_aws_vault() {
        let tags = parse_session_tags(" tagA = valueA ,  tagB  =  valueB ", "test")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tags.get("tagA").map(String::as_str), Some("valueA"));
        assert_eq!(tags.get("tagB").map(String::as_str), Some("valueB"));
        for bad in [
            "",
            "tag1=value1,",
            "tagA=valueA,tagB",
            "tagOne,tagTwo=valueTwo",
            "=v",
        ] {
            assert!(parse_session_tags(bad, "test").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn transitive_tags_like_aws_vault() {
        assert_eq!(
            parse_transitive_tags(" tagA ,  tagB  ,"),
            vec!["tagA", "tagB"]
        );
        assert_eq!(parse_transitive_tags(",tagA"), vec!["tagA"]);
        assert!(parse_transitive_tags(",").is_empty());
    }
}
