//! Talking to STS: building a client for an endpoint and a set of credentials, the calls that
//! turn credentials into sessions, and mapping STS's errors onto ones a user can act on.

mod calls;
mod client;
mod error;

pub use calls::{
    AssumeRoleRequest, CallerIdentity, assume_role, assume_role_with_web_identity, caller_identity,
    get_federation_token, get_session_token,
};
pub(crate) use client::retry_config;
pub use client::{StsTarget, sts_client};
pub use error::StsError;
pub(crate) use error::error_chain;
