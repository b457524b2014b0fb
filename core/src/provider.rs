//! The public front door: a credentials provider for a profile (being written).
