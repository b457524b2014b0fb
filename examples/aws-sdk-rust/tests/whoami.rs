//! The example runs as a user would run it: an AWS SDK for Rust client gets an MFA session
//! from the file vault (the code from the profile's `mfa_process`), uses it for two calls, and
//! the next run reuses the cached session without asking for a code.

use stsvault_test_support::{Emulator, Sandbox, assert_success, totp};

const WHOAMI: &str = env!("CARGO_BIN_EXE_whoami");

#[test]
fn an_sdk_client_gets_an_mfa_session_from_the_vault() {
    let emulator = Emulator::start();
    let user = emulator.setup_user("deployer");
    let mut sandbox = Sandbox::new(Some(&emulator));
    sandbox.set_env("AWS_REGION", "us-east-1");
    let code_file = sandbox.home().join("mfa-code");
    sandbox.write_config(&format!(
        "[profile deployer]\nregion = us-east-1\nmfa_serial = {}\nmfa_process = cat {}\n",
        user.mfa_serial,
        code_file.display()
    ));
    // The vault holds the user's keys (written the way `stsvault add` writes them).
    let vault = stsvault::Vault::new(Box::new(stsvault::vault::FileBackend::new(
        sandbox.vault_dir(),
        Box::new({
            let p = sandbox.passphrase.clone();
            move |_| Ok(secrecy::SecretString::from(p.clone()))
        }),
    )));
    vault
        .set_master(
            "deployer",
            &stsvault::AccessKey::new(&user.access_key_id, user.secret_access_key.clone()),
        )
        .unwrap();

    std::fs::write(&code_file, totp(&user.seed, 0)).unwrap();
    let out = sandbox.command(WHOAMI).arg("deployer").output().unwrap();
    assert_success(&out);
    let arns: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(arns.len(), 2);
    assert!(
        arns.iter().all(|a| a.ends_with(":user/deployer")),
        "{arns:?}"
    );
    let session = emulator.sts_calls("GetSessionToken");
    assert_eq!(session.len(), 1);
    let session_key = session[0].issued_access_key_id.clone().unwrap();
    let whoami = emulator.sts_calls("GetCallerIdentity");
    assert_eq!(whoami.len(), 2);
    assert!(
        whoami
            .iter()
            .all(|c| c.access_key_id.as_deref() == Some(session_key.as_str())),
        "the SDK signed with the MFA session"
    );

    // The next run reuses the cached session: no code to read, no STS session call.
    std::fs::remove_file(&code_file).unwrap();
    let again = sandbox.command(WHOAMI).arg("deployer").output().unwrap();
    assert_success(&again);
    assert_eq!(emulator.sts_calls("GetSessionToken").len(), 1);
}
