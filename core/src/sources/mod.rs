//! Credentials that come from outside the vault and STS's signed calls: a profile's
//! `credential_process`, and the web identity token of `web_identity_token_file` /
//! `web_identity_token_process`.

mod error;
mod process;
mod web_identity;

pub use error::SourceError;
pub use process::{ProcessCredentials, run_credential_process};
pub use web_identity::read_web_identity_token;
