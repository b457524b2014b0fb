//! The vault: master keys and cached sessions in an encrypted backend (being written).

/// A problem opening, reading or writing the vault.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {}
