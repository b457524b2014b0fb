//! # stsvault-keystores
//!
//! The two OS-native secret stores that aws-vault (through 99designs/keyring) can use and that
//! only exist on their own operating system:
//!
//! - `keychain` — the macOS Keychain (a named, file-based keychain, `aws-vault.keychain` by
//!   default), compiled only with `target_os = "macos"`;
//! - `wincred` — the Windows Credential Manager (generic credentials named
//!   `aws-vault:aws-vault:<key>` by default), compiled only on Windows.
//!
//! On Windows it also has `wincredui`, the Windows credentials dialog as an MFA prompt
//! (aws-vault's `--prompt wincredui`).
//!
//! Both store items in exactly the layout aws-vault writes, so items written by either tool read
//! in the other, and both have the same shape — `open`, `get`, `set`, `remove`, `keys` — so the
//! core crate can wrap them in one adapter.
//!
//! On every platform the crate exports [`StoredItem`], [`StoreError`] and the pure naming rules
//! in [`layout`], which are unit-tested everywhere.
//!
//! Secrets never appear in `Debug` output or in error messages.

#![warn(missing_docs)]

mod error;
mod item;
pub mod layout;
mod utf16;

#[cfg(target_os = "macos")]
pub mod keychain;

#[cfg(windows)]
pub mod wincred;

#[cfg(windows)]
pub mod wincredui;

pub use error::StoreError;
pub use item::StoredItem;
