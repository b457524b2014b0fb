//! keyring's Item JSON and the item data inside it (master keys, cached sessions, SSO tokens,
//! item names) from arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stsvault::fuzzing::vault_item(data);
});
