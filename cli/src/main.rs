//! The `stsvault` command line (being written).
fn main() {}
