//! [`EnvVars`]: a snapshot of the environment, so resolution is a pure function of its inputs
//! (tests pass their own variables instead of mutating the process environment), plus readers
//! for the few variables whose values need parsing.

use std::collections::BTreeMap;
use std::time::Duration;

use super::ConfigError;
use super::duration::parse_go_duration;

/// How long before expiry a cached session is renewed unless `AWS_MIN_TTL` says otherwise
/// (aws-vault's default expiry window).
pub const DEFAULT_MIN_TTL: Duration = Duration::from_secs(5 * 60);

/// A snapshot of environment variables.
///
/// As in aws-vault (Go's `os.Getenv`), a variable set to the empty string counts as unset.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvVars(BTreeMap<String, String>);

impl std::fmt::Debug for EnvVars {
    /// Names only: the environment holds secrets (`AWS_SECRET_ACCESS_KEY`, passphrases…).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Drop for EnvVars {
    /// The snapshot holds copies of secrets (`AWS_SECRET_ACCESS_KEY`,
    /// `AWS_VAULT_FILE_PASSPHRASE`…); they are zeroized with it.
    fn drop(&mut self) {
        for value in self.0.values_mut() {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

impl EnvVars {
    /// Snapshots the current process environment (variables whose name or value is not valid
    /// UTF-8 are skipped).
    pub fn from_process() -> Self {
        EnvVars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        )
    }

    /// Builds a snapshot from explicit pairs (for tests and embedders).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        EnvVars(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// This snapshot with `key` set to `value`.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }

    /// The value of `key`, or `None` when unset or empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Reads a Go-style duration (`1h`, `90m`, `3600s`) from `key`; `None` when unset.
    /// A value that does not parse is an error naming the variable (aws-vault silently ignores
    /// it, which hides typos).
    pub fn duration(&self, key: &str) -> Result<Option<Duration>, ConfigError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        parse_go_duration(value)
            .map(Some)
            .map_err(|reason| ConfigError::InvalidEnv {
                var: key.to_string(),
                value: value.to_string(),
                reason,
            })
    }

    /// The keys in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, when
    /// the first two are set.
    pub fn static_credentials(&self) -> Option<crate::Credentials> {
        crate::Credentials::from_plain(
            self.get("AWS_ACCESS_KEY_ID"),
            self.get("AWS_SECRET_ACCESS_KEY"),
            self.get("AWS_SESSION_TOKEN"),
        )
    }

    /// `AWS_MIN_TTL`: how close to expiry a cached session may get before it is renewed;
    /// [`DEFAULT_MIN_TTL`] (5 minutes) when unset.
    pub fn min_ttl(&self) -> Result<Duration, ConfigError> {
        Ok(self.duration("AWS_MIN_TTL")?.unwrap_or(DEFAULT_MIN_TTL))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_names_not_values() {
        let env = EnvVars::from_pairs([("AWS_SECRET_ACCESS_KEY", "hidden-secret")]);
        let shown = format!("{env:?}");
        assert!(
            shown.contains("AWS_SECRET_ACCESS_KEY") && !shown.contains("hidden"),
            "{shown}"
        );
    }

    #[test]
    fn empty_counts_as_unset() {
        let env = EnvVars::from_pairs([("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "eu-west-1")]);
        assert_eq!(env.get("AWS_REGION"), None);
        assert_eq!(env.get("AWS_DEFAULT_REGION"), Some("eu-west-1"));
        assert_eq!(env.get("NOPE"), None);
    }

    #[test]
    fn min_ttl_default_and_invalid() {
        assert_eq!(EnvVars::default().min_ttl().ok(), Some(DEFAULT_MIN_TTL));
        let env = EnvVars::from_pairs([("AWS_MIN_TTL", "10m")]);
        assert_eq!(env.min_ttl().ok(), Some(Duration::from_secs(600)));
        let env = EnvVars::from_pairs([("AWS_MIN_TTL", "10")]);
        let e = env.min_ttl().expect_err("no unit");
        assert!(e.to_string().contains("AWS_MIN_TTL"), "{e}");
    }
}
