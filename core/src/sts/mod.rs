//! Turning a plan into credentials with STS (being written).

/// A problem obtaining credentials from STS.
#[derive(Debug, thiserror::Error)]
pub enum StsError {}
