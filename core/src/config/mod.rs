//! Reading `~/.aws/config` and `~/.aws/credentials` and resolving a profile, with aws-vault 7's
//! semantics.
//!
//! - [`Config`] locates and parses the two files ([`Config::load`]) and can add a profile to
//!   the config file ([`Config::add_profile`]);
//! - [`Config::resolve`] turns a profile name into a [`ProfileConfig`] (include chain,
//!   `[default]`, environment, command-line overrides, `source_profile` chain);
//! - [`plan::Plan::build`] decides which STS (or SSO, web identity, credential_process) calls
//!   that profile needs.

mod duration;
mod env;
mod error;
mod files;
mod ini;
pub mod plan;
mod profile;
mod resolve;
mod writer;

pub use duration::{parse_duration_with_days, parse_go_duration};
pub use env::{DEFAULT_MIN_TTL, EnvVars};
pub use error::ConfigError;
pub use files::Config;
pub use profile::{
    ChainedFrom, DEFAULT_CHAINED_SESSION_DURATION, DEFAULT_SESSION_DURATION, MfaToken,
    ProfileConfig, ROLE_CHAINING_MAXIMUM_DURATION, parse_session_tags, parse_transitive_tags,
};
pub use resolve::{ProfileOverrides, ResolveOptions};
