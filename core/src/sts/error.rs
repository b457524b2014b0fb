//! Errors from STS, mapped onto what the user can do about them.

use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

/// A problem obtaining credentials from STS.
#[derive(Debug, thiserror::Error)]
pub enum StsError {
    /// The MFA code was wrong, already used, or for another device.
    #[error(
        "STS rejected the MFA code for profile `{profile}` (device {serial}): the code was wrong, expired or already used; wait for the next code and try again"
    )]
    InvalidMfaCode {
        /// The profile.
        profile: String,
        /// The MFA device.
        serial: String,
    },
    /// The signing access key is unknown to AWS or its secret is wrong.
    #[error(
        "AWS rejected the access key used for profile `{profile}` ({code}: {message}); if the key was rotated or deleted, store the current one with `stsvault add {profile}`"
    )]
    InvalidKey {
        /// The profile.
        profile: String,
        /// The STS error code.
        code: String,
        /// STS's message.
        message: String,
    },
    /// The session used to make the call has expired.
    #[error(
        "the session used for profile `{profile}` has expired; run `stsvault clear {profile}` and try again"
    )]
    ExpiredToken {
        /// The profile.
        profile: String,
    },
    /// STS refused the call.
    #[error(
        "STS denied {action} for profile `{profile}`: {message}; check the IAM policies and the profile's settings"
    )]
    AccessDenied {
        /// The profile.
        profile: String,
        /// The STS action.
        action: String,
        /// STS's message.
        message: String,
    },
    /// STS is throttling requests.
    #[error(
        "STS is throttling requests for profile `{profile}` ({message}); wait a moment and try again"
    )]
    Throttled {
        /// The profile.
        profile: String,
        /// STS's message.
        message: String,
    },
    /// STS could not be reached.
    #[error(
        "could not reach STS at {endpoint} for profile `{profile}`: {reason}; check the network and AWS_ENDPOINT_URL / endpoint_url"
    )]
    Network {
        /// The profile.
        profile: String,
        /// The endpoint that was called.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
    /// Any other error STS returned.
    #[error("STS {action} failed for profile `{profile}`: {code}: {message}")]
    Service {
        /// The profile.
        profile: String,
        /// The STS action.
        action: String,
        /// The error code.
        code: String,
        /// STS's message.
        message: String,
    },
    /// The profile gets credentials in a way this version cannot use yet.
    #[error(
        "profile `{profile}` gets its credentials from {step}, which this version of stsvault cannot use yet"
    )]
    Unsupported {
        /// The profile.
        profile: String,
        /// The plan step.
        step: String,
    },
    /// STS answered without credentials.
    #[error("STS {action} for profile `{profile}` returned no credentials")]
    NoCredentials {
        /// The profile.
        profile: String,
        /// The STS action.
        action: String,
    },
}

/// What the mapping needs to know about the call that failed.
pub(crate) struct CallContext<'a> {
    pub profile: &'a str,
    pub action: &'a str,
    pub endpoint: &'a str,
    pub mfa_serial: Option<&'a str>,
}

impl StsError {
    /// Maps an SDK error onto our variants.
    pub(crate) fn from_sdk<E, R>(err: SdkError<E, R>, ctx: &CallContext<'_>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let profile = ctx.profile.to_string();
        match &err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => StsError::Network {
                profile,
                endpoint: ctx.endpoint.to_string(),
                reason: error_chain(&err),
            },
            _ => {
                let code = err.code().unwrap_or("Unknown").to_string();
                let message = err.message().unwrap_or("").trim().to_string();
                match code.as_str() {
                    "AccessDenied" if message.contains("MultiFactorAuthentication") => {
                        StsError::InvalidMfaCode {
                            profile,
                            serial: ctx.mfa_serial.unwrap_or("").to_string(),
                        }
                    }
                    "ExpiredToken" => StsError::ExpiredToken { profile },
                    "InvalidClientTokenId"
                    | "SignatureDoesNotMatch"
                    | "UnrecognizedClientException" => StsError::InvalidKey {
                        profile,
                        code,
                        message,
                    },
                    "AccessDenied" => StsError::AccessDenied {
                        profile,
                        action: ctx.action.to_string(),
                        message,
                    },
                    "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => {
                        StsError::Throttled { profile, message }
                    }
                    "Unknown" if message.is_empty() => StsError::Network {
                        profile,
                        endpoint: ctx.endpoint.to_string(),
                        reason: error_chain(&err),
                    },
                    _ => StsError::Service {
                        profile,
                        action: ctx.action.to_string(),
                        code,
                        message,
                    },
                }
            }
        }
    }
}

/// An error and its sources, joined with ": ".
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.dedup();
    parts.join(": ")
}
