//! Cached sessions shared by every process (being written).
