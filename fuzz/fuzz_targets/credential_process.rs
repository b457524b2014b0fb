//! A `credential_process`'s output from arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stsvault::fuzzing::credential_process(data);
});
