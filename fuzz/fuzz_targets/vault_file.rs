//! A file-vault item file from arbitrary bytes, read back with the vault's passphrase: JWE shape
//! check, PBES2 + A256GCM decryption, item JSON, master-key JSON.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stsvault::fuzzing::vault_file(data);
});
