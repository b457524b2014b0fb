//! `credential_process`: run the command through the shell and read the version 1 JSON it
//! prints (`Version`, `AccessKeyId`, `SecretAccessKey`, optional `SessionToken` and
//! `Expiration`), as the AWS SDKs do.

use super::SourceError;
use crate::Credentials;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::process::Stdio;
use zeroize::Zeroizing;

/// The JSON a `credential_process` prints.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessCredentials {
    /// Must be 1.
    pub version: u32,
    /// The access key id.
    pub access_key_id: String,
    /// The secret key.
    pub secret_access_key: Zeroizing<String>,
    /// The session token, for temporary credentials.
    #[serde(default)]
    pub session_token: Option<Zeroizing<String>>,
    /// When temporary credentials expire (RFC 3339).
    #[serde(default)]
    pub expiration: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for ProcessCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl ProcessCredentials {
    /// Parses the output of `profile`'s process; the error never quotes it.
    pub fn parse(profile: &str, output: &[u8]) -> Result<Credentials, SourceError> {
        let bad = |reason: String| SourceError::BadProcessOutput {
            profile: profile.to_string(),
            reason,
        };
        let parsed: ProcessCredentials = serde_json::from_slice(output).map_err(|e| {
            bad(format!(
                "{} at line {}, column {}",
                match e.classify() {
                    serde_json::error::Category::Data => "a field is missing or has the wrong type",
                    _ => "not valid JSON",
                },
                e.line(),
                e.column()
            ))
        })?;
        if parsed.version != 1 {
            return Err(bad(format!("Version is {}, not 1", parsed.version)));
        }
        if parsed.access_key_id.is_empty() || parsed.secret_access_key.is_empty() {
            return Err(bad("AccessKeyId or SecretAccessKey is empty".into()));
        }
        if let Some(exp) = parsed.expiration.filter(|e| *e <= Utc::now()) {
            return Err(SourceError::ExpiredProcessCredentials {
                profile: profile.to_string(),
                expiration: exp.to_rfc3339(),
            });
        }
        Ok(Credentials {
            access_key_id: parsed.access_key_id.clone(),
            secret_access_key: parsed.secret_access_key.to_string().into(),
            session_token: parsed
                .session_token
                .as_ref()
                .filter(|t| !t.is_empty())
                .map(|t| t.to_string().into()),
            expiration: parsed.expiration,
        })
    }
}

/// Runs `command` through the shell (`/bin/sh -c`, `cmd.exe /c` on Windows; stdin and stderr
/// the caller's, so it can prompt) and returns the credentials it prints.
pub async fn run_credential_process(
    profile: &str,
    command: &str,
) -> Result<Credentials, SourceError> {
    let out = run_shell(profile, "credential_process", command, true).await?;
    ProcessCredentials::parse(profile, &out)
}

/// Runs `command` through the shell and returns its stdout; a failure names `setting`.
pub(crate) async fn run_shell(
    profile: &str,
    setting: &'static str,
    command: &str,
    interactive: bool,
) -> Result<Zeroizing<Vec<u8>>, SourceError> {
    let failed = |reason: String| SourceError::CommandFailed {
        profile: profile.to_string(),
        setting,
        reason,
    };
    let mut cmd = tokio::process::Command::from(crate::child::shell_command(command));
    cmd.stdout(Stdio::piped());
    if interactive {
        cmd.stdin(Stdio::inherit()).stderr(Stdio::inherit());
    } else {
        cmd.stdin(Stdio::null()).stderr(Stdio::piped());
    }
    let out = cmd
        .output()
        .await
        .map_err(|e| failed(format!("`{command}` could not be started: {e}")))?;
    let stdout = Zeroizing::new(out.stdout);
    if !out.status.success() {
        return Err(failed(format!(
            "`{command}` {}",
            crate::child::exit_failure(out.status, &out.stderr)
        )));
    }
    Ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn parses_version_1_output() {
        let c = ProcessCredentials::parse(
            "p",
            br#"{"Version":1,"AccessKeyId":"ASIA1","SecretAccessKey":"s","SessionToken":"t","Expiration":"2999-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(c.access_key_id, "ASIA1");
        assert_eq!(c.secret_access_key.expose_secret(), "s");
        assert_eq!(c.session_token_str(), Some("t"));
        assert!(c.expiration.is_some());
        let long_term = ProcessCredentials::parse(
            "p",
            br#"{"Version":1,"AccessKeyId":"AKIA1","SecretAccessKey":"s"}"#,
        )
        .unwrap();
        assert!(!long_term.is_temporary());
    }

    #[test]
    fn bad_output_is_explained_without_quoting_it() {
        for (out, want) in [
            (&b"SECRET-not-json"[..], "not valid JSON"),
            (
                br#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"SECRET"}"#,
                "Version is 2",
            ),
            (br#"{"Version":1,"SecretAccessKey":"SECRET"}"#, "missing"),
        ] {
            let err = ProcessCredentials::parse("prod", out)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want) && err.contains("`prod`"), "{err}");
            assert!(!err.contains("SECRET"), "{err}");
        }
        let err = ProcessCredentials::parse(
            "prod",
            br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","SessionToken":"t","Expiration":"2000-01-01T00:00:00Z"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(err, SourceError::ExpiredProcessCredentials { .. }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn runs_through_the_shell_and_reports_failures() {
        let c = run_credential_process(
            "p",
            r#"printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"x"}' "$((40+2))""#,
        )
        .await
        .unwrap();
        assert_eq!(c.access_key_id, "42");
        let err = run_shell("p", "credential_process", "echo oops >&2; exit 3", false)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("exit status: 3") && err.contains("oops"),
            "{err}"
        );
    }
}
