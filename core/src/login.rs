//! The AWS Management Console sign-in URL for a profile, as aws-vault's `login` builds it:
//! role (or SSO, or web identity) credentials go to the federation endpoint as they are; an IAM
//! user's own keys first become a GetFederationToken session, since the endpoint takes only
//! role and federated sessions. The endpoint answers a sign-in token, which goes into the URL.

use crate::config::plan::Plan;
use crate::config::{Config, ProfileConfig, ResolveOptions};
use crate::provider::CredentialsProvider;
use crate::sts::{StsTarget, caller_identity, get_federation_token};
use crate::{Credentials, Result};
use secrecy::ExposeSecret;
use std::time::Duration;
use zeroize::Zeroizing;

/// `STSVAULT_FEDERATION_URL` replaces the federation endpoint (for tests and private partitions).
pub const FEDERATION_URL_VAR: &str = "STSVAULT_FEDERATION_URL";

/// A problem building the sign-in URL.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The federation endpoint refused the session or answered nonsense.
    #[error(
        "the console federation endpoint {endpoint} refused the credentials of {whose} (HTTP {status}); `login` needs a role, SSO or federated session — give the profile a role_arn, or store an IAM user's own keys"
    )]
    Refused {
        /// Whose credentials: a profile, or the environment.
        whose: String,
        /// The endpoint.
        endpoint: String,
        /// The HTTP status.
        status: u16,
    },
    /// The endpoint could not be reached or its answer read.
    #[error(
        "could not get a sign-in token from {endpoint} for {whose}: {reason}; check the network (or {FEDERATION_URL_VAR})"
    )]
    Unreachable {
        /// Whose credentials: a profile, or the environment.
        whose: String,
        /// The endpoint.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
    /// `login` without a profile, and no keys in the environment.
    #[error(
        "no profile given, and no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment; run `stsvault login PROFILE`, or set the keys"
    )]
    NoEnvironmentKeys,
}

/// Where the console URL points.
#[derive(Debug, Clone, Default)]
pub struct LoginOptions {
    /// `--path`: a console page, e.g. `cloudformation/home`.
    pub path: Option<String>,
    /// `--duration` for a GetFederationToken session (when `None`, the profile's
    /// `AWS_FEDERATION_TOKEN_TTL`, else 1 hour).
    pub duration: Option<Duration>,
    /// `--auto-logout`: a link that first signs the browser out of the console session it has
    /// (the console refuses a second sign-in otherwise), then in with this one. Works in the
    /// `aws` partition only; elsewhere the plain link is made, with a warning.
    pub auto_logout: bool,
}

/// The console's sign-out endpoint; it sends the browser on to `redirect_uri` afterwards.
/// Only us-east-1's sign-in host honours the redirect.
const SIGN_OUT_URL: &str = "https://us-east-1.signin.aws.amazon.com/oauth?Action=logout";

/// The console sign-in URL for `provider`'s profile. Build the provider with
/// `PlanOptions { disable_sessions_for_profile: Some(profile), .. }` so the profile's own keys
/// are not turned into a GetSessionToken session, which the console cannot use.
pub async fn login_url(
    provider: &CredentialsProvider,
    options: &LoginOptions,
) -> Result<Zeroizing<String>> {
    let profile = provider.profile().to_string();
    let config = provider.profile_config()?;
    let plan = provider.plan()?;
    let creds = provider.credentials().await?;
    let role_session = matches!(
        plan,
        Plan::AssumeRole { .. } | Plan::Sso { .. } | Plan::AssumeRoleWithWebIdentity { .. }
    );
    let source = Source {
        name: &profile,
        described: format!("profile `{profile}`"),
    };
    url_for(&source, creds, role_session, &config, options).await
}

/// The console sign-in URL for the keys in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and
/// `AWS_SESSION_TOKEN`) of `opts.env`, as `login` without a profile does; the region and STS
/// endpoint also come from the environment and `opts.overrides`.
pub async fn login_url_from_environment(
    opts: &ResolveOptions,
    options: &LoginOptions,
) -> Result<Zeroizing<String>> {
    let Some(creds) = opts.env.static_credentials() else {
        return Err(LoginError::NoEnvironmentKeys.into());
    };
    let config = Config::resolve_environment_only(opts)?;
    let source = Source {
        name: "stsvault",
        described: "the keys in AWS_ACCESS_KEY_ID".to_string(),
    };
    url_for(&source, creds, false, &config, options).await
}

/// Whose credentials a URL is built from, for the federated user's name and for messages.
struct Source<'a> {
    /// A profile name, or a stand-in.
    name: &'a str,
    /// "profile `x`", or where the keys came from.
    described: String,
}

/// Turns `creds` into a console session unless they are one already (`role_session`, or an
/// assumed-role ARN says so), then asks the federation endpoint for a sign-in token.
async fn url_for(
    source: &Source<'_>,
    mut creds: Credentials,
    role_session: bool,
    config: &ProfileConfig,
    options: &LoginOptions,
) -> Result<Zeroizing<String>> {
    let target = StsTarget::for_profile(config);
    if !role_session
        && !caller_identity(source.name, &target, &creds)
            .await?
            .arn
            .contains(":assumed-role/")
    {
        tracing::debug!("creating a federated session for the console");
        // `--duration` (or AWS_VAULT_DURATION), else AWS_FEDERATION_TOKEN_TTL, else 1 hour.
        let duration = options
            .duration
            .filter(|d| !d.is_zero())
            .or(Some(config.federation_token_duration).filter(|d| !d.is_zero()))
            .unwrap_or(Duration::from_secs(3600));
        creds = get_federation_token(
            source.name,
            &target,
            &creds,
            &federation_name(source.name),
            duration,
        )
        .await?;
    }
    let region = config.region.as_deref().filter(|r| !r.is_empty());
    let partition = region.map_or(Partition::Aws, Partition::of);
    let sign_out = options.auto_logout && partition == Partition::Aws;
    if options.auto_logout && !sign_out {
        tracing::warn!(
            "--auto-logout works only in the `aws` partition's console; region {} is in another, so this link signs in without signing out first",
            region.unwrap_or_default()
        );
    }
    let (prefix, destination) = console_urls(region, options.path.as_deref(), sign_out);
    let prefix = std::env::var(FEDERATION_URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or(prefix);
    let token = Zeroizing::new(signin_token(&source.described, &prefix, &creds).await?);
    let sign_in = Zeroizing::new(format!(
        "{prefix}?Action=login&Issuer=stsvault&Destination={}&SigninToken={}",
        query_escape(&destination),
        Zeroizing::new(query_escape(&token)).as_str()
    ));
    if !sign_out {
        return Ok(sign_in);
    }
    // The sign-in link, whole and escaped once more, is where the sign-out page goes next.
    Ok(Zeroizing::new(format!(
        "{SIGN_OUT_URL}&redirect_uri={}",
        Zeroizing::new(query_escape(&sign_in)).as_str()
    )))
}

/// A federated user name: the profile name cut to what STS accepts (2–32 of `\w+=,.@-`).
fn federation_name(profile: &str) -> String {
    let mut name: String = profile
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
        .take(32)
        .collect();
    while name.len() < 2 {
        name.push('-');
    }
    name
}

/// An AWS partition, as far as the console cares: which sign-in and console hosts it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-cn`: `cn-*` regions.
    China,
    /// `aws-us-gov`: `us-gov-*` regions.
    GovCloud,
    /// `aws-eusc`: the European Sovereign Cloud's `eusc-*` regions.
    EuSovereign,
}

impl Partition {
    fn of(region: &str) -> Self {
        if region.starts_with("cn-") {
            Partition::China
        } else if region.starts_with("us-gov-") {
            Partition::GovCloud
        } else if region.starts_with("eusc-") {
            Partition::EuSovereign
        } else {
            Partition::Aws
        }
    }

    /// The sign-in host and the console domain.
    fn hosts(self) -> (&'static str, &'static str) {
        match self {
            Partition::Aws => ("signin.aws.amazon.com", "console.aws.amazon.com"),
            Partition::China => ("signin.amazonaws.cn", "console.amazonaws.cn"),
            Partition::GovCloud => (
                "signin.amazonaws-us-gov.com",
                "console.amazonaws-us-gov.com",
            ),
            Partition::EuSovereign => ("signin.amazonaws-eusc.eu", "console.amazonaws-eusc.eu"),
        }
    }
}

/// The federation endpoint and the console page for `region` (the partition follows from it).
/// With `sign_out`, the commercial partition's endpoint is us-east-1's, where the sign-out
/// page sends the browser on (and whose session it ends).
fn console_urls(region: Option<&str>, path: Option<&str>, sign_out: bool) -> (String, String) {
    let signin_host = |partition: Partition| match (partition, sign_out) {
        (Partition::Aws, true) => "us-east-1.signin.aws.amazon.com",
        (p, _) => p.hosts().0,
    };
    let Some(region) = region.filter(|r| !r.is_empty()) else {
        return (
            format!("https://{}/federation", signin_host(Partition::Aws)),
            "https://console.aws.amazon.com/".into(),
        );
    };
    let partition = Partition::of(region);
    let console = partition.hosts().1;
    let page = path.filter(|p| !p.is_empty()).unwrap_or("console/home");
    (
        format!("https://{}/federation", signin_host(partition)),
        format!("https://{region}.{console}/{page}?region={region}"),
    )
}

async fn signin_token(source: &str, prefix: &str, creds: &Credentials) -> Result<String> {
    let session = Zeroizing::new(
        serde_json::json!({
            "sessionId": creds.access_key_id,
            "sessionKey": creds.secret_access_key.expose_secret(),
            "sessionToken": creds.session_token_str().unwrap_or_default(),
        })
        .to_string(),
    );
    let url = Zeroizing::new(format!(
        "{prefix}?Action=getSigninToken&Session={}",
        query_escape(&session)
    ));
    let unreachable = |reason: String| LoginError::Unreachable {
        whose: source.to_string(),
        endpoint: prefix.to_string(),
        reason,
    };
    let (status, body) = crate::http::get(&url).await.map_err(unreachable)?;
    if status != 200 {
        return Err(LoginError::Refused {
            whose: source.to_string(),
            endpoint: prefix.to_string(),
            status,
        }
        .into());
    }
    let answer: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| unreachable(format!("the answer is not JSON: {e}")))?;
    answer["SigninToken"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| unreachable("the answer has no SigninToken".into()).into())
}

/// Percent-encodes everything but unreserved characters (RFC 3986), as a query value.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_urls_follow_the_partition_and_path() {
        assert_eq!(
            console_urls(None, None, false),
            (
                "https://signin.aws.amazon.com/federation".to_string(),
                "https://console.aws.amazon.com/".to_string()
            )
        );
        assert_eq!(
            console_urls(Some("cn-north-1"), Some("s3/home"), false).1,
            "https://cn-north-1.console.amazonaws.cn/s3/home?region=cn-north-1"
        );
        assert_eq!(
            console_urls(Some("us-gov-west-1"), None, false).0,
            "https://signin.amazonaws-us-gov.com/federation"
        );
        assert_eq!(
            console_urls(Some("eusc-de-east-1"), None, false),
            (
                "https://signin.amazonaws-eusc.eu/federation".to_string(),
                "https://eusc-de-east-1.console.amazonaws-eusc.eu/console/home?region=eusc-de-east-1"
                    .to_string()
            )
        );
    }

    #[test]
    fn signing_out_first_uses_us_east_1s_sign_in_host() {
        assert_eq!(
            console_urls(Some("eu-west-1"), None, true).0,
            "https://us-east-1.signin.aws.amazon.com/federation"
        );
        assert_eq!(
            console_urls(None, None, true).0,
            "https://us-east-1.signin.aws.amazon.com/federation"
        );
        assert_eq!(Partition::of("cn-northwest-1"), Partition::China);
        assert_eq!(Partition::of("eu-central-2"), Partition::Aws);
    }

    #[test]
    fn names_and_escaping() {
        assert_eq!(federation_name("p"), "p-");
        assert_eq!(federation_name("prod/admin!x"), "prodadminx");
        assert_eq!(query_escape("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
