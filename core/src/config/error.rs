//! [`ConfigError`]: everything that can go wrong reading the AWS config files or resolving a
//! profile. One variant per thing a user can fix; each message says what happened, where (the
//! real file path, and the line when there is one) and what to do about it.

use std::path::PathBuf;

/// A problem with the AWS config files or a profile in them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither `HOME` nor `USERPROFILE` is set, so `~/.aws/config` cannot be located.
    #[error(
        "cannot find your home directory to locate ~/.aws/config: set HOME, or point \
         AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE at your AWS config files"
    )]
    NoHomeDirectory,

    /// A config file exists but could not be read.
    #[error("cannot read {}: {source}; check that the file is readable by you", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },

    /// A config file is not UTF-8 text.
    #[error(
        "cannot read {}: it is not UTF-8 text; save it as UTF-8 (or fix the bytes that are not)",
        path.display()
    )]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },

    /// The config file could not be written (for `add --add-config`).
    #[error(
        "cannot write {}: {source}; check that you may write to the file and its directory",
        path.display()
    )]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },

    /// A line of a config file is not valid INI.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A setting in a profile has a value that cannot be used.
    #[error("{}:{line}: `{setting}` in {section}: {reason}", path.display())]
    InvalidSetting {
        /// The file.
        path: PathBuf,
        /// 1-based line number of the setting.
        line: usize,
        /// The section, as written in its header (e.g. `[profile prod]`).
        section: String,
        /// The setting as `key = value`.
        setting: String,
        /// Why it is wrong and what is expected.
        reason: String,
    },

    /// An environment variable has a value that cannot be used.
    #[error("environment variable {var}={value:?} is invalid: {reason}")]
    InvalidEnv {
        /// The variable.
        var: String,
        /// Its value.
        value: String,
        /// Why it is wrong and what is expected.
        reason: String,
    },

    /// The profile is neither in the config file nor in the vault.
    #[error(
        "profile `{profile}` not found: there is no [profile {profile}] in {} and no keys for \
         it in the vault; check the name{known}, or store keys with `stsvault add {profile}`",
        path.display(),
        known = known_profiles(.known)
    )]
    ProfileNotFound {
        /// The profile asked for.
        profile: String,
        /// The config file searched.
        path: PathBuf,
        /// The profiles that do exist in the config file.
        known: Vec<String>,
    },

    /// The profile has a section in `~/.aws/credentials` without a complete key pair, and is
    /// neither in the config file nor in the vault.
    #[error(
        "profile `{profile}` exists only in {}, without both aws_access_key_id and \
         aws_secret_access_key, and not in {} nor in the vault; store its keys with \
         `stsvault add {profile}`",
        credentials_path.display(),
        config_path.display()
    )]
    OnlyInCredentialsFile {
        /// The profile asked for.
        profile: String,
        /// The credentials file it was found in.
        credentials_path: PathBuf,
        /// The config file searched.
        config_path: PathBuf,
    },

    /// A `source_profile` names a profile that exists neither in the config nor in the vault.
    #[error(
        "profile `{profile}` has `source_profile = {source_profile}`, but no profile \
         `{source_profile}` exists in {} and the vault has no keys for it; fix the name, add a \
         [profile {source_profile}] section, or store keys with `stsvault add {source_profile}`",
        path.display()
    )]
    SourceProfileNotFound {
        /// The profile with the `source_profile` setting.
        profile: String,
        /// The missing profile.
        source_profile: String,
        /// The config file.
        path: PathBuf,
    },

    /// `source_profile` settings form a loop.
    #[error(
        "`source_profile` settings in {} form a loop: {}; change one of them so the chain ends \
         at a profile with keys in the vault (or sso, web identity, credential_process)",
        path.display(),
        chain.join(" -> ")
    )]
    SourceProfileLoop {
        /// The profiles in the loop, first one repeated at the end.
        chain: Vec<String>,
        /// The config file.
        path: PathBuf,
    },

    /// `include_profile` settings form a loop (every include chain ends in `[default]`, so
    /// `[default]` itself cannot have `include_profile`).
    #[error(
        "`include_profile` settings in {} form a loop: {}; remove one of them (note that every \
         profile without include_profile falls back to [default], so [default] cannot include \
         another profile)",
        path.display(),
        chain.join(" -> ")
    )]
    IncludeProfileLoop {
        /// The profiles in the loop, first one repeated at the end.
        chain: Vec<String>,
        /// The config file.
        path: PathBuf,
    },

    /// `session_tags` (or `AWS_SESSION_TAGS`) is not a `key=value,...` list.
    #[error(
        "{origin}: session tags {value:?} are invalid: {reason}; write them as \
         key1=value1,key2=value2"
    )]
    InvalidSessionTags {
        /// Where the value came from (`file:line` or the environment variable).
        origin: String,
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },

    /// `credential_source` names a source this tool cannot read.
    #[error(
        "profile `{profile}` has `credential_source = {value}` in {}, but stsvault can only use          `credential_source = Environment` (keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY);          store keys with `stsvault add` and use source_profile instead",
        path.display()
    )]
    UnsupportedCredentialSource {
        /// The profile.
        profile: String,
        /// The value given.
        value: String,
        /// The config file.
        path: PathBuf,
    },

    /// No way to get credentials for the profile.
    #[error(
        "profile `{profile}` has no credentials: the vault has no keys for it and {} gives it no \
         source_profile, sso_start_url/sso_session, web_identity_token_file/_process or \
         credential_process; store keys with `stsvault add {profile}` or add a source_profile",
        path.display()
    )]
    NoCredentials {
        /// The profile.
        profile: String,
        /// The config file.
        path: PathBuf,
    },

    /// A profile names an `[sso-session]` section that does not exist.
    #[error(
        "profile `{profile}` has `sso_session = {session}`, but there is no [sso-session \
         {session}] section in {}; add it or fix the name",
        path.display()
    )]
    SsoSessionNotFound {
        /// The profile.
        profile: String,
        /// The missing sso-session name.
        session: String,
        /// The config file.
        path: PathBuf,
    },

    /// An SSO profile lacks settings needed to get role credentials.
    #[error(
        "profile `{profile}` uses AWS IAM Identity Center (SSO) but lacks {}; add {} to \
         [profile {profile}] (or its [sso-session]) in {}",
        missing.join(", "),
        if missing.len() == 1 { "it" } else { "them" },
        path.display()
    )]
    IncompleteSso {
        /// The profile.
        profile: String,
        /// The missing keys.
        missing: Vec<String>,
        /// The config file.
        path: PathBuf,
    },

    /// A web identity profile has no `role_arn`.
    #[error(
        "profile `{profile}` has a web identity token but no role_arn; add `role_arn = ...` to \
         [profile {profile}] in {}",
        path.display()
    )]
    WebIdentityWithoutRole {
        /// The profile.
        profile: String,
        /// The config file.
        path: PathBuf,
    },

    /// A profile name cannot be written as a section header.
    #[error(
        "`{name}` cannot be used as a profile name in {}: {reason}",
        path.display()
    )]
    InvalidProfileName {
        /// The name.
        name: String,
        /// Why.
        reason: String,
        /// The config file.
        path: PathBuf,
    },

    /// A key or value cannot be written to the config file.
    #[error("cannot write `{key} = {value}` to {}: {reason}", path.display())]
    InvalidNewSetting {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Why.
        reason: String,
        /// The config file.
        path: PathBuf,
    },
}

/// Formats the list of known profiles for [`ConfigError::ProfileNotFound`].
fn known_profiles(known: &[String]) -> String {
    if known.is_empty() {
        String::from(" (the config file has no profiles)")
    } else {
        format!(" (known profiles: {})", known.join(", "))
    }
}
