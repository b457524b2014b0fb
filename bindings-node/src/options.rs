//! The options object every entry point takes, turned into core's [`OpenOptions`]. Whatever is
//! left out follows aws-vault's environment variables, as the `stsvault` command does.

use crate::errors::Failure;
use napi_derive::napi;
use secrecy::SecretString;
use std::path::PathBuf;
use std::time::Duration;
use stsvault::embed::OpenOptions;

/// Where credentials come from (all optional; camelCase in JS).
#[napi(object)]
#[derive(Default)]
pub struct Options {
    /// The vault backend (`file`, `secret-service`, `kwallet`, `keyctl`, `pass`, …); else
    /// `AWS_VAULT_BACKEND`, else the platform's default.
    pub backend: Option<String>,
    /// The AWS config file; else `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub config_file: Option<String>,
    /// The file backend's directory; else `AWS_VAULT_FILE_DIR`, else `~/.awsvault/keys`.
    pub file_dir: Option<String>,
    /// The file backend's passphrase; else `AWS_VAULT_FILE_PASSPHRASE`, else the one another
    /// stsvault process cached (`STSVAULT_PASSPHRASE_CACHE`), else asked on the terminal.
    pub file_passphrase: Option<String>,
    /// The region, over the profile's.
    pub region: Option<String>,
    /// The session duration in seconds, over the profile's `duration_seconds`.
    pub duration_seconds: Option<f64>,
    /// Use the stored keys without a GetSessionToken session.
    pub no_session: Option<bool>,
    /// An MFA code to use instead of asking.
    pub mfa_code: Option<String>,
}

impl Options {
    /// Core's options for these, without a prompt.
    pub fn to_open_options(&self) -> Result<OpenOptions, Failure> {
        let duration = match self.duration_seconds {
            Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
            Some(s) => {
                return Err(Failure::new(
                    "ConfigError",
                    format!("durationSeconds must be a positive number of seconds, not {s}"),
                ));
            }
            None => None,
        };
        let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        Ok(OpenOptions {
            backend: nonempty(&self.backend),
            file_dir: nonempty(&self.file_dir).map(PathBuf::from),
            file_passphrase: self.file_passphrase.clone().map(SecretString::from),
            config_file: nonempty(&self.config_file).map(PathBuf::from),
            region: nonempty(&self.region),
            duration,
            no_session: self.no_session.unwrap_or(false),
            mfa_code: nonempty(&self.mfa_code).map(SecretString::from),
            prompt: None,
        })
    }
}
