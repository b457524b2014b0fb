//! Signing in with the OAuth device flow: register a public client, start a device
//! authorization, show the user the verification page, then poll CreateToken until they approve.

use super::error::{CallContext, SsoError};
use crate::vault::OidcToken;
use aws_sdk_ssooidc::operation::create_token::CreateTokenError;
use secrecy::SecretString;
use std::time::{Duration, Instant};

const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628: poll every 5 seconds unless told otherwise; `slow_down` adds 5 more.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// Who is signing in, where.
pub(crate) struct SignIn<'a> {
    pub profile: &'a str,
    pub start_url: &'a str,
    pub scopes: Option<&'a str>,
    pub use_stdout: bool,
    pub endpoint: &'a str,
}

/// Runs the device flow to the end and returns the access token.
pub(crate) async fn sign_in(
    client: &aws_sdk_ssooidc::Client,
    s: &SignIn<'_>,
) -> Result<OidcToken, SsoError> {
    let ctx = |action| CallContext {
        profile: s.profile,
        action,
        endpoint: s.endpoint,
    };
    let scopes: Option<Vec<String>> = s.scopes.map(|list| {
        list.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect()
    });
    let registered = client
        .register_client()
        .client_name("stsvault")
        .client_type("public")
        .set_scopes(scopes)
        .send()
        .await
        .map_err(|e| SsoError::from_sdk(&e, &ctx("RegisterClient")))?;
    let missing = |action: &str, field| SsoError::IncompleteResponse {
        profile: s.profile.to_string(),
        action: action.to_string(),
        field,
    };
    let client_id = registered
        .client_id
        .ok_or_else(|| missing("RegisterClient", "clientId"))?;
    let client_secret = registered
        .client_secret
        .ok_or_else(|| missing("RegisterClient", "clientSecret"))?;

    let device = client
        .start_device_authorization()
        .client_id(&client_id)
        .client_secret(&client_secret)
        .start_url(s.start_url)
        .send()
        .await
        .map_err(|e| SsoError::from_sdk(&e, &ctx("StartDeviceAuthorization")))?;
    let device_code = device
        .device_code
        .ok_or_else(|| missing("StartDeviceAuthorization", "deviceCode"))?;
    let page = device
        .verification_uri_complete
        .or(device.verification_uri)
        .ok_or_else(|| missing("StartDeviceAuthorization", "verificationUri"))?;
    show_page(s, &page, device.user_code.as_deref());

    let lifetime = Duration::from_secs(u64::try_from(device.expires_in).unwrap_or(0).max(60));
    let deadline = Instant::now() + lifetime;
    let mut interval = match u64::try_from(device.interval) {
        Ok(secs) if secs > 0 => Duration::from_secs(secs),
        _ => DEFAULT_INTERVAL,
    };
    let expired = || SsoError::SignInExpired {
        profile: s.profile.to_string(),
        start_url: s.start_url.to_string(),
        minutes: lifetime.as_secs().div_ceil(60),
    };
    loop {
        let answer = client
            .create_token()
            .client_id(&client_id)
            .client_secret(&client_secret)
            .grant_type(GRANT_TYPE)
            .device_code(&device_code)
            .send()
            .await;
        match answer {
            Ok(out) => {
                let access_token = out
                    .access_token
                    .ok_or_else(|| missing("CreateToken", "accessToken"))?;
                let expires_in = chrono::Duration::seconds(i64::from(out.expires_in.max(0)));
                return Ok(OidcToken {
                    access_token: SecretString::from(access_token),
                    token_type: out.token_type.unwrap_or_else(|| "Bearer".to_string()),
                    expires_at: chrono::Utc::now() + expires_in,
                    refresh_token: out.refresh_token.map(SecretString::from),
                });
            }
            Err(e) => match e.as_service_error() {
                Some(CreateTokenError::AuthorizationPendingException(_)) => {}
                Some(CreateTokenError::SlowDownException(_)) => interval += SLOW_DOWN_STEP,
                Some(CreateTokenError::AccessDeniedException(_)) => {
                    return Err(SsoError::SignInDenied {
                        profile: s.profile.to_string(),
                        start_url: s.start_url.to_string(),
                    });
                }
                Some(CreateTokenError::ExpiredTokenException(_)) => return Err(expired()),
                _ => return Err(SsoError::from_sdk(&e, &ctx("CreateToken"))),
            },
        }
        if Instant::now() + interval > deadline {
            return Err(expired());
        }
        tokio::time::sleep(interval).await;
    }
}

/// Tells the user where to approve the sign-in, and opens it in a browser unless `--stdout`.
fn show_page(s: &SignIn<'_>, page: &str, user_code: Option<&str>) {
    let code = user_code.map(|c| format!(", code {c}")).unwrap_or_default();
    if s.use_stdout {
        eprintln!(
            "stsvault: to sign in to IAM Identity Center for profile `{}`{code}, open this page in a browser (Ctrl-C to abort):\n{page}",
            s.profile
        );
        return;
    }
    eprintln!(
        "stsvault: opening the IAM Identity Center sign-in page for profile `{}`{code} in your browser (Ctrl-C to abort):\n{page}",
        s.profile
    );
    if let Err(reason) = crate::browser::open(page) {
        eprintln!("stsvault: could not start a browser ({reason}); open the page above by hand");
    }
}
