//! Asking the user for MFA codes and passphrases (being written).

/// A problem asking for an MFA code or a passphrase.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {}
