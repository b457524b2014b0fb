//! [`Config`]: the two AWS config files, located the way aws-vault and the AWS CLI locate them,
//! parsed, and looked up by profile name.

use std::path::{Path, PathBuf};

use super::ConfigError;
use super::env::EnvVars;
use super::ini::{IniFile, Property, Section};

/// The settings aws-vault knows in a profile section. `[default]` counts as a listed profile only
/// when it sets one of them (a `[default]` with just `output = json` is not shown), as in
/// aws-vault.
const PROFILE_KEYS: &[&str] = &[
    "mfa_serial",
    "role_arn",
    "external_id",
    "region",
    "role_session_name",
    "duration_seconds",
    "source_profile",
    "include_profile",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
    "web_identity_token_file",
    "web_identity_token_process",
    "sts_regional_endpoints",
    "session_tags",
    "transitive_session_tags",
    "source_identity",
    "credential_process",
    "mfa_process",
];

/// The parsed contents of `~/.aws/config` and `~/.aws/credentials`.
#[derive(Debug, Clone)]
pub struct Config {
    pub(super) config: IniFile,
    pub(super) credentials: IniFile,
    /// The config file's text, kept for in-place edits of a config built from strings.
    pub(super) config_text: String,
    /// Built by [`Config::from_strs`]: edits stay in memory, nothing is written.
    pub(super) in_memory: bool,
}

/// The section(s) of one profile in the config file, highest precedence first: for `default`,
/// `[profile default]` then `[default]`; otherwise `[profile NAME]`.
#[derive(Debug, Clone, Copy)]
pub(super) struct ProfileView<'a> {
    sections: [Option<&'a Section>; 2],
}

impl<'a> ProfileView<'a> {
    /// The first non-empty value for `key`, with the section it is in.
    pub(super) fn get(&self, key: &str) -> Option<(&'a Property, &'a Section)> {
        self.sections
            .iter()
            .flatten()
            .find_map(|s| s.get(key).filter(|p| !p.value.is_empty()).map(|p| (p, *s)))
    }

    /// The first non-empty value for `key`.
    pub(super) fn value(&self, key: &str) -> Option<&'a str> {
        self.get(key).map(|(p, _)| p.value.as_str())
    }

    /// Whether any section exists.
    pub(super) fn exists(&self) -> bool {
        self.sections.iter().any(Option::is_some)
    }
}

impl Config {
    /// Loads the files named by `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`, else
    /// `~/.aws/config` and `~/.aws/credentials`. A missing file reads as empty.
    pub fn load() -> Result<Config, ConfigError> {
        Self::load_with_env(&EnvVars::from_process())
    }

    /// [`Config::load`] with an explicit environment.
    pub fn load_with_env(env: &EnvVars) -> Result<Config, ConfigError> {
        let (config, credentials) = default_paths(env)?;
        Self::from_paths(&config, &credentials)
    }

    /// Loads the given files; a missing file reads as empty.
    pub fn from_paths(config: &Path, credentials: &Path) -> Result<Config, ConfigError> {
        let config_text = read_optional(config)?;
        let credentials_text = read_optional(credentials)?;
        Ok(Config {
            config: IniFile::parse(config, &config_text)?,
            credentials: IniFile::parse(credentials, &credentials_text)?,
            config_text,
            in_memory: false,
        })
    }

    /// Parses the given texts (for tests); error messages name `~/.aws/config` and
    /// `~/.aws/credentials`, and [`Config::add_profile`] edits only the in-memory copy.
    pub fn from_strs(config: &str, credentials: &str) -> Result<Config, ConfigError> {
        let config_path = Path::new("~/.aws/config");
        let credentials_path = Path::new("~/.aws/credentials");
        Ok(Config {
            config: IniFile::parse(config_path, config)?,
            credentials: IniFile::parse(credentials_path, credentials)?,
            config_text: config.to_string(),
            in_memory: true,
        })
    }

    /// The config file's path.
    pub fn config_path(&self) -> &Path {
        &self.config.path
    }

    /// The credentials file's path.
    pub fn credentials_path(&self) -> &Path {
        &self.credentials.path
    }

    /// The profiles in the config file, sorted, without duplicates (`[default]` only when it
    /// sets a profile setting, as `aws-vault list` shows them).
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .config
            .sections
            .iter()
            .filter_map(|s| profile_name_of(&s.header))
            .filter(|name| *name != "default" || self.default_is_set())
            .map(str::to_string)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Whether the config file has a section for this profile (`[profile NAME]`; for
    /// `default` also `[default]`).
    pub fn has_profile(&self, name: &str) -> bool {
        self.profile_view(name).exists()
    }

    /// The sections of the credentials file (each `[NAME]` is a profile with plain-text keys).
    pub fn credentials_profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .credentials
            .sections
            .iter()
            .map(|s| s.header.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// A setting of a profile in the credentials file (e.g. `aws_access_key_id`), for importing
    /// keys into the vault.
    pub fn credentials_value(&self, profile: &str, key: &str) -> Option<&str> {
        self.credentials
            .section(profile)
            .and_then(|s| s.value(&key.to_ascii_lowercase()))
    }

    /// Whether the credentials file has a key pair for `profile` (usable as its keys when the
    /// vault has none, as the AWS CLI and SDKs use them).
    pub fn has_file_keys(&self, profile: &str) -> bool {
        self.credentials_value(profile, "aws_access_key_id")
            .is_some()
            && self
                .credentials_value(profile, "aws_secret_access_key")
                .is_some()
    }

    /// A setting of a profile exactly as written in its own section (no include, default or
    /// environment), e.g. `source_profile` for `add`'s check.
    pub fn profile_value(&self, profile: &str, key: &str) -> Option<&str> {
        self.profile_view(profile).value(&key.to_ascii_lowercase())
    }

    pub(super) fn profile_view(&self, name: &str) -> ProfileView<'_> {
        let own = self.config.section(&format!("profile {name}"));
        let plain_default = if name == "default" {
            self.config.section("default")
        } else {
            None
        };
        ProfileView {
            sections: [own, plain_default],
        }
    }

    pub(super) fn sso_session_section(&self, name: &str) -> Option<&Section> {
        self.config.section(&format!("sso-session {name}"))
    }

    fn default_is_set(&self) -> bool {
        let view = self.profile_view("default");
        PROFILE_KEYS.iter().any(|k| view.value(k).is_some())
    }
}

/// The profile a config-file section header names: `default` for `[default]`, `NAME` for
/// `[profile NAME]`; `None` for `[sso-session x]`, `[services x]`, `[DEFAULT]` and others.
fn profile_name_of(header: &str) -> Option<&str> {
    if header == "default" {
        return Some("default");
    }
    header.strip_prefix("profile ")
}

/// `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else under `~/.aws/` (the home
/// directory of [`crate::home`]).
fn default_paths(env: &EnvVars) -> Result<(PathBuf, PathBuf), ConfigError> {
    let home = || {
        crate::home::home_dir_from(|name| env.get(name).map(Into::into))
            .map(|h| h.join(".aws"))
            .ok_or(ConfigError::NoHomeDirectory)
    };
    let config = match env.get("AWS_CONFIG_FILE") {
        Some(p) => PathBuf::from(p),
        None => home()?.join("config"),
    };
    let credentials = match env.get("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) => PathBuf::from(p),
        None => home()?.join("credentials"),
    };
    Ok((config, credentials))
}

/// Reads a file; a missing file is empty.
fn read_optional(path: &Path) -> Result<String, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(ConfigError::NotUtf8 {
            path: path.to_path_buf(),
        }),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_env_or_home() {
        let env = EnvVars::from_pairs([("HOME", "/home/u")]);
        let (c, k) = default_paths(&env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c, Path::new("/home/u/.aws/config"));
        assert_eq!(k, Path::new("/home/u/.aws/credentials"));
        let env = EnvVars::from_pairs([
            ("AWS_CONFIG_FILE", "/etc/c"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/etc/k"),
        ]);
        let (c, k) = default_paths(&env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (c.as_path(), k.as_path()),
            (Path::new("/etc/c"), Path::new("/etc/k"))
        );
        assert!(matches!(
            default_paths(&EnvVars::default()),
            Err(ConfigError::NoHomeDirectory)
        ));
    }
}
