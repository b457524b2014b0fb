//! The token for AssumeRoleWithWebIdentity: the contents of `web_identity_token_file`, or what
//! `web_identity_token_process` prints (aws-vault's extension), trimmed.

use super::SourceError;
use super::process::run_shell;
use secrecy::SecretString;
use std::path::Path;

/// The token of `profile`, from `file` if given, else from `process`.
pub async fn read_web_identity_token(
    profile: &str,
    file: Option<&Path>,
    process: Option<&str>,
) -> Result<SecretString, SourceError> {
    let bytes = match (file, process) {
        (Some(path), _) => {
            let err = |reason: String| SourceError::TokenFile {
                profile: profile.to_string(),
                path: path.display().to_string(),
                reason,
            };
            zeroize::Zeroizing::new(
                tokio::fs::read(path)
                    .await
                    .map_err(|e| err(e.to_string()))?,
            )
        }
        (None, Some(command)) => {
            run_shell(profile, "web_identity_token_process", command, false).await?
        }
        (None, None) => {
            return Err(SourceError::TokenFile {
                profile: profile.to_string(),
                path: "(none)".into(),
                reason: "neither web_identity_token_file nor web_identity_token_process is set"
                    .into(),
            });
        }
    };
    let token = String::from_utf8_lossy(&bytes).trim().to_string();
    if token.is_empty() {
        return Err(SourceError::TokenFile {
            profile: profile.to_string(),
            path: file
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "the process output".into()),
            reason: "the token is empty".into(),
        });
    }
    Ok(SecretString::from(token))
}
