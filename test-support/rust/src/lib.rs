//! Shared helpers for stsvault's Rust test suites (being written).
