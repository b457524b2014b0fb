//! IAM Identity Center (SSO): role credentials for a profile with `sso_start_url` /
//! `[sso-session]`, as aws-vault gets them — an OIDC access token (from the vault while it is
//! good, else from a device-flow sign-in in the browser, then kept in the vault), then the
//! portal's GetRoleCredentials. A cached token the portal no longer accepts is dropped and the
//! user signs in once more.

mod device;
mod error;

pub use crate::vault::OidcToken;
pub use error::SsoError;

use crate::blocking::blocking;
use crate::config::plan::SsoEndpoints;
use crate::{Credentials, Result, Vault};
use aws_sdk_sso::config::{BehaviorVersion, Region};
use aws_sdk_sso::error::ProvideErrorMetadata;
use aws_sdk_sso::operation::get_role_credentials::GetRoleCredentialsError;
use error::CallContext;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

/// One profile's SSO settings.
pub(crate) struct SsoRequest<'a> {
    pub profile: &'a str,
    pub start_url: &'a str,
    pub sso_region: &'a str,
    pub account_id: &'a str,
    pub role_name: &'a str,
    pub registration_scopes: Option<&'a str>,
    pub endpoints: &'a SsoEndpoints,
    pub use_stdout: bool,
}

/// The role credentials for `req`; the access token is read from and kept in `token_cache`
/// when given.
pub(crate) async fn role_credentials(
    req: &SsoRequest<'_>,
    token_cache: Option<Arc<Vault>>,
) -> Result<Credentials> {
    let portal = portal_client(req);
    let portal_endpoint = endpoint_for_errors(req.endpoints.portal.as_deref(), "portal", req);
    let cached = match &token_cache {
        Some(vault) => {
            let (vault, url) = (Arc::clone(vault), req.start_url.to_string());
            blocking(move || Ok(vault.get_oidc_token(&url)?)).await?
        }
        None => None,
    }
    .filter(|t| t.is_usable(chrono::Utc::now()));
    let from_cache = cached.is_some();
    let token = match cached {
        Some(t) => t,
        None => new_token(req, token_cache.as_ref()).await?,
    };
    match get_role_credentials(&portal, req, &token.access_token, &portal_endpoint).await {
        Err(Rejected::Unauthorized) if from_cache => {
            tracing::debug!(
                start_url = req.start_url,
                "cached SSO token refused; signing in again"
            );
            if let Some(vault) = &token_cache {
                let (vault, url) = (Arc::clone(vault), req.start_url.to_string());
                blocking(move || Ok(vault.remove_oidc_token(&url).map(|_| ())?)).await?;
            }
            let token = new_token(req, token_cache.as_ref()).await?;
            get_role_credentials(&portal, req, &token.access_token, &portal_endpoint)
                .await
                .map_err(|r| r.into_error(req).into())
        }
        other => other.map_err(|r| r.into_error(req).into()),
    }
}

/// Signs in and keeps the token in `token_cache`.
async fn new_token(req: &SsoRequest<'_>, token_cache: Option<&Arc<Vault>>) -> Result<OidcToken> {
    let endpoint = endpoint_for_errors(req.endpoints.oidc.as_deref(), "oidc", req);
    let sign_in = device::SignIn {
        profile: req.profile,
        start_url: req.start_url,
        scopes: req.registration_scopes,
        use_stdout: req.use_stdout,
        endpoint: &endpoint,
    };
    let token = device::sign_in(&oidc_client(req), &sign_in).await?;
    if let Some(vault) = token_cache {
        let (vault, url, t) = (Arc::clone(vault), req.start_url.to_string(), token.clone());
        blocking(move || Ok(vault.set_oidc_token(&url, &t)?)).await?;
    }
    Ok(token)
}

/// Why GetRoleCredentials gave nothing.
enum Rejected {
    /// The token is unknown or expired (HTTP 401).
    Unauthorized,
    /// Anything else, already mapped.
    Other(SsoError),
}

impl Rejected {
    fn into_error(self, req: &SsoRequest<'_>) -> SsoError {
        match self {
            Rejected::Unauthorized => SsoError::Unauthorized {
                profile: req.profile.to_string(),
                start_url: req.start_url.to_string(),
            },
            Rejected::Other(e) => e,
        }
    }
}

async fn get_role_credentials(
    portal: &aws_sdk_sso::Client,
    req: &SsoRequest<'_>,
    access_token: &SecretString,
    endpoint: &str,
) -> Result<Credentials, Rejected> {
    let out = portal
        .get_role_credentials()
        .account_id(req.account_id)
        .role_name(req.role_name)
        .access_token(access_token.expose_secret())
        .send()
        .await
        .map_err(|e| match e.as_service_error() {
            Some(GetRoleCredentialsError::UnauthorizedException(_)) => Rejected::Unauthorized,
            // The portal answers 403 ForbiddenException ("No access"), which the API model
            // does not list; a role that does not exist is ResourceNotFoundException.
            Some(se)
                if matches!(
                    se.code(),
                    Some("ForbiddenException" | "ResourceNotFoundException")
                ) =>
            {
                Rejected::Other(SsoError::NoAccess {
                    profile: req.profile.to_string(),
                    account_id: req.account_id.to_string(),
                    role_name: req.role_name.to_string(),
                    message: se.message().unwrap_or("no access").to_string(),
                })
            }
            _ => Rejected::Other(SsoError::from_sdk(
                &e,
                &CallContext {
                    profile: req.profile,
                    action: "GetRoleCredentials",
                    endpoint,
                },
            )),
        })?;
    let incomplete = |field| {
        Rejected::Other(SsoError::IncompleteResponse {
            profile: req.profile.to_string(),
            action: "GetRoleCredentials".to_string(),
            field,
        })
    };
    let rc = out
        .role_credentials
        .ok_or_else(|| incomplete("roleCredentials"))?;
    let (Some(id), Some(secret), Some(token)) =
        (rc.access_key_id, rc.secret_access_key, rc.session_token)
    else {
        return Err(incomplete("accessKeyId, secretAccessKey or sessionToken"));
    };
    tracing::debug!(
        key = %crate::cache::display_key_id(&id),
        role = req.role_name,
        account = req.account_id,
        "got SSO role credentials"
    );
    Ok(Credentials {
        access_key_id: id,
        secret_access_key: SecretString::from(secret),
        session_token: Some(SecretString::from(token)),
        expiration: chrono::DateTime::from_timestamp_millis(rc.expiration),
    })
}

fn oidc_client(req: &SsoRequest<'_>) -> aws_sdk_ssooidc::Client {
    let mut b = aws_sdk_ssooidc::Config::builder()
        .behavior_version(aws_sdk_ssooidc::config::BehaviorVersion::latest())
        .region(aws_sdk_ssooidc::config::Region::new(
            req.sso_region.to_string(),
        ));
    if let Some(url) = req.endpoints.oidc.as_deref() {
        b = b.endpoint_url(url);
    }
    aws_sdk_ssooidc::Client::from_conf(b.build())
}

fn portal_client(req: &SsoRequest<'_>) -> aws_sdk_sso::Client {
    let mut b = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(req.sso_region.to_string()))
        .retry_config(crate::sts::retry_config());
    if let Some(url) = req.endpoints.portal.as_deref() {
        b = b.endpoint_url(url);
    }
    aws_sdk_sso::Client::from_conf(b.build())
}

/// The endpoint named in error messages: the explicit one, else the regional default.
fn endpoint_for_errors(explicit: Option<&str>, service: &str, req: &SsoRequest<'_>) -> String {
    explicit
        .map(String::from)
        .unwrap_or_else(|| format!("https://{service}.{}.amazonaws.com", req.sso_region))
}
