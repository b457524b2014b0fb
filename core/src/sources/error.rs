//! Errors of the external credential sources.

/// A problem running a `credential_process` or reading a web identity token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The command could not be started or exited with an error.
    #[error(
        "the {setting} of profile `{profile}` failed: {reason}; run the command yourself to see why, or fix `{setting}` in the AWS config"
    )]
    CommandFailed {
        /// The profile.
        profile: String,
        /// `credential_process` or `web_identity_token_process`.
        setting: &'static str,
        /// What went wrong (exit status and the command's stderr).
        reason: String,
    },
    /// The command's output is not credential_process JSON.
    #[error(
        "the credential_process of profile `{profile}` printed something that is not credential_process JSON ({reason}); it must print {{\"Version\": 1, \"AccessKeyId\": …, \"SecretAccessKey\": …}}"
    )]
    BadProcessOutput {
        /// The profile.
        profile: String,
        /// What is wrong (never the output itself, which may hold secrets).
        reason: String,
    },
    /// Plain keys the profile relies on are not there (any more).
    #[error(
        "profile `{profile}` takes its keys from {place}, but aws_access_key_id / aws_secret_access_key (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment) are not both set there; set them, or store keys with `stsvault add {profile}`"
    )]
    MissingStaticKeys {
        /// The profile.
        profile: String,
        /// Where the keys were looked for.
        place: String,
    },
    /// The credentials the command printed have already expired.
    #[error(
        "the credential_process of profile `{profile}` returned credentials that expired at {expiration}; make it return fresh ones"
    )]
    ExpiredProcessCredentials {
        /// The profile.
        profile: String,
        /// When they expired.
        expiration: String,
    },
    /// The web identity token file cannot be read or is empty.
    #[error(
        "cannot read the web identity token of profile `{profile}` from {path}: {reason}; check `web_identity_token_file` (or AWS_WEB_IDENTITY_TOKEN_FILE)"
    )]
    TokenFile {
        /// The profile.
        profile: String,
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}
