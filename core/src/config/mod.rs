//! Reading `~/.aws/config` and `~/.aws/credentials` and resolving a profile (being written).

/// A problem with the AWS config files or a profile in them.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {}
