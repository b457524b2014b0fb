//! Errors from IAM Identity Center (SSO), mapped onto what the user can do about them.

use aws_sdk_sso::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// A problem obtaining credentials through IAM Identity Center.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The sign-in request was denied in the browser.
    #[error(
        "the IAM Identity Center sign-in for profile `{profile}` ({start_url}) was denied in the browser; run the command again and choose Allow"
    )]
    SignInDenied {
        /// The profile.
        profile: String,
        /// `sso_start_url`.
        start_url: String,
    },
    /// Nobody approved the sign-in before the device code expired.
    #[error(
        "nobody approved the IAM Identity Center sign-in for profile `{profile}` ({start_url}) within {minutes} minutes; run the command again and approve the request in the browser"
    )]
    SignInExpired {
        /// The profile.
        profile: String,
        /// `sso_start_url`.
        start_url: String,
        /// How long the request was open.
        minutes: u64,
    },
    /// The portal does not give the signed-in user this role.
    #[error(
        "IAM Identity Center gives your user no access to role `{role_name}` in account {account_id} (profile `{profile}`: {message}); check `sso_account_id` and `sso_role_name`, or ask an administrator to assign the permission set"
    )]
    NoAccess {
        /// The profile.
        profile: String,
        /// `sso_account_id`.
        account_id: String,
        /// `sso_role_name`.
        role_name: String,
        /// The portal's message.
        message: String,
    },
    /// The portal rejected a freshly issued access token.
    #[error(
        "IAM Identity Center rejected the access token it just issued for profile `{profile}` ({start_url}); check that `sso_region` is the region of that start URL"
    )]
    Unauthorized {
        /// The profile.
        profile: String,
        /// `sso_start_url`.
        start_url: String,
    },
    /// The OIDC or portal service could not be reached.
    #[error(
        "could not reach IAM Identity Center at {endpoint} for profile `{profile}`: {reason}; check the network, `sso_region` and AWS_ENDPOINT_URL / endpoint_url"
    )]
    Network {
        /// The profile.
        profile: String,
        /// The endpoint that was called.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
    /// Any other error the service returned.
    #[error(
        "IAM Identity Center {action} failed for profile `{profile}`: {code}: {message}; check `sso_start_url`, `sso_region` and the `[sso-session]`"
    )]
    Service {
        /// The profile.
        profile: String,
        /// The API action.
        action: String,
        /// The error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// The service answered without a field it always sends.
    #[error("IAM Identity Center {action} for profile `{profile}` answered without {field}")]
    IncompleteResponse {
        /// The profile.
        profile: String,
        /// The API action.
        action: String,
        /// The missing field.
        field: &'static str,
    },
}

/// What the mapping needs to know about the call that failed.
pub(crate) struct CallContext<'a> {
    pub profile: &'a str,
    pub action: &'a str,
    pub endpoint: &'a str,
}

impl SsoError {
    /// Maps an SDK error onto [`SsoError::Network`] or [`SsoError::Service`]; callers match the
    /// codes they treat specially before calling this.
    pub(crate) fn from_sdk<E, R>(err: &SdkError<E, R>, ctx: &CallContext<'_>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let network = || SsoError::Network {
            profile: ctx.profile.to_string(),
            endpoint: ctx.endpoint.to_string(),
            reason: crate::sts::error_chain(err),
        };
        match err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => network(),
            _ => match (err.code(), err.message()) {
                (None, None) => network(),
                (code, message) => SsoError::Service {
                    profile: ctx.profile.to_string(),
                    action: ctx.action.to_string(),
                    code: code.unwrap_or("Unknown").to_string(),
                    message: message.unwrap_or("").trim().to_string(),
                },
            },
        }
    }
}
