//! The STS calls stsvault makes, each turning signing credentials into new temporary ones.

use super::client::{StsTarget, sts_client};
use super::error::{CallContext, StsError};
use crate::Credentials;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

fn endpoint_for_errors(target: &StsTarget) -> String {
    target
        .endpoint()
        .unwrap_or_else(|| format!("https://sts.{}.amazonaws.com", target.region()))
}

fn convert(
    creds: Option<aws_sdk_sts::types::Credentials>,
    profile: &str,
    action: &str,
) -> Result<Credentials, StsError> {
    let c = creds.ok_or_else(|| StsError::NoCredentials {
        profile: profile.to_string(),
        action: action.to_string(),
    })?;
    let expiration =
        DateTime::<Utc>::from_timestamp(c.expiration.secs(), c.expiration.subsec_nanos());
    Ok(Credentials {
        access_key_id: c.access_key_id,
        secret_access_key: SecretString::from(c.secret_access_key),
        session_token: Some(SecretString::from(c.session_token)),
        expiration,
    })
}

fn seconds(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
}

/// `GetSessionToken`, with `mfa = Some((serial, code))` when the profile uses MFA.
pub async fn get_session_token(
    profile: &str,
    target: &StsTarget,
    source: &Credentials,
    duration: Duration,
    mfa: Option<(&str, &SecretString)>,
) -> Result<Credentials, StsError> {
    let client = sts_client(target, Some(source));
    let mut req = client
        .get_session_token()
        .duration_seconds(seconds(duration));
    if let Some((serial, code)) = mfa {
        req = req.serial_number(serial).token_code(code.expose_secret());
    }
    let endpoint = endpoint_for_errors(target);
    let ctx = CallContext {
        profile,
        action: "GetSessionToken",
        endpoint: &endpoint,
        mfa_serial: mfa.map(|m| m.0),
    };
    let out = req.send().await.map_err(|e| StsError::from_sdk(e, &ctx))?;
    convert(out.credentials, profile, "GetSessionToken")
}

/// `GetFederationToken` for `name`, with a policy allowing everything the caller may do (what
/// `login` needs when the profile's credentials are an IAM user's own keys).
pub async fn get_federation_token(
    profile: &str,
    target: &StsTarget,
    source: &Credentials,
    name: &str,
    duration: Duration,
) -> Result<Credentials, StsError> {
    const ALLOW_ALL: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let client = sts_client(target, Some(source));
    let endpoint = endpoint_for_errors(target);
    let ctx = CallContext {
        profile,
        action: "GetFederationToken",
        endpoint: &endpoint,
        mfa_serial: None,
    };
    let out = client
        .get_federation_token()
        .name(name)
        .policy(ALLOW_ALL)
        .duration_seconds(seconds(duration))
        .send()
        .await
        .map_err(|e| StsError::from_sdk(e, &ctx))?;
    convert(out.credentials, profile, "GetFederationToken")
}

/// The parameters of an `AssumeRole` call.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleRequest {
    /// The role to assume.
    pub role_arn: String,
    /// The session name (aws-vault's default is a timestamp-based name).
    pub role_session_name: String,
    /// `external_id`.
    pub external_id: Option<String>,
    /// Session duration; STS's default when `None`.
    pub duration: Option<Duration>,
    /// `session_tags`.
    pub session_tags: Vec<(String, String)>,
    /// `transitive_session_tags`.
    pub transitive_session_tags: Vec<String>,
    /// `source_identity`.
    pub source_identity: Option<String>,
}

/// `AssumeRole`, with `mfa = Some((serial, code))` when MFA goes on this call.
pub async fn assume_role(
    profile: &str,
    target: &StsTarget,
    source: &Credentials,
    request: &AssumeRoleRequest,
    mfa: Option<(&str, &SecretString)>,
) -> Result<Credentials, StsError> {
    let client = sts_client(target, Some(source));
    let mut req = client
        .assume_role()
        .role_arn(&request.role_arn)
        .role_session_name(&request.role_session_name)
        .set_external_id(request.external_id.clone())
        .set_duration_seconds(request.duration.map(seconds))
        .set_source_identity(request.source_identity.clone());
    for (key, value) in &request.session_tags {
        let tag = aws_sdk_sts::types::Tag::builder()
            .key(key)
            .value(value)
            .build()
            .map_err(|e| StsError::Service {
                profile: profile.to_string(),
                action: "AssumeRole".into(),
                code: "InvalidSessionTag".into(),
                message: e.to_string(),
            })?;
        req = req.tags(tag);
    }
    for key in &request.transitive_session_tags {
        req = req.transitive_tag_keys(key);
    }
    if let Some((serial, code)) = mfa {
        req = req.serial_number(serial).token_code(code.expose_secret());
    }
    let endpoint = endpoint_for_errors(target);
    let ctx = CallContext {
        profile,
        action: "AssumeRole",
        endpoint: &endpoint,
        mfa_serial: mfa.map(|m| m.0),
    };
    let out = req.send().await.map_err(|e| StsError::from_sdk(e, &ctx))?;
    convert(out.credentials, profile, "AssumeRole")
}

/// Who a set of credentials belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The account id.
    pub account: String,
    /// The caller's ARN.
    pub arn: String,
    /// The caller's unique id.
    pub user_id: String,
}

/// `GetCallerIdentity`.
pub async fn caller_identity(
    profile: &str,
    target: &StsTarget,
    creds: &Credentials,
) -> Result<CallerIdentity, StsError> {
    let client = sts_client(target, Some(creds));
    let endpoint = endpoint_for_errors(target);
    let ctx = CallContext {
        profile,
        action: "GetCallerIdentity",
        endpoint: &endpoint,
        mfa_serial: None,
    };
    let out = client
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| StsError::from_sdk(e, &ctx))?;
    Ok(CallerIdentity {
        account: out.account.unwrap_or_default(),
        arn: out.arn.unwrap_or_default(),
        user_id: out.user_id.unwrap_or_default(),
    })
}

/// `AssumeRoleWithWebIdentity`: unsigned, the OIDC `token` proves who is calling.
pub async fn assume_role_with_web_identity(
    profile: &str,
    target: &StsTarget,
    role_arn: &str,
    role_session_name: &str,
    token: &SecretString,
    duration: Option<Duration>,
) -> Result<Credentials, StsError> {
    let client = sts_client(target, None);
    let endpoint = endpoint_for_errors(target);
    let ctx = CallContext {
        profile,
        action: "AssumeRoleWithWebIdentity",
        endpoint: &endpoint,
        mfa_serial: None,
    };
    let out = client
        .assume_role_with_web_identity()
        .role_arn(role_arn)
        .role_session_name(role_session_name)
        .web_identity_token(token.expose_secret())
        .set_duration_seconds(duration.map(seconds))
        .send()
        .await
        .map_err(|e| StsError::from_sdk(e, &ctx))?;
    convert(out.credentials, profile, "AssumeRoleWithWebIdentity")
}
