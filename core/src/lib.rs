//! # stsvault
//!
//! Keeps long-lived AWS access keys in an encrypted vault and turns them, with an MFA code, into
//! short-lived STS sessions. The modules follow the path a credential takes:
//!
//! - [`config`] reads `~/.aws/config` and `~/.aws/credentials` and resolves a profile;
//! - [`plan`](config::plan) decides which STS calls that profile needs (aws-vault's rules);
//! - [`vault`] stores master keys and cached sessions (encrypted file, OS keyrings);
//! - [`prompt`] asks for MFA codes and passphrases;
//! - [`sts`] performs the STS calls;
//! - [`cache`] keeps sessions until close to expiry, shared by every process;
//! - [`provider`] is the front door that ties them together.
//!
//! ## Credentials for a profile, in one line
//!
//! [`CredentialsProvider::from_env`] finds the config, the vault and the prompts the way the
//! `stsvault` command does (aws-vault's environment variables included), and it is an AWS SDK
//! for Rust credentials provider:
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! // Asks for an MFA code (terminal or `mfa_process`) only when no cached session is fresh;
//! // the SDK calls it again by itself as the session nears expiry.
//! let provider = stsvault::CredentialsProvider::from_env("prod")?;
//! let creds = provider.credentials().await?;
//! println!("{}", creds.access_key_id);
//! # Ok(()) }
//! ```
//!
//! With the SDK: `aws_config::defaults(BehaviorVersion::latest()).credentials_provider(provider)`
//! (see `examples/aws-sdk-rust`).

mod blocking;
pub mod browser;
pub mod cache;
mod child;
pub mod config;
pub mod credentials;
pub mod embed;
pub mod error;
pub mod export;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod home;
mod http;
pub mod login;
mod private_fs;
pub mod prompt;
pub mod provider;
pub mod rotate;
pub mod server;
pub mod sources;
pub mod sso;
pub mod sts;
pub mod vault;

pub use config::Config;
pub use credentials::{AccessKey, Credentials};
pub use error::{Error, ErrorKind, Result};
pub use provider::CredentialsProvider;
pub use vault::Vault;
