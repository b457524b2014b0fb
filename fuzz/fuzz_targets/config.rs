//! `~/.aws/config` and `~/.aws/credentials` from arbitrary bytes (`CONFIG\0CREDENTIALS\0NAME`):
//! parse, resolve and plan every profile, add one in memory.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stsvault::fuzzing::config(data);
});
